package ohttpsim

// This file runs a world and judges it: property 1 on the run itself,
// property 2 on a pair of symmetric runs of the same seed.

import "github.com/edgelab/edgelab/sim"

// Evaluate runs the world with seed under plan and checks properties 1
// and 2; the verdicts are in the result.
func Evaluate(seed uint64, plan *sim.Plan, opts Options) (*Result, error) {
	r, err := Simulate(seed, plan, opts)
	if err != nil {
		return nil, err
	}
	r.Verdicts = append(r.Verdicts, Symbolic(r))
	sw, err := Swap(seed, plan, opts)
	if err != nil {
		return nil, err
	}
	r.Verdicts = append(r.Verdicts, sw)
	return r, nil
}

// Run runs the world under plan (its seed, or DefaultSeed) with correct
// code and checks properties 1 and 2.
func Run(plan *sim.Plan) (*Result, error) {
	seed := uint64(DefaultSeed)
	if plan != nil && plan.Seed != nil {
		seed = *plan.Seed
	}
	return Evaluate(seed, plan, Options{})
}
