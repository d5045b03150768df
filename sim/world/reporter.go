package world

// This file is how a world supplies its own figures to the lab's report
// (`edgelab` with no arguments writes edgelab-out/report.html): the
// command line draws what a world hands it and knows nothing of what the
// numbers mean.

import (
	"errors"
	"runtime"
	"sync"

	"github.com/edgelab/edgelab/sim"
)

// Reporter is a world that draws figures for the lab's report from a
// sweep of its runs.
//
// Charts receives every run of the report's sweep (seeds with drawn
// faults), in seed order, and returns the world's figures in the order the
// report shows them. It may run the world again (an experiment that needs
// its own runs, such as the OHTTP world's linkability curve, or a swept
// run again from its Seed and Plan, to read what its Outcome does not
// carry or to run it with a seeded bug switched on), but it must
// stay deterministic and cheap — the whole report has a time budget of
// two minutes on two cores — so it bounds such runs itself. A world
// without figures worth drawing need not implement Reporter; its report
// section still lists its properties and seeded bugs.
//
// To implement it in a new world: pick the counts of Outcome.Figures (or
// of your own extra runs) a researcher would rather look at than read, and
// return them as Series of a Chart. Lines draws each series as a polyline
// over X; Histogram bins each series' Y values (X is ignored); Bars draws
// one bar per point, labelled by Labels, grouped per series.
type Reporter interface {
	World
	Charts(runs []SweptRun) ([]Chart, error)
}

// SweptRun is one run of the report's sweep.
type SweptRun struct {
	Seed uint64
	// Plan is the plan the run ran under: Run(Seed, Plan, Options{}) is
	// the same run again.
	Plan    *sim.Plan
	Outcome *Outcome
}

// Again runs each swept run again through run, on as many goroutines as
// there are CPUs, and returns what run made of each, in the runs' order. A
// run the kernel stopped at its step bound (a *sim.StepLimitError, which
// the sweep already reports as failing Terminates) is left at R's zero
// value; any other error ends Again with the first one in run order.
// Reporters use it to read their own results (what Outcome does not
// carry) from the report's sweep, or to run it with a bug switched on.
func Again[R any](runs []SweptRun, run func(SweptRun) (R, error)) ([]R, error) {
	out := make([]R, len(runs))
	errs := make([]error, len(runs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(runs), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = run(runs[i])
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if _, stopped := errors.AsType[*sim.StepLimitError](err); stopped {
			var zero R
			out[i] = zero
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ChartKind is how a chart is drawn.
type ChartKind int

const (
	// Lines draws each series as a line through its points (X, Y).
	Lines ChartKind = iota
	// Histogram bins each series' Y values.
	Histogram
	// Bars draws Y[i] as a bar labelled Labels[i], one group per series.
	Bars
)

// Chart is one figure of the report.
type Chart struct {
	// Title heads the figure; Caption says in a sentence what it shows.
	Title, Caption string
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
	Kind           ChartKind
	// LogX draws a Lines chart's X axis on a log scale (for latencies
	// that span milliseconds to seconds); points with X <= 0 are left out.
	LogX   bool
	Series []Series
	// Labels name the bars of a Bars chart (one per point).
	Labels []string
}

// Series is one named set of points.
type Series struct {
	Name string
	X, Y []float64
}

// Propertied is a world that names every property its runs are judged
// by, in its order, so a report can count passes of each (a property that
// never fails would otherwise go unnamed).
type Propertied interface {
	World
	Properties() []string
}
