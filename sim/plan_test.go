package sim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
)

const fullPlan = `{
  "world": "test", "seed": 9, "limit": "20s",
  "knobs": {"n": 3, "rate": 0.5, "on": true, "every": "250ms"},
  "network": {
    "default": {"latency": {"dist": "uniform", "min": "1ms", "max": "3ms"}, "loss": 0.01},
    "links": [{"from": ["a"], "to": ["b"], "oneway": true, "latency": {"dist": "fixed", "value": "40ms"}, "bandwidth": 1000}]
  },
  "faults": [
    {"at": "1s", "kind": "partition", "from": ["a"], "to": ["b", "c"], "for": "500ms"},
    {"at": "2s", "kind": "isolate", "node": "c"},
    {"at": "2.5s", "kind": "heal"},
    {"at": "3s", "kind": "clog", "from": ["a"], "to": ["b"], "for": "1s"},
    {"at": "5s", "kind": "swizzle", "nodes": ["a", "b", "c"], "span": "1s", "step": "10ms"},
    {"at": "7s", "kind": "hold", "from": ["b"], "to": ["a"], "oneway": true},
    {"at": "8s", "kind": "release"},
    {"at": "9s", "kind": "loss", "p": 0.5, "from": ["a"], "to": ["c"]},
    {"at": "10s", "kind": "link", "link": {"latency": {"dist": "lognormal", "median": "2ms", "sigma": 0.3}, "dup": 0.1}},
    {"at": "11s", "kind": "crash", "node": "b", "for": "1s"},
    {"at": "13s", "kind": "crash", "node": "c"},
    {"at": "14s", "kind": "restart", "node": "c"},
    {"at": "15s", "kind": "unclog"}
  ]
}`

func TestPlanParsesAppliesAndRoundTrips(t *testing.T) {
	p, err := ParsePlan([]byte(fullPlan))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := p.KnobInt("n", 0); n != 3 {
		t.Fatalf("n = %d", n)
	}
	if r, _ := p.KnobFloat("rate", 0); r != 0.5 {
		t.Fatalf("rate = %v", r)
	}
	if on, _ := p.KnobBool("on", false); !on {
		t.Fatal("on")
	}
	if d, _ := p.KnobDuration("every", 0); d != 250*time.Millisecond {
		t.Fatalf("every = %v", d)
	}
	if d, _ := p.KnobDuration("absent", time.Minute); d != time.Minute {
		t.Fatal("default knob")
	}
	s := New(Config{Seed: *p.Seed})
	for _, n := range []string{"a", "b", "c"} {
		s.AddNode(n)
	}
	if err := p.Apply(s); err != nil {
		t.Fatal(err)
	}
	if s.Limit() != 20*time.Second {
		t.Fatalf("limit %v", s.Limit())
	}
	ab, _ := s.Net().Link("a", "b")
	ba, _ := s.Net().Link("b", "a")
	if ab.Latency != Fixed(40*time.Millisecond) || ab.Loss != 0.01 || ab.Bandwidth != 1000 || ba.Latency.Kind != DistUniform {
		t.Fatalf("a->b %+v b->a %+v", ab, ba)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	var faults []string
	for _, e := range s.Trace().Events {
		switch e.Kind {
		case model.Fault, model.Crash, model.Restart:
			if len(faults) == 0 || faults[len(faults)-1] != e.Name {
				faults = append(faults, e.Name)
			}
		}
	}
	want := "partition heal isolate heal clog unclog swizzle unclog hold release loss link crash restart crash restart"
	if got := strings.Join(faults, " "); !strings.HasPrefix(got, want) {
		t.Fatalf("faults:\n got %s\nwant %s ...", got, want)
	}
	if s.Node("b").Down() || s.Node("c").Down() {
		t.Fatal("nodes not restarted")
	}
	checkPlanRoundTrip(t, p)
}

// checkPlanRoundTrip checks that p marshals back to JSON that parses to the
// same plan, and returns that JSON.
func checkPlanRoundTrip(t *testing.T, p *Plan) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePlan(b)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	b2, _ := json.Marshal(q)
	if string(b) != string(b2) {
		t.Fatalf("round trip changed the plan:\n%s\n%s", b, b2)
	}
	return string(b)
}

