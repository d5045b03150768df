package pingworld_test

import (
	"fmt"
	"slices"

	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// Writing a property of your own for the ping world, from your own
// module: RunResult hands world.WithProperty each run's Result, and the
// plans come from the world's shape. With simtest.Check(t, w, gen,
// world.Options{}) in a test, a failure is shrunk and saved as a replay
// file that `edgelab replay` reruns.
func Example() {
	// "Every server handles at least one request, whatever the faults."
	w := world.WithProperty(pingworld.World{}, "every-server-busy", func(r *pingworld.Result) error {
		if r.Served < r.Config.Servers {
			return fmt.Errorf("%d requests served by %d servers", r.Served, r.Config.Servers)
		}
		return nil
	})
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{MaxFaults: 3})
	f, err := simtest.Minimize(w, gen, world.Options{}, simtest.MinimizeOptions{Checks: 100})
	switch {
	case err != nil:
		fmt.Println(err)
	case f == nil:
		fmt.Println("held on every plan tried")
	default:
		// The property is wrong, not the world: the shrunk plan has no
		// fault at all, and more servers than pings.
		fmt.Println("broken:", slices.Contains(f.Outcome.Properties(), "every-server-busy"))
		fmt.Printf("shrunk to %d faults; knobs clients=%s pings=%s servers=%s\n", len(f.Plan.Faults),
			f.Plan.Knobs["clients"], f.Plan.Knobs["pings"], f.Plan.Knobs["servers"])
	}
	// The property runs beside the world's own on any plan, here the
	// world's default one.
	o, err := w.Run(w.DefaultSeed(), w.DefaultPlan(), world.Options{})
	fmt.Println("default plan passes:", err == nil && o.Pass())
	// Output:
	// broken: true
	// shrunk to 0 faults; knobs clients=1 pings=1 servers=2
	// default plan passes: true
}
