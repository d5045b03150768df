package simtest_test

import (
	"errors"
	"fmt"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// pingJudged is the ping world judged by a property of one's own.
// Embedding the world keeps its name, shape and defaults; only the
// verdict changes.
type pingJudged struct {
	pingworld.World
	name string
	prop func(r *pingworld.Result) error
}

func (p pingJudged) Run(seed uint64, plan *sim.Plan, _ world.Options) (*world.Outcome, error) {
	r, err := pingworld.Run(seed, plan)
	if err != nil {
		return nil, err
	}
	o := &world.Outcome{Figures: r.Figures(), Trace: r.Trace}
	if err := p.prop(r); err != nil {
		o.Violations = []world.Violation{{Property: p.name, Message: err.Error()}}
	}
	return o, nil
}

// Properties over generated plans, for any world.World (here the ping
// world, from another package): draw plans from its shape and let
// Minimize search and shrink. In a test, simtest.Check(t, w, gen, opts)
// does the same, fails the test and saves the minimal plan as a replay
// file.
func Example() {
	gen := simtest.PlanGen(pingworld.World{}, sim.GenOptions{MaxFaults: 4})

	// A property that holds under every fault: no answer without a
	// request served.
	servedFirst := pingJudged{name: "served-first", prop: func(r *pingworld.Result) error {
		if r.Answered > r.Served {
			return fmt.Errorf("%d answers, %d served", r.Answered, r.Served)
		}
		return nil
	}}
	f, err := simtest.Minimize(servedFirst, gen, world.Options{}, simtest.MinimizeOptions{Checks: 50})
	fmt.Println("answers need a served request:", f == nil && err == nil)

	// One that a faulty network breaks: every ping answered in time.
	allAnswered := pingJudged{name: "all-answered", prop: func(r *pingworld.Result) error {
		if r.TimedOut > 0 {
			return errors.New("a ping timed out")
		}
		return nil
	}}
	f, err = simtest.Minimize(allAnswered, gen, world.Options{}, simtest.MinimizeOptions{Checks: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("every ping answered:", f == nil)
	fmt.Println("why not:", f.Failure)
	// The minimal plan reruns to the same trace, as its replay file would.
	o, _ := allAnswered.Run(*f.Plan.Seed, f.Plan, f.Options)
	fmt.Println("same trace when rerun:", o.Trace.HashHex() == f.TraceSHA256)
	// Output:
	// answers need a served request: true
	// every ping answered: false
	// why not: all-answered: a ping timed out
	// same trace when rerun: true
}
