package pingworld

// This file is the ping world behind the sim/world interface, as the
// command line, sweeps and property tests run it.

import (
	"fmt"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

// World is the ping world as a world.World. Its one property,
// "accounting", is Result.Check.
type World struct{}

var (
	_ world.Sized     = World{}
	_ world.Explained = World{}
)

func (World) Name() string            { return Name }
func (World) Summary() string         { return "clients ping HTTP servers through a faulty network" }
func (World) DefaultSeed() uint64     { return DefaultSeed }
func (World) DefaultPlan() *plan.Plan { return world.MustPlan(DefaultPlan) }
func (World) Shape() plan.Shape       { return Shape }
func (World) Glossary() []world.Term  { return Glossary }

// PropAccounting names the world's property: every ping accounted for.
const PropAccounting = "accounting"

// Run runs the world and checks its invariants. The world has no seeded
// bugs.
func (w World) Run(seed uint64, p *plan.Plan, opts world.Options) (*world.Outcome, error) {
	_, o, err := w.RunResult(seed, p, opts)
	return o, err
}

// RunResult is Run that also returns the Result the outcome was judged
// from, for properties of a caller's own (world.WithProperty).
func (w World) RunResult(seed uint64, p *plan.Plan, opts world.Options) (*Result, *world.Outcome, error) {
	if err := world.CheckBugs(w, opts); err != nil {
		return nil, nil, err
	}
	r, err := Run(seed, p)
	if err != nil {
		return nil, nil, err
	}
	o := &world.Outcome{
		Figures: r.Figures(),
		Details: []string{fmt.Sprintf("virtual time %v, %d kernel events, %d trace events", r.Report.End, r.Report.Events, len(r.Trace.Events))},
		Trace:   r.Trace,
	}
	if err := r.Check(); err != nil {
		o.Violations = []world.Violation{{Property: PropAccounting, Message: err.Error()}}
	}
	return r, o, nil
}

// Operations is the number of pings the plan asks for.
func (World) Operations(p *plan.Plan) (int, error) {
	c, err := ConfigFrom(p)
	if err != nil {
		return 0, err
	}
	return c.Clients * c.Pings, nil
}
