package sim

import (
	"errors"
	"testing"
	"time"
)

// A loop whose every wait returns at once (a deadline already past, a
// clock read from the wrong timeline) keeps the kernel busy without
// moving virtual time: the run must fail, not hang its caller.
func TestLivelockFailsTheRun(t *testing.T) {
	s := New(Config{Seed: 1, MaxStepsAtOneInstant: 1000})
	env := s.AddNode("a").Env()
	spins := 0
	env.Go("spinner", func() {
		env.Sleep(5 * time.Second)
		for {
			env.Sleep(0)
			spins++
		}
	})
	rep, err := s.Run()
	var sl *StepLimitError
	if !errors.As(err, &sl) || !sl.AtOneInstant || sl.At != 5*time.Second || sl.Steps != 1000 {
		t.Fatalf("err = %v (%#v), want a livelock at 5s after 1000 actions", err, sl)
	}
	if spins != 999 || len(rep.Blocked) != 1 {
		t.Fatalf("spins = %d, blocked = %v: want 999 spins (the wake at 5s is the first action) and the spinner stopped", spins, rep.Blocked)
	}
}

func TestStepBoundStopsARunThatNeverEnds(t *testing.T) {
	s := New(Config{Seed: 1, MaxSteps: 1000})
	env := s.AddNode("a").Env()
	ticks := 0
	env.Go("ticker", func() {
		for {
			env.Sleep(time.Millisecond)
			ticks++
		}
	})
	_, err := s.Run()
	var sl *StepLimitError
	if !errors.As(err, &sl) || sl.AtOneInstant || sl.Steps != 1000 || sl.At != time.Second {
		t.Fatalf("err = %v (%#v), want the step bound after 1000 actions, refusing the one due at 1s", err, sl)
	}
	if ticks != 999 {
		t.Fatalf("ticks = %d, want 999", ticks)
	}
}

// The bound on one instant counts actions since time last moved, not
// since the run began: work spread over time never reaches it, and a
// burst exactly at the bound passes.
func TestStepBoundsLetWorkWithinThemFinish(t *testing.T) {
	const tasks = 50
	s := New(Config{Seed: 1, MaxStepsAtOneInstant: tasks, MaxSteps: 3 * tasks})
	env := s.AddNode("a").Env()
	for i := range tasks {
		env.Go("burst", func() {
			env.Sleep(time.Duration(1+i%2) * time.Second)
		})
	}
	rep, err := s.Run()
	if err != nil || !rep.Quiescent || rep.Events != 2*tasks {
		t.Fatalf("err = %v, report = %+v: want a quiescent run of %d actions", err, rep, 2*tasks)
	}

	s = New(Config{Seed: 1, MaxStepsAtOneInstant: tasks - 1})
	env = s.AddNode("a").Env()
	for range tasks {
		env.Go("burst", func() {})
	}
	if _, err := s.Run(); !errors.As(err, new(*StepLimitError)) {
		t.Fatalf("%d actions at one instant with a bound of %d: err = %v, want a livelock", tasks, tasks-1, err)
	}
}
