package sim

// This file puts a validated plan into a simulation: the time limit, link
// parameters, node settings, DNS, BUGGIFY, each fault as a kernel callback
// at its virtual time, and the heal time.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/link"
	"github.com/edgelab/edgelab/sim/plan"
)

// Apply configures s from the plan p: limit, network, node settings (adding the
// node that serves a zone if the world lacks it), resolvers, BUGGIFY, the
// fault timeline and the heal time. Node names are checked against s, so
// call it after the world has added its nodes. A nil plan changes nothing.
func (s *Sim) Apply(p *plan.Plan) error {
	if p == nil {
		return nil
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Limit > 0 {
		s.SetLimit(p.Limit.D())
	}
	nw := s.Net()
	if spec := p.Network; spec != nil {
		def := nw.Default()
		if spec.Default != nil {
			d, err := spec.Default.Params("network.default", def)
			if err != nil {
				return err
			}
			def = d
			if err := nw.SetDefault(def); err != nil {
				return &plan.Error{Field: "network.default", Err: err}
			}
		}
		for i, o := range spec.Links {
			f := "network.links[" + strconv.Itoa(i) + "]"
			lp, err := o.LinkSpec.Params(f, def)
			if err != nil {
				return err
			}
			pairs, err := linkPairs(s, f, o.From, o.To, o.Oneway)
			if err != nil {
				return err
			}
			for _, pr := range pairs {
				if err := nw.SetLink(pr[0], pr[1], lp); err != nil {
					return &plan.Error{Field: f, Err: err}
				}
			}
		}
	}
	if err := applyNodes(s, p.Nodes); err != nil {
		return err
	}
	if r := p.Resolver; r != nil {
		s.SetResolverConfig(ResolverConfig{Timeout: r.Timeout.D(), Attempts: r.Attempts})
	}
	if b := p.Buggify; b != nil && b.Enabled {
		if err := s.EnableBuggify(BuggifyConfig{EnableProb: b.EnableProb, FireProb: b.FireProb}); err != nil {
			return &plan.Error{Field: "buggify", Err: err}
		}
	}
	if err := checkZoneVersions(s, p); err != nil {
		return err
	}
	// Faults stop when the run heals: a callback due after that does
	// nothing, undo callbacks included (healing undid everything).
	unlessHealed := func(fn func()) func() {
		return func() {
			if !s.heal.done {
				fn()
			}
		}
	}
	for i := range p.Faults {
		f := &p.Faults[i]
		field := "faults[" + strconv.Itoa(i) + "]"
		do, undo, err := compileFault(s, f, field)
		if err != nil {
			return err
		}
		s.At(f.At.D(), unlessHealed(do))
		if undo != nil && f.For > 0 {
			s.At(f.At.D()+f.For.D(), unlessHealed(undo))
		}
	}
	if p.HealAt > 0 {
		s.SetHealAt(p.HealAt.D(), p.ConvergeWithin.D())
	}
	return nil
}

// checkZoneVersions checks that every stale DNS fault answers from a zone
// version that exists when it is injected: the zone's version at Apply
// plus the zone faults injected before it (at an earlier time, or at the
// same time and earlier in the list, since that is the order they run in).
func checkZoneVersions(s *Sim, p *plan.Plan) error {
	for i := range p.Faults {
		f := &p.Faults[i]
		if f.Kind != "dns" && f.Kind != "zone" {
			continue
		}
		field := "faults[" + strconv.Itoa(i) + "]"
		_, zone := s.DNS()
		if zone == nil {
			return planErr(field+".kind", "fault kind %q needs a DNS zone (declare one under nodes.NAME.zone)", f.Kind)
		}
		if f.Kind != "dns" || f.DNS.Kind != dns.Stale {
			continue
		}
		have := zone.Version()
		for j := range p.Faults {
			g := &p.Faults[j]
			if g.Kind == "zone" && (g.At < f.At || g.At == f.At && j < i) {
				have++
			}
		}
		if f.DNS.Version > have {
			return planErr(field+".dns.version", "version %d does not exist at %v (the zone has versions 0 to %d then)", f.DNS.Version, f.At.D(), have)
		}
	}
	return nil
}

// linkPairs expands from × to (and back unless oneway) into directed pairs,
// checking the names.
func linkPairs(s *Sim, field string, from, to []string, oneway bool) ([][2]string, error) {
	if err := knownNodes(s, field+".from", from); err != nil {
		return nil, err
	}
	if err := knownNodes(s, field+".to", to); err != nil {
		return nil, err
	}
	var out [][2]string
	for _, a := range from {
		for _, b := range to {
			if a == b {
				continue
			}
			out = append(out, [2]string{a, b})
			if !oneway {
				out = append(out, [2]string{b, a})
			}
		}
	}
	return out, nil
}

func knownNodes(s *Sim, field string, names []string) error {
	for i, n := range names {
		if s.Node(n) == nil {
			return planErr(field+"["+strconv.Itoa(i)+"]", "unknown node %q", n)
		}
	}
	return nil
}

// compileFault turns a fault into the callback that injects it and, for kinds
// that take "for", the one that undoes it. Node names are checked now, so
// the callbacks cannot fail.
func compileFault(s *Sim, f *plan.FaultSpec, field string) (do, undo func(), err error) {
	nw := s.Net()
	if f.Node != "" && s.Node(f.Node) == nil {
		return nil, nil, planErr(field+".node", "unknown node %q", f.Node)
	}
	if err := knownNodes(s, field+".nodes", f.Nodes); err != nil {
		return nil, nil, err
	}
	pairs, err := linkPairs(s, field, f.From, f.To, f.Oneway)
	if err != nil {
		return nil, nil, err
	}
	eachPair := func(fn func(a, b string) error) func() {
		return func() {
			for _, pr := range pairs {
				_ = fn(pr[0], pr[1]) // names were checked above
			}
		}
	}
	switch f.Kind {
	case "partition":
		if f.Oneway {
			do = func() { _ = nw.PartitionOneWay(f.From, f.To) }
		} else {
			do = func() { _ = nw.Partition(f.From, f.To) }
		}
		undo = nw.Heal
	case "isolate":
		do = func() { _ = nw.Isolate(f.Node) }
		undo = nw.Heal
	case "heal":
		do = nw.Heal
	case "clog":
		do = eachPair(nw.Clog)
		undo = eachPair(nw.Unclog)
	case "unclog":
		do = nw.UnclogAll
		if len(pairs) > 0 {
			do = eachPair(nw.Unclog)
		}
	case "swizzle":
		span, step := f.Span.D(), f.Step.D()
		if span == 0 {
			span = time.Second
		}
		if step == 0 {
			step = 100 * time.Millisecond
		}
		do = func() { _ = nw.Swizzle(f.Nodes, span, step) }
	case "hold":
		do = eachPair(nw.Hold)
		undo = eachPair(nw.Release)
	case "release":
		do = nw.ReleaseAll
		if len(pairs) > 0 {
			do = eachPair(nw.Release)
		}
	case "loss", "link":
		set := func(base link.Params) link.Params {
			if f.Kind == "loss" {
				base.Loss = *f.P
				return base
			}
			lp, _ := f.Link.Params(field+".link", base) // validated
			return lp
		}
		attrs := map[string]string{"from": strings.Join(f.From, ","), "to": strings.Join(f.To, ",")}
		if f.Kind == "loss" {
			attrs["p"] = strconv.FormatFloat(*f.P, 'g', -1, 64)
		}
		do = func() {
			nw.fault(f.Kind, attrs)
			if len(pairs) == 0 {
				_ = nw.SetDefault(set(nw.Default()))
				return
			}
			for _, pr := range pairs {
				cur, _ := nw.Link(pr[0], pr[1])
				_ = nw.SetLink(pr[0], pr[1], set(cur))
			}
		}
	case "family_down":
		var o Outage
		if f.Node != "" {
			do = func() { o, _ = nw.NodeFamilyDown(f.Node, f.Family) } // validated
		} else {
			do = func() { o, _ = nw.FamilyDown(f.Family, f.From, f.To, f.Oneway) }
		}
		undo = func() { nw.FamilyUp(o) }
	case "crash":
		n := s.Node(f.Node)
		do = n.Crash
		undo = func() { n.Restart(nil) }
	case "restart":
		n := s.Node(f.Node)
		do = func() { n.Restart(nil) }
	case "pause":
		n := s.Node(f.Node)
		do, undo = n.Pause, n.Resume
	case "resume":
		do = s.Node(f.Node).Resume
	case "disk":
		n := s.Node(f.Node)
		if n.MemDisk() == nil {
			return nil, nil, planErr(field+".node", "node %q has a disk that is not a simulated MemDisk", f.Node)
		}
		var prev disk.Faults
		do = func() {
			prev = n.MemDisk().Faults()
			_ = n.SetDiskFaults(f.Disk.Faults()) // validated
		}
		undo = func() { _ = n.SetDiskFaults(prev) }
	case "clock_jump":
		n := s.Node(f.Node)
		do = func() { n.JumpClock(f.By.D()) }
	case "dns":
		fault := *f.DNS
		do = func() {
			node, zone := s.DNS()
			s.Log(node, model.Fault, "dns-fault", dnsFaultAttrs(fault))
			_ = s.setDNSFaults(append([]dns.Fault{fault}, zone.Faults()...)) // versions checked
		}
		undo = func() {
			node, zone := s.DNS()
			cur := zone.Faults()
			if i := slices.Index(cur, fault); i >= 0 {
				s.Log(node, model.Fault, "dns-fault-end", dnsFaultAttrs(fault))
				_ = s.setDNSFaults(slices.Delete(cur, i, i+1))
			}
		}
	case "zone":
		records := f.Zone.Records
		do = func() {
			node, zone := s.DNS()
			_ = zone.Update(records...) // validated
			s.Log(node, model.Fault, "zone-update", map[string]string{"version": strconv.Itoa(zone.Version())})
		}
	default:
		return nil, nil, planErr(field+".kind", "unknown fault kind %q", f.Kind)
	}
	return do, undo, nil
}

func dnsFaultAttrs(f dns.Fault) map[string]string {
	a := map[string]string{"kind": string(f.Kind)}
	if f.Name != "" {
		a["name"] = f.Name
	}
	if f.Type != "" {
		a["type"] = f.Type
	}
	if f.Kind == dns.Stale {
		a["version"] = strconv.Itoa(f.Version)
	}
	return a
}

// applyNodes puts the node settings of ns into s, in name order.
func applyNodes(s *Sim, ns plan.NodeSpecs) error {
	for _, name := range slices.Sorted(maps.Keys(ns)) {
		spec, f := ns[name], "nodes."+name
		n := s.Node(name)
		if n == nil {
			if spec == nil || spec.Zone == nil {
				return planErr(f, "unknown node %q (the plan adds only nodes that serve a zone)", name)
			}
			n = s.AddNode(name)
		}
		if spec == nil {
			continue
		}
		if spec.Disk != nil {
			if err := n.SetDiskFaults(spec.Disk.Faults()); err != nil {
				return &plan.Error{Field: f + ".disk", Err: err}
			}
		}
		if spec.Clock != nil {
			if err := n.SetClock(clockOf(spec.Clock)); err != nil {
				return &plan.Error{Field: f + ".clock", Err: err}
			}
		}
		if spec.Zone != nil {
			z, err := dns.NewZone(spec.Zone.Records...)
			if err != nil { // validate let it through: say where anyway
				return &plan.Error{Field: f + ".zone", Err: err}
			}
			n.ServeDNS(z)
		}
	}
	return nil
}

// clockOf returns the Clock c describes, counting drift from the start
// of the run.
func clockOf(c *plan.ClockSpec) Clock {
	clk := Clock{Epoch: Epoch, Offset: c.Offset.D(), DriftPPM: c.DriftPPM}
	for _, j := range c.Jumps {
		clk.Jumps = append(clk.Jumps, ClockJump{At: Epoch.Add(j.At.D()), By: j.By.D()})
	}
	return clk
}

func planErr(field string, format string, args ...any) error {
	return &plan.Error{Field: field, Err: fmt.Errorf(format, args...)}
}
