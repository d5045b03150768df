package cachesim

import (
	"slices"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

// allFaults is a generic three-tier world under a partition between
// tiers, a crash of an upper tier (which restarts cold), an origin crash
// and network noise.
const allFaults = `{
  "world": "cache",
  "knobs": {"topology": 1, "lower": 2, "upper": 2, "requests": 25, "keys": 6, "updated": 2},
  "network": {"default": {"latency": {"dist": "lognormal", "min": "1ms", "median": "3ms", "sigma": 0.5}, "loss": 0.01, "reorder": 0.05, "reorder_delay": "10ms"}},
  "faults": [
    {"at": "1s", "kind": "partition", "from": ["lower-1"], "to": ["upper-2"], "for": "800ms"},
    {"at": "2s", "kind": "crash", "node": "upper-1", "for": "500ms"},
    {"at": "3500ms", "kind": "crash", "node": "origin", "for": "300ms"}
  ]
}`

func TestDeterminismAllFaults(t *testing.T) {
	p := world.MustPlan(allFaults)
	seen := map[string]uint64{}
	for _, seed := range []uint64{1, 2, 3} {
		a, err := World{}.Run(seed, p, world.Options{})
		if err != nil {
			t.Fatal(err)
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
