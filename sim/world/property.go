package world

import "github.com/edgelab/edgelab/sim/plan"

// Judged is a world that also hands out the result a run was judged from
// (its own Result type R), so callers can judge it by properties of
// their own.
type Judged[R any] interface {
	World
	// RunResult is Run that also returns the run's result.
	RunResult(seed uint64, plan *plan.Plan, opts Options) (R, *Outcome, error)
}

// WithProperty is w judged also by a property of the caller's own: prop
// sees each run's result, and an error from it is a violation named
// name, after w's own. Name, shape and defaults are w's, so generated
// plans, shrinking, sweeps and replay files work as for w (a replay file
// reruns the same run; the caller's property judges it again). Only the
// World methods are carried: use w itself for its bugs, theory or
// glossary.
func WithProperty[R any](w Judged[R], name string, prop func(R) error) World {
	return judgedBy[R]{w, name, prop}
}

type judgedBy[R any] struct {
	Judged[R]
	name string
	prop func(R) error
}

func (j judgedBy[R]) Run(seed uint64, p *plan.Plan, opts Options) (*Outcome, error) {
	r, o, err := j.RunResult(seed, p, opts)
	if err != nil {
		return nil, err
	}
	if err := j.prop(r); err != nil {
		o.Violations = append(o.Violations, Violation{Property: j.name, Message: oneLine(err.Error())})
	}
	return o, nil
}
