package sim

// Tests of address-family outages: one family down on a node or a link
// while the other works, from plans and from the API, and healing.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
	"github.com/edgelab/edgelab/sim/plan"
)

// familyWorld is a client and a server whose server accepts streams on
// port 25 of both families and serves HTTP on port 80.
func familyWorld(t *testing.T) (*Sim, *Node, *Node) {
	t.Helper()
	s, cli, srv := streamWorld(t, 1, link.Params{Latency: link.Fixed(5 * ms)}, StreamConfig{})
	srv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	srv.Go("smtp", func() {
		ln := listen(t, srv.Env(), ":25")
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	return s, cli, srv
}

// dialEach dials the server's IPv4 and IPv6 address at time at, each with
// a 2s deadline, and records the outcomes under name.
func dialEach(s *Sim, cli *Node, at time.Duration, name string, out map[string]error) {
	s.At(at, func() {
		for _, a := range []string{"10.0.0.2:25", "[fd00::2]:25"} {
			cli.Go("dial", func() {
				ctx, cancel := cli.Env().WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				c, err := cli.Env().Dial(ctx, "tcp", a)
				if err == nil {
					c.Close()
				}
				out[name+" "+a] = err
			})
		}
	})
}

func TestFamilyDownOnAServerNodeFromAPlan(t *testing.T) {
	for _, tc := range []struct {
		family       link.Family
		down, up     string
		wantDownDrop bool
	}{
		{link.IPv6, "[fd00::2]:25", "10.0.0.2:25", true},
		{link.IPv4, "10.0.0.2:25", "[fd00::2]:25", true},
	} {
		t.Run(string(tc.family), func(t *testing.T) {
			s, cli, _ := familyWorld(t)
			p, err := plan.Parse([]byte(`{"faults": [{"at": "0s", "kind": "family_down", "family": "` + string(tc.family) + `", "node": "server", "for": "5s"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(p); err != nil {
				t.Fatal(err)
			}
			got := map[string]error{}
			dialEach(s, cli, 100*ms, "during", got)
			dialEach(s, cli, 6*time.Second, "after", got)
			runSim(t, s)
			if err := got["during "+tc.down]; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("dial %s during the outage: %v, want a timeout", tc.down, err)
			}
			for _, k := range []string{"during " + tc.up, "after " + tc.up, "after " + tc.down} {
				if err, ok := got[k]; !ok || err != nil {
					t.Errorf("dial %s: %v (ran %v)", k, err, ok)
				}
			}
			drops := 0
			for _, e := range s.Trace().Events {
				if e.Kind == model.Drop && e.Attrs["reason"] == ReasonFamily {
					drops++
				}
			}
			if drops == 0 {
				t.Error("no message dropped for the outage")
			}
		})
	}
}

func TestFamilyDownOnTheDialingNode(t *testing.T) {
	s, cli, _ := familyWorld(t)
	if _, err := s.Net().NodeFamilyDown("client", link.IPv6); err != nil {
		t.Fatal(err)
	}
	got := map[string]error{}
	dialEach(s, cli, 0, "during", got)
	var get6, get4 error
	var body4 string
	cli.Go("c", func() {
		env := cli.Env()
		ctx, cancel := env.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://[fd00::2]/", nil)
		_, get6 = env.Transport().RoundTrip(req)
		req, _ = http.NewRequest("GET", "http://server/", nil)
		resp, err := env.Transport().RoundTrip(req)
		if get4 = err; err == nil {
			b, _ := io.ReadAll(resp.Body)
			body4 = string(b)
		}
	})
	runSim(t, s)
	if !errors.Is(got["during [fd00::2]:25"], context.DeadlineExceeded) || !errors.Is(get6, context.DeadlineExceeded) {
		t.Fatalf("IPv6 dial %v, GET %v: want timeouts", got["during [fd00::2]:25"], get6)
	}
	if got["during 10.0.0.2:25"] != nil || get4 != nil || body4 != "hi" {
		t.Fatalf("IPv4 dial %v, GET %v %q", got["during 10.0.0.2:25"], get4, body4)
	}
}

func TestFamilyDownOneWayOnALinkAndHeal(t *testing.T) {
	s, cli, srv := familyWorld(t)
	var o Outage
	s.At(0, func() {
		var err error
		if o, err = s.Net().FamilyDown(link.IPv4, []string{"client"}, []string{"server"}, true); err != nil {
			t.Error(err)
		}
	})
	got := map[string]error{}
	dialEach(s, cli, 100*ms, "during", got)
	// The other direction still carries IPv4: the server reaches the
	// client's port (nothing listens, so the dial is refused, not lost).
	var back error
	s.At(100*ms, func() {
		srv.Go("back", func() { _, back = srv.Env().Dial(context.Background(), "tcp4", "client:9") })
	})
	s.At(3*time.Second, func() { s.Net().FamilyUp(o) })
	dialEach(s, cli, 4*time.Second, "after", got)
	runSim(t, s)
	if !errors.Is(got["during 10.0.0.2:25"], context.DeadlineExceeded) || got["during [fd00::2]:25"] != nil {
		t.Fatalf("during: %v", got)
	}
	if got["after 10.0.0.2:25"] != nil || got["after [fd00::2]:25"] != nil {
		t.Fatalf("after FamilyUp: %v", got)
	}
	wantErrno(t, back, "dial", syscall.ECONNREFUSED)

	// Heal ends every outage, and a second FamilyUp does nothing.
	nw := s.Net()
	nw.NodeFamilyDown("server", link.IPv6)
	nw.FamilyDown(link.IPv4, []string{"client"}, []string{"server"}, false)
	nw.Heal()
	if len(nw.famOut) != 0 {
		t.Fatalf("%d outages after Heal", len(nw.famOut))
	}
	nw.FamilyUp(o)
}

func TestFamilyDownPlanErrors(t *testing.T) {
	for js, want := range map[string]string{
		`{"faults": [{"at": "1s", "kind": "family_down", "node": "a"}]}`:                                               "plan: faults[0].family: missing",
		`{"faults": [{"at": "1s", "kind": "family_down", "family": "ipx", "node": "a"}]}`:                              `plan: faults[0].family: unknown address family "ipx"`,
		`{"faults": [{"at": "1s", "kind": "family_down", "family": "ipv6"}]}`:                                          "plan: faults[0].node: want either node or from and to",
		`{"faults": [{"at": "1s", "kind": "family_down", "family": "ipv6", "node": "a", "from": ["a"], "to": ["b"]}]}`: "plan: faults[0].node: want either node or from and to",
		`{"faults": [{"at": "1s", "kind": "crash", "node": "a", "family": "ipv6"}]}`:                                   `plan: faults[0].family: not a parameter of fault kind "crash"`,
	} {
		_, err := plan.Parse([]byte(js))
		var pe *plan.Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", js, err, want)
		}
	}
	s := New(Config{})
	s.AddNode("a")
	p, err := plan.Parse([]byte(`{"faults": [{"at": "1s", "kind": "family_down", "family": "ipv4", "node": "q"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(p); err == nil || err.Error() != `plan: faults[0].node: unknown node "q"` {
		t.Fatalf("apply: %v", err)
	}
	if _, err := s.Net().NodeFamilyDown("a", "ipv5"); err == nil {
		t.Fatal("NodeFamilyDown took an unknown family")
	}
}

func TestFamilyDownHealAllRestores(t *testing.T) {
	s, cli, _ := familyWorld(t)
	p, err := plan.Parse([]byte(`{"heal_at": "3s", "faults": [{"at": "0s", "kind": "family_down", "family": "ipv6", "from": ["client"], "to": ["server"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	got := map[string]error{}
	dialEach(s, cli, 100*ms, "during", got)
	dialEach(s, cli, 5*time.Second, "after", got)
	runSim(t, s)
	if !errors.Is(got["during [fd00::2]:25"], context.DeadlineExceeded) || got["after [fd00::2]:25"] != nil || got["during 10.0.0.2:25"] != nil {
		t.Fatalf("%v", got)
	}
}
