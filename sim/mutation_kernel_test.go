package sim

// Tests written to kill mutants that the rest of the suite let live: the
// bounds of RunUntil and Run, the clock's advance, and contexts whose
// timeout is zero or negative. Each names the mutant it is aimed at.

import (
	"context"
	"errors"
	"testing"
	"time"
)

// RunUntil(t) performs an action due exactly at t but none due after it,
// and leaves the clock at t even when nothing was due then. Kills: ">" to
// ">=" in step's bound; dropping the clock's advance to t in RunUntil.
func TestRunUntilBoundIsInclusiveAndAdvancesClock(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	var ran []time.Duration
	for _, at := range []time.Duration{time.Second, 2 * time.Second, 2*time.Second + 1} {
		s.At(at, func() { ran = append(ran, s.Now()) })
	}
	if err := s.RunUntil(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 || ran[0] != time.Second || ran[1] != 2*time.Second {
		t.Fatalf("RunUntil(2s) ran actions at %v, want [1s 2s]", ran)
	}
	if s.Now() != 2*time.Second {
		t.Fatalf("clock %v after RunUntil(2s)", s.Now())
	}
	// Nothing is due before 2s+1ns, yet the clock moves to the bound.
	if err := s.RunUntil(2*time.Second + 1); err != nil || s.Now() != 2*time.Second+1 || len(ran) != 3 {
		t.Fatalf("RunUntil(2s+1ns): %v, clock %v, ran %v", err, s.Now(), ran)
	}
	if err := s.RunFor(5 * time.Second); err != nil || s.Now() != 7*time.Second+1 {
		t.Fatalf("RunFor(5s) with nothing queued: %v, clock %v, want 7s+1ns", err, s.Now())
	}
	// An earlier bound never moves time back.
	if err := s.RunUntil(time.Second); err != nil || s.Now() != 7*time.Second+1 {
		t.Fatalf("RunUntil into the past: %v, clock %v", err, s.Now())
	}
}

// Run performs the action due exactly at the limit, stops before one due
// after it, says the run was not quiescent, and reports the time of the
// last action, not the limit. Kills: the limit bound off by one either way;
// End taken from the limit; Quiescent computed without the queue.
func TestRunLimitIsInclusiveAndEndIsLastAction(t *testing.T) {
	for _, c := range []struct {
		last      time.Duration
		ran       int
		quiescent bool
		end       time.Duration
	}{
		{last: 10 * time.Second, ran: 2, quiescent: true, end: 10 * time.Second},
		{last: 10*time.Second + 1, ran: 1, quiescent: false, end: 3 * time.Second},
	} {
		s := New(Config{Seed: 1, Limit: 10 * time.Second})
		n := 0
		s.At(3*time.Second, func() { n++ })
		s.At(c.last, func() { n++ })
		rep, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		if n != c.ran || rep.Quiescent != c.quiescent || rep.End != c.end || rep.Events != uint64(c.ran) {
			t.Errorf("last action at %v: ran %d, quiescent %v, end %v, events %d; want %d, %v, %v",
				c.last, n, rep.Quiescent, rep.End, rep.Events, c.ran, c.quiescent, c.end)
		}
	}
}

// A task sees the clock at exactly the times it slept to, and the kernel's
// clock agrees with the node's. Kills: the clock not set to a woken task's
// time; a sleep measured from the wrong origin.
func TestSleepAdvancesClockExactly(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	var seen []time.Duration
	n.Go("sleeper", func() {
		for _, d := range []time.Duration{0, time.Millisecond, 3 * time.Second, 1} {
			n.Env().Sleep(d)
			seen = append(seen, n.Env().Now().Sub(Epoch))
			if n.Env().Now().Sub(Epoch) != s.Now() {
				t.Errorf("node clock %v, kernel clock %v", n.Env().Now().Sub(Epoch), s.Now())
			}
		}
	})
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, time.Millisecond, 3*time.Second + time.Millisecond, 3*time.Second + time.Millisecond + 1}
	if len(seen) != len(want) {
		t.Fatalf("seen %v", seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("woke at %v, want %v", seen, want)
		}
	}
	if rep.End != want[len(want)-1] {
		t.Fatalf("report ends at %v, want %v", rep.End, want[len(want)-1])
	}
}

// A zero or negative timeout is already expired when WithTimeout returns:
// Err, Done and the deadline say so at once, without the clock moving.
// Kills: "d <= 0" to "d < 0" (a zero timeout would wait for a timer) and
// the expired context's deadline taken from anything but now.
func TestZeroTimeoutContextIsExpiredAtOnce(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	n.Go("t", func() {
		env := n.Env()
		env.Sleep(time.Second)
		for _, d := range []time.Duration{0, -time.Second} {
			ctx, cancel := env.WithTimeout(context.Background(), d)
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("WithTimeout(%v): Err %v right away", d, ctx.Err())
			}
			select {
			case <-ctx.Done():
			default:
				t.Errorf("WithTimeout(%v): Done not closed right away", d)
			}
			if dl, ok := ctx.Deadline(); !ok || dl != Epoch.Add(time.Second+d) {
				t.Errorf("WithTimeout(%v): deadline %v %v", d, dl, ok)
			}
			// Waiting on it returns at once, at the same virtual time.
			if err := env.NewNotifier().Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || s.Now() != time.Second {
				t.Errorf("Wait on a %v context: %v at %v", d, err, s.Now())
			}
			cancel()
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("cancel after expiry changed Err to %v", ctx.Err())
			}
		}
		// A child with a zero timeout of a live parent expires alone.
		parent, cancel := env.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		child, cancelChild := env.WithTimeout(parent, 0)
		defer cancelChild()
		if child.Err() == nil || parent.Err() != nil {
			t.Errorf("zero-timeout child: child %v, parent %v", child.Err(), parent.Err())
		}
		// A positive timeout is not expired until its time.
		live, cancelLive := env.WithTimeout(context.Background(), 1)
		defer cancelLive()
		if live.Err() != nil {
			t.Errorf("1ns timeout expired at once: %v", live.Err())
		}
		env.Sleep(1)
		if !errors.Is(live.Err(), context.DeadlineExceeded) {
			t.Errorf("1ns timeout not expired 1ns later: %v", live.Err())
		}
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
}