func TestPlanErrorsNameTheField(t *testing.T) {
	for plan, want := range map[string]string{
		``: "plan: empty plan",
		`{"faults": [{"at": 1, "kind": "heal"}]}`: `plan: faults.at: want a duration string such as "1.5s"`,
		`{"seed": 1} {}`:                        "plan: trailing data after the plan object",
		`{"seed": -1}`:                          "plan: seed: cannot use a JSON number -1 here, want uint64",
		`{"limit": 5}`:                          `plan: limit: want a duration string such as "1.5s"`,
		`{"limit": "5 parsecs"}`:                `plan: limit: bad duration "5 parsecs"`,
		`{"wrold": "x"}`:                        `plan: unknown field "wrold"`,
		`{"network": {"default": {"loss": 2}}}`: "plan: network.default.loss: probability 2 not in [0, 1]",
		`{"network": {"default": {"latency": {"dist": "fixed", "max": "1s"}}}}`:                "plan: network.default.latency.max: not a parameter of the fixed distribution",
		`{"network": {"default": {"latency": {"dist": "gauss"}}}}`:                             `plan: network.default.latency.dist: unknown distribution "gauss"`,
		`{"network": {"default": {"latency": {"dist": "uniform", "min": "2s", "max": "1s"}}}}`: "plan: network.default.latency: max 1s below min 2s",
		`{"network": {"links": [{"to": ["a"]}]}}`:                                              "plan: network.links[0].from: missing",
		`{"network": {"links": [{"from": ["a"], "to": ["b"], "jitter": 1}]}}`:                  `plan: unknown field "jitter"`,
		`{"faults": [{"at": "1s"}]}`:                                                           "plan: faults[0].kind: missing",
		`{"faults": [{"at": "1s", "kind": "heal", "node": "a"}]}`:                              `plan: faults[0].node: not a parameter of fault kind "heal"`,
		`{"faults": [{"at": "1s", "kind": "partition", "from": ["a"]}]}`:                       "plan: faults[0].to: missing",
		`{"faults": [{"at": "1s", "kind": "loss"}]}`:                                           "plan: faults[0].p: missing",
		`{"faults": [{"at": "-1s", "kind": "heal"}]}`:                                          "plan: faults[0].at: negative time",
		`{"faults": [{"at": "1s", "kind": "unclog", "from": ["a"]}]}`:                          "plan: faults[0].to: missing (from is given)",
		`{"faults": [{"at": "1s", "kind": "crash", "node": "a", "span": "1s"}]}`:               `plan: faults[0].span: not a parameter of fault kind "crash"`,
	} {
		_, err := ParsePlan([]byte(plan))
		var pe *PlanError
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s:\n got %v\nwant %s", plan, err, want)
		}
	}
}

func TestPlanApplyChecksNodeNames(t *testing.T) {
	s := New(Config{})
	s.AddNode("a")
	for plan, want := range map[string]string{
		`{"network": {"links": [{"from": ["a"], "to": ["zz"]}]}}`:            `plan: network.links[0].to[0]: unknown node "zz"`,
		`{"faults": [{"at": "1s", "kind": "swizzle", "nodes": ["a", "q"]}]}`: `plan: faults[0].nodes[1]: unknown node "q"`,
		`{"faults": [{"at": "1s", "kind": "isolate", "node": "q"}]}`:         `plan: faults[0].node: unknown node "q"`,
	} {
		p, err := ParsePlan([]byte(plan))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(s); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", plan, err, want)
		}
	}
}

// TestPlanValidateNamesFirstEmptyKnob: with several bad knobs, the error
// names the first in name order, whatever the map's iteration order.
func TestPlanValidateNamesFirstEmptyKnob(t *testing.T) {
	p := &Plan{Knobs: map[string]json.RawMessage{"d": nil, "b": {' '}, "c": nil, "a": nil, "e": nil}}
	for range 20 {
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), "knobs.a") {
			t.Fatalf("Validate: %v, want knobs.a named", err)
		}
	}
}
