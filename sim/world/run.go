package world

import (
	"errors"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
)

// Terminates is the property every world has without saying so: a run
// ends. The kernel stops a run that livelocks (work without virtual time
// moving) or outgrows its step bound with a *sim.StepLimitError, and Run
// turns that into a violation of Terminates, so a service that spins is a
// finding with a replay file and a shrunk plan, not a hung sweep.
const Terminates = "terminates"

// Run runs w once, as every caller in the lab does (run, sweep, replay,
// hunt, shrink, the lab's job): w.Run, except that a run stopped by the
// kernel's step bound is an Outcome failing Terminates, judged on the
// trace recorded until the stop.
func Run(w World, seed uint64, plan *sim.Plan, opts Options) (*Outcome, error) {
	o, err := w.Run(seed, plan, opts)
	if sl, stopped := errors.AsType[*sim.StepLimitError](err); stopped {
		tr := sl.Trace
		if tr == nil {
			tr = &model.Trace{}
		}
		return &Outcome{
			Violations: []Violation{{Property: Terminates, Message: oneLine(sl.Error())}},
			Details:    []string{"the kernel stopped the run: it did not end within its step bound"},
			Trace:      tr,
		}, nil
	}
	return o, err
}
