package sim

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// TestSyncTakesItsLatency: with a sync latency from the plan, File.Sync
// returns that much virtual time later and only then is the content
// durable; a crash inside the sync loses what it was making durable, and
// one after it loses nothing.
func TestSyncTakesItsLatency(t *testing.T) {
	for _, tc := range []struct {
		crashAt time.Duration
		want    string
	}{
		{crashAt: 250 * time.Millisecond, want: ""},                         // inside the first sync
		{crashAt: 600 * time.Millisecond, want: "first\n"},                  // after it returned
		{crashAt: 1100 * time.Millisecond, want: "first\n"},                 // inside the second
		{crashAt: 1500*time.Millisecond - time.Nanosecond, want: "first\n"}, // a nanosecond early
		{crashAt: 1600 * time.Millisecond, want: "first\nsecond\n"},         // after it returned
		{crashAt: 10 * time.Second, want: "first\nsecond\n"},
	} {
		s := New(Config{Seed: 1})
		n := s.AddNode("db")
		p := mustPlan(t, `{"nodes": {"db": {"disk": {"sync_latency": "500ms"}}}}`)
		if err := p.Apply(s); err != nil {
			t.Fatal(err)
		}
		var took []time.Duration
		var recovered string
		boots := 0
		n.Start(func(e env.Env) {
			boots++
			d := e.Disk()
			if boots > 1 {
				b, _ := d.ReadFile("log")
				recovered = string(b)
				return
			}
			f, _ := d.OpenFile("log", osCreateAppend)
			d.SyncDir(".")
			// Writes at 0s and 1s, each synced for 500ms.
			for i, rec := range []string{"first\n", "second\n"} {
				if i > 0 {
					e.Sleep(500 * time.Millisecond)
				}
				f.Write([]byte(rec))
				start := s.Now()
				if err := f.Sync(); err != nil {
					t.Error(err)
				}
				took = append(took, s.Now()-start)
			}
		})
		s.At(tc.crashAt, n.Crash)
		s.At(tc.crashAt+time.Second, func() { n.Restart(nil) })
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if recovered != tc.want {
			t.Errorf("crash at %v: recovered %q, want %q", tc.crashAt, recovered, tc.want)
		}
		for _, d := range took {
			if d != 500*time.Millisecond {
				t.Errorf("crash at %v: a sync took %v, want the plan's 500ms", tc.crashAt, d)
			}
		}
	}
}

func TestSyncLatencyIsValidated(t *testing.T) {
	for _, src := range []string{
		`{"nodes": {"db": {"disk": {"sync_latency": "-1ms"}}}}`,
		`{"nodes": {"db": {"disk": {"sync_latency": "2m"}}}}`,
		`{"faults": [{"at": "1s", "kind": "disk", "node": "db", "disk": {"sync_latency": "-5s"}}]}`,
	} {
		p, err := ParsePlan([]byte(src))
		if err == nil {
			err = p.Validate()
		}
		if err == nil {
			t.Errorf("%s: accepted", src)
		}
	}
}
