package simtest

// This file runs properties over drawn plans. The minimal failing plan is
// caught without reaching into rapid: after shrinking, rapid reruns the
// minimal input one last time (to print its log), so the last draw that
// failed the property is the minimal one. The property wrapper remembers
// every failing draw and keeps the last.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/replay"
)

// World runs a world under a plan. R is whatever the property inspects
// (the world's result type).
type World[R any] struct {
	// Name is the world's name; it names saved files.
	Name string
	// Run runs the world with seed under plan. It returns the trace even
	// when the property will fail; an error means the run itself broke
	// (an invalid plan, a panicking task) and also fails the property.
	Run func(seed uint64, plan *sim.Plan) (R, *model.Trace, error)
}

// Failure is a plan that failed a property.
type Failure struct {
	Plan        *sim.Plan
	TraceSHA256 string
	// Failure is the property's error (or the run's) in one line.
	Failure string
}

// ReplayFile returns the failure as a replay file.
func (f *Failure) ReplayFile() *replay.File {
	return &replay.File{Plan: f.Plan, TraceSHA256: f.TraceSHA256, Failure: f.Failure}
}

// try runs w under p and returns nil if prop holds.
func try[R any](w World[R], p *sim.Plan, prop func(R) error) *Failure {
	var seed uint64
	if p.Seed != nil {
		seed = *p.Seed
	}
	r, tr, err := w.Run(seed, p)
	if tr == nil {
		tr = &model.Trace{}
	}
	f := &Failure{Plan: p, TraceSHA256: tr.HashHex()}
	if err != nil {
		f.Failure = "run: " + err.Error()
	} else if perr := prop(r); perr != nil {
		f.Failure = perr.Error()
	} else {
		return nil
	}
	f.Failure = strings.ReplaceAll(f.Failure, "\n", " ")
	return f
}

// FailuresDir is where Check saves minimal failing plans: $EDGELAB_FAILURES
// if set, else testdata/failures under the test's package.
func FailuresDir() string {
	if d := os.Getenv("EDGELAB_FAILURES"); d != "" {
		return d
	}
	return filepath.Join("testdata", "failures")
}

// Check runs prop over plans drawn by gen. If rapid finds a failing plan,
// the test fails as rapid.Check fails it, and the minimal plan is written
// as a replay file to FailuresDir()/<world>-<test>.json, with the
// `edgelab replay` command that reruns it in the test log (for worlds the
// edgelab command knows; Replay reruns it from a test for any world).
func Check[R any](t *testing.T, w World[R], gen *rapid.Generator[*sim.Plan], prop func(R) error) {
	t.Helper()
	var last *Failure
	// rapid.Check ends a failed test with FailNow, so the file is written
	// from a cleanup, which runs either way.
	t.Cleanup(func() {
		if last == nil || !t.Failed() {
			return
		}
		path, err := Save(FailuresDir(), w.Name+"-"+safeName(t.Name())+".json", last)
		if err != nil {
			t.Logf("simtest: could not save the failing plan: %v", err)
			return
		}
		t.Logf("simtest: minimal failing plan saved; replay with\n\t%s", replay.Command(path))
	})
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		if f := try(w, p, prop); f != nil {
			last = f
			rt.Fatal(f.Failure)
		}
	})
}

// Save writes f as a replay file named name under dir (created if need
// be) and returns its absolute path, so the replay command printed works
// from any directory.
func Save(dir, name string, f *Failure) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return path, replay.Write(path, f.ReplayFile())
}

// Replay reruns the replay file at path in w and fails t unless the trace
// hash matches the recorded one. It returns prop's verdict on the rerun
// (nil if the property now holds), so a regression test can assert that a
// once-failing plan passes after the fix.
func Replay[R any](t testing.TB, w World[R], path string, prop func(R) error) error {
	t.Helper()
	rf, err := replay.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if rf.Plan.World != w.Name {
		t.Fatalf("%s: plan for world %s, not %s", path, rf.Plan.World, w.Name)
	}
	r, tr, err := w.Run(*rf.Plan.Seed, rf.Plan)
	if err != nil {
		return err
	}
	if got := tr.HashHex(); got != rf.TraceSHA256 {
		t.Errorf("%s: trace sha256 %s, recorded %s", path, got, rf.TraceSHA256)
	}
	return prop(r)
}

// safeName turns a test name into a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
