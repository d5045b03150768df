package model

import (
	"slices"
	"testing"
	"time"
)

// dyViewTrace is one OHTTP exchange as the simulator and the services would
// record it: facts on each node, and kernel Send/Deliver events whose
// payload is known only by digest.
func dyViewTrace() (*Trace, dyViewParts) {
	p := dyViewParts{
		skG: NewFresh("skG"),
		ek:  NewFresh("ek1"),
		req: NewFresh("req1"),
	}
	wire := []byte("encapsulated request")
	p.encReq = Apply("hpke", Apply("pk", p.skG), p.ek, p.req).WithDigest(wire)
	d := p.encReq.Digest
	tr := &Trace{}
	add := func(e Event) { e.At = time.Duration(len(tr.Events)) * time.Millisecond; tr.Append(e) }
	add(Event{Node: "client", Kind: Fact, Name: "ClientSend", Args: []Term{NewPub("C1"), p.ek, p.req, p.encReq}})
	add(Event{Node: "client", Kind: Send, Attrs: map[string]string{AttrFrom: "client", AttrTo: "relay", AttrDigest: d, AttrMsg: "1"}})
	add(Event{Node: "relay", Kind: Deliver, Attrs: map[string]string{AttrFrom: "client", AttrTo: "relay", AttrDigest: d, AttrMsg: "1"}})
	add(Event{Node: "relay", Kind: Fact, Name: "RelayForward", Args: []Term{NewPub("C1"), NewFresh("blob").WithDigest(wire)}})
	add(Event{Node: "relay", Kind: Send, Attrs: map[string]string{AttrTo: "gateway", AttrDigest: d, AttrMsg: "2"}})
	add(Event{Node: "gateway", Kind: Deliver, Attrs: map[string]string{AttrFrom: "relay", AttrDigest: d, AttrMsg: "2"}})
	add(Event{Node: "gateway", Kind: Fact, Name: "GatewayKey", Args: []Term{p.skG}})
	add(Event{Node: "gateway", Kind: Fact, Name: "GatewayOpen", Args: []Term{p.req}})
	return tr, p
}

type dyViewParts struct{ skG, ek, req, encReq Term }

func TestViewOfParty(t *testing.T) {
	tr, _ := dyViewTrace()
	v := ViewOf(tr, "relay")
	var seqs []uint64
	for _, o := range v.Observations {
		seqs = append(seqs, o.Seq)
		if o.Party != "relay" {
			t.Errorf("observation %d by %q", o.Seq, o.Party)
		}
	}
	// Delivered to it, its own fact, sent by it; not the client's send.
	if want := []uint64{2, 3, 4}; !slices.Equal(seqs, want) {
		t.Fatalf("relay saw events %v, want %v", seqs, want)
	}
	in := v.Observations[0]
	if in.Kind != Deliver || in.From != "client" || in.To != "relay" {
		t.Errorf("delivery observed as %+v", in)
	}
	if len(in.Terms) != 1 || in.Terms[0].Name != "wire:1" || in.Terms[0].Kind != Fresh {
		t.Errorf("opaque payload %v", in.Terms)
	}
	out := v.Observations[2]
	if out.From != "relay" || out.To != "gateway" {
		t.Errorf("send without from attr: %q -> %q", out.From, out.To)
	}
}

func TestViewKnowledgeAndCoalition(t *testing.T) {
	tr, p := dyViewTrace()
	b := NewBinding()
	b.BindTrace(tr)

	relay := ViewOf(tr, "relay")
	rk := relay.Knowledge(testSignature, b)
	if rk.Derivable(p.req) {
		t.Error("relay derives the request")
	}
	if !rk.Derivable(Apply("pk", p.ek)) {
		t.Error("relay does not see the encapsulated key of the message it forwarded")
	}
	gw := ViewOf(tr, "gateway")
	if !gw.Knowledge(testSignature, b).Derivable(p.req) {
		t.Error("gateway cannot open what it received")
	}
	// The coalition links: the relay's wire record is an alias of the
	// structure the gateway opened.
	both := ViewOf(tr, "relay", "gateway")
	if got := both.Parties; !slices.Equal(got, []string{"relay", "gateway"}) {
		t.Errorf("coalition parties %v", got)
	}
	merged := relay.Merge(gw)
	if len(merged.Observations) != len(both.Observations) {
		t.Errorf("Merge has %d observations, ViewOf coalition %d", len(merged.Observations), len(both.Observations))
	}
	for i := 1; i < len(merged.Observations); i++ {
		if merged.Observations[i-1].Seq > merged.Observations[i].Seq {
			t.Fatal("merged view out of trace order")
		}
	}
	ck := merged.Knowledge(testSignature, nil)
	if !ck.Derivable(NewFresh("wire:1").WithDigest([]byte("encapsulated request"))) || !ck.Derivable(p.req) {
		t.Error("coalition knowledge incomplete")
	}
}

func TestWireTap(t *testing.T) {
	tr, _ := dyViewTrace()
	all := Observe(tr, WireTap("tap"))
	if len(all.Observations) != 2 {
		t.Fatalf("global tap saw %d messages, want the 2 sends", len(all.Observations))
	}
	for _, o := range all.Observations {
		if o.Kind != Send {
			t.Errorf("tap saw a %s", o.Kind)
		}
	}
	onLink := Observe(tr, WireTap("tap", Link{From: "relay", To: "gateway"}))
	if len(onLink.Observations) != 1 || onLink.Observations[0].Seq != 4 {
		t.Fatalf("link tap saw %+v", onLink.Observations)
	}
	toRelay := Observe(tr, WireTap("tap", Link{To: "relay"}))
	if len(toRelay.Observations) != 1 || toRelay.Observations[0].Seq != 1 {
		t.Fatalf("wildcard tap saw %+v", toRelay.Observations)
	}
}

func TestMessageTerms(t *testing.T) {
	payload := Pair(NewPub("A"), NewConst("x")).WithDigest([]byte("p"))
	e := Event{Kind: Send, Args: []Term{payload}, Attrs: map[string]string{AttrDigest: payload.Digest}}
	if got := MessageTerms(&e); len(got) != 1 || !got[0].Equal(payload) {
		t.Errorf("attached payload duplicated or lost: %v", got)
	}
	e = Event{Kind: Send}
	if got := MessageTerms(&e); len(got) != 0 {
		t.Errorf("message without payload shows %v", got)
	}
}
