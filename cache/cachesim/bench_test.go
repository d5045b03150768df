package cachesim

import (
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// BenchmarkWorld runs a three-tier world (regional: lower tiers, a hub,
// upper tiers) at a light rate, one request a second per client, and
// reports simulated requests per wall second and the time acceleration
// (simulated seconds per wall second), for one simulation (the main run)
// and for a whole judged run (four variant simulations and the
// properties). Per CPU second too: on a shared machine the wall clock
// counts other processes' time.
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
		cpu0 := cpuTime()
		for b.Loop() {
			rec, err := runOnce(1, p, cfg, build{tracing: tracingExport, updated: cfg.Updated})
			if err != nil {
				b.Fatal(err)
			}
			virtual += rec.report.End
			requests += len(rec.responses)
		}
		wall, cpu := b.Elapsed().Seconds(), (cpuTime() - cpu0).Seconds()
		b.ReportMetric(virtual.Seconds()/wall, "sim-s/wall-s")
		b.ReportMetric(float64(requests)/wall, "req/wall-s")
		b.ReportMetric(virtual.Seconds()/cpu, "sim-s/cpu-s")
	})
	b.Run("judged", func(b *testing.B) {
		var virtual time.Duration
		requests := 0
		cpu0 := cpuTime()
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
		wall, cpu := b.Elapsed().Seconds(), (cpuTime() - cpu0).Seconds()
		b.ReportMetric(virtual.Seconds()/wall, "sim-s/wall-s")
		b.ReportMetric(float64(requests)/wall, "req/wall-s")
		b.ReportMetric(virtual.Seconds()/cpu, "sim-s/cpu-s")
	})
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
