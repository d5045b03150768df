package prove

// This file runs tamarin-prover on one theory: one process per lemma, at
// most Options.Jobs at a time, each bounded by the per-lemma timeout and
// all of them by the theory's.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/edgelab/edgelab/tamarin/spthy"
)

// Result is one lemma of one theory (on one side, for a diff theory),
// proved or not.
type Result struct {
	Theory   string // the theory's name
	Lemma    string
	Side     Side   // LHS or RHS for an ordinary lemma of a diff theory
	Traces   string // "all-traces", "exists-trace" or DiffTraces
	Expected Status // None if not annotated
	Got      Status
	Steps    int
	Time     time.Duration // the prover process's wall time
	Detail   string        // why, for Failed and Timeout; tamarin's detail else
	// RestsOn names the helper lemmas this verdict assumed, which did not
	// come out verified themselves: "ek_secrecy (falsified)". Tamarin
	// uses a [reuse] lemma (and every [sources] lemma) in the proofs of
	// the lemmas after it whatever its own proof found, so a proof that
	// rests on a falsified helper proves nothing.
	RestsOn []string
}

// Name is the lemma's name, with its side for a diff theory's ordinary
// lemmas: "request_secrecy[LHS]".
func (r Result) Name() string {
	if r.Side != NoSide {
		return r.Lemma + "[" + string(r.Side) + "]"
	}
	return r.Lemma
}

// OK reports whether the result is what the annotation expects, on a
// proof that rests on no helper that failed.
func (r Result) OK() bool {
	return r.Expected != None && r.Got == r.Expected && len(r.RestsOn) == 0
}

// Sound reports whether the verdict stands whatever the helper lemmas'
// own proofs found: a trace found (an attack on an all-traces lemma or
// the equivalence, a witness of an exists-trace lemma) is a real trace of
// the model; only a complete proof uses the helpers as assumptions.
func (r Result) Sound() bool {
	switch r.Got {
	case Verified:
		return r.Traces == spthy.ExistsTrace.String()
	case Falsified:
		return r.Traces != spthy.ExistsTrace.String()
	}
	return true
}

// Report is a theory's run: every result, in the theory's order, and the
// wellformedness checks the prover found failed.
type Report struct {
	Theory  string
	Diff    bool // proved with --diff
	Results []Result
	// Wellformedness lists the checks that failed; any with Error set
	// makes the theory's proofs worthless.
	Wellformedness []WFCheck
	// Time is the theory's wall time, from its first process to its last.
	Time time.Duration
}

// WFErrors counts the wellformedness checks that failed as errors.
func (r *Report) WFErrors() int {
	n := 0
	for _, c := range r.Wellformedness {
		if c.Error {
			n++
		}
	}
	return n
}

// OK reports whether every result is as annotated and no wellformedness
// check failed as an error.
func (r *Report) OK() bool {
	if r.WFErrors() > 0 {
		return false
	}
	for _, x := range r.Results {
		if !x.OK() {
			return false
		}
	}
	return true
}

// Options control Run, Theory and All.
type Options struct {
	// Prover is the tamarin-prover to run; Find() if empty.
	Prover string
	// Timeout bounds each lemma's process (default 5 minutes).
	Timeout time.Duration
	// TheoryTimeout bounds a theory's lemmas together, in wall time from
	// the theory's start; lemmas still running are killed, lemmas not yet
	// started are not started, and both are reported as Timeout. Zero
	// means no bound beyond the per-lemma one.
	TheoryTimeout time.Duration
	// Jobs is how many prover processes run at once (default 1, at most
	// the number of CPUs).
	Jobs int
	// Lemma, if set, proves only the lemmas of that name, and the helper
	// lemmas they rest on.
	Lemma string
	// Lemmas, if set, is a list of lemmas to prove, as Lemma; the
	// equivalence is ObservationalEquivalence.
	Lemmas []string
	// NoReuse proves the theory with the [reuse] attribute stripped from
	// every lemma, so that each lemma stands alone ([sources] lemmas stay:
	// without them the proofs do not terminate, and they are proved too).
	NoReuse bool
	// ProverArgs are added to every tamarin-prover command line, before
	// the theory file.
	ProverArgs []string
	// Progress, if set, is called with each result as it comes, in the
	// theory's order.
	Progress func(Result)
}

