package ohttpsim

// This file is the world's Dolev–Yao message theory. There is one for
// OHTTP, and it is tamarin/theories/ohttp.spthy's own: its functions and
// destructor equations, derived by the checker (check.NewSignature), so
// the views the world judges and the traces the checker replays reason
// with the same rules and cannot drift apart. In the theory's terms:
//
//	pair(a, b)             fst and snd need no key
//	pk(sk)                 one-way
//	hpke(pk(sk), ek, m)    opened with sk, giving m (hpke_open) and ek (hpke_ek)
//	rkey(ek, rn)           the response key; one-way, public to apply
//	aead(k, m)             opened with k, giving m (aead_open)
//	senc(m, k)             the channels' encryption, opened with k (sdec)
//	h(x)                   one-way

import (
	"fmt"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
)

// TheoryName is the embedded theory the world's traces follow.
const TheoryName = "ohttp"

// Signature is the world's message theory, derived from TheoryName.
var Signature = theorySignature()

func theorySignature() *model.Signature {
	th, err := tamarin.Parse(TheoryName)
	if err != nil {
		panic(fmt.Sprintf("ohttpsim: theory %s: %v", TheoryName, err))
	}
	s, err := check.NewSignature(th)
	if err != nil {
		panic(fmt.Sprintf("ohttpsim: theory %s: %v", TheoryName, err))
	}
	return s
}
