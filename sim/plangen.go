package sim

// This file draws plans. A world describes its shape (knob ranges, the
// nodes a plan's knobs produce, which nodes a fault may name); the generic
// part draws the seed, network noise and a timeline of faults from
// FaultKinds. Every choice goes through a Drawer, so the same code serves
// property tests (rapid draws and shrinks the choices, see sim/simtest) and
// soak runs (a PCG stream seeded from the run's seed, see SoakPlan).
//
// The encoding is chosen for shrinking: every integer is drawn from a range
// starting at the "nothing happens" value (probabilities as permille from
// 0, latency spreads from 0, bandwidth limits from "unlimited"), faults and
// link overrides are lists, and an all-zero draw yields a plan without a
// network section. A shrinker that pushes integers toward their minimum and
// deletes list elements therefore removes faults and operations and drives
// noise to zero.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Drawer supplies the choices a plan is drawn from. Implementations: the
// rapid adapter in sim/simtest (shrinkable) and SeedDrawer (soak).
type Drawer interface {
	// Int returns an integer in [min, max]. A shrinker moves it toward min,
	// so min is always the quietest choice.
	Int(label string, min, max int) int
	// List draws between min and max elements with elem. elem may return
	// nil for "no element"; List keeps the nils and the caller drops them.
	// A shrinker deletes elements.
	List(label string, min, max int, elem func(Drawer) any) []any
}

// KnobRange is one knob a world lets the generator vary. A knob is an
// integer, a duration (Unit > 0, drawn as a count of Units) or a boolean.
type KnobRange struct {
	Name string
	// Unit makes the knob a duration of Min..Max Units.
	Unit time.Duration
	// Bool makes the knob true or false (Min and Max are ignored); it
	// shrinks toward false.
	Bool bool
	// Min and Max bound property-test draws; the shrinker moves toward Min,
	// so Min should be the smallest workload that still means something.
	Min, Max int
	// SoakMax, if above Max, raises the upper bound for soak plans.
	SoakMax int
}

// Shape is what the generator needs to know about a world.
type Shape struct {
	// World is the world's name; drawn plans carry it.
	World string
	// Knobs are the knobs to draw, in draw order.
	Knobs []KnobRange
	// Nodes returns the names of the nodes the world builds for a plan
	// (whose knobs are already drawn). It is the world's topology.
	Nodes func(p *Plan) ([]string, error)
	// Horizon returns how far into the run faults may fall, for a plan
	// whose knobs are drawn. Nil means DefaultHorizon.
	Horizon func(p *Plan) time.Duration
	// Kinds restricts the fault kinds drawn for this world; nil means
	// every kind in FaultKinds that has a drawer.
	Kinds []string
	// Targets, if set, narrows the nodes a fault of the given kind may
	// name in its node or nodes field (crash only servers, say), and with
	// kind "clock" the nodes drawn noise may give a skewed clock. It gets
	// every node and returns a subset.
	Targets func(kind string, nodes []string) []string
	// Has lists the capabilities the world offers to fault kinds that
	// need one (FaultGen.Needs): "dns" if it serves a DNS zone.
	Has []string
	// Faults are the world's own fault drawers, for kinds whose
	// parameters only the world knows (the records of a "zone" fault);
	// they take precedence over the generic ones.
	Faults map[string]FaultDrawer
	// MaxLatency, if set, returns the longest one-way delay the world's
	// timeouts allow a healthy link, for a plan whose knobs are drawn:
	// drawn noise stays within it (NoiseLimits.MaxLatency), so a timeout
	// the world draws is above every round trip the network draws.
	MaxLatency func(p *Plan) time.Duration
	// Converge, if set, makes drawn plans heal every fault at the horizon
	// and give the world this long to meet its liveness properties
	// (Plan.HealAt, Plan.ConvergeWithin).
	Converge time.Duration
}

// DefaultHorizon is how far into a run faults fall when the shape does not
// say.
const DefaultHorizon = 10 * time.Second

