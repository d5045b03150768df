package sim

// This file holds the network faults that act on who can reach whom:
// partitions (symmetric, one-way, isolate-one) and heal; clogging (messages
// wait at the sender until the link is unclogged) and FoundationDB-style
// swizzle-clogging; holding (messages that arrive are captured) and
// release. Every fault is recorded in the trace as a Fault event.

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
)

// nodeSet is a set of node indices, possibly complemented (so "everyone
// but n" includes nodes added later).
type nodeSet struct {
	bits []uint64
	not  bool
}

func (ns *nodeSet) add(i int) {
	for len(ns.bits) <= i/64 {
		ns.bits = append(ns.bits, 0)
	}
	ns.bits[i/64] |= 1 << (i % 64)
}

func (ns *nodeSet) has(i int) bool {
	in := i/64 < len(ns.bits) && ns.bits[i/64]&(1<<(i%64)) != 0
	return in != ns.not
}

// cut blocks every message from a node in from to a node in to.
type cut struct {
	from, to nodeSet
}

func (nw *Network) isCut(a, b *Node) bool {
	for i := range nw.cuts {
		c := &nw.cuts[i]
		if c.from.has(a.idx) && c.to.has(b.idx) {
			return true
		}
	}
	return false
}

func (nw *Network) set(names []string) (nodeSet, error) {
	var ns nodeSet
	for _, name := range names {
		n, err := nw.node(name)
		if err != nil {
			return ns, err
		}
		ns.add(n.idx)
	}
	return ns, nil
}

func (nw *Network) fault(name string, attrs map[string]string) {
	nw.s.Log(nil, model.Fault, name, attrs)
}

// Partition cuts the two groups apart in both directions until Heal.
func (nw *Network) Partition(a, b []string) error {
	sa, err := nw.set(a)
	if err != nil {
		return err
	}
	sb, err := nw.set(b)
	if err != nil {
		return err
	}
	nw.cuts = append(nw.cuts, cut{sa, sb}, cut{sb, sa})
	nw.fault("partition", map[string]string{"a": strings.Join(a, ","), "b": strings.Join(b, ",")})
	return nil
}

// PartitionOneWay drops messages from the from group to the to group, while
// the other direction still works, until Heal.
func (nw *Network) PartitionOneWay(from, to []string) error {
	sa, err := nw.set(from)
	if err != nil {
		return err
	}
	sb, err := nw.set(to)
	if err != nil {
		return err
	}
	nw.cuts = append(nw.cuts, cut{sa, sb})
	nw.fault("partition", map[string]string{"from": strings.Join(from, ","), "to": strings.Join(to, ","), "oneway": "true"})
	return nil
}

// Isolate cuts node off from every other node, including nodes added
// later, until Heal.
func (nw *Network) Isolate(node string) error {
	n, err := nw.node(node)
	if err != nil {
		return err
	}
	var one nodeSet
	one.add(n.idx)
	rest := nodeSet{bits: one.bits, not: true}
	nw.cuts = append(nw.cuts, cut{one, rest}, cut{rest, one})
	nw.fault("isolate", map[string]string{"node": node})
	return nil
}

// Heal removes every partition and address-family outage. Messages
// dropped meanwhile stay dropped.
func (nw *Network) Heal() {
	nw.cuts = nil
	nw.famOut = nil
	nw.fault("heal", nil)
}

// Clog makes messages sent on the directed link from → to wait at the
// sender until Unclog; messages already in flight are unaffected.
func (nw *Network) Clog(from, to string) error {
	a, b, err := nw.pair(from, to)
	if err != nil {
		return err
	}
	nw.link(a, b).clogged = true
	nw.fault("clog", map[string]string{"from": from, "to": to})
	return nil
}

// Unclog sends the messages waiting on from → to, in order, each with a
// fresh latency draw.
func (nw *Network) Unclog(from, to string) error {
	a, b, err := nw.pair(from, to)
	if err != nil {
		return err
	}
	nw.unclog(nw.link(a, b))
	return nil
}

func (nw *Network) unclog(l *linkState) {
	nw.fault("unclog", map[string]string{"from": l.from.name, "to": l.to.name})
	l.clogged = false
	q := l.clogQ
	l.clogQ = nil
	for _, m := range q {
		nw.transmit(m)
	}
}

// UnclogAll unclogs every clogged link, in node order.
func (nw *Network) UnclogAll() {
	nw.eachLink(func(l *linkState) {
		if l.clogged {
			nw.unclog(l)
		}
	})
}

func (nw *Network) eachLink(fn func(l *linkState)) {
	for _, n := range nw.s.nodes {
		for _, l := range n.out {
			if l != nil {
				fn(l)
			}
		}
	}
}

// Swizzle clogs a random subset of the directed links among nodes (all
// nodes if none are named) at once, then after span unclogs them one by one
// in random order, step apart — the FoundationDB "swizzle-clog", which
// shakes out bugs that need links to recover in a particular order.
func (nw *Network) Swizzle(nodes []string, span, step time.Duration) error {
	var group []*Node
	if len(nodes) == 0 {
		group = nw.s.nodes
	}
	for _, name := range nodes {
		n, err := nw.node(name)
		if err != nil {
			return err
		}
		group = append(group, n)
	}
	if len(group) < 2 {
		return nil
	}
	rng := nw.swizzleRand()
	var chosen []*linkState
	for _, a := range group {
		for _, b := range group {
			if a != b && rng.IntN(2) == 0 {
				chosen = append(chosen, nw.link(a, b))
			}
		}
	}
	if len(chosen) == 0 {
		a := group[rng.IntN(len(group))]
		b := group[rng.IntN(len(group)-1)]
		if b == a {
			b = group[len(group)-1]
		}
		chosen = append(chosen, nw.link(a, b))
	}
	names := make([]string, len(chosen))
	for i, l := range chosen {
		l.clogged = true
		names[i] = l.from.name + "->" + l.to.name
	}
	nw.fault("swizzle", map[string]string{"links": strings.Join(names, ","), "span": span.String(), "step": step.String()})
	order := rng.Perm(len(chosen))
	for k, i := range order {
		l := chosen[i]
		nw.s.After(span+time.Duration(k)*step, func() {
			if l.clogged {
				nw.unclog(l)
			}
		})
	}
	return nil
}

func (nw *Network) swizzleRand() *rand.Rand {
	if nw.swz == nil {
		nw.swz = nw.s.Rand("fault/swizzle")
	}
	return nw.swz
}

// Hold captures the messages that arrive on the directed link from → to
// (including those already in flight) until Release.
func (nw *Network) Hold(from, to string) error {
	a, b, err := nw.pair(from, to)
	if err != nil {
		return err
	}
	nw.link(a, b).held = true
	nw.fault("hold", map[string]string{"from": from, "to": to})
	return nil
}

// Release delivers the messages held on from → to now, in the order they
// were captured, and stops holding.
func (nw *Network) Release(from, to string) error {
	a, b, err := nw.pair(from, to)
	if err != nil {
		return err
	}
	nw.release(nw.link(a, b))
	return nil
}

func (nw *Network) release(l *linkState) {
	nw.fault("release", map[string]string{"from": l.from.name, "to": l.to.name, "count": strconv.Itoa(len(l.holdQ))})
	l.held = false
	q := l.holdQ
	l.holdQ = nil
	for _, m := range q {
		nw.s.push(nw.s.now, m, 0)
	}
}

// ReleaseAll releases every held link, in node order.
func (nw *Network) ReleaseAll() {
	nw.eachLink(func(l *linkState) {
		if l.held {
			nw.release(l)
		}
	})
}
