package main

// This file is the table of simulated worlds the command line can run.
// Each world registers itself from init (the ping world here; service
// worlds from their own files), so adding one does not touch this table.

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/pingworld"
)

// world is one simulation the lab can run.
type world struct {
	name    string
	summary string
	// seed is what a bare `edgelab` runs it with.
	seed uint64
	// defaultPlan is used when the command line gives none ("" for none).
	defaultPlan string
	// run runs the world. A *sim.PlanError means the plan does not fit the
	// world; other errors mean the run itself broke. The plan may be nil
	// (no plan); it may name the world and the seed, which the world
	// ignores. The run must depend on nothing but (seed, plan), so that a
	// replay file reproduces it, and run must
	// be safe to call from several goroutines at once (sweep runs seeds in
	// parallel, each its own Sim).
	run func(seed uint64, plan *sim.Plan) (*outcome, error)
}

// outcome is what a world reports about one run: whether its properties
// held (pass, and why not), a summary (figures, details) and the trace.
// Plans for generated and soak runs come from the world's sim.Shape,
// registered by the world's package (sim.RegisterShape).
type outcome struct {
	pass bool
	// why explains a failure in one line.
	why string
	// figures are the key numbers, on one line ("sent=150 answered=141").
	figures string
	// details are extra lines for `edgelab run`.
	details []string
	trace   *model.Trace
}

var worlds = map[string]*world{}

func registerWorld(w *world) {
	if _, dup := worlds[w.name]; dup {
		panic("edgelab: world registered twice: " + w.name)
	}
	worlds[w.name] = w
}

// worldNames returns the registered worlds in name order.
func worldNames() []string {
	names := make([]string, 0, len(worlds))
	for n := range worlds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// errUnknownWorld is wrapped by lookupWorld's error.
var errUnknownWorld = errors.New("unknown world")

func lookupWorld(name string) (*world, error) {
	if w, ok := worlds[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", errUnknownWorld, name, strings.Join(worldNames(), ", "))
}

// plan returns the plan to run w with when the command line gives none.
func (w *world) plan() (*sim.Plan, error) {
	if w.defaultPlan == "" {
		return nil, nil
	}
	return sim.ParsePlan([]byte(w.defaultPlan))
}

func init() {
	registerWorld(&world{
		name:        pingworld.Name,
		summary:     "clients ping HTTP servers through a faulty network",
		seed:        pingworld.DefaultSeed,
		defaultPlan: pingworld.DefaultPlan,
		run: func(seed uint64, plan *sim.Plan) (*outcome, error) {
			r, err := pingworld.Run(seed, plan)
			if err != nil {
				return nil, err
			}
			o := &outcome{
				pass:    true,
				figures: r.Figures(),
				details: []string{fmt.Sprintf("virtual time %v, %d kernel events, %d trace events", r.Report.End, r.Report.Events, len(r.Trace.Events))},
				trace:   r.Trace,
			}
			if err := r.Check(); err != nil {
				o.pass, o.why = false, err.Error()
			}
			return o, nil
		},
	})
}
