package sim

// This file records the trace. During a run the kernel appends compact
// records (no maps, no formatting); Trace turns them into model.Events with
// string Attrs only when asked, so recording stays cheap on the hot path.

import (
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/model"
)

// rec is one trace entry before materialization. It holds no pointers —
// nodes, names, fact arguments and attributes are indexes into the
// traceLog's tables — so the collector never scans the log, however long
// the run.
type rec struct {
	at time.Duration
	// name indexes traceLog.names.
	name int32
	// node is the node's index plus one (0: none).
	node int32
	// args and attrs are, plus one (0: none), indexes into traceLog.args
	// and traceLog.attrs.
	args, attrs int32
	msg         msgInfo
}

// msgInfo is what the trace keeps of a message: not its bytes, and the
// addresses only as ports and a family bit (the nodes, by index, give the
// rest), so a record stays small. The record's kind and drop reason, as
// codes, share its last word.
type msgInfo struct {
	id       uint64
	from, to int32 // node indexes
	size     int32
	sport    uint16
	dport    uint16
	// sent is the log index of the message's Send record plus one (0:
	// none), so its Deliver can share the Send's attributes.
	sent       int32
	v6         bool
	unroutable bool // the destination address belongs to no node
	kind       word
	reason     word
}

// word is a code for one of the few strings a record's kind and reason
// take: the event kinds and drop reasons below, or one the Sim met first
// in a Log call (Sim.words).
type word uint8

var fixedWords = [...]string{"", string(model.Fact), string(model.Send), string(model.Deliver),
	string(model.Drop), string(model.Dup), string(model.Hold), string(model.Crash),
	string(model.Restart), string(model.Fault), string(model.Buggify), string(model.Span),
	string(model.Note), ReasonLoss, ReasonPartition, ReasonUnbound, ReasonNoRoute,
	"clog", "paused"}

const (
	wNone word = iota
	wFact
	wSend
	wDeliver
	wDrop
	wDup
	wHold
)

// word returns v's code.
func (s *Sim) word(v string) word {
	for i := range fixedWords {
		if fixedWords[i] == v {
			return word(i)
		}
	}
	for i, w := range s.words {
		if w == v {
			return word(len(fixedWords) + i)
		}
	}
	if len(fixedWords)+len(s.words) > 255 {
		panic("sim: more than 255 distinct event kinds and reasons")
	}
	s.words = append(s.words, v)
	return word(len(fixedWords) + len(s.words) - 1)
}

// wordString returns the string w codes.
func (s *Sim) wordString(w word) string {
	if int(w) < len(fixedWords) {
		return fixedWords[w]
	}
	return s.words[int(w)-len(fixedWords)]
}

// traceLog stores records, and the tables they index, in fixed-size
// chunks, so a long run's trace grows without ever copying what it already
// holds.
type traceLog struct {
	recs chunked[rec]
	// names are the distinct event names, numbered by nameIdx.
	names   []string
	nameIdx map[string]int32
	// args are the facts' arguments; attrs the other records' attributes.
	args  chunked[[]model.Term]
	attrs chunked[map[string]string]
}

// chunked is a table that grows in fixed-size chunks, never copying what
// it holds.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const tableChunk = 4096

