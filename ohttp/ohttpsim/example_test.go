package ohttpsim_test

import (
	"fmt"
	"slices"

	"github.com/edgelab/edgelab/ohttp/ohttpsim"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// Writing a property of your own for the OHTTP world, from your own
// module: RunResult hands world.WithProperty each run's Result (its
// Stats, views, trace), the plans come from the world's shape, and the
// world's own properties (symbolic, swap) still judge every run. With
// simtest.Check(t, w, gen, world.Options{}) in a test, a failure is
// shrunk and saved as a replay file that `edgelab replay` reruns.
func Example() {
	// Every sent request ends in exactly one way, or is unfinished: over
	// generated plans (Minimize returns nil when every plan passes).
	accounted := world.WithProperty(ohttpsim.World{}, "accounted", func(r *ohttpsim.Result) error {
		if s := r.Stats; s.Unfinished() < 0 {
			return fmt.Errorf("%d requests ended more than once: %+v", -s.Unfinished(), s)
		}
		return nil
	})
	gen := simtest.PlanGen(ohttpsim.World{}, plan.GenOptions{MaxFaults: 2})
	f, err := simtest.Minimize(accounted, gen, world.Options{}, simtest.MinimizeOptions{Checks: 10})
	fmt.Println("accounted broken:", err != nil || f != nil && slices.Contains(f.Outcome.Properties(), "accounted"))

	// Every request answered: the default plan's faults (a gateway crash,
	// a paused relay, a partition) break that, and the violation says how
	// ("all-answered: 31 of 40 requests answered").
	allAnswered := world.WithProperty(ohttpsim.World{}, "all-answered", func(r *ohttpsim.Result) error {
		if s := r.Stats; s.Answered < s.Sent {
			return fmt.Errorf("%d of %d requests answered", s.Answered, s.Sent)
		}
		return nil
	})
	o, err := allAnswered.Run(allAnswered.DefaultSeed(), allAnswered.DefaultPlan(), world.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("broken on the default plan:", o.Properties())
	// Output:
	// accounted broken: false
	// broken on the default plan: [all-answered]
}
