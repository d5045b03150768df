package simtest

// This file runs rapid's search and shrink without failing the calling
// test, for tests that assert what the minimal failing plan looks like
// (the acceptance test of the generators: a planted bug must shrink to the
// one fault that triggers it).
//
// How: rapid.Check takes a rapid.TB, not a *testing.T, so Minimize hands
// it a recorder that notes failures instead of stopping a test. rapid
// ends a failed check with TB.FailNow, which the recorder treats as "the
// check is over" (rapid calls it last, after its final rerun of the
// minimal input). The minimal plan is the last draw that failed the
// property, as in Check. rapid's run-time knobs (number of checks, seed,
// whether to write testdata/rapid fail files) are package flags; Minimize
// sets them for its own run and restores them afterwards, so Minimize
// must not run in parallel with other rapid checks in the same process.

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

// MinimizeOptions tune Minimize.
type MinimizeOptions struct {
	// Checks is how many plans rapid tries before giving up; zero means
	// 200. It is the number tried under -short too: a search's budget
	// decides what it can find, so Minimize undoes rapid's division by 5.
	Checks int
	// Seed is rapid's seed, for a reproducible search; zero means 1.
	Seed uint64
}

var minimizeMu sync.Mutex

// Minimize searches plans drawn by gen for one that fails in w with
// wopts, shrinks it and returns it; nil if every plan tried passed. The
// error reports a search that could not run (rapid rejected too many
// draws, a flaky failure) with rapid's own words.
func Minimize(w world.World, gen *rapid.Generator[*plan.Plan], wopts world.Options, opts MinimizeOptions) (*Failure, error) {
	minimizeMu.Lock()
	defer minimizeMu.Unlock()
	if opts.Checks == 0 {
		opts.Checks = 200
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	checks := opts.Checks
	if testing.Short() {
		checks *= 5
	}
	restore, err := setRapidFlags(map[string]string{
		"rapid.checks":     strconv.Itoa(checks),
		"rapid.seed":       strconv.FormatUint(opts.Seed, 10),
		"rapid.nofailfile": "true",
		"rapid.failfile":   "",
	})
	if err != nil {
		return nil, err
	}
	defer restore()

	rec := &recorder{name: "simtest.Minimize/" + w.Name()}
	var last *Failure
	rapid.Check(rec, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		if f := try(w, p, wopts); f != nil {
			last = f
			rt.Fatal(f.Failure)
		}
	})
	if !rec.failed {
		return nil, nil
	}
	if last == nil {
		return nil, fmt.Errorf("simtest: rapid failed without a failing plan: %s", rec.errors())
	}
	// Belt and braces: the plan must fail on its own.
	if try(w, last.Plan, wopts) == nil {
		return nil, fmt.Errorf("simtest: the minimal plan passes when rerun (a nondeterministic world?): %s", rec.errors())
	}
	return last, nil
}

// setRapidFlags sets rapid's flags and returns a function restoring them.
func setRapidFlags(vals map[string]string) (func(), error) {
	old := map[string]string{}
	restore := func() {
		for name, v := range old {
			flag.Set(name, v)
		}
	}
	for name, v := range vals {
		f := flag.Lookup(name)
		if f == nil {
			restore()
			return nil, errors.New("simtest: rapid flag -" + name + " not found (a rapid version without it?)")
		}
		old[name] = f.Value.String()
		if err := f.Value.Set(v); err != nil {
			restore()
			return nil, fmt.Errorf("simtest: setting -%s: %v", name, err)
		}
	}
	return restore, nil
}

// recorder is a rapid.TB that records instead of failing a test.
type recorder struct {
	name   string
	mu     sync.Mutex
	failed bool
	errs   []string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Logf(string, ...any)               {}
func (r *recorder) Log(...any)                        {}
func (r *recorder) Skipf(format string, args ...any)  { r.Errorf("skip: "+format, args...) }
func (r *recorder) Skip(args ...any)                  { r.Error(append([]any{"skip: "}, args...)...) }
func (r *recorder) SkipNow()                          { r.Fail() }
func (r *recorder) Errorf(format string, args ...any) { r.note(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.note(fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.note(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.note(fmt.Sprint(args...)) }
func (r *recorder) FailNow()                          { r.Fail() }

func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.errs = append(r.errs, msg)
}

func (r *recorder) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return "(no message)"
	}
	return r.errs[0]
}
