package plan_test

// Tests of the plan generators: determinism, validity, coverage of every
// fault kind, and shrinking (faults deleted, noise to zero). The rapid
// adapter lives in sim/simtest; an external test package may import it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/pingworld"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
	"github.com/edgelab/edgelab/sim/world"
)

func planJSON(t interface {
	Helper()
	Fatal(...any)
}, p *plan.Plan) []byte {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenSameSeedSamePlan(t *testing.T) {
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{})
	for seed := range 20 {
		a, b := planJSON(t, gen.Example(seed)), planJSON(t, gen.Example(seed))
		if !bytes.Equal(a, b) {
			t.Fatalf("rapid seed %d: two draws differ:\n%s\n%s", seed, a, b)
		}
	}
	for seed := range uint64(20) {
		d1 := plan.Draw(plan.SeedDrawer(seed, "x"), pingworld.Shape, plan.GenOptions{})
		d2 := plan.Draw(plan.SeedDrawer(seed, "x"), pingworld.Shape, plan.GenOptions{})
		if !bytes.Equal(planJSON(t, d1), planJSON(t, d2)) {
			t.Fatalf("seed drawer %d: plans differ", seed)
		}
	}
}

func TestGenSoakIsAFunctionOfTheSeed(t *testing.T) {
	seen := map[string]uint64{}
	for seed := range uint64(30) {
		a := plan.Soak(pingworld.Shape, seed)
		b := plan.Soak(pingworld.Shape, seed)
		ja := planJSON(t, a)
		if !bytes.Equal(ja, planJSON(t, b)) {
			t.Fatalf("soak seed %d: plans differ", seed)
		}
		if *a.Seed != seed || a.World != pingworld.Name {
			t.Fatalf("soak seed %d: plan says world %s seed %d", seed, a.World, *a.Seed)
		}
		if prev, dup := seen[string(ja)]; dup {
			t.Fatalf("soak seeds %d and %d drew the same plan", prev, seed)
		}
		seen[string(ja)] = seed
	}
}

// TestGenSoakIsBiggerAndNoisier compares averages over many seeds.
func TestGenSoakIsBiggerAndNoisier(t *testing.T) {
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{})
	var soakFaults, genFaults, soakNoisy, genNoisy int
	for seed := range 50 {
		s := plan.Soak(pingworld.Shape, uint64(seed))
		g := gen.Example(seed)
		soakFaults += len(s.Faults)
		genFaults += len(g.Faults)
		if !plan.IsQuiet(s) {
			soakNoisy++
		}
		if !plan.IsQuiet(g) {
			genNoisy++
		}
	}
	if soakFaults <= genFaults || soakNoisy < genNoisy || soakNoisy < 45 {
		t.Fatalf("soak: %d faults, %d noisy; gen: %d faults, %d noisy", soakFaults, soakNoisy, genFaults, genNoisy)
	}
}

// TestGenPlansAreValidAndRoundTrip: every drawn plan validates, applies
// to the ping world, and survives JSON (replay files depend on it).
func TestGenPlansAreValidAndRoundTrip(t *testing.T) {
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{})
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		b := planJSON(rt, p)
		q, err := plan.Parse(b)
		if err != nil {
			rt.Fatalf("drawn plan does not parse: %v\n%s", err, b)
		}
		if !bytes.Equal(b, planJSON(rt, q)) {
			rt.Fatalf("plan does not round-trip:\n%s\n%s", b, planJSON(rt, q))
		}
		if _, err := pingworld.Run(*p.Seed, q); err != nil {
			rt.Fatalf("ping world rejects drawn plan: %v\n%s", err, b)
		}
	})
}

// TestGenDrawsEveryFaultKind keeps the generator in step with the plan
// format: a fault kind added to plans must be drawable (by the generic
// drawer, or by one registered with sim.RegisterFaultDrawer), and soak
// plans must actually draw it.
func TestGenDrawsEveryFaultKind(t *testing.T) {
	if got, want := plan.DrawableFaultKinds(), plan.FaultKinds(); !slices.Equal(got, want) {
		t.Fatalf("fault kinds without a generator: plan kinds %v, drawable %v; register one with sim.RegisterFaultDrawer", want, got)
	}
	// A world with DNS takes every kind; the ping world has no zone.
	dnsShape := pingworld.Shape
	dnsShape.Has = []string{"dns"}
	dnsShape.Faults = map[string]plan.FaultDrawer{"zone": func(d plan.Drawer, _ *plan.FaultContext, f *plan.FaultSpec) bool {
		ip := "10.0.0." + strconv.Itoa(d.Int("octet", 1, 9))
		f.Zone = &plan.ZoneSpec{Records: []dns.Record{{Name: "ping.example.", Type: "A", TTL: 60, Value: ip}}}
		return true
	}}
	seen := map[string]bool{}
	for seed := range uint64(40) {
		for _, f := range plan.Soak(dnsShape, seed).Faults {
			seen[f.Kind] = true
		}
		p := plan.Soak(pingworld.Shape, seed)
		for _, f := range p.Faults {
			if f.Kind == "dns" || f.Kind == "zone" {
				t.Fatalf("a DNS fault for the ping world, which serves no zone: %+v", f)
			}
		}
	}
	for _, k := range plan.FaultKinds() {
		if !seen[k] {
			t.Errorf("40 soak plans never drew fault kind %q", k)
		}
	}
}

