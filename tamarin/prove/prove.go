// Package prove runs tamarin-prover on edgelab's theories and compares each
// lemma's result with the annotation in its comment:
//
//	// The request stays secret unless ...
//	// expect: verified
//	lemma request_secrecy: ...
//
// An annotation is "expect: verified" or "expect: falsified" in the
// comment directly above the lemma (spthy keeps it as Lemma.Doc) or in a
// comment inside the lemma's text. tamarin-prover is found on PATH or
// through the TAMARIN environment variable; without it, Check still runs
// the checks that need no prover.
package prove

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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

// Summary is one lemma line of tamarin-prover's "summary of summaries":
//
//	request_secrecy (all-traces): verified (20 steps)
type Summary struct {
	Lemma  string
	Traces string // "all-traces" or "exists-trace"
	Status Status
	Detail string // "found trace", "no trace found", or empty
	Steps  int
}

// Output is what ParseOutput reads from tamarin-prover's standard output.
type Output struct {
	Lemmas []Summary
	// Warnings are the summary's warning lines, such as
	// "WARNING: 1 wellformedness check failed!".
	Warnings []string
}

var (
	summaryLine = regexp.MustCompile(`^\s*(\S+) \((all-traces|exists-trace)\): (verified|falsified - found trace|falsified - no trace found|analysis incomplete)(?: \((\d+) steps?\))?\s*$`)
	warningLine = regexp.MustCompile(`^\s*(WARNING: .*)$`)
)

// ParseOutput reads the summary of summaries of one tamarin-prover run. It
// is an error if there is none: tamarin did not get to the end.
func ParseOutput(out []byte) (*Output, error) {
	i := bytes.LastIndex(out, []byte("summary of summaries:"))
	if i < 0 {
		return nil, errors.New("prove: no \"summary of summaries\" in tamarin-prover's output")
	}
	o := &Output{}
	sc := bufio.NewScanner(bytes.NewReader(out[i:]))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := summaryLine.FindStringSubmatch(line); m != nil {
			s := Summary{Lemma: m[1], Traces: m[2]}
			switch {
			case m[3] == "verified":
				s.Status = Verified
			case strings.HasPrefix(m[3], "falsified - "):
				s.Status, s.Detail = Falsified, strings.TrimPrefix(m[3], "falsified - ")
			default:
				s.Status = Incomplete
			}
			if m[4] != "" {
				s.Steps, _ = strconv.Atoi(m[4])
			}
			o.Lemmas = append(o.Lemmas, s)
			continue
		}
		if m := warningLine.FindStringSubmatch(line); m != nil {
			o.Warnings = append(o.Warnings, strings.TrimSpace(m[1]))
		}
	}
	return o, nil
}

// Lookup returns the summary of lemma, if the output has one.
func (o *Output) Lookup(lemma string) (Summary, bool) {
	for _, s := range o.Lemmas {
		if s.Lemma == lemma {
			return s, true
		}
	}
	return Summary{}, false
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

// Result is one lemma of one theory, proved or not.
type Result struct {
	Theory   string // the embedded theory's name
	Lemma    string
	Traces   string
	Expected Status // None if not annotated
	Got      Status
	Steps    int
	Time     time.Duration
	Detail   string // why, for Failed and Timeout; tamarin's detail else
}

// OK reports whether the result is what the annotation expects.
func (r Result) OK() bool { return r.Expected != None && r.Got == r.Expected }

// Options control Theory and All.
type Options struct {
	// Prover is the tamarin-prover to run; Find() if empty.
	Prover string
	// Timeout bounds each lemma (default 5 minutes).
	Timeout time.Duration
	// Lemma, if set, proves only the lemmas of that name.
	Lemma string
	// Progress, if set, is called with each result as it comes.
	Progress func(Result)
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

// Theory proves the lemmas of one theory, one tamarin-prover process per
// lemma (tamarin-prover --prove=LEMMA FILE), each killed with its process
// group when it runs past the timeout.
func Theory(ctx context.Context, name string, src []byte, opts Options) ([]Result, error) {
	th, err := spthy.Parse(src, spthy.Options{File: name})
	if err != nil {
		return nil, err
	}
	if opts.Prover == "" {
		if opts.Prover, err = Find(); err != nil {
			return nil, err
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	dir, err := os.MkdirTemp("", "edgelab-prove-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, name+".spthy")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return nil, err
	}
	var out []Result
	for _, l := range th.Lemmas {
		if opts.Lemma != "" && l.Name != opts.Lemma {
			continue
		}
		r := Result{Theory: name, Lemma: l.Name, Traces: l.Traces.String(), Expected: Expectation(src, l)}
		if l.Traces != spthy.ExistsTrace {
			r.Traces = spthy.AllTraces.String()
		}
		start := time.Now()
		stdout, runErr := runProver(ctx, opts.Prover, dir, opts.Timeout, "--prove="+l.Name, file)
		r.Time = time.Since(start)
		switch {
		case ctx.Err() != nil:
			return out, ctx.Err()
		case errors.Is(runErr, context.DeadlineExceeded):
			r.Got, r.Detail = Timeout, fmt.Sprintf("no result within %s", opts.Timeout)
		default:
			o, perr := ParseOutput(stdout)
			s, found := Summary{}, false
			if perr == nil {
				s, found = o.Lookup(l.Name)
			}
			switch {
			case found:
				r.Got, r.Steps, r.Detail = s.Status, s.Steps, s.Detail
			case runErr != nil:
				r.Got, r.Detail = Failed, runErr.Error()
			case perr != nil:
				r.Got, r.Detail = Failed, perr.Error()
			default:
				r.Got, r.Detail = Failed, "lemma missing from tamarin-prover's summary"
			}
		}
		out = append(out, r)
		if opts.Progress != nil {
			opts.Progress(r)
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
// lemma evaluates on the empty trace).
func Check() []Problem {
	var out []Problem
	for _, t := range tamarin.Theories() {
		out = append(out, checkTheory(t.Name, t.Source)...)
	}
	return out
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
