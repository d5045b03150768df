package spool

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// acceptRate puts n messages from sessions concurrent writers into a fresh
// spool on a real directory (fsync on) and returns messages per second.
func acceptRate(b *testing.B, n, sessions int, opt Options) float64 {
	e := env.NewReal(env.RealConfig{Node: "mx", Disk: env.RealDisk(b.TempDir())})
	s, _, _, err := Open(e, "q", opt)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := make([]byte, 4096)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += sessions {
				m := msg(i)
				m.Data = body
				if err := s.Put(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkDurableAccept measures durable accepts (4 KiB messages, 32
// concurrent sessions) with group commit against one fsync per message, in
// the same run, and reports the ratio (target ≥ 3).
func BenchmarkDurableAccept(b *testing.B) {
	const sessions = 32
	n := max(b.N, 64)
	group := acceptRate(b, n, sessions, Options{})
	naive := acceptRate(b, n, sessions, Options{SyncEach: true})
	b.ReportMetric(group, "group-msgs/s")
	b.ReportMetric(naive, "naive-msgs/s")
	b.ReportMetric(group/naive, "group/naive")
}
