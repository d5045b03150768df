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

// TestPowerFailsDuringSync: with power_fail_prob 1 every sync cuts the
// power: the node crashes with the write unsynced, boots again
// PowerFailReboot later and finds only what an earlier sync made durable;
// the failure is a Fault event in the trace.
func TestPowerFailsDuringSync(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("db")
	p := mustPlan(t, `{"nodes": {"db": {"disk": {"torn_write_prob": 0}}},
	  "faults": [{"at": "1s", "kind": "disk", "node": "db", "disk": {"power_fail_prob": 1}, "for": "1s"}]}`)
	if err := p.Apply(s); err != nil {
		t.Fatal(err)
	}
	var boots []time.Duration
	var seen []string
	n.Start(func(e env.Env) {
		boots = append(boots, s.Now())
		d := e.Disk()
		b, _ := d.ReadFile("log")
		seen = append(seen, string(b))
		if len(boots) > 1 {
			return
		}
		f, _ := d.OpenFile("log", osCreateAppend)
		d.SyncDir(".")
		f.Write([]byte("before\n"))
		f.Sync()
		e.Sleep(1500 * time.Millisecond) // into the power-fail spell
		f.Write([]byte("during\n"))
		f.Sync()
		t.Error("a sync returned after the power failed")
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 1500*time.Millisecond + PowerFailReboot}
	if len(boots) != 2 || boots[0] != want[0] || boots[1] != want[1] {
		t.Fatalf("boots at %v, want %v", boots, want)
	}
	if seen[1] != "before\n" {
		t.Fatalf("after the power failure the log holds %q", seen[1])
	}
	fails := 0
	for _, ev := range s.Trace().Events {
		if ev.Name == "disk-power-fail" {
			fails++
		}
	}
	if fails != 1 {
		t.Fatalf("%d disk-power-fail events, want 1", fails)
	}
}
