package sim

// This file puts a validated plan into a simulation: the time limit, link
// parameters, and each fault as a kernel callback at its virtual time.

import (
	"strconv"
	"strings"
	"time"
)

// Apply configures s from p: limit, network, and the fault timeline. Node
// names are checked against s, so call it after the world has added its
// nodes. A nil plan changes nothing.
func (p *Plan) Apply(s *Sim) error {
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
			d, err := spec.Default.params("network.default", def)
			if err != nil {
				return err
			}
			def = d
			if err := nw.SetDefault(def); err != nil {
				return &PlanError{Field: "network.default", Err: err}
			}
		}
		for i, o := range spec.Links {
			f := "network.links[" + strconv.Itoa(i) + "]"
			lp, err := o.LinkSpec.params(f, def)
			if err != nil {
				return err
			}
			pairs, err := linkPairs(s, f, o.From, o.To, o.Oneway)
			if err != nil {
				return err
			}
			for _, pr := range pairs {
				if err := nw.SetLink(pr[0], pr[1], lp); err != nil {
					return &PlanError{Field: f, Err: err}
				}
			}
		}
	}
	for i := range p.Faults {
		f := &p.Faults[i]
		field := "faults[" + strconv.Itoa(i) + "]"
		do, undo, err := f.compile(s, field)
		if err != nil {
			return err
		}
		s.At(f.At.D(), do)
		if undo != nil && f.For > 0 {
			s.At(f.At.D()+f.For.D(), undo)
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

// compile turns a fault into the callback that injects it and, for kinds
// that take "for", the one that undoes it. Node names are checked now, so
// the callbacks cannot fail.
func (f *FaultSpec) compile(s *Sim, field string) (do, undo func(), err error) {
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
		set := func(base LinkParams) LinkParams {
			if f.Kind == "loss" {
				base.Loss = *f.P
				return base
			}
			lp, _ := f.Link.params(field+".link", base) // validated
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
	case "crash":
		n := s.Node(f.Node)
		do = n.Crash
		undo = func() { n.Restart(nil) }
	case "restart":
		n := s.Node(f.Node)
		do = func() { n.Restart(nil) }
	default:
		return nil, nil, planErr(field+".kind", "unknown fault kind %q", f.Kind)
	}
	return do, undo, nil
}
