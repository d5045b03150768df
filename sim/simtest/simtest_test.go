package simtest_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/replay"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

func toyWorld(fixed bool) world.World { return toy{fixed: fixed} }

// TestShrinkToyToOneCrash is the acceptance test: plans with many random
// faults of every kind and a noisy network catch the ack-before-sync bug,
// and the plan rapid shrinks to holds exactly one fault, a crash of the
// server, on a quiet network, with the smallest workload.
func TestShrinkToyToOneCrash(t *testing.T) {
	gen := simtest.ShapeGen(toyShape, plan.GenOptions{MaxFaults: 12})
	f, err := simtest.Minimize(toyWorld(false), gen, world.Options{}, simtest.MinimizeOptions{Checks: 500})
	if err != nil {
		t.Fatal(err)
	}
	if f == nil {
		t.Fatal("the ack-before-sync bug was not found")
	}
	b, _ := json.Marshal(f.Plan)
	t.Logf("minimal plan: %s\nfailure: %s", b, f.Failure)
	if len(f.Plan.Faults) != 1 {
		t.Fatalf("shrunk plan has %d faults, want exactly 1: %s", len(f.Plan.Faults), b)
	}
	if c := f.Plan.Faults[0]; c.Kind != "crash" || c.Node != "kv" || c.For != 0 {
		t.Fatalf("the one fault is %+v, want a permanent crash of kv", c)
	}
	if !plan.IsQuiet(f.Plan) {
		t.Fatalf("shrunk plan is still noisy: %s", b)
	}
	if string(f.Plan.Knobs["writes"]) != "1" || *f.Plan.Seed != 0 {
		t.Fatalf("workload and seed did not shrink: %s", b)
	}
	if !strings.Contains(f.Failure, "acknowledged write k0") {
		t.Fatalf("failure %q", f.Failure)
	}
}

// TestShrinkFixedToyPasses checks the property is not trivially false:
// the fixed service (sync, then ack) survives the same plans.
func TestShrinkFixedToyPasses(t *testing.T) {
	gen := simtest.ShapeGen(toyShape, plan.GenOptions{MaxFaults: 12})
	f, err := simtest.Minimize(toyWorld(true), gen, world.Options{}, simtest.MinimizeOptions{Checks: 100})
	if err != nil || f != nil {
		t.Fatalf("fixed toy: failure %+v, err %v", f, err)
	}
}

// TestGenCheckPassesOnFixedToy runs Check on a property that holds.
func TestGenCheckPassesOnFixedToy(t *testing.T) {
	simtest.Check(t, toyWorld(true), simtest.ShapeGen(toyShape, plan.GenOptions{}), world.Options{})
}

// TestShrinkCheckSavesReplayFile runs a failing Check in a child test
// process (a failing Check fails its test, by design) and looks at what
// it left: a replay file with the minimal plan, and the replay command in
// the log.
func TestShrinkCheckSavesReplayFile(t *testing.T) {
	if os.Getenv("SIMTEST_CHILD") == "1" {
		simtest.Check(t, toyWorld(false), simtest.ShapeGen(toyShape, plan.GenOptions{}), world.Options{})
		return
	}
	if testing.Short() {
		t.Skip("runs a child test process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestShrinkCheckSavesReplayFile$", "-test.v", "-rapid.nofailfile", "-rapid.seed=1", "-rapid.checks=500")
	cmd.Env = append(os.Environ(), "SIMTEST_CHILD=1", "EDGELAB_FAILURES="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child passed:\n%s", out)
	}
	path := filepath.Join(dir, "toykv-TestShrinkCheckSavesReplayFile.json")
	if !strings.Contains(string(out), "edgelab replay "+path) {
		t.Fatalf("no replay command for %s in:\n%s", path, out)
	}
	rf, err := replay.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.Plan.Faults) != 1 || rf.Plan.Faults[0].Kind != "crash" || !strings.Contains(rf.Failure, "acknowledged write") {
		t.Fatalf("replay file: %+v failure %q", rf.Plan, rf.Failure)
	}
	// The file reproduces: same trace (Replay checks), same failure.
	if o := simtest.Replay(t, toyWorld(false), path); o.Pass() {
		t.Fatal("replayed plan passes")
	}
}

// TestGenDrawerMatchesRapidBounds draws with the rapid adapter and checks
// every plan is valid and applies to the toy.
func TestGenDrawsApplicablePlans(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := simtest.ShapeGen(toyShape, plan.GenOptions{}).Draw(rt, "plan")
		if _, _, err := runToy(*p.Seed, p, true); err != nil {
			rt.Fatal(err)
		}
	})
}
