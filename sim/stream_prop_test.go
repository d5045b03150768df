package sim

// Property tests of simulated streams: whatever the link does short of
// failing for good — loss, duplication, reordering, latency tails,
// capacity, partitions, clogs and holds that end — both directions of a
// connection deliver exactly the bytes written, in order, then EOF.

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
	"pgregory.net/rapid"
)

// drawStreamLink draws a link that loses, duplicates and reorders.
func drawStreamLink(t *rapid.T) link.Params {
	p := link.Params{Latency: drawDist(t)}
	p.Loss = rapid.Float64Range(0, 0.3).Draw(t, "loss")
	p.Dup = rapid.Float64Range(0, 0.3).Draw(t, "dup")
	if rapid.Bool().Draw(t, "reorder") {
		p.Reorder = rapid.Float64Range(0, 1).Draw(t, "reorderP")
		p.ReorderDelay = time.Duration(rapid.Int64Range(0, int64(100*ms)).Draw(t, "reorderDelay"))
	}
	if rapid.Bool().Draw(t, "capacity") {
		p.Bandwidth = rapid.Int64Range(20_000, 10_000_000).Draw(t, "bandwidth")
	}
	return p
}

// drawStreamConfig draws segment and buffer sizes small enough that
// windows fill and segments split writes at every boundary.
func drawStreamConfig(t *rapid.T) StreamConfig {
	return StreamConfig{
		MSS:        rapid.IntRange(1, 1460).Draw(t, "mss"),
		SendBuffer: rapid.IntRange(1, 64<<10).Draw(t, "sendBuffer"),
		RecvBuffer: rapid.IntRange(1, 64<<10).Draw(t, "recvBuffer"),
		// The link is up: give the retransmissions room to get through.
		RTOMin:     10 * ms,
		RTOMax:     2 * time.Second,
		MaxRetries: 60,
		SynRetries: 60,
	}
}

// drawPayload draws the sizes of successive writes and fills them with
// bytes from a seeded generator, so a swapped, lost or doubled segment
// shows.
func drawPayload(t *rapid.T, label string) [][]byte {
	sizes := rapid.SliceOfN(rapid.IntRange(0, 6000), 0, 25).Draw(t, label)
	r := rand.New(rand.NewPCG(uint64(len(sizes)), 7))
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, n)
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
	}
	return out
}

// pump writes the chunks to c from a task of its own, then shuts the write
// side, while the calling task reads to EOF with reads of readSize; it
// returns when both are done.
func pump(env env.Env, c net.Conn, chunks [][]byte, readSize int) (got []byte, rerr, werr error) {
	done := false
	wrote := env.NewNotifier()
	env.Go("writer", func() {
		defer func() { done = true; wrote.Notify() }()
		for _, p := range chunks {
			if _, err := c.Write(p); err != nil {
				werr = err
				return
			}
		}
		werr = c.(*Conn).CloseWrite()
	})
	buf := make([]byte, readSize)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
	}
	for !done {
		wrote.Wait(context.Background())
	}
	return got, rerr, werr
}

func TestPropStreamDeliversBytesInOrderExactlyOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := New(Config{Seed: rapid.Uint64().Draw(t, "seed"), Limit: 24 * time.Hour})
		cli, srv := s.AddNode("client"), s.AddNode("server")
		if err := s.Net().SetDefault(drawStreamLink(t)); err != nil {
			t.Fatal(err)
		}
		if err := s.Net().SetStreamConfig(drawStreamConfig(t)); err != nil {
			t.Fatal(err)
		}
		// Outages that end: a partition, a clog and a hold, each drawn.
		if rapid.Bool().Draw(t, "partition") {
			from := time.Duration(rapid.Int64Range(0, int64(2*time.Second)).Draw(t, "cutAt"))
			span := time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "cutFor"))
			s.At(from, func() { s.Net().Partition([]string{"client"}, []string{"server"}) })
			s.At(from+span, s.Net().Heal)
		}
		if rapid.Bool().Draw(t, "clog") {
			from := time.Duration(rapid.Int64Range(0, int64(2*time.Second)).Draw(t, "clogAt"))
			span := time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "clogFor"))
			s.At(from, func() { s.Net().Clog("server", "client") })
			s.At(from+span, func() { s.Net().Unclog("server", "client") })
		}
		if rapid.Bool().Draw(t, "hold") {
			from := time.Duration(rapid.Int64Range(0, int64(2*time.Second)).Draw(t, "holdAt"))
			span := time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "holdFor"))
			s.At(from, func() { s.Net().Hold("client", "server") })
			s.At(from+span, func() { s.Net().Release("client", "server") })
		}
		up := drawPayload(t, "up")
		down := drawPayload(t, "down")
		cliRead := rapid.IntRange(1, 9000).Draw(t, "clientReadSize")
		srvRead := rapid.IntRange(1, 9000).Draw(t, "serverReadSize")

		var gotUp, gotDown []byte
		var errs []error
		srv.Go("server", func() {
			ln, err := srv.Env().Listen("tcp", ":9")
			if err != nil {
				errs = append(errs, err)
				return
			}
			c, err := ln.Accept()
			ln.Close()
			if err != nil {
				errs = append(errs, err)
				return
			}
			var rerr, werr error
			gotUp, rerr, werr = pump(srv.Env(), c, down, srvRead)
			errs = append(errs, rerr, werr, c.Close())
		})
		cli.Go("client", func() {
			c, err := cli.Env().Dial(context.Background(), "tcp", "server:9")
			if err != nil {
				errs = append(errs, err)
				return
			}
			var rerr, werr error
			gotDown, rerr, werr = pump(cli.Env(), c, up, cliRead)
			errs = append(errs, rerr, werr, c.Close())
		})
		rep, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatalf("stream error: %v", err)
			}
		}
		if want := bytes.Join(up, nil); !bytes.Equal(gotUp, want) {
			t.Fatalf("client→server: got %d bytes, want %d (first difference at %d)", len(gotUp), len(want), firstDiff(gotUp, want))
		}
		if want := bytes.Join(down, nil); !bytes.Equal(gotDown, want) {
			t.Fatalf("server→client: got %d bytes, want %d (first difference at %d)", len(gotDown), len(want), firstDiff(gotDown, want))
		}
		if len(rep.Blocked) != 0 {
			t.Fatalf("tasks still blocked: %v", rep.Blocked)
		}
		// Both connections finished and gave their ports back.
		if len(cli.ports) != 0 || len(srv.ports) != 0 {
			t.Fatalf("ports still bound: client %v server %v", cli.ports, srv.ports)
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
