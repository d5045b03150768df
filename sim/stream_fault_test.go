package sim

// Simulated streams under crashes, partitions, pauses and closed windows.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
)

// TestStreamResetAfterPeerCrash: the server crashes and restarts; the
// client's next exchange reaches a port with no connection and is reset.
func TestStreamResetAfterPeerCrash(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{})
	accepted := 0
	srv.Start(func(env env.Env) {
		ln := listen(t, env, ":9")
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted++
			env.Go("echo", func() { io.Copy(c, c); c.Close() })
		}
	})
	s.At(100*ms, srv.Crash)
	s.At(300*ms, func() { srv.Restart(nil) })
	var first, readErr, again error
	var resetAt time.Duration
	cli.Go("client", func() {
		env := cli.Env()
		c, err := env.Dial(context.Background(), "tcp", "server:9")
		if err != nil {
			t.Error(err)
			return
		}
		_, first = c.Write([]byte("before"))
		c.Read(make([]byte, 6))
		env.Sleep(time.Second) // the server crashed and came back meanwhile
		c.Write([]byte("after"))
		_, readErr = c.Read(make([]byte, 5))
		resetAt = s.Now()
		// The restarted server accepts new connections.
		c2, err := env.Dial(context.Background(), "tcp", "server:9")
		if err == nil {
			_, again = c2.Write([]byte("x"))
			c2.Close()
		} else {
			again = err
		}
	})
	runSim(t, s)
	if first != nil || again != nil {
		t.Fatalf("write before crash %v, after restart %v", first, again)
	}
	wantErrno(t, readErr, "read", syscall.ECONNRESET)
	// The echo came back at 4ms; after the sleep one round trip.
	if resetAt != time.Second+6*ms {
		t.Fatalf("reset seen at %v, want one round trip after the write", resetAt)
	}
	if accepted != 2 {
		t.Fatalf("accepted %d connections, want 2", accepted)
	}
}

// TestStreamTimeoutUnderPartition: with the peer unreachable for good, the
// retransmissions back off exponentially and the connection fails with
// ETIMEDOUT exactly when the bound is spent.
func TestStreamTimeoutUnderPartition(t *testing.T) {
	cfg := StreamConfig{RTOMin: 100 * ms, RTOMax: time.Second, MaxRetries: 5}
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, cfg)
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":9")
		c, _ := ln.Accept()
		io.Copy(io.Discard, c)
	})
	s.At(50*ms, func() { s.Net().Partition([]string{"client"}, []string{"server"}) })
	var werr, rerr error
	var failedAt time.Duration
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		env.Sleep(100 * ms)
		_, werr = c.Write([]byte("into the void"))
		_, rerr = c.Read(make([]byte, 1))
		failedAt = s.Now()
	})
	runSim(t, s)
	if werr != nil {
		t.Fatalf("write: %v", werr)
	}
	wantErrno(t, rerr, "read", syscall.ETIMEDOUT)
	// Sent at 102ms; timeouts of 100, 200, 400, 800, 1000, 1000ms.
	want := 2*ms + 100*ms + (100+200+400+800+1000+1000)*ms
	if failedAt != want {
		t.Fatalf("timed out at %v, want %v", failedAt, want)
	}
	var ne net.Error
	if !errors.As(rerr, &ne) || !ne.Timeout() {
		t.Fatalf("ETIMEDOUT should be a timeout: %v", rerr)
	}
}

// TestStreamUserTimeout bounds the total wait instead of the count.
func TestStreamUserTimeout(t *testing.T) {
	cfg := StreamConfig{RTOMin: 100 * ms, RTOMax: time.Second, MaxRetries: 100, UserTimeout: 2 * time.Second}
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, cfg)
	srv.Go("server", func() {
		c, _ := listen(t, srv.Env(), ":9").Accept()
		io.Copy(io.Discard, c)
	})
	var rerr error
	var failedAt time.Duration
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		srv.Crash()
		c.Write([]byte("x"))
		_, rerr = c.Read(make([]byte, 1))
		failedAt = s.Now()
	})
	runSim(t, s)
	wantErrno(t, rerr, "read", syscall.ETIMEDOUT)
	// The timer is clamped to fire when the bound runs out.
	if want := 2*ms + 2*time.Second; failedAt != want {
		t.Fatalf("timed out at %v, want %v", failedAt, want)
	}
}

