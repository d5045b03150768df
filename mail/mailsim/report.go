package mailsim

// This file is the mail world's figures for the lab's report: what the
// router made of the mail over simulated time, and how long a recipient
// waited in the router's spool for its destination, both over the
// report's sweep. Both are read from the facts the router records in the
// trace, which carry the simulation's true time (activity logs and
// mailboxes stamp with node clocks, which a plan may skew).

import (
	"slices"
	"time"

	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/world"
)

var (
	_ world.Reporter   = World{}
	_ world.Propertied = World{}
)

// reportBucket is the width of a bucket of the outcomes-over-time chart.
const reportBucket = 5 * time.Second

// The router's outcomes the report counts, with the fact that records
// each: a recipient the destination took (250), one it refused for good
// (bounced), one put off for a retry (4xx), and a recipient or message the
// router refused at the door.
var reportOutcomes = []struct{ name, fact string }{
	{"delivered", mailfacts.MailDelivered},
	{"bounced", mailfacts.MailBounced},
	{"deferred", mailfacts.MailDeferred},
	{"rejected", mailfacts.MailRefused},
}

// runFigures are one run's numbers for the report.
type runFigures struct {
	// byBucket counts each outcome per bucket of true time.
	byBucket [][]int
	// spoolToDelivery are the waits from a message's first MailSpooled to
	// each MailDelivered of it, in seconds.
	spoolToDelivery []float64
}

// reportFigures reads a run's figures from its trace: the router's facts.
func reportFigures(tr *model.Trace) runFigures {
	var f runFigures
	spooled := map[string]time.Duration{}
	for _, e := range tr.Events {
		if e.Kind != model.Fact || e.Node != RouterNode {
			continue
		}
		if e.Name == mailfacts.MailSpooled && len(e.Args) > 0 {
			if _, seen := spooled[e.Args[0].Digest]; !seen {
				spooled[e.Args[0].Digest] = e.At
			}
			continue
		}
		for i, o := range reportOutcomes {
			if e.Name != o.fact {
				continue
			}
			b := int(e.At / reportBucket)
			for len(f.byBucket) <= b {
				f.byBucket = append(f.byBucket, make([]int, len(reportOutcomes)))
			}
			f.byBucket[b][i]++
			if e.Name == mailfacts.MailDelivered && len(e.Args) > 0 {
				if at, ok := spooled[e.Args[0].Digest]; ok {
					f.spoolToDelivery = append(f.spoolToDelivery, (e.At - at).Seconds())
				}
			}
		}
	}
	return f
}

// Charts runs the sweep's runs again (the same seeds and plans) to read
// their traces, which the lab does not keep, and draws the router's
// outcomes over time and the spool-to-delivery waits.
func (w World) Charts(runs []world.SweptRun) ([]world.Chart, error) {
	figs, err := world.Again(runs, func(r world.SweptRun) (*runFigures, error) {
		res, err := Run(r.Seed, r.Plan, Bugs{}) // not judged again: the sweep did that
		if err != nil {
			return nil, err
		}
		f := reportFigures(res.Trace)
		return &f, nil
	})
	if err != nil {
		return nil, err
	}
	var total [][]int
	var waits []float64
	for _, f := range figs {
		if f == nil {
			continue
		}
		for b, counts := range f.byBucket {
			for len(total) <= b {
				total = append(total, make([]int, len(reportOutcomes)))
			}
			for i, n := range counts {
				total[b][i] += n
			}
		}
		waits = append(waits, f.spoolToDelivery...)
	}
	series := make([]world.Series, len(reportOutcomes))
	for i, o := range reportOutcomes {
		series[i].Name = o.name
		for b, counts := range total {
			series[i].X = append(series[i].X, (time.Duration(b) * reportBucket).Seconds())
			series[i].Y = append(series[i].Y, float64(counts[i]))
		}
	}
	slices.Sort(waits)
	cdf := world.Series{Name: "delivered recipients"}
	for i, v := range waits {
		cdf.X = append(cdf.X, max(v, 1e-3)) // a log axis: a wait under 1 ms is drawn at 1 ms
		cdf.Y = append(cdf.Y, float64(i+1)/float64(len(waits)))
	}
	return []world.Chart{
		{
			Title: "What the router made of the mail, over time",
			Caption: "Recipients the router delivered, bounced and deferred, and those it rejected at SMTP, per " + reportBucket.String() +
				" of simulated time, summed over the sweep's runs (drawn faults: crashes, DNS and network faults, healed, then the queues drain).",
			XLabel: "simulated time (s)", YLabel: "recipients per " + reportBucket.String(), Kind: world.Lines, Series: series,
		},
		{
			Title: "Time in the router's spool",
			Caption: "Share of delivered recipients whose destination had taken them within a given time of the router spooling the message " +
				"(the router's facts in true time, over the sweep): a step at the retry backoff for each deferral.",
			XLabel: "spool to delivery (s, log scale)", YLabel: "share delivered", Kind: world.Lines, LogX: true, Series: []world.Series{cdf},
		},
	}, nil
}

// Properties are the properties every run is judged by, in Judge's order,
// so that the report counts passes of each.
func (World) Properties() []string {
	return []string{PropLost, PropDuplicates, PropSpoofed, PropRelay, PropBytes, PropActivity,
		PropDrain, PropRouting, PropBackoff, PropNullSender}
}
