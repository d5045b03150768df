package simtest_test

import (
	"errors"
	"fmt"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/simtest"
)

// A property of your own over generated plans, against a world from
// another module (here the ping world): wrap the world's run as a
// simtest.World, draw plans from its registered shape, and let Minimize
// search and shrink. In a test, simtest.Check(t, w, gen, prop) does the
// same, fails the test and saves the minimal plan as a replay file.
func Example() {
	w := simtest.World[*pingworld.Result]{
		Name: pingworld.Name,
		Run: func(seed uint64, plan *sim.Plan) (*pingworld.Result, *model.Trace, error) {
			r, err := pingworld.Run(seed, plan)
			if err != nil {
				return nil, nil, err
			}
			return r, r.Trace, nil
		},
	}
	gen := simtest.PlanGen(pingworld.Name, sim.GenOptions{MaxFaults: 4})

	// A property that holds under every fault: no answer without a
	// request served.
	servedFirst := func(r *pingworld.Result) error {
		if r.Answered > r.Served {
			return fmt.Errorf("%d answers, %d served", r.Answered, r.Served)
		}
		return nil
	}
	f, err := simtest.Minimize(w, gen, servedFirst, simtest.MinimizeOptions{Checks: 50})
	fmt.Println("answers need a served request:", f == nil && err == nil)

	// One that a faulty network breaks: every ping answered in time.
	allAnswered := func(r *pingworld.Result) error {
		if r.TimedOut > 0 {
			return errors.New("a ping timed out")
		}
		return nil
	}
	f, err = simtest.Minimize(w, gen, allAnswered, simtest.MinimizeOptions{Checks: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("every ping answered:", f == nil)
	fmt.Println("why not:", f.Failure)
	// The minimal plan reruns to the same trace, as its replay file would.
	r, _, _ := w.Run(*f.Plan.Seed, f.Plan)
	fmt.Println("same trace when rerun:", r.Trace.HashHex() == f.TraceSHA256)
	// Output:
	// answers need a served request: true
	// every ping answered: false
	// why not: a ping timed out
	// same trace when rerun: true
}
