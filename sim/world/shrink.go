package world

// This file is the generic shrinker: given a plan that fails, it tries
// one-step simplifications — drop the network noise, clocks and BUGGIFY;
// drop all faults, then each fault; move each knob the shape draws toward
// its default for shrinking, the bottom of its range (the quietest choice,
// as sim.Drawer has it): to the bottom, halfway there, one step down; put
// a knob the shape does not draw back to the world's default — and keeps the first that still fails, until none does. It needs
// nothing from the world but its Shape and Run, so it serves every world;
// rapid shrinks the same way inside property tests (sim/simtest), this is
// for the command line, where no rapid.T exists.

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/sim"
)

// Shrunk is what Shrink found.
type Shrunk struct {
	// Plan is the smallest failing plan found; it names the world and
	// the seed.
	Plan *sim.Plan
	// Outcome is Plan's run.
	Outcome *Outcome
	// Runs counts the runs shrinking took.
	Runs int
}

// Shrink simplifies plan, which must fail in w with opts, while it still
// fails, and returns the result. A plan that passes is returned as it is
// with its outcome (Runs 1), so the caller can tell. A candidate that
// does not fit the world (a fault naming a node a smaller knob removed)
// is skipped; any other error of a run is returned.
func Shrink(w World, seed uint64, plan *sim.Plan, opts Options) (*Shrunk, error) {
	plan = WithIdentity(w, seed, plan)
	o, err := Run(w, seed, plan, opts)
	if err != nil {
		return nil, err
	}
	s := &Shrunk{Plan: plan, Outcome: o, Runs: 1}
	if o.Pass() {
		return s, nil
	}
	shape := w.Shape()
	for changed := true; changed; {
		changed = false
		for _, c := range candidates(s.Plan, shape) {
			s.Runs++
			co, err := Run(w, seed, c, opts)
			if err != nil {
				if _, fits := err.(*sim.PlanError); fits {
					continue
				}
				return nil, err
			}
			if !co.Pass() {
				s.Plan, s.Outcome, changed = c, co, true
				break
			}
		}
	}
	return s, nil
}

// WithIdentity returns a copy of plan (nil: an empty one) that names w
// and seed, so that it can be saved as a replay file as it is.
func WithIdentity(w World, seed uint64, plan *sim.Plan) *sim.Plan {
	p := &sim.Plan{}
	if plan != nil {
		cp := *plan
		p = &cp
	}
	p.World = w.Name()
	p.Seed = &seed
	return p
}

// candidates are the one-step simplifications of p, biggest first. Each
// makes the plan strictly smaller (fewer faults, less noise, fewer knobs
// or a lower knob), so shrinking ends.
func candidates(p *sim.Plan, shape sim.Shape) []*sim.Plan {
	var out []*sim.Plan
	with := func(change func(q *sim.Plan)) {
		q := *p
		q.Knobs = maps.Clone(p.Knobs)
		change(&q)
		out = append(out, &q)
	}
	if p.Network != nil || p.Nodes != nil || p.Buggify != nil {
		with(func(q *sim.Plan) { q.Network, q.Nodes, q.Buggify = nil, nil, nil })
	}
	if len(p.Faults) > 0 {
		with(func(q *sim.Plan) { q.Faults = nil })
	}
	for i := range p.Faults {
		with(func(q *sim.Plan) { q.Faults = slices.Delete(slices.Clone(p.Faults), i, i+1) })
	}
	if p.Network != nil {
		with(func(q *sim.Plan) { q.Network = nil })
	}
	if p.Nodes != nil {
		with(func(q *sim.Plan) { q.Nodes = nil })
	}
	if p.Buggify != nil {
		with(func(q *sim.Plan) { q.Buggify = nil })
	}
	for _, name := range slices.Sorted(maps.Keys(p.Knobs)) {
		k, ok := knobRange(shape, name)
		if !ok {
			// A knob the generator never draws goes back to the
			// world's default.
			with(func(q *sim.Plan) { delete(q.Knobs, name) })
			continue
		}
		for _, v := range lowerKnob(k, p.Knobs[name]) {
			with(func(q *sim.Plan) { q.Knobs[name] = v })
		}
	}
	return out
}

func knobRange(shape sim.Shape, name string) (sim.KnobRange, bool) {
	for _, k := range shape.Knobs {
		if k.Name == name {
			return k, true
		}
	}
	return sim.KnobRange{}, false
}

// lowerKnob returns the smaller values of a knob worth trying, smallest
// first: the bottom of its range, halfway down, one step down (false for
// a boolean). A value the shape cannot read is left alone.
func lowerKnob(k sim.KnobRange, raw json.RawMessage) []json.RawMessage {
	if k.Bool {
		if string(raw) == "true" {
			return []json.RawMessage{json.RawMessage("false")}
		}
		return nil
	}
	var v int
	if k.Unit > 0 {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil
		}
		v = int(d / k.Unit)
	} else if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []json.RawMessage
	for _, c := range []int{k.Min, (v + k.Min) / 2, v - 1} {
		if c < k.Min || c >= v {
			continue
		}
		enc := strconv.Itoa(c)
		if k.Unit > 0 {
			enc = strconv.Quote((time.Duration(c) * k.Unit).String())
		}
		if len(out) == 0 || string(out[len(out)-1]) != enc {
			out = append(out, json.RawMessage(enc))
		}
	}
	return out
}

// Size is how big a plan is: its faults and the operations its knobs ask
// for (-1 if the world is not Sized or cannot read the plan).
func Size(w World, plan *sim.Plan) (faults, ops int) {
	ops = -1
	if sz, ok := w.(Sized); ok {
		if n, err := sz.Operations(plan); err == nil {
			ops = n
		}
	}
	if plan == nil {
		return 0, ops
	}
	return len(plan.Faults), ops
}
