package ohttpsim

// This file measures detection power without a test framework, so the
// command line can run it: draw plans from a seeded stream until the
// properties fail with a seeded bug switched on, then shrink the failing
// plan greedily (drop faults, noise, clients and requests while it still
// fails). Tests use rapid for the same search (simtest.Minimize).

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
)

// Detection is what the search found for one bug.
type Detection struct {
	Bug    ohttp.Bug
	Caught bool
	// Properties are the properties the first failing plan broke; Why
	// is the first one's first reason.
	Properties []string
	Why        string
	// Plans is how many plans were tried up to the first failure; Wall
	// how long that took.
	Plans int
	Wall  time.Duration
	// Plan is the shrunk failing plan, Faults and Ops its size (faults,
	// and requests in its workload); ShrinkRuns the runs shrinking took.
	Plan       *sim.Plan
	Faults     int
	Ops        int
	ShrinkRuns int
}

// GenOptions are the options plans for properties and bug searches are
// drawn with.
var GenOptions = sim.GenOptions{MaxFaults: 6}

// DrawPlan is the i-th plan of the world's seeded plan stream.
func DrawPlan(i uint64) *sim.Plan {
	return sim.DrawPlan(sim.SeedDrawer(i, "ohttp/bugs"), Shape, GenOptions)
}

// failing evaluates plan with bugs and returns the failed properties.
func failing(plan *sim.Plan, bugs ohttp.Bugs) ([]Verdict, error) {
	seed := uint64(0)
	if plan.Seed != nil {
		seed = *plan.Seed
	}
	r, err := Evaluate(seed, plan, Options{Bugs: bugs})
	if err != nil {
		return nil, err
	}
	return r.Failed(), nil
}

// Detect searches up to maxPlans plans for one that catches bug.
func Detect(bug ohttp.Bug, maxPlans int) (*Detection, error) {
	d := &Detection{Bug: bug}
	bugs := ohttp.NewBugs(bug)
	start := time.Now()
	for i := range maxPlans {
		p := DrawPlan(uint64(i))
		failed, err := failing(p, bugs)
		if err != nil {
			return nil, err
		}
		if len(failed) == 0 {
			continue
		}
		d.Caught, d.Plans, d.Wall = true, i+1, time.Since(start)
		for _, v := range failed {
			d.Properties = append(d.Properties, v.Property)
		}
		if len(failed[0].Why) > 0 {
			d.Why = failed[0].Why[0]
		}
		d.Plan, d.ShrinkRuns, err = shrink(p, bugs)
		if err != nil {
			return nil, err
		}
		d.Faults, d.Ops = PlanSize(d.Plan)
		return d, nil
	}
	d.Plans, d.Wall = maxPlans, time.Since(start)
	return d, nil
}

// PlanSize is a plan's fault count and workload size.
func PlanSize(p *sim.Plan) (faults, ops int) {
	cfg, err := ConfigFrom(p)
	if err != nil {
		return len(p.Faults), 0
	}
	return len(p.Faults), cfg.Clients * cfg.Requests
}

// shrink removes what it can from p while it still fails.
func shrink(p *sim.Plan, bugs ohttp.Bugs) (*sim.Plan, int, error) {
	runs := 0
	for changed := true; changed; {
		changed = false
		for _, c := range candidates(p) {
			runs++
			failed, err := failing(c, bugs)
			if err != nil {
				continue // the simplification does not fit (a fault names a dropped client)
			}
			if len(failed) > 0 {
				p, changed = c, true
				break
			}
		}
	}
	return p, runs, nil
}

// candidates are the one-step simplifications of p, biggest first.
func candidates(p *sim.Plan) []*sim.Plan {
	var out []*sim.Plan
	with := func(f func(q *sim.Plan)) {
		q := *p
		q.Knobs = map[string]json.RawMessage{}
		for k, v := range p.Knobs {
			q.Knobs[k] = v
		}
		f(&q)
		out = append(out, &q)
	}
	if p.Network != nil || p.Nodes != nil || p.Buggify != nil {
		with(func(q *sim.Plan) { q.Network, q.Nodes, q.Buggify = nil, nil, nil })
	}
	if len(p.Faults) > 0 {
		with(func(q *sim.Plan) { q.Faults = nil })
	}
	for i := range p.Faults {
		with(func(q *sim.Plan) {
			q.Faults = append(append([]sim.FaultSpec(nil), p.Faults[:i]...), p.Faults[i+1:]...)
		})
	}
	cfg, err := ConfigFrom(p)
	if err != nil {
		return out
	}
	if cfg.Clients > 2 {
		with(func(q *sim.Plan) { q.Knobs["clients"] = json.RawMessage(strconv.Itoa(cfg.Clients - 1)) })
	}
	if cfg.Relays > 1 {
		with(func(q *sim.Plan) { q.Knobs["relays"] = json.RawMessage(strconv.Itoa(cfg.Relays - 1)) })
	}
	if cfg.Gateways > 1 {
		with(func(q *sim.Plan) { q.Knobs["gateways"] = json.RawMessage(strconv.Itoa(cfg.Gateways - 1)) })
	}
	if cfg.Requests > 1 {
		with(func(q *sim.Plan) { q.Knobs["requests"] = json.RawMessage(strconv.Itoa(cfg.Requests - 1)) })
	}
	if cfg.Size > 16 {
		with(func(q *sim.Plan) { q.Knobs["size"] = json.RawMessage("16") })
	}
	return out
}
