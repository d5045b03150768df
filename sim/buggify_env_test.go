package sim

import (
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// wrappedEnv is an Env a world might wrap around a node's.
type wrappedEnv struct{ env.Env }

func (w wrappedEnv) Unwrap() env.Env { return w.Env }

type opaqueEnv struct{ env.Env }

func TestBuggifyFiresOnlyInARunThatEnablesIt(t *testing.T) {
	if Buggify(env.Real("x"), "site") {
		t.Fatal("Buggify fired on Real")
	}
	run := func(plan string) (fired map[string]int, tr *model.Trace, s *Sim) {
		s = New(Config{Seed: 5})
		n := s.AddNode("a")
		if err := s.Apply(mustPlan(t, plan)); err != nil {
			t.Fatal(err)
		}
		fired = map[string]int{}
		n.Go("loop", func() {
			ne := n.Env()
			for range 20 {
				for _, e := range []env.Env{ne, wrappedEnv{ne}, opaqueEnv{ne}} {
					if Buggify(e, "a site") {
						fired["a site"]++
					}
				}
				ne.Sleep(time.Second)
			}
		})
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		return fired, s.Trace(), s
	}
	if f, _, _ := run(`{}`); len(f) != 0 {
		t.Fatalf("fired without being enabled: %v", f)
	}
	if f, _, _ := run(`{"buggify": {"enabled": false, "fire_prob": 1}}`); len(f) != 0 {
		t.Fatalf("fired while disabled: %v", f)
	}
	f, tr, s := run(`{"buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 0.5}, "heal_at": "10s"}`)
	var events int
	for _, e := range tr.Events {
		if e.Kind == model.Buggify {
			if e.Name != "a site" || e.Node != "a" || e.At >= 10*time.Second {
				t.Fatalf("event %v", e)
			}
			events++
		}
	}
	// Two of the three Envs reach the node; the opaque wrapper does not.
	// Healing at 10s switches the sites off.
	if events == 0 || events != f["a site"] {
		t.Fatalf("%d firings, %d events", f["a site"], events)
	}
	sites := s.Buggifier().Sites()
	if len(sites) != 1 || !sites[0].Enabled || sites[0].Reached != 20 || sites[0].Fired != events {
		t.Fatalf("coverage %+v", sites)
	}
}

func TestBuggifyIsOffOnACrashedNode(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("a")
	if err := s.EnableBuggify(BuggifyConfig{EnableProb: 1, FireProb: 1}); err != nil {
		t.Fatal(err)
	}
	if !Buggify(n.Env(), "s") {
		t.Fatal("did not fire with probability 1")
	}
	n.Crash()
	if Buggify(n.Env(), "s") {
		t.Fatal("fired on a crashed node")
	}
}

// Services reach BUGGIFY through the seam: env.Buggify on a node's Env
// (or one that unwraps to it) asks the run's Buggifier; on Real, or an
// Env that hides the node's, it never fires.
func TestBuggifyThroughTheSeam(t *testing.T) {
	if env.Buggify(env.Real("x"), "site") {
		t.Fatal("env.Buggify fired on Real")
	}
	s := New(Config{Seed: 5})
	n := s.AddNode("a")
	if err := s.Apply(mustPlan(t, `{"buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 1}}`)); err != nil {
		t.Fatal(err)
	}
	var got []bool
	n.Go("probe", func() {
		ne := n.Env()
		got = []bool{env.Buggify(ne, "site"), env.Buggify(wrappedEnv{ne}, "site"), env.Buggify(opaqueEnv{ne}, "site")}
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[0] || !got[1] || got[2] {
		t.Fatalf("node, wrapped, opaque: %v; want true, true, false", got)
	}
	if st := s.Buggifier().Sites(); len(st) == 0 {
		t.Fatal("the run's Buggifier saw no site")
	}
}
