package sim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

func TestSleepRunsTasksInTimeThenSpawnOrder(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	var got []string
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"x", 3 * time.Second}, {"y", time.Second}, {"z", time.Second}, {"w", 0}} {
		n.Go(c.name, func() {
			n.Env().Sleep(c.d)
			got = append(got, c.name+"@"+n.Env().Now().Sub(Epoch).String())
		})
	}
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	want := "w@0s y@1s z@1s x@3s"
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("order = %q, want %q", g, want)
	}
	if !rep.Quiescent || rep.End != 3*time.Second || len(rep.Blocked) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if now := n.Env().Now(); !now.Equal(Epoch.Add(3 * time.Second)) {
		t.Fatalf("Now = %v", now)
	}
}

func TestWithTimeoutWakesBlockedWait(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	var err error
	var at time.Duration
	env.Go("waiter", func() {
		ctx, cancel := env.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		err = env.NewNotifier().Wait(ctx)
		at = s.Now()
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, context.DeadlineExceeded) || at != 250*time.Millisecond {
		t.Fatalf("err=%v at=%v", err, at)
	}
}

func TestStdlibChildOfSimContextCancelsInVirtualTime(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	var err error
	var at time.Duration
	env.Go("waiter", func() {
		parent, cancel := env.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ctx, cancel2 := context.WithCancel(context.WithValue(parent, "k", 1))
		defer cancel2()
		err = env.NewNotifier().Wait(ctx)
		at = s.Now()
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(Epoch.Add(time.Second)) {
			t.Errorf("deadline = %v %v", dl, ok)
		}
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, context.DeadlineExceeded) || at != time.Second {
		t.Fatalf("err=%v at=%v", err, at)
	}
}

func TestCancelFromAnotherTaskWakesWaiter(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	ctx, cancel := context.WithCancel(context.Background()) // not the simulator's
	var err error
	var at time.Duration
	env.Go("waiter", func() {
		err = env.NewNotifier().Wait(ctx)
		at = s.Now()
	})
	env.Go("canceller", func() {
		env.Sleep(7 * time.Millisecond)
		cancel()
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, context.Canceled) || at != 7*time.Millisecond {
		t.Fatalf("err=%v at=%v", err, at)
	}
}

func TestNotifierIsAutoResetAndBroadcast(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	nt := env.NewNotifier()
	woke := 0
	for range 3 {
		env.Go("w", func() {
			if err := nt.Wait(context.Background()); err != nil {
				t.Error(err)
			}
			woke++
		})
	}
	var second, third error
	env.Go("n", func() {
		env.Sleep(time.Second)
		nt.Notify() // wakes all three
		env.Sleep(time.Second)
		nt.Notify() // nobody waits: pending
		second = nt.Wait(context.Background())
		ctx, cancel := env.WithTimeout(context.Background(), time.Second)
		defer cancel()
		third = nt.Wait(ctx) // pending consumed: this one times out
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if woke != 3 || second != nil || !errors.Is(third, context.DeadlineExceeded) {
		t.Fatalf("woke=%d second=%v third=%v", woke, second, third)
	}
}

func TestDeadlockIsReportedAndTasksStopped(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	unwound := false
	env.Go("stuck", func() {
		defer func() { unwound = true }()
		env.NewNotifier().Wait(context.Background())
		t.Error("stuck task resumed")
	})
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Quiescent || len(rep.Blocked) != 1 || rep.Blocked[0].String() != "a/stuck on notifier" {
		t.Fatalf("report = %+v", rep)
	}
	if !unwound {
		t.Fatal("blocked task's coroutine was not stopped")
	}
}

func TestLimitStopsEndlessLoop(t *testing.T) {
	s := New(Config{Seed: 1, Limit: 10 * time.Second})
	env := s.AddNode("a").Env()
	ticks := 0
	env.Go("ticker", func() {
		for {
			env.Sleep(time.Second)
			ticks++
		}
	})
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if ticks != 10 || rep.Quiescent || len(rep.Blocked) != 1 {
		t.Fatalf("ticks=%d report=%+v", ticks, rep)
	}
}

func TestTaskPanicFailsRun(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	env.Go("bad", func() {
		env.Sleep(time.Millisecond)
		panic("boom")
	})
	_, err := s.Run()
	var tp *TaskPanic
	if !errors.As(err, &tp) || tp.Task != "bad" || tp.Value != "boom" || tp.At != time.Millisecond {
		t.Fatalf("err = %v", err)
	}
}

func TestBlockingOutsideTaskPanics(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "outside a simulated task") {
			t.Fatalf("recover = %v", r)
		}
	}()
	env.Sleep(time.Second)
}

func TestCrashKillsTasksAndRestartReboots(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	boots := 0
	var ticks []time.Duration
	n.Start(func(env env.Env) {
		boots++
		env.Record("Boot")
		for {
			env.Sleep(time.Second)
			ticks = append(ticks, s.Now())
		}
	})
	s.At(2500*time.Millisecond, n.Crash)
	s.At(4*time.Second, func() { n.Restart(nil) })
	s.SetLimit(5500 * time.Millisecond)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}
	if boots != 2 || len(ticks) != len(want) {
		t.Fatalf("boots=%d ticks=%v", boots, ticks)
	}
	for i := range want {
		if ticks[i] != want[i] {
			t.Fatalf("ticks=%v want %v", ticks, want)
		}
	}
	var kinds []string
	for _, e := range s.Trace().Events {
		kinds = append(kinds, string(e.Kind)+":"+e.Name)
	}
	if g := strings.Join(kinds, " "); g != "fact:Boot crash:crash restart:restart fact:Boot" {
		t.Fatalf("trace kinds = %s", g)
	}
}

func TestSelfCrashUnwindsRunningTask(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	after := false
	n.Go("suicide", func() {
		n.Crash()
		after = true
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if after || !n.Down() {
		t.Fatalf("after=%v down=%v", after, n.Down())
	}
}

func TestRecordAddsFactWithTimeAndNode(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("relay").Env()
	env.Go("m", func() {
		env.Sleep(1500 * time.Millisecond)
		env.Record("Forward", model.NewPub("C"), model.NewFresh("n"))
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	f := s.Trace().Facts()
	if len(f) != 1 || f[0].Node != "relay" || f[0].At != 1500*time.Millisecond || f[0].String() != "1.5s relay fact Forward($C, ~n)" {
		t.Fatalf("facts = %v", f)
	}
}

func TestNodeRandIsIndependentOfOtherNodes(t *testing.T) {
	read := func(extra bool) []byte {
		s := New(Config{Seed: 42})
		if extra {
			s.AddNode("zzz")
		}
		a := s.AddNode("a")
		if extra {
			s.AddNode("b")
		}
		b := make([]byte, 64)
		io.ReadFull(a.Env().Rand(), b)
		return b
	}
	if !bytes.Equal(read(false), read(true)) {
		t.Fatal("adding nodes changed another node's random stream")
	}
	s := New(Config{Seed: 43})
	other := make([]byte, 64)
	io.ReadFull(s.AddNode("a").Env().Rand(), other)
	if bytes.Equal(read(false), other) {
		t.Fatal("different seeds gave the same stream")
	}
}

func TestRandReaderDoesNotDependOnReadSizes(t *testing.T) {
	s := New(Config{Seed: 7})
	whole := make([]byte, 37)
	io.ReadFull(s.AddNode("a").Env().Rand(), whole)
	s2 := New(Config{Seed: 7})
	r := s2.AddNode("a").Env().Rand()
	var parts []byte
	for _, k := range []int{3, 1, 9, 8, 16} {
		b := make([]byte, k)
		io.ReadFull(r, b)
		parts = append(parts, b...)
	}
	if !bytes.Equal(whole, parts) {
		t.Fatal("split reads differ from one read")
	}
}

func TestEnvWithoutDNSOrDiskSetUp(t *testing.T) {
	env := New(Config{}).AddNode("a").Env()
	// Dial and Listen are simulated streams (stream_test.go); a lookup in
	// a run without DNS says so (resolver_test.go).
	var de *net.DNSError
	if _, err := env.Resolver().LookupHost(context.Background(), "x"); !errors.Is(err, ErrNoDNS) || !errors.As(err, &de) || de.Name != "x" {
		t.Fatalf("LookupHost: %v", err)
	}
	// Every node has a disk now (a MemDisk, see disk_env_test.go).
	if _, err := env.Disk().ReadFile("x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile: %v", err)
	}
}

func TestCancellingParentCancelsEveryChild(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	var errs []error
	env.Go("m", func() {
		parent, cancel := env.WithTimeout(context.Background(), time.Hour)
		var kids []context.Context
		for range 5 {
			k, c := env.WithTimeout(parent, time.Hour)
			defer c()
			kids = append(kids, k)
		}
		cancel()
		for _, k := range kids {
			errs = append(errs, k.Err())
		}
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("child %d: %v", i, err)
		}
	}
}

func TestRunLeavesNoCoroutinesBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(Config{Seed: 1, Limit: time.Second})
	for i := range 100 {
		env := s.AddNode("n" + strconv.Itoa(i)).Env()
		env.Go("short", func() { env.Sleep(time.Millisecond) }) // returns: pooled
		env.Go("stuck", func() { env.NewNotifier().Wait(context.Background()) })
		env.Go("looping", func() {
			for {
				env.Sleep(100 * time.Millisecond)
			}
		})
	}
	rep, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Blocked) != 200 {
		t.Fatalf("%d blocked, want 200", len(rep.Blocked))
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before the run, %d after", before, after)
	}
}
