package cachesim

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// BenchmarkWorld runs a three-tier world (regional: lower tiers, a hub,
// upper tiers) at a light rate, one request a second per client, and
// reports simulated requests per wall second and the time acceleration
// (simulated seconds per wall second), for one simulation (the main run)
// and for a whole judged run (four variant simulations and the
// properties).
func BenchmarkWorld(b *testing.B) {
	p := world.MustPlan(`{"world": "cache", "knobs": {"topology": 2, "lower": 2, "upper": 2, "requests": 300,
		"keys": 8, "interval": "1s", "updated": 1, "purges": 2}}`)
	cfg, err := ConfigFrom(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("simulation", func(b *testing.B) {
		var virtual time.Duration
		requests := 0
		for b.Loop() {
			rec, err := runOnce(1, p, cfg, build{tracing: tracingExport, updated: cfg.Updated})
			if err != nil {
				b.Fatal(err)
			}
			virtual += rec.report.End
			requests += len(rec.responses)
		}
		wall := b.Elapsed().Seconds()
		b.ReportMetric(virtual.Seconds()/wall, "sim-s/wall-s")
		b.ReportMetric(float64(requests)/wall, "req/wall-s")
	})
	b.Run("judged", func(b *testing.B) {
		var virtual time.Duration
		requests := 0
		for b.Loop() {
			res, o, err := World{}.RunResult(1, p, world.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if !o.Pass() {
				b.Fatal(o.Violations)
			}
			virtual += res.Main.report.End
			requests += len(res.Main.responses)
		}
		wall := b.Elapsed().Seconds()
		b.ReportMetric(virtual.Seconds()/wall, "sim-s/wall-s")
		b.ReportMetric(float64(requests)/wall, "req/wall-s")
	})
}
