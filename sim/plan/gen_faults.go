package plan

// This file draws timed faults. Each fault kind has a drawer that fills in
// the kind's parameters; a kind added to the plan format without one is
// drawn generically from the fields it takes (node, nodes, from/to,
// oneway, p, link, span, step, for), so new kinds slot in as long as their
// parameters are of those sorts. A kind with new sorts of parameters
// registers a drawer with RegisterFaultGen. A kind that only some worlds
// can take (DNS faults need a zone) names the capability it needs, and a
// world's Shape lists what it has; a kind whose parameters only the world
// knows (a zone's records) is drawn by the world's own Shape.Faults.

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// FaultDrawer fills in f, whose Kind and At are already set. It returns
// false when the fault cannot be drawn for this plan (no node it may name,
// say); the fault is then left out.
type FaultDrawer func(d Drawer, c *FaultContext, f *FaultSpec) bool

// FaultContext is what a FaultDrawer may draw from.
type FaultContext struct {
	// Nodes are the world's nodes for the plan being drawn.
	Nodes []string
	// Horizon is how far into the run faults fall.
	Horizon time.Duration
	// Noise bounds link parameters a fault may set.
	Noise NoiseLimits
	shape *Shape
}

// FaultGen is how the generator draws one fault kind.
type FaultGen struct {
	// Draw fills in the fault. Nil means the kind is drawn only for
	// worlds that supply a drawer in Shape.Faults.
	Draw FaultDrawer
	// Needs is a capability the world must list in Shape.Has for the kind
	// to be drawn ("dns"); empty means every world can take it.
	Needs string
}

// faultGens holds how each kind is drawn: the builtins, then what other
// files register from init.
var faultGens = struct {
	sync.RWMutex
	m map[string]FaultGen
}{m: builtinGens()}

func builtinGens() map[string]FaultGen {
	m := make(map[string]FaultGen, len(builtinDrawers))
	for kind, fn := range builtinDrawers {
		m[kind] = FaultGen{Draw: fn}
	}
	return m
}

// cutFor draws a fault on a cut of the network lasting up to a div-th of
// the horizon.
func cutFor(div time.Duration) FaultDrawer {
	return func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		ok := c.Cut(d, f)
		f.For = c.Millis(d, "for", c.Horizon/div)
		return ok
	}
}

// builtinDrawers draw the network and node faults every world can take.
var builtinDrawers = map[string]FaultDrawer{
	"partition": cutFor(2),
	"isolate": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		ok := c.Node(d, f)
		f.For = c.Millis(d, "for", c.Horizon/2)
		return ok
	},
	"heal": func(Drawer, *FaultContext, *FaultSpec) bool { return true },
	"clog": cutFor(4),
	"unclog": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		c.MaybeCut(d, f)
		return true
	},
	"swizzle": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		f.Nodes = c.Subset(d, f.Kind)
		f.Span = c.Millis(d, "span", 2*time.Second)
		f.Step = c.Millis(d, "step", 500*time.Millisecond)
		return true
	},
	"hold": cutFor(4),
	"release": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		c.MaybeCut(d, f)
		return true
	},
	"loss": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		p := float64(d.Int("p_permille", 0, 1000)) / 1000
		f.P = &p
		c.MaybeCut(d, f)
		return true
	},
	"link": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		f.Link = c.Link(d)
		c.MaybeCut(d, f)
		return true
	},
	"crash": func(d Drawer, c *FaultContext, f *FaultSpec) bool {
		ok := c.Node(d, f)
		f.For = c.Millis(d, "for", c.Horizon/2)
		return ok
	},
	"restart":     func(d Drawer, c *FaultContext, f *FaultSpec) bool { return c.Node(d, f) },
	"family_down": drawFamilyDown,
}

// drawFamilyDown draws one address family down (IPv6 first: the shrink
// target, and the family that fails in practice) on a node or on a cut.
func drawFamilyDown(d Drawer, c *FaultContext, f *FaultSpec) bool {
	f.Family = link.IPv6
	if d.Int("family", 0, 1) == 1 {
		f.Family = link.IPv4
	}
	ok := true
	if d.Int("on_links", 0, 1) == 0 {
		ok = c.Node(d, f)
	} else {
		ok = c.Cut(d, f)
	}
	f.For = c.Millis(d, "for", c.Horizon/2)
	return ok
}

// RegisterFaultGen sets how a fault kind is drawn, for kinds whose
// parameters the generic drawer cannot fill or that need a capability. It
// panics if the kind already has one.
func RegisterFaultGen(kind string, g FaultGen) {
	faultGens.Lock()
	defer faultGens.Unlock()
	if _, dup := faultGens.m[kind]; dup {
		panic("sim: fault generator registered twice: " + kind)
	}
	faultGens.m[kind] = g
}

func lookupFaultGen(kind string) (FaultGen, bool) {
	faultGens.RLock()
	defer faultGens.RUnlock()
	g, ok := faultGens.m[kind]
	return g, ok
}

// genericFields are the parameter sorts the generic drawer knows.
var genericFields = []string{"node", "nodes", "from", "to", "oneway", "p", "link", "span", "step", "for"}

