package simtest_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// A property of one's own over generated plans, for a world from another
// package (here the ping world): world.WithProperty adds the property to
// the world's own, PlanGen draws plans from the world's shape, and
// Minimize searches and shrinks. In a test, simtest.Check(t, w, gen,
// opts) does the same, fails the test and saves the minimal plan as a
// replay file.
func Example() {
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{MaxFaults: 4})

	// A property that holds under every fault: no answer without a
	// request served.
	servedFirst := world.WithProperty(pingworld.World{}, "served-first", func(r *pingworld.Result) error {
		if r.Answered > r.Served {
			return fmt.Errorf("%d answers, %d served", r.Answered, r.Served)
		}
		return nil
	})
	f, err := simtest.Minimize(servedFirst, gen, world.Options{}, simtest.MinimizeOptions{Checks: 50})
	// (A failure, if any, is of the world's own properties.)
	fmt.Println("served-first broken:", err != nil || f != nil && slices.Contains(f.Outcome.Properties(), "served-first"))

	// One that a faulty network breaks: every ping answered in time.
	allAnswered := world.WithProperty(pingworld.World{}, "all-answered", func(r *pingworld.Result) error {
		if r.TimedOut > 0 {
			return errors.New("a ping timed out")
		}
		return nil
	})
	f, err = simtest.Minimize(allAnswered, gen, world.Options{}, simtest.MinimizeOptions{Checks: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("every ping answered:", f == nil)
	fmt.Println("all-answered broken:", slices.Contains(f.Outcome.Properties(), "all-answered"))
	// The minimal plan reruns to the same trace, as its replay file would.
	o, _ := allAnswered.Run(*f.Plan.Seed, f.Plan, f.Options)
	fmt.Println("same trace when rerun:", o.Trace.HashHex() == f.TraceSHA256)
	// Output:
	// served-first broken: false
	// every ping answered: false
	// all-answered broken: true
	// same trace when rerun: true
}