// TestStreamDialTimesOut: SYNs to a crashed node go unanswered; Dial
// fails after the SYN retries, or at the context's deadline.
func TestStreamDialTimesOut(t *testing.T) {
	cfg := StreamConfig{RTOInitial: 100 * ms, SynRetries: 3}
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, cfg)
	srv.Crash()
	var err1, err2 error
	var at1, at2 time.Duration
	cli.Go("client", func() {
		env := cli.Env()
		_, err1 = env.Dial(context.Background(), "tcp", "server:9")
		at1 = s.Now()
		ctx, cancel := env.WithTimeout(context.Background(), 250*ms)
		defer cancel()
		_, err2 = env.Dial(ctx, "tcp", "192.0.2.1:9") // nobody's address
		at2 = s.Now()
	})
	runSim(t, s)
	wantErrno(t, err1, "dial", syscall.ETIMEDOUT)
	if at1 != (100+200+400+800)*ms {
		t.Fatalf("SYN retries ran out at %v", at1)
	}
	if !errors.Is(err2, context.DeadlineExceeded) || at2 != at1+250*ms {
		t.Fatalf("dial with deadline: %v at %v", err2, at2)
	}
	if len(cli.ports) != 0 {
		t.Fatalf("ports left bound: %v", cli.ports)
	}
}

// TestStreamZeroWindowProbe: a reader that pauses for a long time closes
// the window; the writer probes and resumes once the reader drains it,
// even if the window update is lost.
func TestStreamZeroWindowProbe(t *testing.T) {
	cfg := StreamConfig{SendBuffer: 4 << 10, RecvBuffer: 4 << 10, RTOMin: 50 * ms, MaxRetries: 3}
	s, cli, srv := streamWorld(t, 3, link.Params{Latency: link.Fixed(ms)}, cfg)
	msg := bytes.Repeat([]byte("z"), 64<<10)
	var got []byte
	srv.Go("server", func() {
		env := srv.Env()
		c, _ := listen(t, env, ":9").Accept()
		env.Sleep(20 * time.Second) // far beyond MaxRetries × RTO: probes are answered
		got, _ = io.ReadAll(c)
	})
	// Lose everything from the server for a moment after it starts reading.
	s.At(20*time.Second, func() { s.Net().SetLink("server", "client", link.Params{Latency: link.Fixed(ms), Loss: 1}) })
	s.At(20*time.Second+300*ms, func() { s.Net().SetLink("server", "client", link.Params{Latency: link.Fixed(ms)}) })
	cli.Go("client", func() {
		c, _ := cli.Env().Dial(context.Background(), "tcp", "server:9")
		if _, err := c.Write(msg); err != nil {
			t.Error(err)
		}
		c.Close()
	})
	runSim(t, s)
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %d bytes of %d", len(got), len(msg))
	}
}

// TestStreamPausedPeer: a paused node's stack is frozen with it — it sends
// nothing while paused — and the transfer completes after Resume.
func TestStreamPausedPeer(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(ms)}, StreamConfig{RecvBuffer: 8 << 10})
	msg := bytes.Repeat([]byte("p"), 200<<10)
	var got []byte
	srv.Go("server", func() {
		c, _ := listen(t, srv.Env(), ":9").Accept()
		got, _ = io.ReadAll(c)
		c.Close()
	})
	cli.Go("client", func() {
		c, _ := cli.Env().Dial(context.Background(), "tcp", "server:9")
		c.Write(msg)
		c.Close()
	})
	s.At(20*ms, srv.Pause)
	s.At(3*time.Second, srv.Resume)
	runSim(t, s)
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %d of %d bytes", len(got), len(msg))
	}
	for _, e := range s.Trace().Events {
		if e.Kind == model.Send && e.Node == "server" && e.At > 20*ms && e.At < 3*time.Second {
			t.Fatalf("the paused server sent %s at %v", e.Name, e.At)
		}
	}
}

// TestStreamCrashSilencesTheStack: a node that crashes mid-transfer sends
// nothing more for its old connections — not while down, not after its
// restart — and the peer's retransmissions after the restart are reset.
func TestStreamCrashSilencesTheStack(t *testing.T) {
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(5 * ms), Bandwidth: 1 << 20}, StreamConfig{})
	srv.Start(func(env env.Env) {
		ln := listen(t, env, ":9")
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write(make([]byte, 1<<20)) // a second on the wire
		c.Close()
	})
	s.At(300*ms, srv.Crash)
	s.At(2*time.Second, func() { srv.Restart(nil) })
	var err error
	var n int64
	cli.Go("client", func() {
		env := cli.Env()
		c, _ := env.Dial(context.Background(), "tcp", "server:9")
		env.Go("pinger", func() {
			env.Sleep(2500 * ms) // after the restart
			c.Write([]byte("ping"))
		})
		n, err = io.Copy(io.Discard, c)
	})
	runSim(t, s)
	wantErrno(t, err, "read", syscall.ECONNRESET)
	if n == 0 || n >= 1<<20 {
		t.Fatalf("read %d bytes before the reset", n)
	}
	for _, e := range s.Trace().Events {
		if e.Kind == model.Send && e.Node == "server" && e.At >= 300*ms && e.Name != "tcp/RST" && e.Name != "tcp/RST,ACK" {
			t.Fatalf("the crashed server sent %s at %v", e.Name, e.At)
		}
	}
}
