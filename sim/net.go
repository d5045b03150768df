package sim

// This file holds the simulated network: messages are byte slices sent
// from an address and port on one node to an address and port on another.
// The path of a message is send (partition? clogged? lost? duplicated?),
// serialization and propagation delay, then arrival (crashed? partitioned?
// held? a listener on the port?) and delivery. Every step is traced.

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
)

// Drop reasons recorded in the trace.
const (
	ReasonLoss      = "loss"
	ReasonPartition = "partition"
	ReasonCrash     = "crash"
	ReasonUnbound   = "unbound"
	ReasonNoRoute   = "noroute"
)

// Network is the simulated network of a Sim.
type Network struct {
	s      *Sim
	def    link.Params
	byAddr map[netip.Addr]*Node
	nextID uint64
	cuts   []cut
	swz    *rand.Rand
	// streams configures Dial/Listen connections (stream_config.go).
	streams StreamConfig
	// httpStreams numbers streamed HTTP responses (http_stream.go).
	httpStreams uint64
	// famOut are the address-family outages in force (family.go).
	famOut []familyOutage
	famIDs uint64
}

func newNetwork(s *Sim) *Network {
	return &Network{s: s, def: link.Default, byAddr: make(map[netip.Addr]*Node)}
}

func (nw *Network) addNode(n *Node) {
	nw.byAddr[n.v4] = n
	nw.byAddr[n.v6] = n
}

// NodeByAddr returns the node owning addr, or nil.
func (nw *Network) NodeByAddr(addr netip.Addr) *Node { return nw.byAddr[addr.Unmap()] }

// message is one datagram in flight.
type message struct {
	id       uint64
	label    string
	from, to *Node
	src, dst netip.AddrPort
	data     []byte
	fromInc  uint64
	toInc    uint64
	l        *linkState
	sent     int32 // the trace index of its Send record plus one (trace.go)
}

func (m *message) fire(s *Sim, _ uint64) { s.net.arrive(m) }
func (m *message) dead(uint64) bool      { return false }

// endpoint receives the messages for a bound port.
type endpoint interface {
	receive(m *message)
}

// Receiver is a raw datagram handler. It runs in kernel context when a
// message is delivered and must not block; it may start tasks.
type Receiver func(src netip.AddrPort, data []byte)

func (f Receiver) receive(m *message) { f(m.src, m.data) }

// Bind delivers the datagrams arriving at port to recv. Bindings survive
// crashes, like HostHTTP.
func (n *Node) Bind(port uint16, recv Receiver) { n.bind(port, recv, true) }

// Send sends data as one datagram from srcPort on n to dst and returns the
// message id used in the trace. The bytes must not be modified afterwards.
func (n *Node) Send(srcPort uint16, dst netip.AddrPort, data []byte) uint64 {
	return n.send("datagram", srcPort, dst, data)
}

func (n *Node) send(label string, srcPort uint16, dst netip.AddrPort, data []byte) uint64 {
	nw := n.s.net
	nw.nextID++
	src := n.v4
	if isV6(dst.Addr()) {
		src = n.v6
	}
	m := &message{
		id: nw.nextID, label: label, from: n,
		src: netip.AddrPortFrom(src, srcPort), dst: dst,
		data: data, fromInc: n.inc,
	}
	nw.send(m)
	return m.id
}

func (nw *Network) send(m *message) {
	s := nw.s
	to := nw.byAddr[m.dst.Addr().Unmap()]
	if to == nil {
		// Nobody owns the address: the message leaves and vanishes. The
		// trace still names a destination, so use the sender.
		m.to = m.from
		s.recordMsg(model.Send, m.from, m, "")
		s.recordMsg(model.Drop, m.from, m, ReasonNoRoute)
		return
	}
	m.to = to
	m.toInc = to.inc
	s.recordMsg(model.Send, m.from, m, "")
	if m.from.down || s.silenced() {
		s.recordMsg(model.Drop, m.from, m, ReasonCrash)
		return
	}
	if nw.isCut(m.from, to) {
		s.recordMsg(model.Drop, m.from, m, ReasonPartition)
		return
	}
	if len(nw.famOut) > 0 && nw.familyCut(m.from, to, isV6(m.dst.Addr())) {
		s.recordMsg(model.Drop, m.from, m, ReasonFamily)
		return
	}
	l := nw.link(m.from, to)
	m.l = l
	if l.clogged {
		l.clogQ = append(l.clogQ, m)
		s.recordMsg(model.Hold, m.from, m, "clog")
		return
	}
	nw.transmit(m)
}

