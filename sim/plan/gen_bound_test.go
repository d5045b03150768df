package plan

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// TestGenKeepsLatencyWithinTheShapesBound: a shape that bounds the
// one-way latency gets links (default, overrides and link faults) whose
// every draw stays within it, reordering included; and a drawn lognormal
// never has its median below its minimum.
func TestGenKeepsLatencyWithinTheShapesBound(t *testing.T) {
	bound := 30 * time.Millisecond
	shape := Shape{
		World:      "bound-test",
		Nodes:      func(*Plan) ([]string, error) { return []string{"a", "b", "c"}, nil },
		MaxLatency: func(*Plan) time.Duration { return bound },
	}
	check := func(what string, s *LinkSpec) {
		if s == nil {
			return
		}
		if s.Latency != nil && s.Latency.Dist == "lognormal" && s.Latency.Median < s.Latency.Min {
			t.Fatalf("%s: lognormal median %v below min %v", what, s.Latency.Median.D(), s.Latency.Min.D())
		}
		p, err := s.Params(what, link.Default)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if worst := p.MaxDelay(); worst > bound {
			t.Fatalf("%s: one-way delay up to %v, bound %v: %+v", what, worst, bound, p)
		}
	}
	links := 0
	for seed := range uint64(300) {
		p := Soak(shape, seed)
		if p.Network != nil {
			check("default", p.Network.Default)
			for i := range p.Network.Links {
				check("override", &p.Network.Links[i].LinkSpec)
				links++
			}
		}
		for _, f := range p.Faults {
			if f.Kind == "link" {
				check("link fault", f.Link)
			}
		}
	}
	if links == 0 {
		t.Fatal("no link overrides drawn")
	}
	// Without the bound, soak noise goes far beyond it.
	shape.MaxLatency = nil
	over := 0
	for seed := range uint64(300) {
		if p := Soak(shape, seed); p.Network != nil && p.Network.Default != nil {
			if lp, err := p.Network.Default.Params("default", link.Default); err == nil && lp.MaxDelay() > bound {
				over++
			}
		}
	}
	if over == 0 {
		t.Fatal("unbounded soak noise never exceeded the bound: the test proves nothing")
	}
}

const ms = time.Millisecond

func TestDistMaxCapsHeavyTails(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []link.Dist{
		{Kind: link.DistLogNormal, Min: ms, Median: 50 * ms, Sigma: 1.5, Max: 80 * ms},
		{Kind: link.DistExponential, Min: ms, Mean: 50 * ms, Max: 80 * ms},
	} {
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		hit := false
		for range 2000 {
			x := d.Sample(r)
			if x > d.Max || x < d.Min {
				t.Fatalf("%v: sample %v outside [%v, %v]", d.Kind, x, d.Min, d.Max)
			}
			hit = hit || x == d.Max
		}
		if !hit {
			t.Fatalf("%v: the cap was never reached", d.Kind)
		}
	}
	if err := (&link.Dist{Kind: link.DistLogNormal, Min: 5 * ms, Median: ms, Max: 2 * ms}).Validate(); err == nil {
		t.Fatal("a max below min validated")
	}
	if _, err := Parse([]byte(`{"network": {"default": {"latency": {"dist": "lognormal", "min": "40ms", "median": "5ms", "sigma": 1}}}}`)); err == nil ||
		err.Error() != "plan: network.default.latency.median: 5ms below min 40ms" {
		t.Fatalf("median below min: %v", err)
	}
}
