package world_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/world"
)

// spinning is the ping world's shape run by a service of its own that
// livelocks (every wait returns at once) once a server has crashed and
// a client sends three pings or more: a service bug the kernel's step
// bound must turn into a finding.
type spinning struct{ pingworld.World }

func (spinning) Run(seed uint64, p *sim.Plan, _ world.Options) (*world.Outcome, error) {
	c, err := pingworld.ConfigFrom(p)
	if err != nil {
		return nil, err
	}
	crashed := false
	for _, f := range p.Faults {
		crashed = crashed || f.Kind == "crash"
	}
	s := sim.New(sim.Config{Seed: seed, MaxStepsAtOneInstant: 500})
	env := s.AddNode("client-1").Env()
	env.Go("pinger", func() {
		for i := range c.Pings {
			env.Sleep(time.Second)
			env.Record("Ping", model.NewPub("server-1"))
			for crashed && i >= 2 {
				env.Sleep(0)
			}
		}
	})
	if _, err := s.Run(); err != nil {
		return nil, err
	}
	return &world.Outcome{Trace: s.Trace()}, nil
}

func TestALivelockFailsTerminatesAndShrinks(t *testing.T) {
	w := spinning{}
	p := world.MustPlan(`{"knobs": {"pings": 6}, "faults": [
	    {"at": "1s", "kind": "partition", "from": ["client-1"], "to": ["server-1"], "for": "1s"},
	    {"at": "2s", "kind": "crash", "node": "server-2", "for": "1s"}]}`)
	if _, err := w.Run(1, p, world.Options{}); !errors.As(err, new(*sim.StepLimitError)) {
		t.Fatalf("the world itself: err = %v, want the kernel's step bound", err)
	}
	o, err := world.Run(w, 1, p, world.Options{})
	if err != nil || o.Pass() || o.Violations[0].Property != world.Terminates ||
		!strings.Contains(o.Why(), "livelock: 500 actions at virtual time 3s") {
		t.Fatalf("world.Run: outcome %+v, err %v; want a violation of %q", o, err, world.Terminates)
	}
	if n := len(o.Trace.Facts()); n != 3 {
		t.Fatalf("the failing outcome holds %d facts, want the 3 pings recorded before the spin", n)
	}
	again, _ := world.Run(w, 1, p, world.Options{})
	if again.Trace.HashHex() != o.Trace.HashHex() {
		t.Fatal("the same livelocked run hashed twice differently")
	}

	s, err := world.Shrink(w, 1, p, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.Plan.Faults)
	if s.Outcome.Pass() || string(s.Plan.Knobs["pings"]) != "3" || len(s.Plan.Faults) != 1 || s.Plan.Faults[0].Kind != "crash" {
		t.Fatalf("shrunk to pings=%s faults=%s (%s), want 3 pings and the crash alone", s.Plan.Knobs["pings"], got, s.Outcome.Why())
	}

	if o, err := world.Run(w, 1, world.MustPlan(`{"knobs": {"pings": 6}}`), world.Options{}); err != nil || !o.Pass() {
		t.Fatalf("no crash, no spin: %+v %v", o, err)
	}
}
