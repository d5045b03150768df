package sim

// Deadlines of simulated streams fire at exact virtual instants.

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// TestStreamReadDeadline checks that a blocked Read returns exactly at its
// virtual deadline, that a deadline moved while blocked takes effect, and
// that a cleared one lets the Read wait for data.
func TestStreamReadDeadline(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{})
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		srv.Env().Sleep(5 * time.Second)
		c.Write([]byte("late"))
		srv.Env().Sleep(time.Second)
		c.Close()
	})
	type result struct {
		at  time.Duration
		n   int
		err error
	}
	var res []result
	cli.Go("client", func() {
		env := cli.Env()
		c, err := env.Dial(context.Background(), "tcp", "server:9")
		if err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, 16)
		read := func() {
			n, err := c.Read(buf)
			res = append(res, result{s.Now(), n, err})
		}
		// 1. A plain deadline.
		c.SetReadDeadline(env.Now().Add(250 * ms))
		read()
		// 2. Extended while blocked, from another task.
		c.SetReadDeadline(env.Now().Add(100 * ms))
		env.Go("extender", func() {
			env.Sleep(50 * ms)
			c.SetReadDeadline(env.Now().Add(400 * ms))
		})
		read()
		// 3. Moved into the past while blocked: fails at once.
		c.SetReadDeadline(at(2 * time.Second))
		env.Go("shortener", func() {
			env.Sleep(10 * ms)
			c.SetReadDeadline(at(500 * ms))
		})
		read()
		// 4. Cleared while blocked: the data at 5s arrives.
		c.SetReadDeadline(at(3 * time.Second))
		env.Go("clearer", func() {
			env.Sleep(ms)
			c.SetReadDeadline(time.Time{})
		})
		read()
		c.Close()
	})
	runSim(t, s)
	if len(res) != 4 {
		t.Fatalf("results %v", res)
	}
	hs := 2 * ms // the handshake
	for i, want := range []time.Duration{hs + 250*ms, hs + 250*ms + 50*ms + 400*ms} {
		r := res[i]
		var ne net.Error
		if r.at != want || !errors.As(r.err, &ne) || !ne.Timeout() || !errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Fatalf("read %d: at %v err %v, want timeout at %v", i+1, r.at, r.err, want)
		}
	}
	if r := res[2]; r.at != res[1].at+10*ms || !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read 3: %v", r)
	}
	if r := res[3]; r.err != nil || string([]byte("late")[:r.n]) != "late" || r.at != 5*time.Second+4*ms { // accepted at 3ms, written 5s later
		t.Fatalf("read 4: %+v", r)
	}
}

// TestStreamWriteDeadline fills both buffers of a peer that does not read:
// Write blocks and fails exactly at its deadline, having queued part.
func TestStreamWriteDeadline(t *testing.T) {
	cfg := StreamConfig{SendBuffer: 8 << 10, RecvBuffer: 4 << 10}
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, cfg)
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		srv.Env().Sleep(time.Minute)
		c.Close()
	})
	var n int
	var err error
	var when time.Duration
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		c.SetWriteDeadline(env.Now().Add(3 * time.Second))
		n, err = c.Write(make([]byte, 100<<10))
		when = s.Now()
		c.Close()
	})
	runSim(t, s)
	if when != 2*ms+3*time.Second || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write returned at %v with %v", when, err)
	}
	// The receive window and the send buffer hold what was accepted.
	if n != 12<<10 {
		t.Fatalf("wrote %d bytes before the deadline, want %d", n, 12<<10)
	}
}

func TestStreamAcceptDeadline(t *testing.T) {
	s, _, srv := streamWorld(t, 1, link.Default, StreamConfig{})
	var err error
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		ln.SetDeadline(at(700 * ms))
		_, err = ln.Accept()
		if s.Now() != 700*ms {
			t.Errorf("Accept returned at %v", s.Now())
		}
	})
	runSim(t, s)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
}

// TestStreamDeadlineOnSkewedClock: a deadline is read on the node's clock,
// so an hour-fast clock still times out 300ms from now (drift as Sleep).
func TestStreamDeadlineOnSkewedClock(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{})
	if err := cli.SetClock(Clock{Offset: time.Hour}); err != nil {
		t.Fatal(err)
	}
	srv.Go("server", func() {
		c, _ := listen(t, srv.Env(), ":9").Accept()
		srv.Env().Sleep(time.Second)
		c.Close()
	})
	var when time.Duration
	var err error
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		c.SetReadDeadline(env.Now().Add(300 * ms))
		_, err = c.Read(make([]byte, 1))
		when = s.Now()
	})
	runSim(t, s)
	if !errors.Is(err, os.ErrDeadlineExceeded) || when != 2*ms+300*ms {
		t.Fatalf("%v at %v", err, when)
	}
}
