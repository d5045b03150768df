// Package prove runs tamarin-prover on edgelab's theories and compares each
// lemma's result with the annotation in its comment:
//
//	// The request stays secret unless ...
//	// expect: verified
//	lemma request_secrecy: ...
//
// An annotation is "expect: verified" or "expect: falsified" in the
// comment directly above the lemma (spthy keeps it as Lemma.Doc) or in a
// comment inside the lemma's text. A theory with diff terms (or a line
// "// mode: diff") is proved with tamarin-prover --diff: its lemmas on
// both sides, and the observational-equivalence lemma tamarin generates,
// annotated by a line "// Observational_equivalence expect: verified"
// (or falsified) anywhere in the theory.
//
// A lemma's verdict may rest on others: tamarin assumes every [sources]
// lemma, and every [reuse] lemma before it, whatever their own proofs
// found. A complete proof that assumed a helper which did not come out
// verified is reported as such, never as a success. Theory mutants
// (Mutant, CheckMutants) are proved with [reuse] stripped, each targeted
// lemma standing alone.
//
// The prover's wellformedness report is read too: a failed check other
// than the message-derivation hints is an error of the theory.
//
// tamarin-prover is found on PATH or through the TAMARIN environment
// variable; without it, Check still runs the checks that need no prover.
package prove

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// Status is a lemma's result.
type Status string

const (
	Verified   Status = "verified"
	Falsified  Status = "falsified"
	Incomplete Status = "incomplete" // tamarin stopped without a proof
	Timeout    Status = "timeout"    // killed after Options.Timeout
	Failed     Status = "error"      // tamarin failed or printed no result
	None       Status = ""           // no annotation
)

// ErrNotFound is returned by Find when there is no tamarin-prover.
var ErrNotFound = errors.New("tamarin-prover not found on PATH (set TAMARIN)")

// Find returns the tamarin-prover to run: $TAMARIN if set (a path, or a
// name looked up on PATH), else tamarin-prover on PATH.
func Find() (string, error) {
	name := "tamarin-prover"
	if env := os.Getenv("TAMARIN"); env != "" {
		name = env
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("TAMARIN") != "" {
			return "", fmt.Errorf("TAMARIN=%s: %w", name, err)
		}
		return "", ErrNotFound
	}
	return p, nil
}

var expectRe = regexp.MustCompile(`(?m)(?://|/\*|\*|^)\s*expect:\s*(verified|falsified)\b`)

// Expectation returns the annotated result of lemma l of the theory whose
// source is src: from its doc comment, else from a comment between the
// lemma's start and the next item. None if there is no annotation.
func Expectation(src []byte, l spthy.Lemma) Status {
	if m := expectRe.FindStringSubmatch(l.Doc); m != nil {
		return Status(m[1])
	}
	if m := expectRe.FindStringSubmatch("// " + l.Doc); m != nil {
		return Status(m[1])
	}
	body := lemmaText(src, l)
	for _, line := range strings.Split(body, "\n") {
		j := strings.Index(line, "//")
		if j < 0 {
			continue
		}
		if m := expectRe.FindStringSubmatch(line[j:]); m != nil {
			return Status(m[1])
		}
	}
	for _, block := range regexp.MustCompile(`(?s)/\*.*?\*/`).FindAllString(body, -1) {
		if m := expectRe.FindStringSubmatch(block); m != nil {
			return Status(m[1])
		}
	}
	return None
}

var itemStart = regexp.MustCompile(`(?m)^\s*(lemma|rule|restriction|end|axiom)\b`)

// lemmaText returns the source from the lemma's line up to the next item,
// less the comment lines just above that item (they document it).
func lemmaText(src []byte, l spthy.Lemma) string {
	body := lemmaSpan(src, l)
	lines := strings.SplitAfter(body, "\n")
	for len(lines) > 1 {
		last := strings.TrimSpace(lines[len(lines)-1])
		if last != "" && !strings.HasPrefix(last, "//") {
			break
		}
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "")
}

func lemmaSpan(src []byte, l spthy.Lemma) string {
	lines := strings.SplitAfter(string(src), "\n")
	if l.Pos.Line < 1 || l.Pos.Line > len(lines) {
		return ""
	}
	rest := strings.Join(lines[l.Pos.Line-1:], "")
	// Skip the lemma keyword itself, then stop at the next item.
	if loc := itemStart.FindStringIndex(rest); loc != nil {
		after := rest[loc[1]:]
		if next := itemStart.FindStringIndex(after); next != nil {
			return rest[:loc[1]+next[0]]
		}
	}
	return rest
}

// All proves every lemma of every embedded theory.
func All(ctx context.Context, opts Options) ([]Result, error) {
	var out []Result
	for _, t := range tamarin.Theories() {
		rs, err := Theory(ctx, t.Name, t.Source, opts)
		out = append(out, rs...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// runProver runs the prover in dir with a timeout and returns its
// standard output. The error wraps context.DeadlineExceeded on timeout.
func runProver(ctx context.Context, prover, dir string, timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prover, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	killGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("tamarin-prover: %w", ctx.Err())
	}
	if err != nil {
		msg := strings.TrimSpace(lastLine(stderr.String()))
		return stdout.Bytes(), fmt.Errorf("tamarin-prover: %v: %s", err, msg)
	}
	return stdout.Bytes(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Problem is a finding of Check.
type Problem struct {
	Theory string
	Msg    string
}

func (p Problem) String() string { return p.Theory + ": " + p.Msg }

// Check runs the checks that need no prover on every embedded theory:
// it parses, every lemma carries an expect annotation, and the Go trace
// checker can use it (its message theory maps to destructor rules, its
// rules compile, its party table names real compromise facts, and every
// lemma evaluates on the empty trace); and on every embedded mutant, that
// it still applies to its theory (see Mutants).
func Check() []Problem {
	var out []Problem
	for _, t := range tamarin.Theories() {
		out = append(out, checkTheory(t.Name, t.Source)...)
	}
	_, probs := Mutants()
	return append(out, probs...)
}

func checkTheory(name string, src []byte) []Problem {
	var out []Problem
	bad := func(format string, args ...any) {
		out = append(out, Problem{Theory: name, Msg: fmt.Sprintf(format, args...)})
	}
	th, err := spthy.Parse(src, spthy.Options{File: name})
	if err != nil {
		bad("%v", err)
		return out
	}
	if len(th.Lemmas) == 0 {
		bad("no lemmas")
	}
	for _, l := range th.Lemmas {
		if Expectation(src, l) == None {
			bad("lemma %s has no \"// expect: verified\" or \"// expect: falsified\" annotation", l.Name)
		}
	}
	if IsDiff(src) {
		if DiffExpectation(src) == None {
			bad("diff theory without a \"// %s expect: verified\" or \"... falsified\" line", ObservationalEquivalence)
		}
		// A diff theory is two theories at once; the Go checker replays
		// a trace as a run of one, so it has nothing to say here.
		return out
	}
	run, err := check.New(th, &model.Trace{}, check.Options{})
	if err != nil {
		bad("%v", err)
		return out
	}
	for _, p := range run.Config().PartyNames() {
		rep, err := run.Evaluate([]string{p})
		if err != nil {
			bad("%v", err)
			continue
		}
		for _, l := range rep.Lemmas {
			if l.Verdict == check.NotApplicable && l.Traces == spthy.AllTraces {
				bad("lemma %s cannot be evaluated by the Go checker: %s", l.Name, l.Reason)
			}
		}
		break
	}
	return out
}
