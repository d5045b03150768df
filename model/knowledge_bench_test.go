package model

import (
	"strconv"
	"testing"
)

// dyBenchView is a 10,000-term view of 2,500 OHTTP exchanges as a gateway
// colluding with a relay would hold it: client address with the sealed
// request, the sealed response, and a per-exchange record; the gateway key
// comes last so that every request is parked, then opened.
func dyBenchView() []Term {
	var view []Term
	for i := 0; i < 2500; i++ {
		r := newDyOHTTP(strconv.Itoa(i))
		view = append(view,
			Pair(NewPub("C"+strconv.Itoa(i%97)), r.encReq),
			r.encResp,
			Apply("h", Pair(r.req, r.resp)),
			dySenc(Pair(NewConst("log"), r.nonce), Apply("kdf", r.skG, NewConst("log"))),
		)
	}
	return append(view, NewFresh("skG"))
}

func BenchmarkSaturate10k(b *testing.B) {
	view := dyBenchView()
	probe := NewFresh("resp2499")
	b.ReportAllocs()
	for b.Loop() {
		kn := NewKnowledge(testSignature, view...)
		if !kn.Derivable(probe) {
			b.Fatal("last response not derivable")
		}
	}
}

// BenchmarkKeyChain10k is the worst order for a naive fixpoint: 10,000
// keys each sealing the next, the first key given last.
func BenchmarkKeyChain10k(b *testing.B) {
	const n = 10000
	keys := make([]Term, n)
	for i := range keys {
		keys[i] = NewFresh("key" + strconv.Itoa(i))
	}
	view := []Term{dySenc(NewFresh("m"), keys[n-1])}
	for i := n - 1; i > 0; i-- {
		view = append(view, dySenc(keys[i], keys[i-1]))
	}
	view = append(view, keys[0])
	b.ReportAllocs()
	for b.Loop() {
		if !NewKnowledge(testSignature, view...).Derivable(NewFresh("m")) {
			b.Fatal("m not derivable")
		}
	}
}

func BenchmarkDerivableQuery(b *testing.B) {
	kn := NewKnowledge(testSignature, dyBenchView()...)
	q := Apply("h", Pair(NewFresh("req7"), NewFresh("resp7")))
	b.ReportAllocs()
	for b.Loop() {
		if !kn.Derivable(q) {
			b.Fatal("not derivable")
		}
	}
}
