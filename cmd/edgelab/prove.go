package main

// This file is `edgelab prove`: run tamarin-prover on every embedded
// theory and compare each lemma with its "// expect:" annotation. Without
// tamarin-prover it says so in one line and runs the Go checks only,
// unless --require-prover makes that an error.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/prove"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "prove",
		summary: "prove the theories with tamarin-prover: [--timeout 5m] [--lemma NAME] [--theory NAME] [--require-prover] [--json]",
		run:     proveCommand,
	})
}

func proveCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prove", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 5*time.Minute, "time limit per lemma")
	lemma := fs.String("lemma", "", "prove only this lemma")
	theory := fs.String("theory", "", "prove only this embedded theory")
	asJSON := fs.Bool("json", false, "print one JSON document: the Go checks' problems, the prover (or why none) and every lemma's result")
	requireProver := fs.Bool("require-prover", false, "without tamarin-prover, fail (exit 3) instead of running the Go checks only")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, "prove", err)
	}
	if len(pos) > 0 {
		return fail(stderr, "prove", exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if *timeout <= 0 {
		return fail(stderr, "prove", exitUsage, errors.New("--timeout must be positive"))
	}
	theories := tamarin.Theories()
	if *theory != "" {
		t, err := tamarin.Lookup(*theory)
		if err != nil {
			return fail(stderr, "prove", exitUsage, err)
		}
		theories = []tamarin.Theory{t}
	}
	if *lemma != "" && !hasLemma(theories, *lemma) {
		return fail(stderr, "prove", exitUsage, fmt.Errorf("no lemma %q in the theories", *lemma))
	}

	status := exitOK
	doc := proveJSON{GoCheckProblems: []string{}, Results: []proveResultJSON{}}
	finish := func() int {
		doc.OK = status == exitOK
		if *asJSON {
			if err := writeJSON(stdout, doc); err != nil {
				return fail(stderr, "prove", exitEnv, err)
			}
		}
		return status
	}
	for _, p := range prove.Check() {
		doc.GoCheckProblems = append(doc.GoCheckProblems, p.String())
		if !*asJSON {
			fmt.Fprintf(stdout, "edgelab prove: %s\n", p)
		}
		status = exitFailed
	}
	// No prover, or $TAMARIN naming none, are the same situation: what
	// differs is whether the caller (a CI job, say) demands a proof.
	prover, err := prove.Find()
	if err != nil {
		if *requireProver {
			return fail(stderr, "prove", exitEnv, fmt.Errorf("%v (--require-prover)", err))
		}
		doc.NoProver = err.Error()
		if !*asJSON {
			fmt.Fprintf(stdout, "edgelab prove: %v; ran the Go checks only (--require-prover makes this an error)\n", err)
		}
		return finish()
	}
	doc.Prover = prover
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := prove.Options{Prover: prover, Timeout: *timeout, Lemma: *lemma, Progress: func(r prove.Result) {
		verdict := "ok"
		if !r.OK() {
			verdict = "MISMATCH"
			status = exitFailed
		}
		doc.Results = append(doc.Results, proveResultJSON{Theory: r.Theory, Lemma: r.Lemma, Traces: r.Traces,
			Expected: string(r.Expected), Got: string(r.Got), Steps: r.Steps, Seconds: r.Time.Seconds(), OK: r.OK(), Detail: r.Detail})
		if *asJSON {
			return
		}
		expected := string(r.Expected)
		if expected == "" {
			expected = "(none)"
		}
		steps := "-"
		if r.Steps > 0 {
			steps = strconv.Itoa(r.Steps)
		}
		line := fmt.Sprintf("%s  %s  expected=%s  got=%s  steps=%s  time=%s  %s", r.Theory, r.Lemma, expected, r.Got, steps, r.Time.Round(10*time.Millisecond), verdict)
		if r.Detail != "" && !r.OK() {
			line += ": " + r.Detail
		}
		fmt.Fprintln(stdout, line)
	}}
	for _, t := range theories {
		if _, err := prove.Theory(ctx, t.Name, t.Source, opts); err != nil {
			return fail(stderr, "prove", exitEnv, err)
		}
	}
	return finish()
}

// proveJSON is `edgelab prove --json`.
type proveJSON struct {
	OK              bool              `json:"ok"`
	GoCheckProblems []string          `json:"go_check_problems"`
	Prover          string            `json:"prover,omitempty"`
	NoProver        string            `json:"no_prover,omitempty"`
	Results         []proveResultJSON `json:"results"`
}

type proveResultJSON struct {
	Theory   string  `json:"theory"`
	Lemma    string  `json:"lemma"`
	Traces   string  `json:"traces"`
	Expected string  `json:"expected"`
	Got      string  `json:"got"`
	Steps    int     `json:"steps"`
	Seconds  float64 `json:"seconds"`
	OK       bool    `json:"ok"`
	Detail   string  `json:"detail,omitempty"`
}

func hasLemma(theories []tamarin.Theory, name string) bool {
	for _, t := range theories {
		th, err := spthy.Parse(t.Source, spthy.Options{File: t.File})
		if err != nil {
			continue
		}
		for _, l := range th.Lemmas {
			if l.Name == name {
				return true
			}
		}
	}
	return false
}
