package world

// This file measures detection power without a test framework, so the
// command line can run it: with one seeded bug switched on, draw plans
// from a seeded stream until one fails, then Shrink it. Tests use rapid
// for the same search (sim/simtest.Minimize).

import (
	"time"

	"github.com/edgelab/edgelab/sim"
)

// HuntOptions are the options hunted plans are drawn with: a few faults,
// the default noise.
var HuntOptions = sim.GenOptions{MaxFaults: 6}

// HuntPlan is the i-th plan of w's seeded bug-hunting stream.
func HuntPlan(w World, i uint64) *sim.Plan {
	return sim.DrawPlan(sim.SeedDrawer(i, w.Name()+"/bugs"), w.Shape(), HuntOptions)
}

// Detection is what Hunt found for one bug.
type Detection struct {
	Bug    string
	Caught bool
	// Plans is how many plans were tried up to the first failure (or in
	// all, if none failed); Wall how long that took.
	Plans int
	Wall  time.Duration
	// First is the first failing plan's outcome: its Properties are the
	// properties that caught the bug.
	First *Outcome
	// Shrunk is the first failing plan, shrunk.
	Shrunk *Shrunk
}

// Hunt switches bug on in w and tries up to maxPlans plans of its hunting
// stream for one that fails, then shrinks it.
func Hunt(w World, bug string, maxPlans int) (*Detection, error) {
	opts := Options{Bugs: []string{bug}}
	if err := CheckBugs(w, opts); err != nil {
		return nil, err
	}
	d := &Detection{Bug: bug}
	start := time.Now()
	for i := range maxPlans {
		p := HuntPlan(w, uint64(i))
		o, err := Run(w, *p.Seed, p, opts)
		if err != nil {
			return nil, err
		}
		if o.Pass() {
			continue
		}
		d.Caught, d.Plans, d.Wall, d.First = true, i+1, time.Since(start), o
		if d.Shrunk, err = Shrink(w, *p.Seed, p, opts); err != nil {
			return nil, err
		}
		return d, nil
	}
	d.Plans, d.Wall = maxPlans, time.Since(start)
	return d, nil
}