func (s *Shape) check() error {
	if s.World == "" {
		return fmt.Errorf("sim: shape without a world name")
	}
	if s.Nodes == nil {
		return fmt.Errorf("sim: shape %s: Nodes is nil", s.World)
	}
	for _, k := range s.Knobs {
		if k.Name == "" || (!k.Bool && (k.Min > k.Max || k.Min < 0)) {
			return fmt.Errorf("sim: shape %s: bad knob range %+v", s.World, k)
		}
	}
	return nil
}

// NoiseLimits bound the network noise a plan may draw.
type NoiseLimits struct {
	// LossPermille, DupPermille and ReorderPermille bound the link
	// probabilities, in thousandths.
	LossPermille, DupPermille, ReorderPermille int
	// Latency bounds the extra one-way latency over DefaultLink's; Spread
	// bounds the width of the latency distribution; ReorderDelay bounds
	// how long a reordered message is held back.
	Latency, Spread, ReorderDelay time.Duration
	// Overrides bounds the number of per-link overrides.
	Overrides int
	// Clocks bounds how many nodes get a skewed clock, ClockOffset and
	// DriftPPM how far off and how fast it runs.
	Clocks      int
	ClockOffset time.Duration
	DriftPPM    int
	// BuggifyPermille bounds BUGGIFY's enable and fire probabilities;
	// zero draws no BUGGIFY.
	BuggifyPermille int
	// MaxLatency, if positive, bounds every drawn link's one-way delay,
	// reordering included: heavy-tailed distributions get it as their
	// cap. DrawPlan sets it from Shape.MaxLatency.
	MaxLatency time.Duration
}

// DefaultNoise is the noise of property-test plans: enough to matter,
// little enough that a healthy service still makes progress.
var DefaultNoise = NoiseLimits{
	LossPermille: 100, DupPermille: 50, ReorderPermille: 200,
	Latency: 20 * time.Millisecond, Spread: 50 * time.Millisecond, ReorderDelay: 50 * time.Millisecond,
	Overrides: 2,
	Clocks:    2, ClockOffset: 2 * time.Second, DriftPPM: 200,
	BuggifyPermille: 250,
}

// GenOptions tune how plans are drawn.
type GenOptions struct {
	// MaxFaults bounds the fault list; zero means 8, negative means none.
	MaxFaults int
	// Kinds restricts the fault kinds (intersected with the shape's); nil
	// means all.
	Kinds []string
	// Quiet draws no noise: no network, clock or BUGGIFY settings.
	Quiet bool
	// Noise bounds the noise; the zero value means DefaultNoise.
	Noise NoiseLimits
	// Seed, if set, is the plan's seed; otherwise the seed is drawn too
	// (and shrinks toward 0).
	Seed *uint64
	// soak draws knobs up to KnobRange.SoakMax.
	soak bool
}

func (o GenOptions) maxFaults() int {
	switch {
	case o.MaxFaults == 0:
		return 8
	case o.MaxFaults < 0:
		return 0
	}
	return o.MaxFaults
}

func (o GenOptions) noise() NoiseLimits {
	if o.Noise == (NoiseLimits{}) {
		return DefaultNoise
	}
	return o.Noise
}

// maxDrawnSeed bounds drawn seeds; any range will do, a small one keeps
// shrunk plans readable.
const maxDrawnSeed = 1<<31 - 1