// DrawableFaultKinds lists, sorted, the fault kinds a plan may use that the
// generator knows how to draw for some world: those with a FaultGen and
// those whose parameters the generic drawer knows. A test keeps it equal
// to FaultKinds.
func DrawableFaultKinds() []string {
	var out []string
	for _, k := range FaultKinds() {
		if _, ok := lookupFaultGen(k); ok || genericDrawable(k) {
			out = append(out, k)
		}
	}
	return out
}

// drawerFor returns the drawer of kind for shape, nil if the shape cannot
// take the kind.
func drawerFor(shape *Shape, kind string) FaultDrawer {
	if fn := shape.Faults[kind]; fn != nil {
		return fn
	}
	if g, ok := lookupFaultGen(kind); ok {
		if g.Draw == nil || (g.Needs != "" && !slices.Contains(shape.Has, g.Needs)) {
			return nil
		}
		return g.Draw
	}
	if genericDrawable(kind) {
		return drawGeneric
	}
	return nil
}

func genericDrawable(kind string) bool {
	fields, ok := faultFields[kind]
	if !ok {
		return false
	}
	for _, f := range fields {
		if !slices.Contains(genericFields, f) {
			return false
		}
	}
	return true
}

// kinds returns the fault kinds to draw from, in FaultKinds order.
func (c *FaultContext) kinds(opts GenOptions) []string {
	var out []string
	for _, k := range FaultKinds() {
		if drawerFor(c.shape, k) == nil {
			continue
		}
		if c.shape.Kinds != nil && !slices.Contains(c.shape.Kinds, k) {
			continue
		}
		if opts.Kinds != nil && !slices.Contains(opts.Kinds, k) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// drawFault draws one fault, or nil if the drawn kind cannot be drawn here.
func drawFault(d Drawer, c *FaultContext, kinds []string) any {
	f := FaultSpec{Kind: kinds[d.Int("kind", 0, len(kinds)-1)]}
	f.At = c.Millis(d, "at", c.Horizon)
	if !drawerFor(c.shape, f.Kind)(d, c, &f) {
		return nil
	}
	if err := f.validate("fault"); err != nil {
		// A drawer that produces invalid faults is a bug; say which.
		panic(fmt.Sprintf("sim: drawer for fault kind %q: %v", f.Kind, err))
	}
	return f
}

// drawGeneric fills every parameter the kind takes.
func drawGeneric(d Drawer, c *FaultContext, f *FaultSpec) bool {
	fields := faultFields[f.Kind]
	has := func(name string) bool { return slices.Contains(fields, name) }
	if has("node") && !c.Node(d, f) {
		return false
	}
	if has("nodes") {
		f.Nodes = c.Subset(d, f.Kind)
	}
	if has("from") && has("to") {
		c.Cut(d, f)
		if !has("oneway") {
			f.Oneway = false
		}
	}
	if has("p") {
		p := float64(d.Int("p_permille", 0, 1000)) / 1000
		f.P = &p
	}
	if has("link") {
		f.Link = c.Link(d)
	}
	if has("span") {
		f.Span = c.Millis(d, "span", 2*time.Second)
	}
	if has("step") {
		f.Step = c.Millis(d, "step", 500*time.Millisecond)
	}
	if has("for") {
		f.For = c.Millis(d, "for", c.Horizon/2)
	}
	return f.validate("fault") == nil
}

// Targets returns the nodes a fault of kind may name.
func (c *FaultContext) Targets(kind string) []string {
	if c.shape != nil && c.shape.Targets != nil {
		return c.shape.Targets(kind, slices.Clone(c.Nodes))
	}
	return c.Nodes
}

// Node sets f.Node to a node the kind may name; false if there is none.
func (c *FaultContext) Node(d Drawer, f *FaultSpec) bool {
	ts := c.Targets(f.Kind)
	if len(ts) == 0 {
		return false
	}
	f.Node = ts[d.Int("node", 0, len(ts)-1)]
	return true
}

// Subset draws nil (every node, the shrink target) or a subset of the
// nodes the kind may name.
func (c *FaultContext) Subset(d Drawer, kind string) []string {
	if d.Int("subset", 0, 1) == 0 {
		return nil
	}
	var out []string
	for _, n := range c.Targets(kind) {
		if d.Int("in:"+n, 0, 1) == 1 {
			out = append(out, n)
		}
	}
	return out
}

// Cut sets f.From, f.To and f.Oneway to two node groups; false if the
// world has fewer than two nodes.
func (c *FaultContext) Cut(d Drawer, f *FaultSpec) bool {
	if len(c.Nodes) < 2 {
		return false
	}
	f.From, f.To = drawCut(d, c.Nodes, "")
	f.Oneway = d.Int("oneway", 0, 1) == 1
	return true
}

// MaybeCut leaves the groups out (the fault applies everywhere, the shrink
// target) or draws them.
func (c *FaultContext) MaybeCut(d Drawer, f *FaultSpec) {
	if d.Int("scoped", 0, 1) == 1 {
		c.Cut(d, f)
	}
}

// Millis draws a duration in whole milliseconds in [0, max].
func (c *FaultContext) Millis(d Drawer, label string, max time.Duration) Duration {
	return Duration(time.Duration(d.Int(label+"_ms", 0, int(max/time.Millisecond))) * time.Millisecond)
}

// Link draws link parameters within the noise limits (never nil).
func (c *FaultContext) Link(d Drawer) *LinkSpec {
	if s := drawLink(d, c.Noise, "fault."); s != nil {
		return s
	}
	return &LinkSpec{}
}
