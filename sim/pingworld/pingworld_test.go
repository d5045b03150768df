package pingworld

import (
	"bytes"
	"testing"

	"github.com/edgelab/edgelab/sim/plan"
)

func defaultPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(DefaultPlan))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultPlanPassesAndExercisesFaults(t *testing.T) {
	r, err := Run(DefaultSeed, defaultPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	if r.TimedOut == 0 || r.Answered == 0 {
		t.Fatalf("faults had no visible effect: %s", r.Figures())
	}
}

func TestHealthyNetworkAnswersEverything(t *testing.T) {
	r, err := Run(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	if r.Answered != r.Sent || r.Served != r.Sent {
		t.Fatalf("healthy run: %s", r.Figures())
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	for _, seed := range []uint64{1, 99} {
		a, err := Run(seed, defaultPlan(t))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(seed, defaultPlan(t))
		if err != nil {
			t.Fatal(err)
		}
		ba, _ := a.Trace.MarshalNDJSON()
		bb, _ := b.Trace.MarshalNDJSON()
		if !bytes.Equal(ba, bb) || a.Trace.HashHex() != b.Trace.HashHex() {
			t.Fatalf("seed %d: traces differ", seed)
		}
	}
	a, _ := Run(1, defaultPlan(t))
	b, _ := Run(2, defaultPlan(t))
	if a.Trace.HashHex() == b.Trace.HashHex() {
		t.Fatal("seeds 1 and 2 gave the same trace")
	}
}

func TestKnobsAndTheirErrors(t *testing.T) {
	p, err := plan.Parse([]byte(`{"knobs": {"clients": 1, "servers": 1, "pings": 4, "interval": "10ms", "timeout": "1s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(1, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != 4 || r.Check() != nil {
		t.Fatalf("%s: %v", r.Figures(), r.Check())
	}
	for js, want := range map[string]string{
		`{"knobs": {"client": 1}}`:                                        "plan: knobs.client: unknown knob (known: clients, interval, pings, servers, timeout)",
		`{"knobs": {"clients": 1.5}}`:                                     "plan: knobs.clients: want an integer",
		`{"knobs": {"timeout": 5}}`:                                       `plan: knobs.timeout: want a duration string such as "1.5s"`,
		`{"knobs": {"servers": 0}}`:                                       "plan: knobs.servers: want 1 to 1000",
		`{"faults": [{"at": "1s", "kind": "crash", "node": "server-9"}]}`: `plan: faults[0].node: unknown node "server-9"`,
	} {
		p, err := plan.Parse([]byte(js))
		if err == nil {
			_, err = Run(1, p)
		}
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %s", js, err, want)
		}
	}
}
