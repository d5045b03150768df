package plan

import (
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// This file draws noise: the default link and a few per-link overrides,
// skewed node clocks and BUGGIFY. Each parameter is drawn from a range
// whose minimum means "as if not set", and a section in which nothing was
// drawn is left out, so a fully shrunk draw has no network, nodes or
// buggify section at all.

// drawNetwork draws the plan's network section, or nil for a quiet one.
func drawNetwork(d Drawer, nodes []string, lim NoiseLimits) *NetworkSpec {
	nw := &NetworkSpec{Default: drawLink(d, lim, "net.")}
	if lim.Overrides > 0 && len(nodes) > 1 {
		for _, v := range d.List("net.links", 0, lim.Overrides, func(d Drawer) any {
			spec := drawLink(d, lim, "link.")
			if spec == nil {
				return nil
			}
			o := LinkOverride{LinkSpec: *spec}
			o.From, o.To = drawCut(d, nodes, "link.")
			o.Oneway = d.Int("link.oneway", 0, 1) == 1
			return o
		}) {
			if o, ok := v.(LinkOverride); ok {
				nw.Links = append(nw.Links, o)
			}
		}
	}
	if nw.Default == nil && len(nw.Links) == 0 {
		return nil
	}
	return nw
}

// drawLink draws link parameters, or nil if every draw was the minimum.
func drawLink(d Drawer, lim NoiseLimits, prefix string) *LinkSpec {
	var s LinkSpec
	set := false
	extra := d.Int(prefix+"latency_us", 0, int(lim.Latency/time.Microsecond))
	spread := d.Int(prefix+"spread_us", 0, int(lim.Spread/time.Microsecond))
	if extra > 0 || spread > 0 {
		base := link.Default.Latency.Min + time.Duration(extra)*time.Microsecond
		width := time.Duration(spread) * time.Microsecond
		s.Latency = &DistSpec{Dist: "fixed", Value: Duration(base)}
		if spread > 0 {
			switch d.Int(prefix+"dist", 0, 2) {
			case 0:
				s.Latency = &DistSpec{Dist: "uniform", Min: Duration(base), Max: Duration(base + width)}
			case 1:
				s.Latency = &DistSpec{Dist: "exponential", Min: Duration(base), Mean: Duration(width)}
			default:
				// The median is drawn above the floor: a plan whose median is
				// below its minimum would not be valid.
				sigma := float64(d.Int(prefix+"sigma_pct", 1, 150)) / 100
				s.Latency = &DistSpec{Dist: "lognormal", Min: Duration(base), Median: Duration(base + width), Sigma: sigma}
			}
		}
		set = true
	}
	if p := drawPermille(d, prefix+"loss", lim.LossPermille); p != nil {
		s.Loss, set = p, true
	}
	if p := drawPermille(d, prefix+"dup", lim.DupPermille); p != nil {
		s.Dup, set = p, true
	}
	if p := drawPermille(d, prefix+"reorder", lim.ReorderPermille); p != nil {
		s.Reorder, set = p, true
		if ms := d.Int(prefix+"reorder_delay_ms", 0, int(lim.ReorderDelay/time.Millisecond)); ms > 0 {
			rd := Duration(time.Duration(ms) * time.Millisecond)
			s.ReorderDelay = &rd
		}
	}
	// Bandwidth classes: 0 is unlimited (the shrink target), then ever
	// narrower links.
	if c := d.Int(prefix+"bandwidth_class", 0, 3); c > 0 {
		bw := int64(10_000_000)
		for range c - 1 {
			bw /= 10
		}
		s.Bandwidth, set = &bw, true
	}
	if !set {
		return nil
	}
	if lim.MaxLatency > 0 {
		boundLatency(&s, lim.MaxLatency)
	}
	return &s
}

// boundLatency keeps the one-way delay of a link drawn as s within max:
// reordering gets at most a quarter of it, the latency the rest (the
// bound of a uniform distribution, the cap of a heavy-tailed one). A
// latency left at link.Default's is within any sensible bound.
func boundLatency(s *LinkSpec, max time.Duration) {
	rd := time.Duration(0)
	if s.Reorder != nil {
		rd = link.DefaultReorderDelay
		if s.ReorderDelay != nil {
			rd = s.ReorderDelay.D()
		}
		switch {
		case max/4 <= 0:
			s.Reorder, s.ReorderDelay, rd = nil, nil, 0
		case rd > max/4:
			rd = max / 4
			v := Duration(rd)
			s.ReorderDelay = &v
		}
	}
	l := s.Latency
	if l == nil {
		return
	}
	lat := Duration(max - rd)
	switch l.Dist {
	case "fixed":
		l.Value = min(l.Value, lat)
	case "uniform":
		l.Min, l.Max = min(l.Min, lat), min(l.Max, lat)
	case "exponential":
		l.Min, l.Max = min(l.Min, lat), lat
	case "lognormal":
		l.Min, l.Max = min(l.Min, lat), lat
		l.Median = min(l.Median, lat)
	}
}

// drawPermille draws a probability in thousandths up to max, nil for zero.
func drawPermille(d Drawer, label string, max int) *float64 {
	if max <= 0 {
		return nil
	}
	v := d.Int(label+"_permille", 0, min(max, 1000))
	if v == 0 {
		return nil
	}
	p := float64(v) / 1000
	return &p
}

// drawCut draws two node groups: one node against every other node (the
// shrink target) or against one other node.
func drawCut(d Drawer, nodes []string, prefix string) (from, to []string) {
	i := d.Int(prefix+"from", 0, len(nodes)-1)
	from = []string{nodes[i]}
	if d.Int(prefix+"to_one", 0, 1) == 0 {
		for j, n := range nodes {
			if j != i {
				to = append(to, n)
			}
		}
		return from, to
	}
	j := d.Int(prefix+"to", 0, len(nodes)-2)
	if j >= i {
		j++
	}
	return from, []string{nodes[j]}
}

// drawClocks draws a few nodes with an offset and drifting clock, nil if
// none.
func drawClocks(d Drawer, nodes []string, lim NoiseLimits) NodeSpecs {
	if lim.Clocks <= 0 || len(nodes) == 0 {
		return nil
	}
	var specs NodeSpecs
	for _, v := range d.List("clocks", 0, lim.Clocks, func(d Drawer) any {
		name := nodes[d.Int("clock.node", 0, len(nodes)-1)]
		off := time.Duration(d.Int("clock.offset_ms", 0, int(lim.ClockOffset/time.Millisecond))) * time.Millisecond
		if off != 0 && d.Int("clock.behind", 0, 1) == 1 {
			off = -off
		}
		drift := float64(d.Int("clock.drift_ppm", 0, lim.DriftPPM))
		if drift != 0 && d.Int("clock.slow", 0, 1) == 1 {
			drift = -drift
		}
		if off == 0 && drift == 0 {
			return nil
		}
		return [2]any{name, &ClockSpec{Offset: Duration(off), DriftPPM: drift}}
	}) {
		if nc, ok := v.([2]any); ok {
			if specs == nil {
				specs = NodeSpecs{}
			}
			specs[nc[0].(string)] = &NodeSpec{Clock: nc[1].(*ClockSpec)}
		}
	}
	return specs
}

// drawBuggify turns BUGGIFY on with drawn probabilities, or returns nil.
func drawBuggify(d Drawer, lim NoiseLimits) *BuggifySpec {
	if lim.BuggifyPermille <= 0 || d.Int("buggify", 0, 1) == 0 {
		return nil
	}
	return &BuggifySpec{
		Enabled:    true,
		EnableProb: float64(d.Int("buggify.enable_permille", 1, min(lim.BuggifyPermille, 1000))) / 1000,
		FireProb:   float64(d.Int("buggify.fire_permille", 1, min(lim.BuggifyPermille, 1000))) / 1000,
	}
}
