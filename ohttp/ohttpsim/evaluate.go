package ohttpsim

import "github.com/edgelab/edgelab/sim/plan"

// This file runs a world and judges it: property 1 on the run itself,
// property 2 on a pair of symmetric runs of the same seed.

// Evaluate runs the world with seed under plan and checks properties 1
// and 2; the verdicts are in the result.
func Evaluate(seed uint64, p *plan.Plan, opts Options) (*Result, error) {
	r, err := Simulate(seed, p, opts)
	if err != nil {
		return nil, err
	}
	r.Verdicts = append(r.Verdicts, Symbolic(r))
	sw, err := Swap(seed, p, opts)
	if err != nil {
		return nil, err
	}
	r.Verdicts = append(r.Verdicts, sw)
	return r, nil
}

// Run runs the world under plan (its seed, or DefaultSeed) with correct
// code and checks properties 1 and 2.
func Run(p *plan.Plan) (*Result, error) {
	seed := uint64(DefaultSeed)
	if p != nil && p.Seed != nil {
		seed = *p.Seed
	}
	return Evaluate(seed, p, Options{})
}
