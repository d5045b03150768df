package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/plan"
)

func mustPlan(t testing.TB, js string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClockDriftAsReadThroughEnvNow: a clock with drift d reads d·t ahead
// (plus its offset) after t of virtual time.
func TestClockDriftAsReadThroughEnvNow(t *testing.T) {
	s := New(Config{Seed: 1})
	fast, slow, ref := s.AddNode("fast"), s.AddNode("slow"), s.AddNode("ref")
	p := mustPlan(t, `{"nodes": {
	  "fast": {"clock": {"drift_ppm": 250}},
	  "slow": {"clock": {"offset": "-2s", "drift_ppm": -40}}
	}}`)
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	type reading struct{ fast, slow, ref time.Duration }
	var got []reading
	ref.Go("observer", func() {
		for _, at := range []time.Duration{0, 4 * time.Second, 40 * time.Second, time.Hour} {
			ref.Env().Sleep(at - s.Now())
			got = append(got, reading{
				fast.Env().Now().Sub(Epoch), slow.Env().Now().Sub(Epoch), ref.Env().Now().Sub(Epoch),
			})
		}
	})
	s.SetLimit(2 * time.Hour)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Duration{0, 4 * time.Second, 40 * time.Second, time.Hour} {
		want := reading{
			fast: at + at/4000,                  // 250 ppm
			slow: at - 2*time.Second - at/25000, // -40 ppm
			ref:  at,
		}
		if got[i] != want {
			t.Errorf("at %v: got %+v, want %+v", at, got[i], want)
		}
	}
}

// TestSleepOnDriftingNodeRunsAtItsClockRate: timers count with the node's
// oscillator, so a clock 10% fast sleeps 1s of its own time in 1s/1.1 of
// true time, and a clock 50% slow in 2s.
func TestSleepOnDriftingNodeRunsAtItsClockRate(t *testing.T) {
	for _, c := range []struct {
		ppm  float64
		true time.Duration
	}{
		{100_000, 909_090_910}, // ⌈1s / 1.1⌉
		{-500_000, 2 * time.Second},
		{0, time.Second},
	} {
		s := New(Config{Seed: 1})
		n := s.AddNode("a")
		if err := n.SetClock(Clock{DriftPPM: c.ppm}); err != nil {
			t.Fatal(err)
		}
		var slept, local, ctxTrue time.Duration
		var ctxErr error
		n.Go("sleeper", func() {
			env := n.Env()
			before, start := env.Now(), s.Now()
			env.Sleep(time.Second)
			slept, local = s.Now()-start, env.Now().Sub(before)
			start = s.Now()
			ctx, cancel := env.WithTimeout(context.Background(), time.Second)
			defer cancel()
			ctxErr = env.NewNotifier().Wait(ctx)
			ctxTrue = s.Now() - start
		})
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if slept != c.true || ctxTrue != c.true || !errors.Is(ctxErr, context.DeadlineExceeded) {
			t.Errorf("drift %v ppm: Sleep(1s) took %v and WithTimeout(1s) %v (%v) of true time, want %v", c.ppm, slept, ctxTrue, ctxErr, c.true)
		}
		if local < time.Second || local > time.Second+time.Microsecond {
			t.Errorf("drift %v ppm: the node's own clock advanced %v during Sleep(1s)", c.ppm, local)
		}
	}
}

// TestClockJumpsStepNowNotTimers: a jump changes what Now reads from its
// instant on, leaves a sleeping timer alone, and is a Fault event.
func TestClockJumpsStepNowNotTimers(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	p := mustPlan(t, `{
	  "nodes": {"a": {"clock": {"jumps": [{"at": "10s", "by": "-3s"}]}}},
	  "faults": [{"at": "20s", "kind": "clock_jump", "node": "a", "by": "1m"}]
	}`)
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	var reads []time.Duration
	var woke time.Duration
	n.Go("reader", func() {
		env := n.Env()
		for _, at := range []time.Duration{9 * time.Second, 11 * time.Second, 21 * time.Second} {
			env.Sleep(at - s.Now())
			reads = append(reads, env.Now().Sub(Epoch))
		}
	})
	n.Go("sleeper", func() {
		n.Env().Sleep(8 * time.Second)
		n.Env().Sleep(5 * time.Second) // across the jump back
		woke = s.Now()
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{9 * time.Second, 8 * time.Second, 78 * time.Second}
	for i := range want {
		if reads[i] != want[i] {
			t.Fatalf("reads %v, want %v", reads, want)
		}
	}
	if woke != 13*time.Second {
		t.Fatalf("the sleeper woke at %v, want 13s", woke)
	}
	var jumps []string
	for _, e := range s.Trace().Events {
		if e.Kind == model.Fault && e.Name == "clock-jump" {
			jumps = append(jumps, e.At.String()+" "+e.Node+" "+e.Attrs["by"])
		}
	}
	if len(jumps) != 2 || jumps[0] != "10s a -3s" || jumps[1] != "20s a 1m0s" {
		t.Fatalf("jump events %q", jumps)
	}
}

// TestDiskTimesComeFromTheNodeClock: Stat reports modification times in
// the node's clock.
func TestDiskTimesComeFromTheNodeClock(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	if err := n.SetClock(Clock{Offset: time.Hour}); err != nil {
		t.Fatal(err)
	}
	var mod time.Time
	n.Go("writer", func() {
		env := n.Env()
		env.Sleep(1500 * time.Millisecond)
		f, err := env.Disk().OpenFile("f", osCreateWrite)
		if err != nil {
			t.Error(err)
			return
		}
		f.Write([]byte("x"))
		fi, _ := f.Stat()
		mod = fi.ModTime()
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if want := Epoch.Add(time.Hour + 1500*time.Millisecond); !mod.Equal(want) {
		t.Fatalf("ModTime %v, want %v", mod, want)
	}
}
