package cachesim

import (
	"slices"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// allFaults is a generic three-tier world under every fault the world
// knows: a partition between tiers, a crash of an upper tier (which
// restarts cold), an origin crash, a slow origin that cuts large bodies
// half-way and browns out for whole seconds, DNS failures for the
// origin's name (SERVFAIL, NXDOMAIN, a timeout), skew between the tiers'
// and the origin's clocks (offsets, drift, a jump forward and one back),
// purges racing the traffic, BUGGIFY in the collapsing and revalidation
// paths, and network noise.
const allFaults = `{
  "world": "cache",
  "knobs": {"topology": 1, "lower": 2, "upper": 2, "requests": 25, "keys": 8, "updated": 2,
            "origin_delay": "300ms", "origin_cut": 300, "big_kb": 80, "origin_errors": 150, "purges": 3},
  "network": {"default": {"latency": {"dist": "lognormal", "min": "1ms", "median": "3ms", "sigma": 0.5}, "loss": 0.01, "reorder": 0.05, "reorder_delay": "10ms"}},
  "nodes": {"upper-1": {"clock": {"offset": "1500ms", "drift_ppm": 150}}, "lower-2": {"clock": {"offset": "-800ms"}},
            "origin": {"clock": {"offset": "-1200ms", "drift_ppm": -120}},
            "lower-1": {"clock": {"jumps": [{"at": "1800ms", "by": "-1500ms"}]}}},
  "buggify": {"enabled": true, "enable_prob": 1, "fire_prob": 0.3},
  "faults": [
    {"at": "500ms", "kind": "dns", "dns": {"kind": "servfail"}, "for": "400ms"},
    {"at": "1s", "kind": "partition", "from": ["lower-1"], "to": ["upper-2"], "for": "800ms"},
    {"at": "1500ms", "kind": "dns", "dns": {"kind": "nxdomain", "name": "origin.example.", "type": "A"}, "for": "300ms"},
    {"at": "2s", "kind": "crash", "node": "upper-1", "for": "500ms"},
    {"at": "2500ms", "kind": "clock_jump", "node": "upper-2", "by": "2s"},
    {"at": "3s", "kind": "dns", "dns": {"kind": "timeout"}, "for": "500ms"},
    {"at": "3500ms", "kind": "crash", "node": "origin", "for": "300ms"}
  ]
}`

func TestDeterminismAllFaults(t *testing.T) {
	p := world.MustPlan(allFaults)
	seen := map[string]uint64{}
	var s530 float64
	var purged time.Duration
	brownouts := 0
	sites := map[string]int{}
	for _, seed := range []uint64{1, 2, 3} {
		res, a, err := World{}.RunResult(seed, p, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range res.Main.episodes {
			purged += ep.end - ep.start
		}
		for _, o := range res.Main.origin {
			if o.Status == 503 {
				brownouts++
			}
		}
		b, err := World{}.Run(seed, p, world.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ha, hb := a.Trace.HashHex(), b.Trace.HashHex()
		if ha != hb {
			t.Fatalf("seed %d: trace hashes differ: %s %s", seed, ha, hb)
		}
		if s, dup := seen[ha]; dup {
			t.Fatalf("seeds %d and %d gave the same trace", s, seed)
		}
		seen[ha] = seed
		if !a.Pass() {
			t.Errorf("seed %d: %v", seed, a.Violations)
		}
		t.Logf("seed %d: %s sha256:%s", seed, a.Figures, ha[:16])
		v, _ := a.Figures.Get("s530")
		s530 += v
		for _, e := range a.Trace.Events {
			if e.Kind == model.Buggify {
				sites[e.Name]++
			}
		}
	}
	// The faults must have acted: DNS failures answered 530 (and the
	// property excused them), and the cache's BUGGIFY sites fired.
	if s530 == 0 {
		t.Error("no 530 under the DNS faults")
	}
	if purged == 0 || brownouts == 0 {
		t.Errorf("the editor purged for %v and the origin browned out %d times", purged, brownouts)
	}
	for _, site := range []string{"cache: collapse leader starts its fetch late", "cache: background revalidation fails"} {
		if sites[site] == 0 {
			t.Errorf("BUGGIFY site %q never fired (fired: %v)", site, sites)
		}
	}
}

// Every property holds on the correct code over generated plans.
func TestPropertiesHoldOnCorrectCode(t *testing.T) {
	simtest.Check(t, World{}, simtest.PlanGen(World{}, world.HuntOptions), world.Options{})
}

// The outage: with the bug rolled out to upper tiers, the properties
// catch it and the shrinker cuts the plan down to one cold request
// through one updated upper tier.
func TestOutageCaughtAndShrunk(t *testing.T) {
	start := time.Now()
	f, err := simtest.Minimize(World{}, simtest.PlanGen(World{}, world.HuntOptions),
		world.Options{Bugs: []string{BugTraceClearsControl}}, simtest.MinimizeOptions{Checks: 100})
	if err != nil {
		t.Fatal(err)
	}
	if f == nil {
		t.Fatal("trace-clears-control not caught")
	}
	props := f.Outcome.Properties()
	for _, want := range []string{PropPure, PropNo530, PropRollout} {
		if !slices.Contains(props, want) {
			t.Errorf("property %s did not catch the bug (caught by %v)", want, props)
		}
	}
	ops, err := World{}.Operations(f.Plan)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ConfigFrom(f.Plan)
	t.Logf("caught by %v in %v; shrunk to %d faults, %d requests, %d upper tiers (%d updated), knobs %v",
		props, time.Since(start), len(f.Plan.Faults), ops, cfg.Upper, cfg.Updated, f.Plan.Knobs)
	if len(f.Plan.Faults) != 0 || ops != 1 || cfg.Updated != 1 {
		t.Errorf("shrunk plan is not one request through one updated upper tier: %d faults, %d requests, %d updated", len(f.Plan.Faults), ops, cfg.Updated)
	}
}

var _ = sim.DefaultHorizon
