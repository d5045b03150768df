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
	"github.com/edgelab/edgelab/sim/world"
)

// Failure is a plan that failed a world's properties.
type Failure struct {
	Plan *sim.Plan
	// Options are the options the world ran with (its seeded bugs).
	Options     world.Options
	TraceSHA256 string
	// Failure is the first violated property (or the run's error) in one
	// line.
	Failure string
	// Outcome is the failing run's, nil if the run broke.
	Outcome *world.Outcome
}

// ReplayFile returns the failure as a replay file.
func (f *Failure) ReplayFile() *replay.File {
	return &replay.File{Plan: f.Plan, Options: f.Options, TraceSHA256: f.TraceSHA256, Failure: f.Failure}
}

// try runs w under p with opts and returns nil if every property holds.
func try(w world.World, p *sim.Plan, opts world.Options) *Failure {
	var seed uint64
	if p.Seed != nil {
		seed = *p.Seed
	}
	o, err := world.Run(w, seed, p, opts)
	f := &Failure{Plan: p, Options: opts, Outcome: o}
	switch {
	case err != nil:
		f.Failure = "run: " + err.Error()
		f.TraceSHA256 = (&model.Trace{}).HashHex()
	case !o.Pass():
		f.Failure = o.Why()
		f.TraceSHA256 = o.Trace.HashHex()
	default:
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

// Check runs w with opts over plans drawn by gen; a plan fails if the
// world reports a violated property (or the run breaks). If rapid finds a
// failing plan, the test fails as rapid.Check fails it, and the minimal
// plan is written as a replay file (with opts, so it is self-contained)
// to FailuresDir()/<world>-<test>.json, with the `edgelab replay` command
// that reruns it in the test log (for worlds the edgelab command knows;
// Replay reruns it from a test for any world).
func Check(t *testing.T, w world.World, gen *rapid.Generator[*sim.Plan], opts world.Options) {
	t.Helper()
	var last *Failure
	// rapid.Check ends a failed test with FailNow, so the file is written
	// from a cleanup, which runs either way.
	t.Cleanup(func() {
		if last == nil || !t.Failed() {
			return
		}
		path, err := Save(FailuresDir(), w.Name()+"-"+safeName(t.Name())+".json", last)
		if err != nil {
			t.Logf("simtest: could not save the failing plan: %v", err)
			return
		}
		t.Logf("simtest: minimal failing plan saved; replay with\n\t%s", replay.Command(path))
	})
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		if f := try(w, p, opts); f != nil {
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

// Replay reruns the replay file at path in w, with the options it
// records, and fails t unless the trace hash matches the recorded one. It
// returns the rerun's outcome, so a regression test can assert that a
// once-failing plan passes after the fix.
func Replay(t testing.TB, w world.World, path string) *world.Outcome {
	t.Helper()
	rf, err := replay.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	o, matches, err := rf.Run(w)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !matches {
		t.Errorf("%s: trace sha256 %s, recorded %s", path, o.Trace.HashHex(), rf.TraceSHA256)
	}
	return o
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
