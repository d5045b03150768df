package sim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/link"
	"github.com/edgelab/edgelab/sim/plan"
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
	p, err := plan.Parse([]byte(fullPlan))
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
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	if s.Limit() != 20*time.Second {
		t.Fatalf("limit %v", s.Limit())
	}
	ab, _ := s.Net().Link("a", "b")
	ba, _ := s.Net().Link("b", "a")
	if ab.Latency != link.Fixed(40*time.Millisecond) || ab.Loss != 0.01 || ab.Bandwidth != 1000 || ba.Latency.Kind != link.DistUniform {
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
func checkPlanRoundTrip(t *testing.T, p *plan.Plan) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := plan.Parse(b)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	b2, _ := json.Marshal(q)
	if string(b) != string(b2) {
		t.Fatalf("round trip changed the plan:\n%s\n%s", b, b2)
	}
	return string(b)
}

func TestPlanApplyChecksNodeNames(t *testing.T) {
	s := New(Config{})
	s.AddNode("a")
	for js, want := range map[string]string{
		`{"network": {"links": [{"from": ["a"], "to": ["zz"]}]}}`:            `plan: network.links[0].to[0]: unknown node "zz"`,
		`{"faults": [{"at": "1s", "kind": "swizzle", "nodes": ["a", "q"]}]}`: `plan: faults[0].nodes[1]: unknown node "q"`,
		`{"faults": [{"at": "1s", "kind": "isolate", "node": "q"}]}`:         `plan: faults[0].node: unknown node "q"`,
	} {
		p, err := plan.Parse([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(p); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", js, err, want)
		}
	}
}

func TestPlanNewFieldsParseApplyAndRoundTrip(t *testing.T) {
	p := mustPlan(t, newFieldsPlan)
	s := New(Config{Seed: 1})
	a := s.AddNode("a")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	dnsNode, zone := s.DNS()
	switch {
	case dnsNode == nil || dnsNode.Name() != "dns" || len(zone.Records()) != 3:
		t.Fatalf("DNS %v %v", dnsNode, zone)
	case a.MemDisk().Faults() != disk.Faults{ReadErrorProb: 0.1, WriteErrorProb: 0.2, SyncErrorProb: 0.3, TornWriteProb: 0.4}:
		t.Fatalf("disk faults %+v", a.MemDisk().Faults())
	case a.Clock().DriftPPM != 120 || a.Clock().Offset != -1500*time.Millisecond || len(a.Clock().Jumps) != 1:
		t.Fatalf("clock %+v", a.Clock())
	case s.ResolverConfig() != ResolverConfig{Timeout: time.Second, Attempts: 3}:
		t.Fatalf("resolver %+v", s.ResolverConfig())
	case s.Buggifier() == nil:
		t.Fatal("buggify not enabled")
	case s.Limit() != time.Minute || s.ConvergeWithin() != 10*time.Second:
		t.Fatalf("limit %v within %v", s.Limit(), s.ConvergeWithin())
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if zone.Version() != 1 || len(zone.Faults()) != 0 || a.Paused() {
		t.Fatalf("after the run: version %d, faults %v, paused %v", zone.Version(), zone.Faults(), a.Paused())
	}
	if b := checkPlanRoundTrip(t, p); !strings.Contains(b, `"pref":0`) {
		t.Fatalf("round trip lost the MX preference 0:\n%s", b)
	}
}

func TestPlanNewFieldsApplyErrors(t *testing.T) {
	for js, want := range map[string]string{
		`{"nodes": {"ghost": {"disk": {}}}}`:                                    `plan: nodes.ghost: unknown node "ghost"`,
		`{"faults": [{"at": "1s", "kind": "dns", "dns": {"kind": "timeout"}}]}`: `plan: faults[0].kind: fault kind "dns" needs a DNS zone`,
		`{"nodes": {"dns": {"zone": []}}, "faults": [
		  {"at": "2s", "kind": "zone", "zone": []},
		  {"at": "1s", "kind": "dns", "dns": {"kind": "stale", "version": 1}}]}`: "plan: faults[1].dns.version: version 1 does not exist at 1s (the zone has versions 0 to 0 then)",
		`{"faults": [{"at": "1s", "kind": "pause", "node": "ghost"}]}`: `plan: faults[0].node: unknown node "ghost"`,
	} {
		s := New(Config{})
		s.AddNode("a")
		err := s.Apply(mustPlan(t, js))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", js, err, want)
		}
	}
	// A node named only to serve a zone is added.
	s := New(Config{})
	if err := s.Apply(mustPlan(t, `{"nodes": {"ns": {"zone": []}}}`)); err != nil || s.Node("ns") == nil {
		t.Fatalf("%v %v", err, s.Nodes())
	}
}

const newFieldsPlan = `{
  "limit": "1m",
  "nodes": {
    "a": {"disk": {"read_error_prob": 0.1, "write_error_prob": 0.2, "sync_error_prob": 0.3, "torn_write_prob": 0.4},
          "clock": {"offset": "-1.5s", "drift_ppm": 120, "jumps": [{"at": "30s", "by": "-2s"}]}},
    "dns": {"zone": {"records": [
      {"name": "example.test.", "type": "MX", "ttl": 300, "pref": 0, "value": "mx.example.test."},
      {"name": "mx.example.test.", "type": "A", "ttl": 60, "value": "10.0.0.1"},
      {"name": "example.test.", "type": "TXT", "ttl": 60, "strings": ["v=spf1 ", "mx -all"]}
    ]}}
  },
  "resolver": {"timeout": "1s", "attempts": 3},
  "buggify": {"enabled": true, "enable_prob": 0.5, "fire_prob": 0.1},
  "faults": [
    {"at": "1s", "kind": "pause", "node": "a", "for": "1s"},
    {"at": "3s", "kind": "resume", "node": "a"},
    {"at": "4s", "kind": "disk", "node": "a", "disk": {"sync_error_prob": 1}, "for": "1s"},
    {"at": "6s", "kind": "clock_jump", "node": "a", "by": "10s"},
    {"at": "7s", "kind": "zone", "zone": [{"name": "example.test.", "type": "A", "ttl": 5, "value": "10.0.0.2"}]},
    {"at": "8s", "kind": "dns", "dns": {"kind": "stale", "version": 1, "name": "example.test.", "type": "A"}, "for": "1s"},
    {"at": "9s", "kind": "dns", "dns": {"kind": "timeout"}}
  ],
  "heal_at": "20s", "converge_within": "10s"
}`

func TestPlanNewFieldErrorsNameTheField(t *testing.T) {
	rec := func(typ, extra string) string {
		return `{"name": "h.test.", "type": "` + typ + `", "ttl": 1` + extra + `}`
	}
	a := rec("A", `, "value": "10.0.0.1"`)
	for js, want := range map[string]string{
		`{"nodes": {"dns": {"zone": [` + a + `, ` + rec("AAAA", `, "value": "fd00::1"`) + `, ` + rec("TXT", `, "value": "t"`) + `, ` + rec("AAA", `, "value": "1.2.3.4"`) + `]}}}`: `plan: nodes.dns.zone[3].type: unknown record type "AAA"`,
		`{"nodes": {"dns": {"zone": {"records": [` + rec("A", `, "value": "fd00::1"`) + `]}}}}`:                                                                                    `plan: nodes.dns.zone.records[0].value: "fd00::1" is not an IPv4 address (use AAAA)`,
		`{"nodes": {"dns": {"zone": [{"name": "h.test.", "type": "A", "value": "10.0.0.1"}]}}}`:                                                                                    "plan: nodes.dns.zone[0].ttl: missing",
		`{"nodes": {"dns": {"zone": [` + rec("MX", `, "value": "mx.test."`) + `]}}}`:                                                                                               "plan: nodes.dns.zone[0].pref: missing",
		`{"nodes": {"dns": {"zone": [` + rec("A", `, "pref": 1, "value": "10.0.0.1"`) + `]}}}`:                                                                                     "plan: nodes.dns.zone[0].pref: only for MX records",
		`{"nodes": {"dns": {"zone": [` + rec("A", `, "value": "10.0.0.1", "colour": 1`) + `]}}}`:                                                                                   `plan: nodes.dns.zone[0]: unknown field "colour"`,
		`{"nodes": {"dns": {"zone": [{"name": "h.test.", "type": "A", "ttl": -1, "value": "10.0.0.1"}]}}}`:                                                                         "plan: nodes.dns.zone[0].ttl: cannot use a JSON number -1 here, want uint32",
		`{"nodes": {"dns": {"zone": [` + a + `, ` + a + `]}}}`:                                                                                                                     "plan: nodes.dns.zone[1]: duplicate of record 0",
		`{"nodes": {"dns": {"zone": [{"name": "h.test", "type": "A", "ttl": 1, "value": "10.0.0.1"}]}}}`:                                                                           `plan: nodes.dns.zone[0].name: "h.test" is not fully qualified`,
		`{"nodes": {"dns": {"zone": {}}}}`:                                                                   "plan: nodes.dns.zone.records: missing",
		`{"nodes": {"dns": {"zone": 5}}}`:                                                                    "plan: nodes.dns.zone: want a list of records",
		`{"nodes": {"a": {"zone": []}, "b": {"zone": []}}}`:                                                  "plan: nodes.b.zone: only one node serves DNS, and nodes.a already does",
		`{"nodes": {"a": {"disk": {"torn_write_prob": 2}}}}`:                                                 "plan: nodes.a.disk.torn_write_prob: probability 2 not in [0, 1]",
		`{"nodes": {"a": {"disk": {"torn_write_prob": "x"}}}}`:                                               "plan: nodes.a.disk.torn_write_prob: cannot use a JSON string here, want float64",
		`{"nodes": {"a": {"disk": {"tear": 1}}}}`:                                                            `plan: nodes.a: unknown field "tear"`,
		`{"nodes": {"a": {"disks": {}}}}`:                                                                    `plan: nodes.a: unknown field "disks"`,
		`{"nodes": {"a": {"clock": {"drift_ppm": 2e6}}}}`:                                                    "plan: nodes.a.clock.drift_ppm: 2e+06 not in (-1e6, 1e6)",
		`{"nodes": {"a": {"clock": {"offset": "soon"}}}}`:                                                    `plan: nodes.a.clock.offset: bad duration "soon"`,
		`{"nodes": {"a": {"clock": {"jumps": [{"at": "1s"}]}}}}`:                                             "plan: nodes.a.clock.jumps[0].by: missing",
		`{"nodes": {"a b": {}}}`:                                                                             `plan: nodes.a b: invalid node name "a b"`,
		`{"nodes": []}`:                                                                                      "plan: nodes: want an object",
		`{"resolver": {"attempts": 99}}`:                                                                     "plan: resolver.attempts: want 1 to 10",
		`{"buggify": {"enabled": true, "fire_prob": 1.5}}`:                                                   "plan: buggify.fire_prob: probability 1.5 not in [0, 1]",
		`{"heal_at": "-1s"}`:                                                                                 "plan: heal_at: negative duration",
		`{"converge_within": "1s"}`:                                                                          "plan: converge_within: needs heal_at",
		`{"limit": "10s", "heal_at": "8s", "converge_within": "5s"}`:                                         "plan: heal_at: heal_at + converge_within = 13s is past the limit 10s",
		`{"faults": [{"at": "1s", "kind": "pause"}]}`:                                                        "plan: faults[0].node: missing",
		`{"faults": [{"at": "1s", "kind": "resume", "node": "a", "for": "1s"}]}`:                             `plan: faults[0].for: not a parameter of fault kind "resume"`,
		`{"faults": [{"at": "1s", "kind": "disk", "node": "a"}]}`:                                            "plan: faults[0].disk: missing",
		`{"faults": [{"at": "1s", "kind": "disk", "node": "a", "disk": {"read_error_prob": -1}}]}`:           "plan: faults[0].disk.read_error_prob: probability -1 not in [0, 1]",
		`{"faults": [{"at": "1s", "kind": "clock_jump", "node": "a"}]}`:                                      "plan: faults[0].by: missing",
		`{"faults": [{"at": "1s", "kind": "crash", "node": "a", "by": "1s"}]}`:                               `plan: faults[0].by: not a parameter of fault kind "crash"`,
		`{"faults": [{"at": "1s", "kind": "dns"}]}`:                                                          "plan: faults[0].dns: missing",
		`{"faults": [{"at": "1s", "kind": "dns", "dns": {"kind": "slow"}}]}`:                                 `plan: faults[0].dns.kind: unknown DNS fault kind "slow"`,
		`{"faults": [{"at": "1s", "kind": "dns", "dns": {"kind": "servfail", "version": 1}}]}`:               "plan: faults[0].dns.version: only for stale faults",
		`{"faults": [{"at": "1s", "kind": "dns", "dns": {"kind": "timeout", "name": "x"}}]}`:                 `plan: faults[0].dns.name: "x" is not fully qualified`,
		`{"faults": [{"at": "1s", "kind": "dns", "dns": {"kind": "timeout", "type": "SRV"}}]}`:               `plan: faults[0].dns.type: unknown record type "SRV"`,
		`{"faults": [{"at": "1s", "kind": "zone", "zone": [` + rec("CNAME", `, "value": "x"`) + `]}]}`:       `plan: faults[0].zone[0].value: "x" is not fully qualified`,
		`{"faults": [{"at": "1s", "kind": "zone", "zone": [{"name": "h.test.", "type": "A", "ttl": "1"}]}]}`: "plan: faults.zone[0].ttl: cannot use a JSON string here, want uint32",
	} {
		_, err := plan.Parse([]byte(js))
		var pe *plan.Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s:\n got %v\nwant %s", js, err, want)
		}
	}
}