// transmit puts m on its link: loss, duplication, capacity and latency.
func (nw *Network) transmit(m *message) {
	s := nw.s
	l := m.l
	p := nw.paramsOf(l)
	if p.Loss > 0 && l.rng.Float64() < p.Loss {
		s.recordMsg(model.Drop, m.from, m, ReasonLoss)
		return
	}
	dup := p.Dup > 0 && l.rng.Float64() < p.Dup
	dep := l.depart(s.now, len(m.data), p)
	s.push(dep+l.delay(p), m, 0)
	if dup {
		c := *m
		s.recordMsg(model.Dup, m.from, &c, "")
		s.push(dep+l.delay(p), &c, 0)
	}
}

// arrive is the far end of a message's flight.
func (nw *Network) arrive(m *message) {
	s := nw.s
	to := m.to
	switch {
	case to.down || m.toInc != to.inc || m.fromInc != m.from.inc:
		s.recordMsg(model.Drop, to, m, ReasonCrash)
		return
	case nw.isCut(m.from, to):
		s.recordMsg(model.Drop, to, m, ReasonPartition)
		return
	case len(nw.famOut) > 0 && nw.familyCut(m.from, to, isV6(m.dst.Addr())):
		s.recordMsg(model.Drop, to, m, ReasonFamily)
		return
	case m.l.held:
		m.l.holdQ = append(m.l.holdQ, m)
		s.recordMsg(model.Hold, to, m, "hold")
		return
	}
	b, ok := to.ports[m.dst.Port()]
	if !ok {
		s.recordMsg(model.Drop, to, m, ReasonUnbound)
		refuseSegment(to, m) // a stream segment is answered with RST (stream_proto.go)
		return
	}
	if to.paused {
		to.holdMessage(m) // pause.go: delivered on resume
		return
	}
	s.recordMsg(model.Deliver, to, m, "")
	b.ep.receive(m)
}

// link returns the directed link from a to b, creating it on first use.
func (nw *Network) link(a, b *Node) *linkState {
	if b.idx < len(a.out) {
		if l := a.out[b.idx]; l != nil {
			return l
		}
	} else {
		a.out = append(a.out, make([]*linkState, b.idx+1-len(a.out))...)
	}
	l := &linkState{from: a, to: b, rng: nw.s.Rand("link/" + a.name + "->" + b.name)}
	a.out[b.idx] = l
	return l
}

func (nw *Network) paramsOf(l *linkState) *link.Params {
	if l.params != nil {
		return l.params
	}
	return &nw.def
}

// Default returns the parameters of links without an override.
func (nw *Network) Default() link.Params { return nw.def }

// SetDefault sets the parameters of every link without an override.
func (nw *Network) SetDefault(p link.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	nw.def = p
	return nil
}

// SetLink overrides the parameters of the directed link from → to.
func (nw *Network) SetLink(from, to string, p link.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	a, b, err := nw.pair(from, to)
	if err != nil {
		return err
	}
	nw.link(a, b).params = &p
	return nil
}

// Link returns the parameters in force on the directed link from → to.
func (nw *Network) Link(from, to string) (link.Params, error) {
	a, b, err := nw.pair(from, to)
	if err != nil {
		return link.Params{}, err
	}
	return *nw.paramsOf(nw.link(a, b)), nil
}

// UnknownNodeError names a node the simulation does not have.
type UnknownNodeError struct{ Name string }

func (e *UnknownNodeError) Error() string { return fmt.Sprintf("sim: unknown node %q", e.Name) }

func (nw *Network) node(name string) (*Node, error) {
	if n := nw.s.byName[name]; n != nil {
		return n, nil
	}
	return nil, &UnknownNodeError{Name: name}
}

func (nw *Network) pair(from, to string) (*Node, *Node, error) {
	a, err := nw.node(from)
	if err != nil {
		return nil, nil, err
	}
	b, err := nw.node(to)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}