func TestGenRespectsShapeTargetsAndKinds(t *testing.T) {
	gen := simtest.PlanGen(pingworld.World{}, plan.GenOptions{Kinds: []string{"crash", "restart", "heal"}, MaxFaults: 20})
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		for _, f := range p.Faults {
			if !slices.Contains([]string{"crash", "restart", "heal"}, f.Kind) {
				rt.Fatalf("kind %s drawn", f.Kind)
			}
			if f.Node != "" && !strings.HasPrefix(f.Node, "server-") {
				rt.Fatalf("%s of %s: the ping shape crashes servers only", f.Kind, f.Node)
			}
		}
	})
	quiet := simtest.PlanGen(pingworld.World{}, plan.GenOptions{Quiet: true, MaxFaults: -1})
	for seed := range 10 {
		if p := quiet.Example(seed); !plan.IsQuiet(p) || len(p.Faults) != 0 {
			t.Fatalf("quiet, faultless options drew %s", planJSON(t, p))
		}
	}
}

// planWorld is the ping world's shape with a run that runs nothing: its
// one property looks at the plan itself, so shrinking can be tested
// quickly.
type planWorld struct {
	pingworld.World
	prop func(*plan.Plan) error
}

func (w planWorld) Run(_ uint64, p *plan.Plan, _ world.Options) (*world.Outcome, error) {
	o := &world.Outcome{Trace: &model.Trace{}}
	if err := w.prop(p); err != nil {
		o.Violations = []world.Violation{{Property: "plan", Message: err.Error()}}
	}
	return o, nil
}

func TestShrinkDeletesFaultsAndQuietsNoise(t *testing.T) {
	hasPartition := func(p *plan.Plan) error {
		for _, f := range p.Faults {
			if f.Kind == "partition" {
				return fmt.Errorf("partition")
			}
		}
		return nil
	}
	f, err := simtest.Minimize(planWorld{prop: hasPartition}, simtest.PlanGen(pingworld.World{}, plan.GenOptions{MaxFaults: 16}), world.Options{}, simtest.MinimizeOptions{})
	if err != nil || f == nil {
		t.Fatalf("no minimal plan: %v", err)
	}
	got := string(planJSON(t, f.Plan))
	want := `{"world":"ping","seed":0,"knobs":{"clients":1,"interval":"50ms","pings":1,"servers":1,"timeout":"200ms"},` +
		`"faults":[{"at":"0s","kind":"partition","from":["server-1"],"to":["client-1"]}],` +
		`"heal_at":"25ms","converge_within":"1s"}` // the ping world's drawn plans heal halfway
	if got != want {
		t.Fatalf("shrunk to\n%s\nwant\n%s", got, want)
	}
}

func TestShrinkNoiseToItsSmallestStep(t *testing.T) {
	lossy := func(p *plan.Plan) error {
		if p.Network != nil && p.Network.Default != nil && p.Network.Default.Loss != nil {
			return fmt.Errorf("lossy")
		}
		return nil
	}
	f, err := simtest.Minimize(planWorld{prop: lossy}, simtest.PlanGen(pingworld.World{}, plan.GenOptions{}), world.Options{}, simtest.MinimizeOptions{})
	if err != nil || f == nil {
		t.Fatalf("no minimal plan: %v", err)
	}
	nw, _ := json.Marshal(f.Plan.Network)
	if string(nw) != `{"default":{"loss":0.001}}` || len(f.Plan.Faults) != 0 {
		t.Fatalf("shrunk to %s", planJSON(t, f.Plan))
	}
}

func TestGenConvergeHealsAtTheHorizon(t *testing.T) {
	shape := pingworld.Shape
	shape.Converge = 5 * time.Second
	gen := simtest.ShapeGen(shape, plan.GenOptions{})
	rapid.Check(t, func(rt *rapid.T) {
		p := gen.Draw(rt, "plan")
		if p.ConvergeWithin.D() != 5*time.Second || p.HealAt.D() != shape.Horizon(p) {
			rt.Fatalf("heal_at %v converge_within %v", p.HealAt.D(), p.ConvergeWithin.D())
		}
		for _, f := range p.Faults {
			if f.At > p.HealAt {
				rt.Fatalf("fault at %v after heal_at %v", f.At.D(), p.HealAt.D())
			}
		}
	})
}
