package ohttpsim

// This file is the OHTTP world's figures for the lab's report: the
// linkability curve with its latency cost (a small run of the
// linkability experiment) and how requests ended over the sweep.

import (
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// ReportCurve is the linkability curve the report draws: the experiment's
// settings on fewer requests and one seed, to fit the report's time
// budget (`edgelab experiment ohttp linkability` runs the full one).
func ReportCurve() CurveConfig {
	cc := DefaultCurve()
	cc.Requests, cc.Seeds = 10, []uint64{1}
	return cc
}

// Charts draws the linkability curve, its latency cost, and the outcome
// of requests over the sweep.
func (World) Charts(runs []world.SweptRun) ([]world.Chart, error) {
	pts, err := Curve(ReportCurve())
	if err != nil {
		return nil, err
	}
	byDelay := map[time.Duration]int{}
	var adv, lat []world.Series
	for _, p := range pts {
		i, ok := byDelay[p.Delay]
		if !ok {
			i = len(adv)
			byDelay[p.Delay] = i
			name := "delay " + p.Delay.String()
			adv = append(adv, world.Series{Name: name})
			lat = append(lat, world.Series{Name: name})
		}
		adv[i].X, adv[i].Y = append(adv[i].X, float64(p.Batch)), append(adv[i].Y, p.Advantage)
		lat[i].X, lat[i].Y = append(lat[i].X, float64(p.Batch)), append(lat[i].Y, msf(p.Latency))
	}
	outcomes := []string{"answered", "timedout", "failed", "unfinished", "mismatched"}
	sums := make([]float64, len(outcomes))
	var answeredShare []float64
	for _, r := range runs {
		f := r.Outcome.Figures
		for i, n := range outcomes {
			v, _ := f.Get(n)
			sums[i] += v
		}
		sent, _ := f.Get("sent")
		answered, _ := f.Get("answered")
		if sent > 0 {
			answeredShare = append(answeredShare, answered/sent)
		}
	}
	return []world.Chart{
		{
			Title:   "Linkability against mixing",
			Caption: "A timing adversary watching both sides of the relay: its advantage over chance at pairing requests, by the relay's batch size.",
			XLabel:  "batch size", YLabel: "advantage over chance", Kind: world.Lines, Series: adv,
		},
		{
			Title:   "The latency cost of mixing",
			Caption: "Clients' mean request latency at the same settings.",
			XLabel:  "batch size", YLabel: "mean latency (ms)", Kind: world.Lines, Series: lat,
		},
		{
			Title:   "How requests ended over the sweep",
			Caption: "Every request of the sweep's runs (drawn faults), by outcome.",
			XLabel:  "outcome", YLabel: "requests", Kind: world.Bars, Labels: outcomes,
			Series: []world.Series{{Name: "requests", Y: sums}},
		},
		{
			Title:   "Requests answered per run",
			Caption: "Share of each run's requests answered, over the sweep.",
			XLabel:  "answered / sent", YLabel: "runs", Kind: world.Histogram,
			Series: []world.Series{{Name: "runs", Y: answeredShare}},
		},
	}, nil
}

// Properties are the properties every run is judged by.
func (World) Properties() []string { return []string{PropSymbolic, PropSwap} }
