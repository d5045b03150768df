package sim

// Tests written to kill mutants that the rest of the suite let live: the
// Date a hosted handler's response carries is the serving node's clock,
// never the wall clock or the kernel's clock, and it moves with it.

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// Responses served at 2.5s and 61s of virtual time by a node whose clock
// runs an hour and a half ahead carry that node's time, to the second; a
// handler's own Date is kept. Kills: Date from the wall clock; from the
// kernel's clock (ignoring the node's offset); the cached Date string
// never refreshed after the first second.
func TestHostedHandlerDateIsTheNodesClock(t *testing.T) {
	s := New(Config{Seed: 1})
	srv, cli := s.AddNode("server"), s.AddNode("client")
	if err := srv.SetClock(Clock{Offset: 90 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	srv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			w.Header().Set("Date", "Mon, 02 Feb 2026 02:02:02 GMT")
		}
		io.WriteString(w, "x")
	}))
	var dates []string
	cli.Go("client", func() {
		env := cli.Env()
		for _, step := range []struct {
			at   time.Duration
			path string
		}{{2500 * time.Millisecond, "/"}, {2900 * time.Millisecond, "/"}, {61 * time.Second, "/"}, {62 * time.Second, "/own"}} {
			env.Sleep(step.at - s.Now())
			req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://server"+step.path, nil)
			resp, err := env.Transport().RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			dates = append(dates, resp.Header.Get("Date"))
		}
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Thu, 01 Jan 2026 01:30:02 GMT",
		"Thu, 01 Jan 2026 01:30:02 GMT",
		"Thu, 01 Jan 2026 01:31:01 GMT",
		"Mon, 02 Feb 2026 02:02:02 GMT",
	}
	if len(dates) != len(want) {
		t.Fatalf("dates %v", dates)
	}
	for i := range want {
		if dates[i] != want[i] {
			t.Fatalf("Date headers %q, want %q", dates, want)
		}
	}
}
