package model

import (
	"sort"
	"strings"
	"time"
)

// Attribute keys of network events. The simulator kernel records a message
// put on the wire as an Event of Kind Send on the sending node and its
// arrival as Kind Deliver on the receiving node, with these Attrs.
const (
	// AttrFrom and AttrTo name the sending and receiving node. Without
	// them a Send is taken to be from its Event.Node and a Deliver to it.
	AttrFrom = "from"
	AttrTo   = "to"
	// AttrDigest is the hex SHA-256 of the payload bytes (as in
	// Term.Digest). It lets an observer's record of an opaque message be
	// identified with the structured term a service recorded for the
	// same bytes; see Binding.
	AttrDigest = "digest"
	// AttrMsg is the kernel's message id, used to name opaque payloads.
	AttrMsg = "msg"
)

// Observation is one thing one observer saw: an event of the trace and the
// terms the observer learned from it.
type Observation struct {
	Seq   uint64
	At    time.Duration
	Party string // the observer that saw it
	Kind  EventKind
	Name  string
	From  string // sender and receiver, for network messages
	To    string
	Terms []Term
}

// View is what a set of observers — one party, or a coalition — saw of a
// trace, in trace order.
type View struct {
	Parties      []string
	Observations []Observation
}

// Terms returns the terms of every observation, in order.
func (v View) Terms() []Term {
	var out []Term
	for _, o := range v.Observations {
		out = append(out, o.Terms...)
	}
	return out
}

// Knowledge returns the Dolev–Yao knowledge of the view's observers under
// sig (PairSignature if nil), resolving opaque terms through r if r is
// not nil.
func (v View) Knowledge(sig *Signature, r Resolver) *Knowledge {
	k := NewKnowledge(sig)
	if r != nil {
		k.SetResolver(r)
	}
	k.Add(v.Terms()...)
	return k
}

// Merge returns the view of a coalition: the observations of v and others
// in trace order (by Seq, then by party as listed).
func (v View) Merge(others ...View) View {
	out := View{Parties: append([]string(nil), v.Parties...)}
	obs := append([]Observation(nil), v.Observations...)
	for _, o := range others {
		out.Parties = append(out.Parties, o.Parties...)
		obs = append(obs, o.Observations...)
	}
	rank := map[string]int{}
	for i, p := range out.Parties {
		if _, ok := rank[p]; !ok {
			rank[p] = i
		}
	}
	// Stable, so two observations of one event by one party keep their
	// order.
	sort.SliceStable(obs, func(i, j int) bool {
		if obs[i].Seq != obs[j].Seq {
			return obs[i].Seq < obs[j].Seq
		}
		return rank[obs[i].Party] < rank[obs[j].Party]
	})
	out.Observations = obs
	return out
}

// Lens is one observer's window on a trace: for each event, whether the
// observer sees it and which terms it learns from it. NodeLens and WireTap are
// the usual ones; a test can write its own, say for an observer that sees
// only message sizes.
type Lens interface {
	Party() string
	See(e *Event) (terms []Term, ok bool)
}

// Observe runs the lenses over tr and returns what they saw together.
func Observe(tr *Trace, lenses ...Lens) View {
	v := View{}
	for _, l := range lenses {
		v.Parties = append(v.Parties, l.Party())
	}
	for i := range tr.Events {
		e := &tr.Events[i]
		for _, l := range lenses {
			terms, ok := l.See(e)
			if !ok {
				continue
			}
			o := Observation{Seq: e.Seq, At: e.At, Party: l.Party(), Kind: e.Kind, Name: e.Name, Terms: terms}
			if e.Kind == Send || e.Kind == Deliver {
				o.From, o.To = Endpoints(e)
			}
			v.Observations = append(v.Observations, o)
		}
	}
	return v
}

// ViewOf returns the view of a party, or with several names of a
// coalition: everything NodeLens(p) sees for each p.
func ViewOf(tr *Trace, parties ...string) View {
	lenses := make([]Lens, len(parties))
	for i, p := range parties {
		lenses[i] = NodeLens(p)
	}
	return Observe(tr, lenses...)
}

// NodeLens is the lens of a node: the action facts recorded on it (their Args)
// and the network messages it sent or received (their MessageTerms).
//
// So a service can tell the checker what a node saw in two ways: record a
// fact on that node whose arguments are the symbolic message ("RelayRecv"
// with the encapsulated request), or leave it to the kernel's Send and
// Deliver events, whose payload is opaque unless the kernel attaches terms.
func NodeLens(name string) Lens { return nodeLens(name) }

type nodeLens string

func (n nodeLens) Party() string { return string(n) }

func (n nodeLens) See(e *Event) ([]Term, bool) {
	switch e.Kind {
	case Fact:
		return e.Args, e.Node == string(n)
	case Send, Deliver:
		from, to := Endpoints(e)
		if (e.Kind == Send && from == string(n)) || (e.Kind == Deliver && to == string(n)) {
			return MessageTerms(e), true
		}
	}
	return nil, false
}

// Link selects network messages by endpoints; an empty field matches any
// node.
type Link struct{ From, To string }

// WireTap is the lens of a passive network observer named name that sees
// every message put on the wire on one of links (every message at all if
// there are none): each Send, with its MessageTerms. It records no facts:
// a tap is not a party to the protocol.
func WireTap(name string, links ...Link) Lens { return wireLens{name: name, links: links} }

type wireLens struct {
	name  string
	links []Link
}

func (w wireLens) Party() string { return w.name }

func (w wireLens) See(e *Event) ([]Term, bool) {
	if e.Kind != Send {
		return nil, false
	}
	from, to := Endpoints(e)
	if len(w.links) == 0 {
		return MessageTerms(e), true
	}
	for _, l := range w.links {
		if (l.From == "" || l.From == from) && (l.To == "" || l.To == to) {
			return MessageTerms(e), true
		}
	}
	return nil, false
}

// Endpoints returns the sender and receiver of a network event: its
// AttrFrom and AttrTo, or else its own node on the side it was recorded.
func Endpoints(e *Event) (from, to string) {
	from, to = e.Attrs[AttrFrom], e.Attrs[AttrTo]
	if from == "" && e.Kind == Send {
		from = e.Node
	}
	if to == "" && e.Kind == Deliver {
		to = e.Node
	}
	return from, to
}

// MessageTerms returns what a network message shows whoever handles its
// bytes: the terms attached to the event, and, if the event carries a
// payload digest that none of them spells, an opaque fresh atom with that
// digest (named after the message id) standing for the bytes. A Binding
// later tells what those bytes are made of.
func MessageTerms(e *Event) []Term {
	out := e.Args
	d := e.Attrs[AttrDigest]
	if d == "" {
		return out
	}
	for _, t := range out {
		if t.Digest == d {
			return out
		}
	}
	name := "wire"
	if id := e.Attrs[AttrMsg]; id != "" {
		name = "wire:" + id
	}
	return append(append([]Term(nil), out...), Term{Kind: Fresh, Name: name, Digest: strings.ToLower(d)})
}
