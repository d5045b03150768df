package model

// testSignature is the message theory the engine's own tests reason
// with: a rich, made-up one (the services' theories come from their
// Tamarin theories, see tamarin/check.NewSignature), exercising keyed and
// keyless destructors, nested keys and one-way symbols. Every symbol is
// public (anyone may apply it); the destructor rules say what can be
// taken apart and with what.
//
//	pair(a, b)       <a, b>: fst and snd need no key.
//	senc(m, k)       symmetric encryption: k gives m.
//	aenc(m, pk(sk))  asymmetric encryption: sk gives m.
//	pk(sk)           the public key of sk; one-way.
//	h(x)             a hash; one-way.
//	mac(x, k)        a MAC or PRF; one-way.
//	kdf(x, n)        key derivation from secret x and salt or nonce n; one-way.
//	export(x, l)     an HPKE-style exporter: the secret labelled l derived
//	                 from context secret x; one-way.
//	sign(m, sk)      a signature; one-way (it does not reveal m, as in
//	                 Tamarin's signing builtin: a verifier holds m already).
//	hpkectx(p, e)    the HPKE context secret shared by the holder of the
//	                 receiver's key p = pk(sk) and the sender's ephemeral e.
//	hpke(p, e, m)    an HPKE-sealed message (the OHTTP encapsulated request).
//
// The HPKE model. The sealed message hpke(pk(sk), ek, m) carries in the
// clear what the wire carries in the clear: the receiver's public key p (the
// key configuration, which OHTTP publishes) and the encapsulated key pk(ek).
// Its context secret hpkectx(p, ek) opens m. The sender computes that secret
// from ek and the public p; the receiver gets it from the sealed message with
// sk (decapsulation). So:
//
//	hpke(p, e, m)                    gives p and pk(e)           (hpke-header)
//	hpke(pk(sk), e, m) with sk       gives hpkectx(pk(sk), e)     (hpke-decap)
//	hpke(p, e, m) with hpkectx(p, e) gives m                      (hpke-open)
//
// Knowing sk therefore opens every request to that key; knowing ek opens
// the one request sealed with it; and the context secret — from which an
// OHTTP gateway derives the response key as
// kdf(export(hpkectx(p, e), 'message/bhttp response'), <pk(e), nonce>) —
// is held by exactly the client and the gateway. The relay, which sees p and
// pk(e) only, learns none of them.
var testSignature = mustSignature(
	[]FuncSym{
		{Name: "pair", Arity: 2},
		{Name: "senc", Arity: 2},
		{Name: "aenc", Arity: 2},
		{Name: "pk", Arity: 1},
		{Name: "h", Arity: 1},
		{Name: "mac", Arity: 2},
		{Name: "kdf", Arity: 2},
		{Name: "export", Arity: 2},
		{Name: "sign", Arity: 2},
		{Name: "hpkectx", Arity: 2},
		{Name: "hpke", Arity: 3},
	},
	[]Destructor{
		{Name: "fst/snd", Of: PFunc("pair", PVar("a"), PVar("b")), Gives: []Pattern{PVar("a"), PVar("b")}},
		{Name: "sdec", Of: PFunc("senc", PVar("m"), PVar("k")), Keys: []Pattern{PVar("k")}, Gives: []Pattern{PVar("m")}},
		{Name: "adec", Of: PFunc("aenc", PVar("m"), PFunc("pk", PVar("sk"))), Keys: []Pattern{PVar("sk")}, Gives: []Pattern{PVar("m")}},
		{Name: "hpke-header", Of: PFunc("hpke", PVar("p"), PVar("e"), PVar("m")), Gives: []Pattern{PVar("p"), PFunc("pk", PVar("e"))}},
		{
			Name:  "hpke-decap",
			Of:    PFunc("hpke", PFunc("pk", PVar("sk")), PVar("e"), PVar("m")),
			Keys:  []Pattern{PVar("sk")},
			Gives: []Pattern{PFunc("hpkectx", PFunc("pk", PVar("sk")), PVar("e"))},
		},
		{
			Name:  "hpke-open",
			Of:    PFunc("hpke", PVar("p"), PVar("e"), PVar("m")),
			Keys:  []Pattern{PFunc("hpkectx", PVar("p"), PVar("e"))},
			Gives: []Pattern{PVar("m")},
		},
	},
)
