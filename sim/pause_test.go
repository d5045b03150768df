package sim

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
)

// TestPauseHoldsTasksAndMessagesUntilResume: while paused a node runs no
// task and handles no message; on resume its late timers fire and the
// messages kept meanwhile are delivered, in order.
func TestPauseHoldsTasksAndMessagesUntilResume(t *testing.T) {
	s := New(Config{Seed: 1})
	a, b := s.AddNode("a"), s.AddNode("b")
	var ticks, got []string
	b.Bind(9, func(src netip.AddrPort, data []byte) {
		got = append(got, string(data)+"@"+s.Now().String())
	})
	b.Go("ticker", func() {
		for range 5 {
			b.Env().Sleep(time.Second)
			ticks = append(ticks, s.Now().String())
		}
	})
	for i, at := range []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 2 * time.Second} {
		s.At(at, func() { a.Send(1000, addrPort(b, 9), []byte{'m', byte('0' + i)}) })
	}
	p := mustPlan(t, `{"faults": [{"at": "1200ms", "kind": "pause", "node": "b", "for": "1800ms"}]}`)
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	// The ticker's 2s wakeup waits for the resume at 3s; later ones count
	// from there.
	if g, w := strings.Join(ticks, " "), "1s 3s 4s 5s 6s"; g != w {
		t.Errorf("ticks %s, want %s", g, w)
	}
	if g, w := strings.Join(got, " "), "m0@501ms m1@3s m2@3s"; g != w {
		t.Errorf("deliveries %s, want %s", g, w)
	}
	if n := count(s.Trace(), model.Hold, ""); n != 2 {
		t.Errorf("%d hold events, want 2", n)
	}
}

// TestPausedServerAnswersLate: an HTTP request to a paused server is
// answered after the resume if the client waits long enough.
func TestPausedServerAnswersLate(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		want    string
	}{{3 * time.Second, "200 at 2.001s"}, {500 * time.Millisecond, "context deadline exceeded"}} {
		s := New(Config{Seed: 1})
		srv, cl := s.AddNode("srv"), s.AddNode("cl")
		srv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		var got string
		cl.Go("get", func() {
			ctx, cancel := cl.Env().WithTimeout(context.Background(), c.timeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://srv/", nil)
			resp, err := (&http.Client{Transport: cl.Env().Transport()}).Do(req)
			if err != nil {
				got = err.Error()
				return
			}
			resp.Body.Close()
			got = resp.Status[:3] + " at " + s.Now().String()
		})
		srv.Pause()
		s.At(2*time.Second, srv.Resume)
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("timeout %v: %s, want %s", c.timeout, got, c.want)
		}
	}
}

// TestCrashEndsAPause: a crash drops what a paused node kept, and the node
// restarts unpaused.
func TestCrashEndsAPause(t *testing.T) {
	s := New(Config{Seed: 1})
	a, b := s.AddNode("a"), s.AddNode("b")
	delivered := 0
	b.Bind(9, func(netip.AddrPort, []byte) { delivered++ })
	b.Pause()
	a.Send(1000, addrPort(b, 9), []byte("x"))
	s.At(time.Second, b.Crash)
	s.At(2*time.Second, func() { b.Restart(nil) })
	s.At(3*time.Second, func() { a.Send(1000, addrPort(b, 9), []byte("y")) })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if delivered != 1 || b.Paused() || count(s.Trace(), model.Drop, ReasonCrash) != 1 {
		t.Fatalf("delivered %d, paused %v, crash drops %d", delivered, b.Paused(), count(s.Trace(), model.Drop, ReasonCrash))
	}
}
