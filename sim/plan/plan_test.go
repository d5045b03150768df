package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

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
		_, err := Parse([]byte(plan))
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s:\n got %v\nwant %s", plan, err, want)
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
