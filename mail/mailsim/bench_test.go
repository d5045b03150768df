package mailsim

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/world"
)

// BenchmarkWorld runs the world end to end at a realistic rate (200
// messages over 200 virtual seconds, about one a second, from three
// senders, on disks whose fsync takes 5ms, with the drain bound after)
// and reports simulated messages per wall second and the time
// acceleration (virtual seconds per wall second; the target is 100).
func BenchmarkWorld(b *testing.B) {
	p := world.MustPlan(`{"world": "mail", "knobs": {"senders": 3, "messages": 200, "spread": "200s", "sync_latency": "5ms"}}`)
	var msgs int
	var virtual time.Duration
	start := time.Now()
	for i := range b.N {
		r, _, err := World{}.RunResult(uint64(i+1), p, world.Options{})
		if err != nil {
			b.Fatal(err)
		}
		msgs += len(r.Workload)
		virtual += r.Report.End
	}
	wall := time.Since(start).Seconds()
	b.ReportMetric(float64(msgs)/wall, "msgs/s")
	b.ReportMetric(virtual.Seconds()/wall, "virtual-s/s")
}
