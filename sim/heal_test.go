package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/env"
)

// TestHealAtUndoesEveryFault: at heal_at every kind of fault in force is
// undone, and faults scheduled later (undo callbacks included) do not
// happen.
func TestHealAtUndoesEveryFault(t *testing.T) {
	s := New(Config{Seed: 1, Limit: 20 * time.Second})
	for _, name := range []string{"a", "b", "c", "d"} {
		s.AddNode(name)
	}
	p := mustPlan(t, `{
	  "nodes": {
	    "c": {"disk": {"write_error_prob": 1}, "clock": {"offset": "1s", "jumps": [{"at": "8s", "by": "1m"}]}},
	    "dns": {"zone": [{"name": "x.test.", "type": "A", "ttl": 1, "value": "10.0.0.1"}]}
	  },
	  "buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 1},
	  "faults": [
	    {"at": "1s", "kind": "partition", "from": ["a"], "to": ["b"]},
	    {"at": "1s", "kind": "clog", "from": ["b"], "to": ["c"]},
	    {"at": "1s", "kind": "hold", "from": ["c"], "to": ["a"]},
	    {"at": "1s", "kind": "loss", "p": 1, "from": ["a"], "to": ["d"]},
	    {"at": "1s", "kind": "link", "link": {"dup": 0.5}},
	    {"at": "1s", "kind": "crash", "node": "d"},
	    {"at": "1s", "kind": "pause", "node": "c"},
	    {"at": "1s", "kind": "dns", "dns": {"kind": "servfail"}},
	    {"at": "2s", "kind": "crash", "node": "b", "for": "10s"},
	    {"at": "6s", "kind": "crash", "node": "a"}
	  ],
	  "heal_at": "5s"
	}`)
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	healed := time.Duration(-1)
	s.OnHeal(func() { healed = s.Now() })
	if at, ok := s.HealAt(); !ok || at != 5*time.Second {
		t.Fatalf("HealAt = %v %v", at, ok)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	nw := s.Net()
	ad, _ := nw.Link("a", "d")
	switch {
	case healed != 5*time.Second || !s.Healed():
		t.Fatalf("healed at %v", healed)
	case len(nw.cuts) != 0:
		t.Fatal("partition left in place")
	case nw.link(s.Node("b"), s.Node("c")).clogged, nw.link(s.Node("c"), s.Node("a")).held:
		t.Fatal("clog or hold left in place")
	case ad.Loss != 0 || nw.Default().Dup != 0:
		t.Fatalf("loss %v dup %v", ad.Loss, nw.Default().Dup)
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		if n := s.Node(name); n.Down() || n.Paused() {
			t.Fatalf("node %s down=%v paused=%v", name, n.Down(), n.Paused())
		}
	}
	c := s.Node("c")
	if c.MemDisk().Faults() != (disk.Faults{}) {
		t.Fatal("disk faults left in place")
	}
	if got, want := c.Env().Now(), Epoch.Add(s.Now()+time.Second); !got.Equal(want) {
		t.Fatalf("c's clock reads %v, want %v (offset kept, jump cancelled)", got, want)
	}
	if _, z := s.DNS(); len(z.Faults()) != 0 {
		t.Fatal("DNS faults left in place")
	}
	if Buggify(c.Env(), "site") {
		t.Fatal("BUGGIFY still on")
	}
	for _, e := range s.Trace().Events {
		if e.At > 5*time.Second && (e.Kind == model.Crash || e.Kind == model.Restart || e.Kind == model.Fault) {
			t.Fatalf("fault after healing: %v", e)
		}
	}
}

// pingUntil runs a client that pings srv every 200ms for 10s. A client
// with giveUp stops for good after three failures in a row: a liveness
// bug. lastOK is when it was last answered.
func pingWorld(t *testing.T, seed uint64, giveUp bool, plan string) *Sim {
	t.Helper()
	s := New(Config{Seed: seed})
	srv, cl := s.AddNode("srv"), s.AddNode("cl")
	srv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	var lastOK time.Duration = -1
	cl.Start(func(env env.Env) {
		hc := &http.Client{Transport: env.Transport()}
		fails := 0
		for range 50 {
			env.Sleep(200 * time.Millisecond)
			if giveUp && fails >= 3 {
				continue
			}
			ctx, cancel := env.WithTimeout(context.Background(), 100*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://srv/", nil)
			resp, err := hc.Do(req)
			cancel()
			if err != nil {
				fails++
				continue
			}
			resp.Body.Close()
			fails, lastOK = 0, s.Now()
		}
	})
	if err := s.Apply(mustPlan(t, plan)); err != nil {
		t.Fatal(err)
	}
	s.Eventually("the client is answered again", func() error {
		if at, _ := s.HealAt(); lastOK < at {
			return fmt.Errorf("last answer at %v", lastOK)
		}
		return nil
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s
}

const partitionThenHeal = `{
  "faults": [{"at": "1s", "kind": "partition", "from": ["cl"], "to": ["srv"]}],
  "heal_at": "5s", "converge_within": "2s"
}`

func TestConvergeWithinCatchesAWorldThatNeverRecovers(t *testing.T) {
	if s := pingWorld(t, 1, false, partitionThenHeal); s.LivenessErr() != nil {
		t.Fatalf("a correct client: %v", s.LivenessErr())
	}
	s := pingWorld(t, 1, true, partitionThenHeal)
	var le *LivenessError
	if !errors.As(s.LivenessErr(), &le) || le.Property != "the client is answered again" || le.HealAt != 5*time.Second || le.Within != 2*time.Second {
		t.Fatalf("a client that gives up: %v", s.LivenessErr())
	}
	var notes []model.Event
	for _, e := range s.Trace().Events {
		if e.Kind == model.Note && e.Name == "liveness" {
			notes = append(notes, e)
		}
	}
	if len(notes) != 1 || notes[0].At != 7*time.Second || notes[0].Attrs["ok"] != "false" {
		t.Fatalf("liveness notes %v", notes)
	}
	// Without a heal time liveness is not demanded.
	if s := pingWorld(t, 1, true, `{"faults": [{"at": "1s", "kind": "partition", "from": ["cl"], "to": ["srv"]}]}`); s.LivenessErr() != nil {
		t.Fatalf("checked without heal_at: %v", s.LivenessErr())
	}
}

func TestHealAtRaisesTheLimit(t *testing.T) {
	s := New(Config{Seed: 1, Limit: time.Second})
	s.SetHealAt(3*time.Second, 2*time.Second)
	if s.Limit() != 5*time.Second || s.ConvergeWithin() != 2*time.Second {
		t.Fatalf("limit %v within %v", s.Limit(), s.ConvergeWithin())
	}
}
