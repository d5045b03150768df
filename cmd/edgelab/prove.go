package main

// This file is `edgelab prove`: run tamarin-prover on every embedded
// theory (diff theories with --diff) and compare each lemma with its
// "// expect:" annotation; a proof resting on a helper lemma that failed,
// or a theory failing a wellformedness check, fails too. Without
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
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/prove"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func init() {
	register(&command{
		name:    "prove",
		summary: "prove the theories with tamarin-prover: [--timeout 5m] [--theory-timeout 15m] [--jobs N] [--lemma NAME] [--theory NAME] [--mutants] [--require-prover] [--json]",
		run:     proveCommand,
	})
}

func proveCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prove", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 5*time.Minute, "time limit per lemma")
	theoryTimeout := fs.Duration("theory-timeout", 15*time.Minute, "time limit per theory, all its lemmas together (wall time)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "prover processes at once (at most the number of CPUs)")
	lemma := fs.String("lemma", "", "prove only this lemma (and the helper lemmas it rests on)")
	theory := fs.String("theory", "", "prove only this embedded theory")
	asJSON := fs.Bool("json", false, "print one JSON document: the Go checks' problems, the prover (or why none) and every lemma's result")
	mutants := fs.Bool("mutants", false, "instead of the proofs, prove that every theory mutant (tamarin/theories/testdata/mutants) falsifies the lemmas it targets")
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
	if *theoryTimeout <= 0 {
		return fail(stderr, "prove", exitUsage, errors.New("--theory-timeout must be positive"))
	}
	if *jobs < 1 {
		return fail(stderr, "prove", exitUsage, errors.New("--jobs must be at least 1"))
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
	doc := proveJSON{GoCheckProblems: []string{}, Results: []proveResultJSON{}, Theories: []proveTheoryJSON{}}
	if *mutants {
		doc.Mutants, doc.Coverage = []proveMutantJSON{}, []proveCoverageJSON{}
	}
	finish := func() int {
		doc.OK = status == exitOK
		if *asJSON {
			if err := writeJSON(stdout, doc); err != nil {
				return fail(stderr, "prove", exitEnv, err)
			}
		}
		return status
	}
	say := func(format string, args ...any) {
		if !*asJSON {
			fmt.Fprintf(stdout, format, args...)
		}
	}
	for _, p := range prove.Check() {
		doc.GoCheckProblems = append(doc.GoCheckProblems, p.String())
		say("edgelab prove: %s\n", p)
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
		say("edgelab prove: %v; ran the Go checks only (--require-prover makes this an error)\n", err)
		return finish()
	}
	doc.Prover = prover
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// tamarin-prover's runtime takes every core by default (-N); with
	// several processes at once each gets its share.
	*jobs = prove.MaxJobs(*jobs)
	threads := max(1, runtime.NumCPU() / *jobs)
	opts := prove.Options{Prover: prover, Timeout: *timeout, TheoryTimeout: *theoryTimeout, Jobs: *jobs, Lemma: *lemma,
		ProverArgs: []string{"+RTS", "-N" + strconv.Itoa(threads), "-RTS"}, Progress: func(r prove.Result) {
			if !r.OK() {
				status = exitFailed
			}
			doc.Results = append(doc.Results, resultJSON(r))
			say("%s\n", resultLine(r, true))
		}}
	if *mutants {
		ms, _ := prove.Mutants() // the Go checks above reported those with problems
		st, err := proveMutants(ctx, stdout, *asJSON, ms, theories, *lemma, opts, &doc)
		if err != nil {
			return fail(stderr, "prove", exitEnv, err)
		}
		if st != exitOK {
			status = st
		}
		return finish()
	}
	for _, t := range theories {
		if *lemma != "" && !hasLemma([]tamarin.Theory{t}, *lemma) {
			continue
		}
		rep, err := prove.Run(ctx, t.Name, t.Source, opts)
		if err != nil {
			return fail(stderr, "prove", exitEnv, err)
		}
		if !rep.OK() {
			status = exitFailed
		}
		doc.Theories = append(doc.Theories, theoryJSON(rep))
		if !*asJSON {
			printTheory(stdout, rep)
		}
	}
	return finish()
}

// resultLine is one lemma's line:
//
//	ohttp  request_secrecy  expected=verified  got=verified  steps=20  time=1.2s  ok
//
// with the verdict word (ok, MISMATCH, or for a mutant killed / SURVIVED)
// left to the caller when annotated is false.
func resultLine(r prove.Result, annotated bool) string {
	steps := "-"
	if r.Steps > 0 {
		steps = strconv.Itoa(r.Steps)
	}
	line := fmt.Sprintf("%s  %s", r.Theory, r.Name())
	if annotated {
		expected := string(r.Expected)
		if expected == "" {
			expected = "(none)"
		}
		line += "  expected=" + expected
	}
	line += fmt.Sprintf("  got=%s  steps=%s  time=%s", r.Got, steps, r.Time.Round(10*time.Millisecond))
	if !annotated {
		return line
	}
	switch {
	case r.OK():
		line += "  ok"
	case r.Expected != prove.None && r.Got == r.Expected:
		line += "  MISMATCH: rests on " + restsOn(r.RestsOn)
	default:
		line += "  MISMATCH"
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		if len(r.RestsOn) > 0 {
			line += "; rests on " + restsOn(r.RestsOn)
		}
	}
	return line
}

func restsOn(helpers []string) string {
	word := "helper"
	if len(helpers) > 1 {
		word = "helpers"
	}
	return word + " " + strings.Join(helpers, ", ") + ", not verified"
}

// printTheory prints what a theory's run found beyond its lemmas: the
// wellformedness checks that failed, and its time.
func printTheory(w io.Writer, rep *prove.Report) {
	for _, c := range rep.Wellformedness {
		kind := "warning"
		if c.Error {
			kind = "ERROR"
		}
		fmt.Fprintf(w, "%s  wellformedness %s: %s\n", rep.Theory, kind, c.Title)
		for _, l := range strings.Split(c.Text, "\n") {
			if l != "" {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	ok, n := 0, len(rep.Results)
	for _, r := range rep.Results {
		if r.OK() {
			ok++
		}
	}
	verdict := "ok"
	if !rep.OK() {
		verdict = "FAILED"
		if e := rep.WFErrors(); e > 0 {
			verdict += fmt.Sprintf(" (%d wellformedness errors)", e)
		}
	}
	mode := ""
	if rep.Diff {
		mode = "  --diff"
	}
	fmt.Fprintf(w, "%s  theory  lemmas=%d/%d  time=%s%s  %s\n", rep.Theory, ok, n, rep.Time.Round(10*time.Millisecond), mode, verdict)
}

// proveJSON is `edgelab prove --json`.
type proveJSON struct {
	OK              bool              `json:"ok"`
	GoCheckProblems []string          `json:"go_check_problems"`
	Prover          string            `json:"prover,omitempty"`
	NoProver        string            `json:"no_prover,omitempty"`
	Results         []proveResultJSON `json:"results"`
	Theories        []proveTheoryJSON `json:"theories"`
	// With --mutants: each mutant's run, and what they say of each lemma.
	Mutants  []proveMutantJSON   `json:"mutants,omitempty"`
	Coverage []proveCoverageJSON `json:"coverage,omitempty"`
}

type proveResultJSON struct {
	Theory   string   `json:"theory"`
	Lemma    string   `json:"lemma"`
	Side     string   `json:"side,omitempty"`
	Traces   string   `json:"traces"`
	Expected string   `json:"expected"`
	Got      string   `json:"got"`
	Steps    int      `json:"steps"`
	Seconds  float64  `json:"seconds"`
	OK       bool     `json:"ok"`
	Detail   string   `json:"detail,omitempty"`
	RestsOn  []string `json:"rests_on,omitempty"`
}

type proveTheoryJSON struct {
	Theory         string        `json:"theory"`
	Diff           bool          `json:"diff"`
	Seconds        float64       `json:"seconds"`
	OK             bool          `json:"ok"`
	Wellformedness []proveWFJSON `json:"wellformedness"`
}

type proveWFJSON struct {
	Title string `json:"title"`
	Text  string `json:"text"`
	Error bool   `json:"error"`
}

func resultJSON(r prove.Result) proveResultJSON {
	return proveResultJSON{Theory: r.Theory, Lemma: r.Lemma, Side: string(r.Side), Traces: r.Traces,
		Expected: string(r.Expected), Got: string(r.Got), Steps: r.Steps, Seconds: r.Time.Seconds(), OK: r.OK(), Detail: r.Detail, RestsOn: r.RestsOn}
}

func theoryJSON(rep *prove.Report) proveTheoryJSON {
	t := proveTheoryJSON{Theory: rep.Theory, Diff: rep.Diff, Seconds: rep.Time.Seconds(), OK: rep.OK(), Wellformedness: []proveWFJSON{}}
	for _, c := range rep.Wellformedness {
		t.Wellformedness = append(t.Wellformedness, proveWFJSON{Title: c.Title, Text: c.Text, Error: c.Error})
	}
	return t
}

func hasLemma(theories []tamarin.Theory, name string) bool {
	for _, t := range theories {
		if name == prove.ObservationalEquivalence && prove.IsDiff(t.Source) {
			return true
		}
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