// MaxJobs returns n capped at the number of CPUs, at least 1.
func MaxJobs(n int) int {
	if c := runtime.NumCPU(); n > c {
		n = c
	}
	if n < 1 {
		n = 1
	}
	return n
}

// Theory proves the lemmas of one theory; it is Run without the report.
func Theory(ctx context.Context, name string, src []byte, opts Options) ([]Result, error) {
	rep, err := Run(ctx, name, src, opts)
	if rep == nil {
		return nil, err
	}
	return rep.Results, err
}

// job is one prover process: one lemma (both sides of it in a diff
// theory) and the results it yields.
type job struct {
	lemma   string
	traces  string
	sides   []Side
	helpers []string // lemmas this one's proof assumes
	expect  Status
}

// Run proves the lemmas of one theory, one tamarin-prover process per
// lemma (tamarin-prover [--diff] --prove=LEMMA FILE), each killed with its
// process group when it runs past its time. A theory with diff terms is
// proved with --diff: each ordinary lemma on both sides, and the
// observational-equivalence lemma. When every result is in, a complete
// proof that assumed a helper lemma which did not come out verified is
// marked (Result.RestsOn).
func Run(ctx context.Context, name string, src []byte, opts Options) (*Report, error) {
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
	opts.Jobs = MaxJobs(opts.Jobs)
	rep := &Report{Theory: name, Diff: IsDiff(src)}
	jobs := planJobs(th, src, rep.Diff, opts)
	text := src
	if opts.NoReuse {
		text = StripReuse(src)
	}
	dir, err := os.MkdirTemp("", "edgelab-prove-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".spthy")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		return nil, err
	}

	theoryCtx, cancel := ctx, context.CancelFunc(func() {})
	if opts.TheoryTimeout > 0 {
		theoryCtx, cancel = context.WithTimeout(ctx, opts.TheoryTimeout)
	}
	defer cancel()

	results := make([][]Result, len(jobs))
	outputs := make([]*Output, len(jobs))
	done := make([]bool, len(jobs))
	var mu sync.Mutex
	next := 0 // the first job whose results are not yet passed to Progress
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < opts.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rs, o := runJob(ctx, theoryCtx, name, file, rep.Diff, jobs[i], opts)
				mu.Lock()
				results[i], outputs[i], done[i] = rs, o, true
				for next < len(jobs) && done[next] {
					if opts.Progress != nil && ctx.Err() == nil {
						// Helpers come before the lemmas that rest on
						// them, so a result is judged as it is passed on.
						for k := range results[next] {
							judge(&results[next][k], jobs[next], results[:next])
							opts.Progress(results[next][k])
						}
					}
					next++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	rep.Time = time.Since(start)
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	for i := range jobs {
		if opts.Progress == nil {
			for k := range results[i] {
				judge(&results[i][k], jobs[i], results[:i])
			}
		}
		rep.Results = append(rep.Results, results[i]...)
		if rep.Wellformedness == nil && outputs[i] != nil {
			rep.Wellformedness = outputs[i].Wellformedness
		}
	}
	return rep, nil
}

// planJobs lists the processes to run, in the theory's order, with the
// diff lemma last.
func planJobs(th *spthy.Theory, src []byte, diff bool, opts Options) []job {
	want := map[string]bool{}
	if opts.Lemma != "" {
		want[opts.Lemma] = true
	}
	for _, l := range opts.Lemmas {
		want[l] = true
	}
	all := make([]job, 0, len(th.Lemmas)+1)
	for i, l := range th.Lemmas {
		j := job{lemma: l.Name, traces: spthy.AllTraces.String(), expect: Expectation(src, l), sides: []Side{NoSide}}
		if l.Traces == spthy.ExistsTrace {
			j.traces = spthy.ExistsTrace.String()
		}
		if diff {
			j.sides = lemmaSides(l)
		}
		j.helpers = helpers(th, i, opts.NoReuse)
		all = append(all, j)
	}
	if diff {
		j := job{lemma: ObservationalEquivalence, traces: DiffTraces, sides: []Side{NoSide}, expect: DiffExpectation(src)}
		j.helpers = helpers(th, len(th.Lemmas), opts.NoReuse)
		all = append(all, j)
	}
	if len(want) == 0 {
		return all
	}
	// The lemmas asked for, and the helpers their verdicts rest on.
	keep := map[string]bool{}
	for _, j := range all {
		if want[j.lemma] {
			keep[j.lemma] = true
			for _, h := range j.helpers {
				keep[h] = true
			}
		}
	}
	var out []job
	for _, j := range all {
		if keep[j.lemma] {
			out = append(out, j)
		}
	}
	return out
}

// lemmaSides is where a diff theory's ordinary lemma is proved: both
// sides, unless it says [left] or [right].
func lemmaSides(l spthy.Lemma) []Side {
	var left, right bool
	for _, a := range l.Attrs {
		switch a.Key {
		case "left":
			left = true
		case "right":
			right = true
		}
	}
	switch {
	case left && !right:
		return []Side{LHS}
	case right && !left:
		return []Side{RHS}
	}
	return []Side{LHS, RHS}
}

// helpers returns the lemmas tamarin assumes while proving lemma i (i ==
// len(Lemmas) for the diff lemma, which comes after them all): every
// [sources] lemma, and every all-traces [reuse] lemma before it, less
// those it hides with [hide_lemma=NAME].
func helpers(th *spthy.Theory, i int, noReuse bool) []string {
	hidden := map[string]bool{}
	if i < len(th.Lemmas) {
		for _, a := range th.Lemmas[i].Attrs {
			if a.Key == "hide_lemma" {
				hidden[strings.TrimSpace(a.Value)] = true
			}
		}
	}
	var out []string
	for k, l := range th.Lemmas {
		if k == i || hidden[l.Name] || l.Traces == spthy.ExistsTrace {
			continue
		}
		for _, a := range l.Attrs {
			if a.Key == "sources" || a.Key == "reuse" && !noReuse && k < i {
				out = append(out, l.Name)
				break
			}
		}
	}
	return out
}

// judge marks r if its verdict is a complete proof that assumed a helper
// whose own result (on the same side) is not a verified one, or that
// rests on such a helper itself.
func judge(r *Result, j job, before [][]Result) {
	if r.Sound() || r.Got != Verified && r.Got != Falsified {
		return
	}
	add := func(why string) {
		for _, x := range r.RestsOn {
			if x == why {
				return
			}
		}
		r.RestsOn = append(r.RestsOn, why)
	}
	for _, h := range j.helpers {
		for _, rs := range before {
			for _, hr := range rs {
				if hr.Lemma != h || hr.Side != r.Side && hr.Side != NoSide && r.Side != NoSide {
					continue
				}
				// The failures at the root: a helper that is no proof, and
				// those a helper's own proof rested on.
				if hr.Got != Verified {
					add(fmt.Sprintf("%s (%s)", hr.Name(), hr.Got))
				}
				for _, x := range hr.RestsOn {
					add(x)
				}
			}
		}
	}
}

// runJob runs one prover process and reads its results.
func runJob(ctx, theoryCtx context.Context, theory, file string, diff bool, j job, opts Options) ([]Result, *Output) {
	results := make([]Result, len(j.sides))
	for k, s := range j.sides {
		results[k] = Result{Theory: theory, Lemma: j.lemma, Side: s, Traces: j.traces, Expected: j.expect}
	}
	set := func(st Status, detail string) {
		for k := range results {
			results[k].Got, results[k].Detail = st, detail
		}
	}
	if theoryCtx.Err() != nil {
		if ctx.Err() == nil {
			set(Timeout, fmt.Sprintf("not started: the theory's time limit %s was spent", opts.TheoryTimeout))
		}
		return results, nil
	}
	args := []string{"--prove=" + j.lemma}
	if diff {
		args = append([]string{"--diff"}, args...)
	}
	args = append(args, opts.ProverArgs...)
	args = append(args, file)
	start := time.Now()
	stdout, runErr := runProver(theoryCtx, opts.Prover, filepath.Dir(file), opts.Timeout, args...)
	for k := range results {
		results[k].Time = time.Since(start)
	}
	switch {
	case ctx.Err() != nil:
		return results, nil
	case errors.Is(runErr, context.DeadlineExceeded) && theoryCtx.Err() != nil:
		set(Timeout, fmt.Sprintf("killed: the theory's time limit %s was spent", opts.TheoryTimeout))
		return results, nil
	case errors.Is(runErr, context.DeadlineExceeded):
		set(Timeout, fmt.Sprintf("no result within %s", opts.Timeout))
		return results, nil
	}
	o, perr := ParseOutput(stdout)
	for k := range results {
		s, found := Summary{}, false
		if perr == nil {
			s, found = o.Lookup(j.lemma, results[k].Side)
		}
		switch {
		case found:
			results[k].Got, results[k].Steps, results[k].Detail = s.Status, s.Steps, s.Detail
		case runErr != nil:
			results[k].Got, results[k].Detail = Failed, runErr.Error()
		case perr != nil:
			results[k].Got, results[k].Detail = Failed, perr.Error()
		default:
			results[k].Got, results[k].Detail = Failed, "lemma missing from tamarin-prover's summary"
		}
	}
	if perr != nil {
		return results, nil
	}
	if j.lemma == ObservationalEquivalence {
		o.Wellformedness = dropArgumentCheck(o.Wellformedness)
	}
	return results, o
}

// argumentCheck is the title of tamarin 1.8.0's check that every
// --prove name is a lemma in the theory's text. The equivalence lemma
// --diff generates is not, so --prove=Observational_equivalence fails
// that check though it proves the lemma; it is about the command line,
// and the runner names only lemmas that exist, so it is dropped there.
const argumentCheck = "Check presence of the --prove/--lemma arguments in theory"

func dropArgumentCheck(cs []WFCheck) []WFCheck {
	var out []WFCheck
	for _, c := range cs {
		if c.Title == argumentCheck && strings.Count(c.Text, "'") == 2 && strings.Contains(c.Text, "'"+ObservationalEquivalence+"'") {
			continue
		}
		out = append(out, c)
	}
	return out
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	diffTerm     = regexp.MustCompile(`\bdiff\s*\(`)
	reuseAttrs   = regexp.MustCompile(`(\blemma\s+[A-Za-z0-9_]+\s*)\[([^\]]*)\]`)
	diffExpect   = regexp.MustCompile(`(?m)^\s*//\s*` + ObservationalEquivalence + `\s+expect:\s*(verified|falsified)\b`)
	diffMode     = regexp.MustCompile(`(?m)^\s*//\s*mode:\s*diff\s*$`)
)

// IsDiff reports whether the theory is proved with tamarin-prover
// --diff: it says so in a line "// mode: diff", or it uses diff terms
// outside comments.
func IsDiff(src []byte) bool {
	if diffMode.Match(src) {
		return true
	}
	s := blockComment.ReplaceAll(src, nil)
	s = lineComment.ReplaceAll(s, nil)
	return diffTerm.Match(s)
}

// DiffExpectation returns the annotated result of a diff theory's
// observational-equivalence lemma, which tamarin generates and so has no
// lemma to carry the annotation: a comment line anywhere in the theory,
//
//	// Observational_equivalence expect: falsified
//
// None if there is none.
func DiffExpectation(src []byte) Status {
	if m := diffExpect.FindSubmatch(src); m != nil {
		return Status(m[1])
	}
	return None
}

// StripReuse returns src with the reuse attribute taken off every lemma,
// the other attributes kept.
func StripReuse(src []byte) []byte {
	return reuseAttrs.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := reuseAttrs.FindSubmatch(m)
		var keep []string
		for _, a := range strings.Split(string(sub[2]), ",") {
			if a = strings.TrimSpace(a); a != "" && a != "reuse" {
				keep = append(keep, a)
			}
		}
		if len(keep) == 0 {
			return []byte(strings.TrimRight(string(sub[1]), " \t"))
		}
		return []byte(string(sub[1]) + "[" + strings.Join(keep, ", ") + "]")
	})
}
