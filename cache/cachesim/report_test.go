package cachesim

import (
	"testing"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/world"
)

// The report's 530 chart shows the outage where it happened: with the
// bug, nearly every miss at every tier that an updated upper tier fetched
// is a 530, on correct code hardly any (only DNS faults), and no other
// path changes. The other figures are distributions of the same runs.
func TestChartsShowTheOutageByPath(t *testing.T) {
	w := World{}
	var runs []world.SweptRun
	for seed := uint64(1); len(runs) < 3 && seed < 40; seed++ {
		plan := sim.SoakPlan(w.Shape(), seed)
		if cfg, err := ConfigFrom(plan); err != nil || cfg.Updated == 0 {
			continue // no upper tier on the new build: the bug has nowhere to be
		}
		o, err := world.Run(w, seed, plan, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, world.SweptRun{Seed: seed, Plan: plan, Outcome: o})
	}
	charts, err := w.Charts(runs)
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]world.Chart{}
	for _, c := range charts {
		byTitle[c.Title] = c
	}
	c530, ok := byTitle["The 2022 outage: 530s by path"]
	if !ok || len(c530.Series) != 2 || len(c530.Labels) != len(report530Paths) {
		t.Fatalf("no 530 chart of two series over the paths: %+v", c530)
	}
	correct, bug := c530.Series[0].Y, c530.Series[1].Y
	if bug[0] < 50 || correct[0] > bug[0]/2 {
		t.Errorf("530s on double misses through an updated upper: %.1f%% on correct code, %.1f%% with the bug", correct[0], bug[0])
	}
	if correct[2] != 0 || bug[2] != 0 {
		t.Errorf("530s on hits: %.1f%%, %.1f%%", correct[2], bug[2])
	}
	hits := byTitle["Hit ratio per cache tier"]
	if len(hits.Series) == 0 {
		t.Fatal("no hit ratios")
	}
	for _, s := range hits.Series {
		for _, v := range s.Y {
			if v < 0 || v > 1 {
				t.Errorf("%s: hit ratio %v", s.Name, v)
			}
		}
	}
	lat := byTitle["Client latency by the tier that answered"]
	if len(lat.Series) < 2 {
		t.Fatalf("latency for %d paths", len(lat.Series))
	}
	for _, s := range lat.Series {
		for i := 1; i < len(s.X); i++ {
			if s.X[i] < s.X[i-1] || s.Y[i] <= s.Y[i-1] {
				t.Fatalf("%s: not a distribution at %d", s.Name, i)
			}
		}
	}
}

// The report reads the main variant alone: the same responses as the
// whole RunResult's Main, on correct code and with the bug.
func TestMainResponsesAreRunResultsMain(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		plan := sim.SoakPlan(World{}.Shape(), seed)
		for _, bugs := range [][]string{nil, {BugTraceClearsControl}} {
			res, _, err := World{}.RunResult(seed, plan, world.Options{Bugs: bugs})
			if err != nil {
				t.Fatal(err)
			}
			got, err := mainResponses(seed, plan, bugs...)
			if err != nil {
				t.Fatal(err)
			}
			want := res.Responses()
			if len(got) != len(want) {
				t.Fatalf("seed %d bugs %v: %d responses, RunResult's Main has %d", seed, bugs, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("seed %d bugs %v: response %d is %v, RunResult's Main has %v", seed, bugs, i, got[i], want[i])
				}
			}
		}
	}
}
