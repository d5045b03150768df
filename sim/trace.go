package sim

// This file records the trace. During a run the kernel appends compact
// records (no maps, no formatting); Trace turns them into model.Events with
// string Attrs only when asked, so recording stays cheap on the hot path.

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/model"
)

// rec is one trace entry before materialization.
type rec struct {
	at     time.Duration
	kind   model.EventKind
	node   *Node
	name   string
	args   []model.Term
	msg    msgInfo
	reason string
	attrs  map[string]string
}

// msgInfo is what the trace keeps of a message: not its bytes, and the
// addresses only as ports and a family bit (the nodes give the rest), so a
// record stays small and holds few pointers for the collector to scan.
type msgInfo struct {
	id         uint64
	from, to   *Node
	size       int32
	sport      uint16
	dport      uint16
	v6         bool
	unroutable bool // the destination address belongs to no node
}

// traceLog stores records in fixed-size chunks, so a long run's trace
// grows without ever copying what it already holds.
type traceLog struct {
	chunks [][]rec
	n      int
}

const traceChunk = 4096

func (s *Sim) logRec(r rec) {
	r.at = s.now
	l := &s.log
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == traceChunk {
		l.chunks = append(l.chunks, make([]rec, 0, traceChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, r)
	l.n++
}

// Log appends a kernel event of any kind (Fault, Crash, Buggify, Note...)
// to the trace at the current virtual time. n may be nil for events that
// belong to no node. Subsystems outside this file record through it.
func (s *Sim) Log(n *Node, kind model.EventKind, name string, attrs map[string]string) {
	s.logRec(rec{kind: kind, node: n, name: name, attrs: attrs})
}

// recordFact appends a service's action fact.
func (s *Sim) recordFact(n *Node, name string, args []model.Term) {
	var cp []model.Term
	if len(args) > 0 {
		cp = append(cp, args...)
	}
	s.logRec(rec{kind: model.Fact, node: n, name: name, args: cp})
}

// recordMsg appends a network event about m, located at node at.
func (s *Sim) recordMsg(kind model.EventKind, at *Node, m *message, reason string) {
	r := rec{kind: kind, node: at, name: m.label, reason: reason, msg: msgInfo{
		id: m.id, from: m.from, to: m.to, size: int32(len(m.data)),
		sport: m.src.Port(), dport: m.dst.Port(), v6: m.src.Addr().Is6(),
	}}
	if reason == ReasonNoRoute {
		r.msg.unroutable = true
		r.attrs = map[string]string{"dst": m.dst.String()}
	}
	s.logRec(r)
}

// TraceLen returns the number of events recorded so far.
func (s *Sim) TraceLen() int { return s.log.n }

// Trace returns the events recorded so far as a model.Trace. Each call
// builds a new Trace.
func (s *Sim) Trace() *model.Trace {
	// As t.Append would number and add them, but each event is built in
	// its place in the slice rather than copied there.
	t := &model.Trace{Events: make([]model.Event, s.log.n)}
	k := 0
	for _, c := range s.log.chunks {
		for i := range c {
			e := &t.Events[k]
			c[i].fill(e)
			e.Seq = uint64(k)
			k++
		}
	}
	return t
}

// fill sets e, a zero Event, to r's event.
func (r *rec) fill(e *model.Event) {
	e.At, e.Kind, e.Name, e.Args = r.at, r.kind, r.name, r.args
	if r.node != nil {
		e.Node = r.node.name
	}
	switch r.kind {
	case model.Send, model.Deliver, model.Drop, model.Dup, model.Hold:
		m := &r.msg
		src, dst := m.from.v4, m.to.v4
		if m.v6 {
			src, dst = m.from.v6, m.to.v6
		}
		// The four formatted values share one string: one allocation
		// instead of four.
		var b [128]byte
		buf := strconv.AppendUint(b[:0], m.id, 10)
		i1 := len(buf)
		buf = appendAddrPort(buf, netip.AddrPortFrom(src, m.sport))
		i2 := len(buf)
		buf = appendAddrPort(buf, netip.AddrPortFrom(dst, m.dport))
		i3 := len(buf)
		buf = strconv.AppendInt(buf, int64(m.size), 10)
		vals := string(buf)
		e.Attrs = map[string]string{
			"msg":   vals[:i1],
			"from":  m.from.name,
			"to":    m.to.name,
			"src":   vals[i1:i2],
			"dst":   vals[i2:i3],
			"bytes": vals[i3:],
		}
		if m.unroutable {
			e.Attrs["dst"] = r.attrs["dst"]
		}
		if r.reason != "" {
			e.Attrs["reason"] = r.reason
		}
	default:
		if len(r.attrs) > 0 {
			e.Attrs = make(map[string]string, len(r.attrs))
			for k, v := range r.attrs {
				e.Attrs[k] = v
			}
		}
	}
}

// appendAddrPort appends exactly what p.String() returns.
func appendAddrPort(b []byte, p netip.AddrPort) []byte {
	if !p.Addr().IsValid() {
		return append(b, p.String()...)
	}
	return p.AppendTo(b)
}
