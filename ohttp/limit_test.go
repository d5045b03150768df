package ohttp

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// TestLimitBodiesCutsStalledBodies is the slow-client attack on a real
// server: many connections each declare just under the request size limit,
// send part of it and stall. At most MaxInFlight bodies are buffered, the
// rest are refused at once with 503, the buffered ones are cut with 408 at
// BodyTimeout, every connection is closed, and the heap never holds the
// bodies the clients only promised.
func TestLimitBodiesCutsStalledBodies(t *testing.T) {
	const (
		conns    = 24
		inFlight = 4
		sent     = 128 << 10
		timeout  = 600 * time.Millisecond
	)
	relay := &Relay{GatewayURL: "http://gateway.invalid/", Transport: failingTransport{}}
	lim := LimitBodies(env.Real("relay"), BodyLimits{MaxInFlight: inFlight, BodyTimeout: timeout}, relay).(*bodyLimiter)
	srv := httptest.NewServer(lim)
	defer srv.Close()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	head := "POST / HTTP/1.1\r\nHost: relay\r\nContent-Type: " + MediaTypeRequest +
		"\r\nContent-Length: " + strconv.Itoa(defaultMaxRequest-1) + "\r\n\r\n"
	part := bytes.Repeat([]byte{0xa5}, sent)
	type result struct {
		status  string
		elapsed time.Duration
		closed  bool
	}
	results := make([]result, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(append([]byte(head), part...)); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(time.Now().Add(timeout + 20*time.Second))
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			results[i].elapsed = time.Since(start)
			if err != nil {
				return
			}
			results[i].status = strings.TrimSpace(line)
			// Then the server must close the connection.
			for {
				if _, err := br.ReadByte(); err != nil {
					results[i].closed = !errors.Is(err, net.ErrClosed) && !isTimeout(err)
					return
				}
			}
		}()
	}
	// While the bodies stall, the limiter holds at most inFlight of them
	// and the heap holds what was sent to those, not what was declared.
	var peak uint64
	for time.Since(start) < timeout/2 {
		if n := lim.InFlight(); n > inFlight {
			t.Fatalf("%d bodies in flight, cap %d", n, inFlight)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > before.HeapAlloc {
			peak = max(peak, m.HeapAlloc-before.HeapAlloc)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("heap peak while stalled: +%d bytes", peak)

	// Declared bodies would be conns × 1 MiB; the bound is the cap times
	// what each client actually sent, with room for buffers.
	if limit := uint64(inFlight*sent + 2<<20); peak > limit {
		t.Errorf("heap grew by %d bytes while bodies stalled, want under %d", peak, limit)
	}
	var refused, cut int
	for i, r := range results {
		switch {
		case strings.HasPrefix(r.status, "HTTP/1.1 503"):
			refused++
		case strings.HasPrefix(r.status, "HTTP/1.1 408"):
			cut++
			if r.elapsed < timeout*9/10 {
				t.Errorf("connection %d cut after %v, before the %v timeout", i, r.elapsed, timeout)
			}
		default:
			t.Errorf("connection %d: status %q after %v", i, r.status, r.elapsed)
		}
		if !r.closed {
			t.Errorf("connection %d (%q) was not closed by the server", i, r.status)
		}
	}
	if cut != inFlight || refused != conns-inFlight {
		t.Errorf("%d cut at the timeout and %d refused, want %d and %d", cut, refused, inFlight, conns-inFlight)
	}
	if n := lim.InFlight(); n != 0 {
		t.Errorf("%d requests still counted in flight", n)
	}
}

// A body that arrives in time is served, and a key fetch (no body) is never
// counted against the cap.
func TestLimitBodiesPassesCompleteRequests(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	lim := LimitBodies(env.Real("gateway"), BodyLimits{MaxInFlight: 1, BodyTimeout: time.Minute}, w.gateway).(*bodyLimiter)
	w.net.hosts[gatewayHost] = lim
	for range 3 {
		if resp, body := w.get(t, "https://"+targetHost+"/x"); resp.StatusCode != 200 {
			t.Fatalf("status %d %q", resp.StatusCode, body)
		}
	}
	if lim.InFlight() != 0 {
		t.Fatalf("in flight %d after the requests ended", lim.InFlight())
	}
}

// A simulated body arrives whole, so nothing blocks; a read that ends past
// the deadline on the Env's clock still fails as a timeout.
func TestDeadlineBodyChecksTheEnvClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	b := &deadlineBody{body: slowBody{clock: clock, step: time.Second}, now: clock.Now, deadline: clock.Now().Add(2500 * time.Millisecond)}
	buf := make([]byte, 1)
	for i := range 2 {
		if _, err := b.Read(buf); err != nil {
			t.Fatalf("read %d before the deadline: %v", i, err)
		}
	}
	if _, err := b.Read(buf); !isTimeout(err) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
}

// slowBody advances a clock by step on every read.
type slowBody struct {
	clock *fakeClock
	step  time.Duration
}

func (s slowBody) Read(p []byte) (int, error) { s.clock.Advance(s.step); return len(p), nil }
func (slowBody) Close() error                 { return nil }

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no gateway here")
}
