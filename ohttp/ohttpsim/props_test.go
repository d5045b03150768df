package ohttpsim

import (
	"errors"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// withBug runs the world with one seeded bug switched on.
func withBug(bug ohttp.Bug) world.Options { return world.Options{Bugs: []string{string(bug)}} }

// Properties 1 and 2 hold on the correct code over drawn plans (faults
// as a list, so a failure shrinks by deleting them).
func TestPropertiesHoldOnCorrectCode(t *testing.T) {
	simtest.Check(t, World{}, simtest.PlanGen(World{}, GenOptions), world.Options{})
}

// Every seeded bug is caught by some property, found and shrunk by rapid.
func TestEverySeededBugIsCaught(t *testing.T) {
	for _, bug := range ohttp.AllBugs() {
		t.Run(string(bug), func(t *testing.T) {
			f, err := simtest.Minimize(World{}, simtest.PlanGen(World{}, GenOptions), withBug(bug),
				simtest.MinimizeOptions{Checks: 50})
			if err != nil {
				t.Fatal(err)
			}
			if f == nil {
				t.Fatalf("bug %s not caught in 50 plans", bug)
			}
			faults, ops := world.Size(World{}, f.Plan)
			t.Logf("caught: %s (shrunk to %d faults, %d requests)", f.Failure, faults, ops)
		})
	}
}

// The command line's search (no rapid) catches every bug too.
func TestDetectCatchesEveryBug(t *testing.T) {
	for _, bug := range ohttp.AllBugs() {
		d, err := world.Hunt(World{}, string(bug), 20)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Caught {
			t.Errorf("%s: not caught in %d plans", bug, d.Plans)
			continue
		}
		faults, ops := world.Size(World{}, d.Shrunk.Plan)
		t.Logf("%-24s %v after %d plans, %v; shrunk to %d faults %d requests in %d runs", bug, d.First.Properties(), d.Plans, d.Wall.Round(1e6), faults, ops, d.Shrunk.Runs)
	}
}

func TestPlanErrors(t *testing.T) {
	for js, want := range map[string]string{
		`{"knobs": {"client": 1}}`: "plan: knobs.client: unknown knob",
		`{"knobs": {"size": 3}}`:   "plan: knobs.size: want 16 to 65536",
		`{"faults": [{"at": "1s", "kind": "crash", "node": "client-9"}]}`: `plan: faults[0].node: unknown node "client-9"`,
	} {
		p, err := plan.Parse([]byte(js))
		if err == nil {
			_, err = Run(p)
		}
		var pe *plan.Error
		if err == nil || !errors.As(err, &pe) || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("%s: err = %v, want prefix %s", js, err, want)
		}
	}
}
