package main

// This file is `edgelab check`: replay recorded traces against a Tamarin
// theory and evaluate its lemmas for each adversary, in pure Go.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/world"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "check",
		summary: "check traces against a theory: (--theory NAME|FILE | --world W) [--adversary P[+Q]]... [--json] TRACE...",
		run:     checkCommand,
	})
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	theoryFlag := fs.String("theory", "", "embedded theory name, or a .spthy file")
	worldName := fs.String("world", "", "check against this world's theory (instead of --theory)")
	partiesFile := fs.String("parties", "", "party table (JSON, the format of tamarin/theories/NAME.parties.json; default: the one beside the theory)")
	var advs listFlag
	asJSON := fs.Bool("json", false, "print the reports as one JSON document")
	fs.Var(&advs, "adversary", "party, or coalition a+b, to check against (repeatable; default: every single party)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "check", err)
	}
	if len(files) == 0 {
		return fail(stderr, "check", exitUsage, errors.New("no trace files (usage: edgelab check [--theory NAME|FILE] [--adversary P[+Q]]... TRACE...)"))
	}
	theory, err := pickTheory(*theoryFlag, *worldName)
	if err != nil {
		return fail(stderr, "check", 2, err)
	}
	th, cfg, err := loadTheory(theory)
	if err != nil {
		return fail(stderr, "check", exitUsage, err)
	}
	if *partiesFile != "" {
		data, err := os.ReadFile(*partiesFile)
		if err != nil {
			return fail(stderr, "check", exitUsage, err)
		}
		if cfg, err = check.ParseConfig(data); err != nil {
			return fail(stderr, "check", exitUsage, fmt.Errorf("%s: %w", *partiesFile, err))
		}
	}
	var adversaries [][]string
	for _, a := range advs {
		parts := strings.Split(a, "+")
		for _, p := range parts {
			if _, ok := cfg.Parties[p]; !ok {
				return fail(stderr, "check", exitUsage, fmt.Errorf("unknown party %q in --adversary %s (theory %s has %s)", p, a, th.Name, strings.Join(cfg.PartyNames(), ", ")))
			}
		}
		adversaries = append(adversaries, parts)
	}
	if len(adversaries) == 0 {
		for _, p := range cfg.PartyNames() {
			adversaries = append(adversaries, []string{p})
		}
	}
	// Read every trace first: bad input is reported before any work.
	traces := make([]*model.Trace, len(files))
	for i, file := range files {
		if traces[i], err = readTrace(file); err != nil {
			return fail(stderr, "check", exitUsage, err)
		}
	}
	status := exitOK
	var doc []checkTraceJSON
	for i, file := range files {
		tr := traces[i]
		if !*asJSON {
			fmt.Fprintf(stdout, "trace %s (%d events, sha256:%s)\n", file, len(tr.Events), tr.HashHex())
		}
		run, err := check.New(th, tr, check.Options{Config: &cfg})
		if err != nil {
			return fail(stderr, "check", exitUsage, err)
		}
		tj := checkTraceJSON{File: file, Events: len(tr.Events), TraceSHA256: tr.HashHex()}
		for _, adv := range adversaries {
			rep, err := run.Evaluate(adv)
			if err != nil {
				return fail(stderr, "check", exitUsage, err)
			}
			if !rep.OK() {
				status = exitFailed
			}
			if *asJSON {
				tj.Reports = append(tj.Reports, checkReportJSON(rep))
				continue
			}
			if err := rep.WriteText(stdout); err != nil {
				return fail(stderr, "check", exitEnv, err)
			}
		}
		doc = append(doc, tj)
	}
	if *asJSON {
		if err := writeJSON(stdout, doc); err != nil {
			return fail(stderr, "check", exitEnv, err)
		}
	}
	return status
}

// pickTheory is --theory, or the theory of --world's world.
func pickTheory(theory, worldName string) (string, error) {
	switch {
	case theory != "" && worldName != "":
		return "", errors.New("--theory and --world exclude each other")
	case theory != "":
		return theory, nil
	case worldName == "":
		return "", errors.New("missing --theory (or --world)")
	}
	w, err := lookupWorld(worldName)
	if err != nil {
		return "", err
	}
	m, ok := w.(world.Modeled)
	if !ok {
		return "", fmt.Errorf("world %s has no theory", w.Name())
	}
	return m.Theory(), nil
}

// loadTheory returns the embedded theory called name, or parses the file
// name if there is no such embedded theory.
func loadTheory(name string) (*spthy.Theory, check.Config, error) {
	if _, err := tamarin.Lookup(name); err == nil {
		th, err := tamarin.Parse(name)
		if err != nil {
			return nil, check.Config{}, err
		}
		cfg, err := check.ConfigFor(th)
		return th, cfg, err
	}
	src, err := os.ReadFile(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, check.Config{}, fmt.Errorf("no embedded theory or file %q (embedded: %s)", name, strings.Join(tamarin.Names(), ", "))
		}
		return nil, check.Config{}, err
	}
	th, err := spthy.Parse(src, spthy.Options{File: name})
	if err != nil {
		return nil, check.Config{}, err
	}
	// A theory file's parties sit beside it (NAME.parties.json).
	cfg, err := check.ConfigFor(th)
	return th, cfg, err
}

// checkTraceJSON is one trace of `check --json`.
type checkTraceJSON struct {
	File        string       `json:"file"`
	Events      int          `json:"events"`
	TraceSHA256 string       `json:"trace_sha256"`
	Reports     []reportJSON `json:"reports"`
}

type reportJSON struct {
	Theory      string          `json:"theory"`
	Adversary   []string        `json:"adversary"`
	OK          bool            `json:"ok"`
	Conformance conformanceJSON `json:"conformance"`
	Lemmas      []lemmaJSON     `json:"lemmas"`
}

type conformanceJSON struct {
	OK           bool     `json:"ok"`
	Facts        int      `json:"facts"`
	Replayed     int      `json:"replayed"`
	Silent       int      `json:"silent"`
	FailedAt     *int     `json:"failed_at_fact,omitempty"`
	Failure      string   `json:"failure,omitempty"`
	Restrictions []string `json:"restrictions_violated,omitempty"`
}

type lemmaJSON struct {
	Name    string `json:"name"`
	Traces  string `json:"traces"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	// Violations is a lower bound when it reaches check.MaxViolations.
	Violations int               `json:"violations,omitempty"`
	Witness    map[string]string `json:"witness,omitempty"`
}

func checkReportJSON(r *check.Report) reportJSON {
	c := r.Conformance
	out := reportJSON{Theory: r.Theory, Adversary: r.Adversary, OK: r.OK(), Conformance: conformanceJSON{
		OK: c.OK, Facts: c.Facts, Replayed: c.Replayed, Silent: c.Silent, Restrictions: c.Restrictions}}
	if c.Failure != nil {
		at := c.Failure.Index + 1
		out.Conformance.FailedAt, out.Conformance.Failure = &at, c.Failure.String()
	}
	for _, l := range r.Lemmas {
		lj := lemmaJSON{Name: l.Name, Traces: l.Traces.String(), Verdict: string(l.Verdict), Reason: l.Reason, Violations: l.Violations}
		for _, a := range l.Witness {
			if lj.Witness == nil {
				lj.Witness = map[string]string{}
			}
			lj.Witness[a.Var] = a.Describe()
		}
		out.Lemmas = append(out.Lemmas, lj)
	}
	return out
}
