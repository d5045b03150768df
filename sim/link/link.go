// Package link describes how the simulated network carries a message:
// latency distributions, the parameters of a directed link (loss,
// duplication, reordering, bandwidth) and the address families a
// message travels in. These are values, shared by the plan format and
// the kernel that acts on them; the links' state (clogged, held, busy)
// is the kernel's.
package link

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// DistKind names a latency distribution.
type DistKind uint8

// The latency distributions.
const (
	DistFixed DistKind = iota
	DistUniform
	DistExponential
	DistLogNormal
)

func (k DistKind) String() string {
	switch k {
	case DistFixed:
		return "fixed"
	case DistUniform:
		return "uniform"
	case DistExponential:
		return "exponential"
	case DistLogNormal:
		return "lognormal"
	}
	return fmt.Sprintf("DistKind(%d)", uint8(k))
}

// Dist is a one-way latency distribution. Every kind adds Min as a floor:
//
//	fixed:       Min
//	uniform:     uniform on [Min, Max]
//	exponential: Min + Exp(mean Mean), at most Max if Max is set
//	lognormal:   Min + Median·exp(Sigma·N(0,1)), at most Max if Max is set
//
// A cap (Max on the heavy-tailed kinds) is what lets a plan promise that
// every message arrives within a bound, so that a world's timeouts can be
// drawn above its round trip.
type Dist struct {
	Kind   DistKind
	Min    time.Duration
	Max    time.Duration
	Mean   time.Duration
	Median time.Duration
	Sigma  float64
}

// Fixed is a constant latency.
func Fixed(d time.Duration) Dist { return Dist{Kind: DistFixed, Min: d} }

// Uniform is a latency uniform on [min, max].
func Uniform(min, max time.Duration) Dist { return Dist{Kind: DistUniform, Min: min, Max: max} }

// Exponential is min plus an exponentially distributed delay of the given mean.
func Exponential(min, mean time.Duration) Dist {
	return Dist{Kind: DistExponential, Min: min, Mean: mean}
}

// LogNormal is min plus a log-normal delay with the given median and shape.
func LogNormal(min, median time.Duration, sigma float64) Dist {
	return Dist{Kind: DistLogNormal, Min: min, Median: median, Sigma: sigma}
}

// maxDelay caps a sampled latency, so a heavy tail cannot park a message
// past any sensible run.
const maxDelay = time.Hour

// Sample draws one latency from r.
func (d *Dist) Sample(r *rand.Rand) time.Duration {
	var x time.Duration
	switch d.Kind {
	case DistFixed:
		return d.Min
	case DistUniform:
		if d.Max > d.Min {
			x = time.Duration(r.Int64N(int64(d.Max-d.Min) + 1))
		}
	case DistExponential:
		x = clampDelay(float64(d.Mean) * r.ExpFloat64())
	case DistLogNormal:
		x = clampDelay(float64(d.Median) * math.Exp(d.Sigma*r.NormFloat64()))
	}
	if d.Kind != DistUniform && d.Max > 0 && d.Min+x > d.Max {
		return d.Max
	}
	return d.Min + x
}

func clampDelay(f float64) time.Duration {
	if f >= float64(maxDelay) || math.IsNaN(f) {
		return maxDelay
	}
	if f < 0 {
		return 0
	}
	return time.Duration(f)
}

// Validate checks the parameters of d.
func (d *Dist) Validate() error {
	switch {
	case d.Kind > DistLogNormal:
		return fmt.Errorf("unknown distribution %v", d.Kind)
	case d.Min < 0:
		return fmt.Errorf("negative min %v", d.Min)
	case d.Kind == DistUniform && d.Max < d.Min:
		return fmt.Errorf("max %v below min %v", d.Max, d.Min)
	case d.Max < 0 || (d.Max > 0 && d.Max < d.Min):
		return fmt.Errorf("max %v below min %v", d.Max, d.Min)
	case d.Kind == DistExponential && d.Mean <= 0:
		return fmt.Errorf("exponential mean %v must be positive", d.Mean)
	case d.Kind == DistLogNormal && (d.Median <= 0 || d.Sigma < 0 || math.IsNaN(d.Sigma)):
		return fmt.Errorf("lognormal needs a positive median and sigma >= 0")
	}
	return nil
}

// Params describe a directed link's behaviour.
type Params struct {
	// Latency is the one-way propagation delay.
	Latency Dist
	// Loss is the probability a message is lost.
	Loss float64
	// Dup is the probability a message is delivered twice (the copy has its
	// own latency draw).
	Dup float64
	// Reorder is the probability a message is delayed by an extra amount
	// uniform on [0, ReorderDelay], letting later messages overtake it.
	Reorder      float64
	ReorderDelay time.Duration
	// Bandwidth is the capacity in bytes per second: a message occupies the
	// link for size/Bandwidth and queues behind earlier ones (FIFO). Zero
	// means unlimited.
	Bandwidth int64
}

// MaxDelay is the longest one-way delay the link's latency and reordering
// may give a message (queueing behind others aside): what a world's
// timeouts must exceed. A heavy-tailed distribution without a cap gives
// the sampling limit, an hour.
func (p *Params) MaxDelay() time.Duration {
	d := &p.Latency
	var lat time.Duration
	switch {
	case d.Kind == DistFixed:
		lat = d.Min
	case d.Kind == DistUniform || d.Max > 0:
		lat = d.Max
	default:
		lat = d.Min + maxDelay
	}
	if p.Reorder > 0 {
		rd := p.ReorderDelay
		if rd == 0 {
			rd = DefaultReorderDelay
		}
		lat += rd
	}
	return lat
}

// Default is the network's link unless a world or plan says otherwise:
// a healthy 1ms link.
var Default = Params{Latency: Fixed(time.Millisecond)}

// DefaultReorderDelay applies when Reorder is set without a delay.
const DefaultReorderDelay = 10 * time.Millisecond

// Validate checks p, naming the offending field.
func (p *Params) Validate() error {
	if err := p.Latency.Validate(); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"loss", p.Loss}, {"dup", p.Dup}, {"reorder", p.Reorder}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("%s: probability %v not in [0, 1]", f.name, f.v)
		}
	}
	if p.ReorderDelay < 0 {
		return fmt.Errorf("reorder_delay: negative %v", p.ReorderDelay)
	}
	if p.Bandwidth < 0 {
		return fmt.Errorf("bandwidth: negative %d", p.Bandwidth)
	}
	return nil
}

// Family is an IP address family.
type Family string

// The address families.
const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// Check reports whether f is one of the two families.
func (f Family) Check() error {
	if f != IPv4 && f != IPv6 {
		return fmt.Errorf("sim: unknown address family %q (want %q or %q)", string(f), IPv4, IPv6)
	}
	return nil
}
