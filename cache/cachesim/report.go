package cachesim

// This file is the cache world's figures for the lab's report: client
// latency by the tier that answered, each tier's hit ratio over the
// report's sweep, and the 2022 outage's signature, the 530 rate by the
// path a request took, on correct code beside the sweep run again with
// the outage's bug switched on.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

var (
	_ world.Reporter   = World{}
	_ world.Propertied = World{}
)

// reportPaths are the paths a response can take, in the order the
// latency chart names them.
var reportPaths = []string{ViaLowerHit, ViaHubHit, ViaUpperHit, ViaMissOldUpper, ViaMissNewUpper}

// reportTiers are the tier kinds whose hit ratios the report draws, by
// the prefix of their caches' names in Cache-Status.
var reportTiers = []string{"lower", "hub", "upper"}

// The paths of the 530 chart: the outage's (a miss at every tier,
// fetched by an upper tier on the new build) against every other.
var report530Paths = []string{ViaMissNewUpper, ViaMissOldUpper, "hit at some tier", ViaNoUpperAnswer}

func path530(via string) int {
	switch via {
	case ViaMissNewUpper:
		return 0
	case ViaMissOldUpper:
		return 1
	case ViaLowerHit, ViaHubHit, ViaUpperHit:
		return 2
	}
	return 3
}

// tierCounts are one run's requests each tier kind handled and answered
// from its store, from the responses' Cache-Status chains.
func tierCounts(rs []Response) (handled, hits []int) {
	handled, hits = make([]int, len(reportTiers)), make([]int, len(reportTiers))
	for _, x := range rs {
		ms, err := status.Parse([]string{x.CacheStatus})
		if err != nil {
			continue
		}
		for _, m := range ms {
			for i, t := range reportTiers {
				if strings.HasPrefix(m.Cache, t+"-") {
					handled[i]++
					if m.Hit {
						hits[i]++
					}
				}
			}
		}
	}
	return handled, hits
}

// mainResponses are the clients' responses of a run's main variant (the
// plan's rollout, the new build tracing with the export tracer), as
// RunResult's Main has them, without the three variants only the
// properties need: a quarter of the work.
func mainResponses(seed uint64, plan *sim.Plan, bugs ...string) ([]Response, error) {
	cfg, err := ConfigFrom(plan)
	if err != nil {
		return nil, err
	}
	rec, err := runOnce(seed, plan, cfg, build{tracing: tracingExport, updated: cfg.Updated, bugs: bugsFrom(bugs)})
	if err != nil {
		return nil, err
	}
	return rec.responses, nil
}

// Charts runs the sweep's runs again (the same seeds and plans, the main
// variant only), once as they were and once with BugTraceClearsControl,
// to read the clients' responses, which the lab does not keep.
func (w World) Charts(runs []world.SweptRun) ([]world.Chart, error) {
	responses := func(bugs ...string) ([][]Response, error) {
		return world.Again(runs, func(r world.SweptRun) ([]Response, error) {
			return mainResponses(r.Seed, r.Plan, bugs...)
		})
	}
	correct, err := responses()
	if err != nil {
		return nil, err
	}
	buggy, err := responses(BugTraceClearsControl)
	if err != nil {
		return nil, err
	}

	latency := map[string][]float64{}
	ratios := make([][]float64, len(reportTiers))
	for _, rs := range correct {
		for _, x := range rs {
			if x.Status != 0 {
				latency[x.Via] = append(latency[x.Via], float64(x.End-x.Start)/1e6)
			}
		}
		handled, hits := tierCounts(rs)
		for i := range reportTiers {
			if handled[i] > 0 {
				ratios[i] = append(ratios[i], float64(hits[i])/float64(handled[i]))
			}
		}
	}
	var cdfs []world.Series
	for _, p := range reportPaths {
		ms := latency[p]
		if len(ms) == 0 {
			continue
		}
		slices.Sort(ms)
		s := world.Series{Name: p}
		for i, v := range ms {
			s.X = append(s.X, max(v, 1e-3)) // a log axis: under 1 µs is drawn at 1 µs
			s.Y = append(s.Y, float64(i+1)/float64(len(ms)))
		}
		cdfs = append(cdfs, s)
	}
	var hitSeries []world.Series
	for i, t := range reportTiers {
		if len(ratios[i]) > 0 {
			hitSeries = append(hitSeries, world.Series{Name: t + " tiers", Y: ratios[i]})
		}
	}

	rate := func(name string, runs [][]Response) (world.Series, []int) {
		n, s530 := make([]int, len(report530Paths)), make([]int, len(report530Paths))
		for _, rs := range runs {
			for _, x := range rs {
				i := path530(x.Via)
				n[i]++
				if x.Status == cache.StatusOriginDNSError {
					s530[i]++
				}
			}
		}
		s := world.Series{Name: name}
		for i := range n {
			v := 0.0
			if n[i] > 0 {
				v = 100 * float64(s530[i]) / float64(n[i])
			}
			s.Y = append(s.Y, v)
		}
		return s, n
	}
	ok, n := rate("correct code", correct)
	bad, nBad := rate(BugTraceClearsControl, buggy)
	counts := make([]string, len(report530Paths))
	for i, p := range report530Paths {
		counts[i] = fmt.Sprintf("%s %d and %d", p, n[i], nBad[i])
	}

	return []world.Chart{
		{
			Title:   "Client latency by the tier that answered",
			Caption: "Share of the sweep's client requests answered within a given time, by the path they took: a hit at the lower tier, the hub or an upper tier, or a miss at every tier fetched from the origin by an upper tier on the old or the new build.",
			XLabel:  "latency (ms, log scale)", YLabel: "share of requests", Kind: world.Lines, LogX: true, Series: cdfs,
		},
		{
			Title:   "Hit ratio per cache tier",
			Caption: "Each run's hit ratio at each kind of tier (requests it answered from its store over the requests it handled, from the responses' Cache-Status), over the sweep; a run without a hub has no hub ratio.",
			XLabel:  "hit ratio", YLabel: "runs", Kind: world.Histogram, Series: hitSeries,
		},
		{
			Title: "The 2022 outage: 530s by path",
			Caption: "Share of client requests answered 530 (origin name did not resolve), by path, over the sweep on correct code and over the same runs with " +
				BugTraceClearsControl + " switched on. Requests per path (correct, bug): " + strings.Join(counts, "; ") + ".",
			XLabel: "path", YLabel: "answered 530 (%)", Kind: world.Bars, Labels: report530Paths,
			Series: []world.Series{ok, bad},
		},
	}, nil
}

// Properties are the properties every run is judged by, in the order
// RunResult checks them, so that the report counts passes of each.
func (World) Properties() []string {
	return []string{PropPure, PropNo530, PropControl, PropUpstream, PropFreshness, PropCollapsing, PropCacheStatus, PropRollout, PropPurge}
}
