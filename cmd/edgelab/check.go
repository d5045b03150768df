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
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "check",
		summary: "check traces against a theory: [--theory NAME|FILE] [--adversary P[+Q]]... TRACE...",
		run:     checkCommand,
	})
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	theoryFlag := fs.String("theory", "ohttp", "embedded theory name, or a .spthy file")
	partiesFile := fs.String("parties", "", "party table (JSON, the format of tamarin/check/parties.json)")
	var advs listFlag
	fs.Var(&advs, "adversary", "party, or coalition a+b, to check against (repeatable; default: every single party)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "check", err)
	}
	if len(files) == 0 {
		return fail(stderr, "check", 2, errors.New("no trace files (usage: edgelab check [--theory NAME|FILE] [--adversary P[+Q]]... TRACE...)"))
	}
	th, err := loadTheory(*theoryFlag)
	if err != nil {
		return fail(stderr, "check", 2, err)
	}
	cfg := check.ConfigFor(th)
	if *partiesFile != "" {
		data, err := os.ReadFile(*partiesFile)
		if err != nil {
			return fail(stderr, "check", 2, err)
		}
		table, err := check.ParseConfigs(data)
		if err != nil {
			return fail(stderr, "check", 2, fmt.Errorf("%s: %w", *partiesFile, err))
		}
		c, ok := table[th.Name]
		if !ok {
			return fail(stderr, "check", 2, fmt.Errorf("%s: no entry for theory %s", *partiesFile, th.Name))
		}
		cfg = c
	}
	var adversaries [][]string
	for _, a := range advs {
		parts := strings.Split(a, "+")
		for _, p := range parts {
			if _, ok := cfg.Parties[p]; !ok {
				return fail(stderr, "check", 2, fmt.Errorf("unknown party %q in --adversary %s (theory %s has %s)", p, a, th.Name, strings.Join(cfg.PartyNames(), ", ")))
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
			return fail(stderr, "check", 2, err)
		}
	}
	status := 0
	for i, file := range files {
		tr := traces[i]
		fmt.Fprintf(stdout, "trace %s (%d events, sha256:%s)\n", file, len(tr.Events), tr.HashHex())
		run, err := check.New(th, tr, check.Options{Config: &cfg})
		if err != nil {
			return fail(stderr, "check", 2, err)
		}
		for _, adv := range adversaries {
			rep, err := run.Evaluate(adv)
			if err != nil {
				return fail(stderr, "check", 2, err)
			}
			if err := rep.WriteText(stdout); err != nil {
				return fail(stderr, "check", exitEnv, err)
			}
			if !rep.OK() {
				status = 1
			}
		}
	}
	return status
}

// loadTheory returns the embedded theory called name, or parses the file
// name if there is no such embedded theory.
func loadTheory(name string) (*spthy.Theory, error) {
	if _, err := tamarin.Lookup(name); err == nil {
		return tamarin.Parse(name)
	}
	src, err := os.ReadFile(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no embedded theory or file %q (embedded: %s)", name, strings.Join(tamarin.Names(), ", "))
		}
		return nil, err
	}
	return spthy.Parse(src, spthy.Options{File: name})
}