// add appends v and returns its index plus one.
func (c *chunked[T]) add(v T) int32 {
	if len(c.chunks) == 0 || len(c.chunks[len(c.chunks)-1]) == tableChunk {
		c.chunks = append(c.chunks, make([]T, 0, tableChunk))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return int32(c.n)
}

// at returns the value add numbered i, in place.
func (c *chunked[T]) at(i int32) *T {
	return &c.chunks[(i-1)/tableChunk][(i-1)%tableChunk]
}

// get returns the value add numbered i.
func (c *chunked[T]) get(i int32) T { return *c.at(i) }

func (s *Sim) logRec(r rec) {
	r.at = s.now
	s.log.recs.add(r)
}

// name returns name's index in the log's names.
func (l *traceLog) name(name string) int32 {
	if i, ok := l.nameIdx[name]; ok {
		return i
	}
	if l.nameIdx == nil {
		l.nameIdx = make(map[string]int32)
	}
	i := int32(len(l.names))
	l.names = append(l.names, name)
	l.nameIdx[name] = i
	return i
}

// nodeRef is n's index plus one, or 0 for nil.
func nodeRef(n *Node) int32 {
	if n == nil {
		return 0
	}
	return int32(n.idx) + 1
}

// Log appends a kernel event of any kind (Fault, Crash, Buggify, Note...)
// to the trace at the current virtual time. n may be nil for events that
// belong to no node. Subsystems outside this file record through it.
func (s *Sim) Log(n *Node, kind model.EventKind, name string, attrs map[string]string) {
	r := rec{node: nodeRef(n), name: s.log.name(name), msg: msgInfo{kind: s.word(string(kind))}}
	if attrs != nil {
		r.attrs = s.log.attrs.add(attrs)
	}
	s.logRec(r)
}

// recordFact appends a service's action fact.
func (s *Sim) recordFact(n *Node, name string, args []model.Term) {
	var cp []model.Term
	if len(args) > 0 {
		cp = append(cp, args...)
	}
	s.recordOwnedFact(n, name, cp)
}

// recordOwnedFact appends a fact whose args the trace may keep.
func (s *Sim) recordOwnedFact(n *Node, name string, args []model.Term) {
	r := rec{node: nodeRef(n), name: s.log.name(name), msg: msgInfo{kind: wFact}}
	if args != nil {
		r.args = s.log.args.add(args)
	}
	s.logRec(r)
}

// recordMsg appends a network event about m, located at node at.
func (s *Sim) recordMsg(kind model.EventKind, at *Node, m *message, reason string) {
	r := rec{node: nodeRef(at), name: s.log.name(m.label), msg: msgInfo{
		id: m.id, from: int32(m.from.idx), to: int32(m.to.idx), size: int32(len(m.data)),
		sport: m.src.Port(), dport: m.dst.Port(), v6: m.src.Addr().Is6(),
		kind: s.word(string(kind)),
	}}
	if reason != "" {
		r.msg.reason = s.word(reason)
	}
	switch {
	case reason == ReasonNoRoute:
		r.msg.unroutable = true
		r.attrs = s.log.attrs.add(map[string]string{"dst": m.dst.String()})
	case kind == model.Send:
		if s.log.recs.n < math.MaxInt32 {
			m.sent = int32(s.log.recs.n) + 1
		}
	case kind == model.Deliver:
		r.msg.sent = m.sent
	}
	s.logRec(r)
}

// TraceLen returns the number of events recorded so far.
func (s *Sim) TraceLen() int { return s.log.recs.n }

// Trace returns the events recorded so far as a model.Trace. Each call
// builds a new Trace. A message's Deliver event shares its Send event's
// Attrs map (they hold the same attributes): treat Attrs as read-only.
func (s *Sim) Trace() *model.Trace {
	// As t.Append would number and add them, but each event is built in
	// its place in the slice rather than copied there.
	t := &model.Trace{Events: make([]model.Event, s.log.recs.n)}
	f := filler{s: s}
	k := 0
	for _, c := range s.log.recs.chunks {
		for i := range c {
			e := &t.Events[k]
			f.fill(&c[i], e, t.Events)
			e.Seq = uint64(k)
			k++
		}
	}
	f.flush()
	return t
}

// filler turns records into events. The formatted attribute values of
// many events share one string: a message event's values are written to
// buf, and the strings are cut from it once a batch is complete.
type filler struct {
	s       *Sim
	buf     []byte
	pending []pendingAttrs
}

// pendingAttrs is a message event whose values are in buf, from off: the
// ends of the msg, src, dst and bytes values.
type pendingAttrs struct {
	e              *model.Event
	r              *rec
	off            int
	i1, i2, i3, i4 int
}

// fillBatch bounds how many events' values share one string.
const fillBatch = 256

// fill sets e, a zero Event, to r's event. events holds the events
// before e, already filled.
func (f *filler) fill(r *rec, e *model.Event, events []model.Event) {
	l := &f.s.log
	e.At, e.Kind, e.Name = r.at, model.EventKind(f.s.wordString(r.msg.kind)), l.names[r.name]
	if r.node != 0 {
		e.Node = f.s.nodes[r.node-1].name
	}
	if r.args != 0 {
		e.Args = l.args.get(r.args)
	}
	switch r.msg.kind {
	case wSend, wDeliver, wDrop, wDup, wHold:
		m := &r.msg
		if m.sent > 0 && m.reason == wNone {
			// A Deliver whose Send has the very same attributes.
			mi := *m
			mi.sent, mi.kind = 0, wSend
			if l.recs.at(m.sent).msg == mi {
				e.Attrs = events[m.sent-1].Attrs
				return
			}
		}
		from, to := f.s.nodes[m.from], f.s.nodes[m.to]
		src, dst := from.v4, to.v4
		if m.v6 {
			src, dst = from.v6, to.v6
		}
		p := pendingAttrs{e: e, r: r, off: len(f.buf)}
		f.buf = strconv.AppendUint(f.buf, m.id, 10)
		p.i1 = len(f.buf)
		f.buf = appendAddrPort(f.buf, netip.AddrPortFrom(src, m.sport))
		p.i2 = len(f.buf)
		f.buf = appendAddrPort(f.buf, netip.AddrPortFrom(dst, m.dport))
		p.i3 = len(f.buf)
		f.buf = strconv.AppendInt(f.buf, int64(m.size), 10)
		p.i4 = len(f.buf)
		e.Attrs = make(map[string]string, 7)
		f.pending = append(f.pending, p)
		if len(f.pending) == fillBatch {
			f.flush()
		}
	default:
		if r.attrs != 0 {
			if attrs := l.attrs.get(r.attrs); len(attrs) > 0 {
				e.Attrs = make(map[string]string, len(attrs))
				for k, v := range attrs {
					e.Attrs[k] = v
				}
			}
		}
	}
}

// flush cuts the pending events' values from one string and sets their
// attributes.
func (f *filler) flush() {
	if len(f.pending) == 0 {
		return
	}
	vals := string(f.buf)
	for _, p := range f.pending {
		m := &p.r.msg
		a := p.e.Attrs
		a["msg"] = vals[p.off:p.i1]
		a["from"] = f.s.nodes[m.from].name
		a["to"] = f.s.nodes[m.to].name
		a["src"] = vals[p.i1:p.i2]
		a["dst"] = vals[p.i2:p.i3]
		a["bytes"] = vals[p.i3:p.i4]
		if m.unroutable {
			a["dst"] = f.s.log.attrs.get(p.r.attrs)["dst"]
		}
		if m.reason != wNone {
			a["reason"] = f.s.wordString(m.reason)
		}
	}
	clear(f.pending)
	f.pending = f.pending[:0]
	f.buf = f.buf[:0]
}

// appendAddrPort appends exactly what p.String() returns.
func appendAddrPort(b []byte, p netip.AddrPort) []byte {
	if !p.Addr().IsValid() {
		return append(b, p.String()...)
	}
	return p.AppendTo(b)
}