// DrawPlan draws a plan for shape with the choices d makes. The plan is
// valid for the world (Validate passes and every node name exists); a
// shape whose Nodes fails makes DrawPlan panic, since that is a bug in the
// world's shape, not an event a test should shrink.
func DrawPlan(d Drawer, shape Shape, opts GenOptions) *Plan {
	if err := shape.check(); err != nil {
		panic(err)
	}
	p := &Plan{World: shape.World}
	seed := uint64(0)
	if opts.Seed != nil {
		seed = *opts.Seed
	} else {
		seed = uint64(d.Int("seed", 0, maxDrawnSeed))
	}
	p.Seed = &seed
	drawKnobs(d, shape, opts, p)
	nodes, err := shape.Nodes(p)
	if err != nil {
		panic(fmt.Sprintf("sim: shape %s: nodes for drawn knobs: %v", shape.World, err))
	}
	noise := opts.noise()
	if shape.MaxLatency != nil {
		if b := shape.MaxLatency(p); b > 0 && (noise.MaxLatency == 0 || b < noise.MaxLatency) {
			noise.MaxLatency = b
		}
	}
	if !opts.Quiet {
		p.Network = drawNetwork(d, nodes, noise)
		clocked := nodes
		if shape.Targets != nil {
			// The kind "clock" narrows which nodes get a skewed clock.
			clocked = shape.Targets("clock", slices.Clone(nodes))
		}
		p.Nodes = drawClocks(d, clocked, noise)
		p.Buggify = drawBuggify(d, noise)
	}
	horizon := DefaultHorizon
	if shape.Horizon != nil {
		horizon = shape.Horizon(p)
	}
	c := &FaultContext{Nodes: nodes, Horizon: horizon, Noise: noise, shape: &shape}
	kinds := c.kinds(opts)
	if n := opts.maxFaults(); n > 0 && len(kinds) > 0 {
		for _, v := range d.List("faults", 0, n, func(d Drawer) any { return drawFault(d, c, kinds) }) {
			if f, ok := v.(FaultSpec); ok {
				p.Faults = append(p.Faults, f)
			}
		}
		// Order by time for the reader; Apply schedules each fault at its
		// own time, and a stable sort keeps ties in drawn order, so the
		// run is the same either way.
		slices.SortStableFunc(p.Faults, func(a, b FaultSpec) int { return cmp.Compare(a.At, b.At) })
	}
	if shape.Converge > 0 {
		p.HealAt = Duration(max(horizon, time.Millisecond)) // zero would mean "never"
		p.ConvergeWithin = Duration(shape.Converge)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("sim: drew an invalid plan for %s: %v", shape.World, err))
	}
	return p
}

func drawKnobs(d Drawer, shape Shape, opts GenOptions, p *Plan) {
	for _, k := range shape.Knobs {
		var raw string
		switch {
		case k.Bool:
			raw = strconv.FormatBool(d.Int(k.Name, 0, 1) == 1)
		default:
			hi := k.Max
			if opts.soak && k.SoakMax > hi {
				hi = k.SoakMax
			}
			v := d.Int(k.Name, k.Min, hi)
			if k.Unit > 0 {
				raw = strconv.Quote((time.Duration(v) * k.Unit).String())
			} else {
				raw = strconv.Itoa(v)
			}
		}
		if p.Knobs == nil {
			p.Knobs = map[string]json.RawMessage{}
		}
		p.Knobs[k.Name] = json.RawMessage(raw)
	}
}

// IsQuiet reports whether p adds no noise: no link parameters, no skewed
// clocks, no BUGGIFY.
func IsQuiet(p *Plan) bool {
	if p == nil {
		return true
	}
	if nw := p.Network; nw != nil && (len(nw.Links) > 0 || nw.Default != nil && *nw.Default != LinkSpec{}) {
		return false
	}
	for _, n := range p.Nodes {
		if n != nil && n.Clock != nil && (n.Clock.Offset != 0 || n.Clock.DriftPPM != 0 || len(n.Clock.Jumps) > 0) {
			return false
		}
	}
	return p.Buggify == nil || !p.Buggify.Enabled
}

// GoString renders p as its JSON, so rapid's log of a drawn plan (which
// uses %#v) reads as a plan rather than as pointers.
func (p *Plan) GoString() string {
	if p == nil {
		return "(*sim.Plan)(nil)"
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprintf("(*sim.Plan)(unencodable: %v)", err)
	}
	return "sim.Plan" + string(b)
}
