package pingworld

// This file is the ping world's figures for the lab's report.

import "github.com/edgelab/edgelab/sim/world"

// Charts draws, over the report's sweep, the share of pings answered per
// run and how the pings that were not answered ended, seed by seed.
func (World) Charts(runs []world.SweptRun) ([]world.Chart, error) {
	var ratio, seeds, timedout, failed []float64
	for _, r := range runs {
		f := r.Outcome.Figures
		sent, _ := f.Get("sent")
		answered, _ := f.Get("answered")
		to, _ := f.Get("timedout")
		fl, _ := f.Get("failed")
		if sent > 0 {
			ratio = append(ratio, answered/sent)
		}
		seeds = append(seeds, float64(r.Seed))
		timedout = append(timedout, to)
		failed = append(failed, fl)
	}
	return []world.Chart{
		{
			Title:   "Pings answered per run",
			Caption: "Share of each run's pings that were answered, over the sweep's seeds with drawn faults.",
			XLabel:  "answered / sent", YLabel: "runs", Kind: world.Histogram,
			Series: []world.Series{{Name: "runs", Y: ratio}},
		},
		{
			Title:   "Unanswered pings by seed",
			Caption: "Pings that timed out or failed in each run of the sweep.",
			XLabel:  "seed", YLabel: "pings", Kind: world.Lines,
			Series: []world.Series{{Name: "timed out", X: seeds, Y: timedout}, {Name: "failed", X: seeds, Y: failed}},
		},
	}, nil
}

// Properties is the world's one property.
func (World) Properties() []string { return []string{PropAccounting} }
