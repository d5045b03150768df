package plan

// This file draws soak plans: the same generator as property tests, but
// with choices taken uniformly from a PCG stream seeded by the run's seed
// alone, wider knob ranges, more faults and more noise. A soak plan is a
// pure function of (world, seed), so a sweep over seeds needs no plan
// files and any seed it flags can be rerun from its number.

import (
	"math/rand/v2"
	"time"

	"github.com/edgelab/edgelab/sim/internal/streams"
)

// SoakOptions are the options Soak draws with.
var SoakOptions = GenOptions{
	MaxFaults: 40,
	Noise: NoiseLimits{
		LossPermille: 200, DupPermille: 100, ReorderPermille: 300,
		Latency: 50 * time.Millisecond, Spread: 200 * time.Millisecond, ReorderDelay: 100 * time.Millisecond,
		Overrides: 4,
		Clocks:    4, ClockOffset: 10 * time.Second, DriftPPM: 1000,
		BuggifyPermille: 500,
	},
	soak: true,
}

// Soak draws the soak plan of shape's world for seed: deterministic,
// bigger and noisier than a property test's. The plan carries the world
// and the seed.
func Soak(shape Shape, seed uint64) *Plan {
	opts := SoakOptions
	opts.Seed = &seed
	return Draw(SeedDrawer(seed, "soak/"+shape.World), shape, opts)
}

// SeedDrawer returns a Drawer that takes every choice uniformly from the
// PCG stream named stream under seed (independent of every simulation
// stream). It does not shrink.
func SeedDrawer(seed uint64, stream string) Drawer {
	return &seedDrawer{r: rand.New(streams.PCG(seed, "plan/"+stream))}
}

type seedDrawer struct{ r *rand.Rand }

func (s *seedDrawer) Int(_ string, min, max int) int {
	if max <= min {
		return min
	}
	return min + int(s.r.Uint64N(uint64(max-min)+1))
}

func (s *seedDrawer) List(label string, min, max int, elem func(Drawer) any) []any {
	n := s.Int(label, min, max)
	out := make([]any, 0, n)
	for range n {
		out = append(out, elem(s))
	}
	return out
}
