package simtest

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// CatchesEveryBug runs a subtest per seeded bug of w's catalog: the
// world's properties must catch the bug on a plan of its bug-hunting
// stream (world.Hunt: generated, not hand-picked) within maxPlans plans,
// and the shrunk plan's size is logged. A catalog that grows is covered
// without touching the test.
func CatchesEveryBug(t *testing.T, w world.BugCatalog, maxPlans int) {
	t.Helper()
	for _, b := range w.Bugs() {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			d, err := world.Hunt(w, b.Name, maxPlans)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Caught {
				t.Fatalf("not caught in %d plans", d.Plans)
			}
			faults, ops := world.Size(w, d.Shrunk.Plan)
			t.Logf("caught by %v after %d plans in %v; shrunk to %d faults, %d operations (total %v)",
				d.First.Properties(), d.Plans, d.Wall.Round(time.Millisecond), faults, ops, time.Since(start).Round(time.Millisecond))
		})
	}
}
