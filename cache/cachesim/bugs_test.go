package cachesim

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// Every seeded bug is caught by the properties on a plan of the world's
// bug-hunting stream (generated, not hand-picked) and shrinks to a small
// plan.
func TestEveryBugIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("hunts every bug: skipped with -short")
	}
	for _, b := range (World{}).Bugs() {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			d, err := world.Hunt(World{}, b.Name, 40)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Caught {
				t.Fatalf("not caught in %d plans", d.Plans)
			}
			faults, ops := world.Size(World{}, d.Shrunk.Plan)
			t.Logf("caught by %v after %d plans in %v; shrunk to %d faults, %d requests (total %v)",
				d.First.Properties(), d.Plans, d.Wall.Round(time.Millisecond), faults, ops, time.Since(start).Round(time.Millisecond))
		})
	}
}
