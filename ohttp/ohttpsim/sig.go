package ohttpsim

// This file is the Dolev–Yao message theory of tamarin/theories/ohttp.spthy
// as a model.Signature:
//
//	pair(a, b)             fst and snd need no key
//	pk(sk)                 one-way
//	hpke(pk(sk), ek, m)    opened with sk, giving m and ek
//	                       (hpke_open and hpke_ek in the theory)
//	rkey(ek, rn)           the response key; one-way, public to apply
//	aead(k, m)             opened with k, giving m (aead_open)
//	h(x)                   one-way
//
// The theory's symmetric channel encryption (senc) is not needed: the
// views are of what each party received after its channel was removed.

import "github.com/edgelab/edgelab/model"

// Signature is the world's message theory.
var Signature = mustSignature()

func mustSignature() *model.Signature {
	s, err := model.NewSignature(
		[]model.FuncSym{
			{Name: "pair", Arity: 2},
			{Name: "pk", Arity: 1},
			{Name: "hpke", Arity: 3},
			{Name: "rkey", Arity: 2},
			{Name: "aead", Arity: 2},
			{Name: "h", Arity: 1},
		},
		[]model.Destructor{
			{Name: "fst/snd", Of: model.PFunc("pair", model.PVar("a"), model.PVar("b")), Gives: []model.Pattern{model.PVar("a"), model.PVar("b")}},
			{
				Name:  "hpke_open",
				Of:    model.PFunc("hpke", model.PFunc("pk", model.PVar("sk")), model.PVar("ek"), model.PVar("m")),
				Keys:  []model.Pattern{model.PVar("sk")},
				Gives: []model.Pattern{model.PVar("m"), model.PVar("ek")},
			},
			{
				Name:  "aead_open",
				Of:    model.PFunc("aead", model.PVar("k"), model.PVar("m")),
				Keys:  []model.Pattern{model.PVar("k")},
				Gives: []model.Pattern{model.PVar("m")},
			},
		},
	)
	if err != nil {
		panic(err)
	}
	return s
}
