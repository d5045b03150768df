package model

import (
	"errors"
	"strings"
	"testing"
)

var (
	dyM  = NewFresh("m")
	dyK1 = NewFresh("k1")
	dyK2 = NewFresh("k2")
	dyK3 = NewFresh("k3")
	dySK = NewFresh("sk")
)

func dySenc(m, k Term) Term { return Apply("senc", m, k) }
func dyAenc(m, k Term) Term { return Apply("aenc", m, k) }
func dyPk(sk Term) Term     { return Apply("pk", sk) }

func TestSymmetricEncryption(t *testing.T) {
	c := dySenc(dyM, dyK1)
	if NewKnowledge(testSignature, c).Derivable(dyM) {
		t.Error("senc(m, k) alone derives m")
	}
	if !NewKnowledge(testSignature, c, dyK1).Derivable(dyM) {
		t.Error("senc(m, k) and k do not derive m")
	}
	if NewKnowledge(testSignature, c, dyK2).Derivable(dyM) {
		t.Error("senc(m, k1) and k2 derive m")
	}
	// The ciphertext itself is known, and anything built on known parts.
	kn := NewKnowledge(testSignature, c)
	if !kn.Derivable(c) || !kn.Derivable(Apply("h", c)) {
		t.Error("known ciphertext or its hash not derivable")
	}
}

func TestPairsDecompose(t *testing.T) {
	a, b, c := NewFresh("a"), NewFresh("b"), NewFresh("c")
	kn := NewKnowledge(testSignature, Pair(a, b, c))
	for _, x := range []Term{a, b, c, Pair(b, c), Pair(c, a), Pair(a, b, c)} {
		if !kn.Derivable(x) {
			t.Errorf("%s not derivable from <a, b, c>", x)
		}
	}
	if kn.Derivable(NewFresh("d")) {
		t.Error("fresh name out of nowhere")
	}
}

func TestAsymmetricEncryption(t *testing.T) {
	c := dyAenc(dyM, dyPk(dySK))
	if NewKnowledge(testSignature, c, dyPk(dySK)).Derivable(dyM) {
		t.Error("the public key opens aenc")
	}
	if !NewKnowledge(testSignature, c, dySK).Derivable(dyM) {
		t.Error("the secret key does not open aenc")
	}
	if NewKnowledge(testSignature, dyPk(dySK)).Derivable(dySK) {
		t.Error("pk is invertible")
	}
}

func TestNestedKeysReleasedLater(t *testing.T) {
	// dyM under dyK1 under dyK2; dyK2 arrives last, inside another message under dyK3.
	kn := NewKnowledge(testSignature, dySenc(dySenc(dyM, dyK1), dyK2), dySenc(Pair(dyK1, NewConst("note")), dyK3))
	if kn.Derivable(dyM) {
		t.Fatal("m derivable before any key")
	}
	kn.Add(dySenc(dyK2, dyK3))
	if kn.Derivable(dyM) {
		t.Fatal("m derivable with k3 still missing")
	}
	kn.Add(Pair(NewPub("Bob"), dyK3))
	if !kn.Derivable(dyM) {
		t.Fatal("m not derivable once k3 is released")
	}
	steps, ok := kn.Explain(dyM)
	if !ok {
		t.Fatal("Explain: not derivable")
	}
	want := []string{
		"<$Bob, ~k3>: given",
		"~k3: by fst/snd from <$Bob, ~k3>",
	}
	for _, w := range want {
		if !dyContains(steps, w) {
			t.Errorf("Explain lacks %q:\n%s", w, strings.Join(steps, "\n"))
		}
	}
	if last := steps[len(steps)-1]; last != "~m: by sdec from senc(~m, ~k1) with ~k1" {
		t.Errorf("last step %q", last)
	}
}

func TestComposedKey(t *testing.T) {
	x := NewFresh("x")
	key := Apply("kdf", x, NewConst("label"))
	c := dySenc(dyM, key)
	kn := NewKnowledge(testSignature, c)
	if kn.Derivable(dyM) {
		t.Fatal("m without x")
	}
	kn.Add(dySenc(x, dyK1), dyK1)
	if !kn.Derivable(dyM) {
		t.Fatal("m not derivable once x, hence kdf(x, 'label'), is")
	}
}

func TestKeyChain(t *testing.T) {
	// k0 opens dyK1 opens ... opens k49 opens dyM; given in the worst order.
	const n = 50
	keys := make([]Term, n)
	for i := range keys {
		keys[i] = NewFresh("c" + string(rune('A'+i/26)) + string(rune('a'+i%26)))
	}
	var view []Term
	view = append(view, dySenc(dyM, keys[n-1]))
	for i := n - 1; i > 0; i-- {
		view = append(view, dySenc(keys[i], keys[i-1]))
	}
	kn := NewKnowledge(testSignature, view...)
	if kn.Derivable(dyM) {
		t.Fatal("m without k0")
	}
	kn.Add(keys[0])
	if !kn.Derivable(dyM) {
		t.Fatal("m not derivable at the end of the chain")
	}
}

func TestPublicTerms(t *testing.T) {
	kn := NewKnowledge(testSignature)
	for _, x := range []Term{NewPub("A"), NewConst("c"), Apply("h", NewConst("c")), Pair(NewPub("A"), NewConst("c")), Apply("newfn", NewPub("A"))} {
		if !kn.Derivable(x) {
			t.Errorf("public %s not derivable", x)
		}
	}
	if kn.Derivable(Apply("h", NewFresh("s"))) {
		t.Error("h(~s) derivable from nothing")
	}
}

func TestPrivateFunction(t *testing.T) {
	sig, err := testSignature.Extend([]FuncSym{{Name: "table", Arity: 1, Private: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := Apply("table", NewPub("A"))
	if NewKnowledge(sig).Derivable(x) {
		t.Error("private function applied by the adversary")
	}
	if !NewKnowledge(sig, x).Derivable(Pair(x, NewPub("B"))) {
		t.Error("known private application not usable")
	}
	// With a wrong arity even a public symbol cannot be composed.
	if NewKnowledge(testSignature).Derivable(Apply("h", NewPub("A"), NewPub("B"))) {
		t.Error("h/2 composed although h is declared h/1")
	}
}

// ohttp builds the symbolic messages of one OHTTP exchange.
type dyOHTTP struct {
	skG, ek, req, resp, nonce Term
	encReq, encResp           Term
}

func newDyOHTTP(i string) dyOHTTP {
	r := dyOHTTP{
		skG:   NewFresh("skG"),
		ek:    NewFresh("ek" + i),
		req:   NewFresh("req" + i),
		resp:  NewFresh("resp" + i),
		nonce: NewFresh("nonce" + i),
	}
	r.encReq = Apply("hpke", dyPk(r.skG), r.ek, r.req)
	ctx := Apply("hpkectx", dyPk(r.skG), r.ek)
	key := Apply("kdf", Apply("export", ctx, NewConst("message/bhttp response")), Pair(dyPk(r.ek), r.nonce))
	r.encResp = Pair(r.nonce, dySenc(r.resp, key))
	return r
}

func TestHPKE(t *testing.T) {
	r := newDyOHTTP("1")
	client := NewPub("C1")
	relay := NewKnowledge(testSignature, Pair(client, r.encReq), r.encResp)
	for _, x := range []Term{r.req, r.resp, r.ek, r.skG, Apply("hpkectx", dyPk(r.skG), r.ek)} {
		if relay.Derivable(x) {
			t.Errorf("relay derives %s", x)
		}
	}
	for _, x := range []Term{dyPk(r.skG), dyPk(r.ek), client} {
		if !relay.Derivable(x) {
			t.Errorf("relay does not see header field %s", x)
		}
	}
	gateway := NewKnowledge(testSignature, r.skG, r.encReq, r.encResp)
	for _, x := range []Term{r.req, r.resp} {
		if !gateway.Derivable(x) {
			t.Errorf("gateway does not derive %s", x)
		}
	}
	if gateway.Derivable(r.ek) {
		t.Error("gateway derives the client's ephemeral secret")
	}
	sender := NewKnowledge(testSignature, r.ek, r.encReq, r.encResp)
	if !sender.Derivable(r.req) || !sender.Derivable(r.resp) {
		t.Error("holder of ek cannot open its own request and response")
	}
	other := newDyOHTTP("2")
	if NewKnowledge(testSignature, r.ek, other.encReq).Derivable(other.req) {
		t.Error("one ephemeral opens another request")
	}
}

func TestDigestAliasesAndBinding(t *testing.T) {
	r := newDyOHTTP("1")
	encReq := r.encReq.WithDigest([]byte("encapsulated request bytes"))
	blob := NewFresh("blob").WithDigest([]byte("encapsulated request bytes"))
	other := NewFresh("blob").WithDigest([]byte("other bytes"))

	// Atoms with different digests are different values.
	if NewKnowledge(testSignature, blob).Derivable(other) {
		t.Error("blobs with different digests conflated")
	}
	// Same digest: the same value under two spellings.
	if !NewKnowledge(testSignature, encReq).Derivable(blob) || !NewKnowledge(testSignature, blob).Derivable(encReq) {
		t.Error("aliases not identified")
	}

	b := NewBinding(Pair(NewPub("C1"), encReq))
	if got := b.Lookup(encReq.Digest); len(got) != 1 || !got[0].Equal(encReq) {
		t.Fatalf("binding lookup = %v", got)
	}
	if got := b.Resolve(Pair(blob, other)); !got.Equal(Pair(encReq, other)) {
		t.Errorf("Resolve = %s", got)
	}

	// An observer who saw only the opaque bytes learns the header once
	// it knows their structure, and the request only with the key.
	obs := NewKnowledge(testSignature, blob)
	if obs.Derivable(dyPk(r.ek)) {
		t.Error("opaque blob analysed without a resolver")
	}
	obs.SetResolver(b)
	if !obs.Derivable(dyPk(r.ek)) {
		t.Error("resolved blob's header not visible")
	}
	if obs.Derivable(r.req) {
		t.Error("resolved blob opened without the key")
	}
	obs.Add(r.skG)
	if !obs.Derivable(r.req) {
		t.Error("resolved blob not opened with the gateway key")
	}
	steps, _ := obs.Explain(r.req)
	if !dyContains(steps, "~blob: given") || !strings.Contains(strings.Join(steps, "\n"), "same bytes as ~blob") {
		t.Errorf("Explain does not show the alias:\n%s", strings.Join(steps, "\n"))
	}

	// A resolver set first applies to terms added later, too.
	late := NewKnowledge(testSignature)
	late.SetResolver(b)
	late.Add(blob, r.skG)
	if !late.Derivable(r.req) {
		t.Error("resolver not applied to terms added after it")
	}
}

func TestCoalition(t *testing.T) {
	r := newDyOHTTP("1")
	encReq := r.encReq.WithDigest([]byte("wire"))
	relay := NewKnowledge(testSignature, Pair(NewPub("C1"), NewFresh("pkt").WithDigest([]byte("wire"))))
	gateway := NewKnowledge(testSignature, r.skG, encReq)
	if relay.Derivable(r.req) {
		t.Fatal("relay alone derives the request")
	}
	both := relay.Union(gateway)
	if !both.Derivable(r.req) || !both.Derivable(NewFresh("pkt").WithDigest([]byte("wire"))) {
		t.Fatal("coalition of relay and gateway does not link packet and request")
	}
	if len(both.Given()) != 3 {
		t.Errorf("coalition given %d terms, want 3", len(both.Given()))
	}
}

func TestKnownLists(t *testing.T) {
	kn := NewKnowledge(testSignature, Pair(dyK1, dySenc(dyM, dyK1)))
	got := map[string]bool{}
	for _, x := range kn.Known() {
		got[x.String()] = true
	}
	for _, w := range []string{"<~k1, senc(~m, ~k1)>", "~k1", "senc(~m, ~k1)", "~m"} {
		if !got[w] {
			t.Errorf("Known lacks %s; have %v", w, got)
		}
	}
}

func TestExplainPublic(t *testing.T) {
	steps, ok := NewKnowledge(testSignature, dyK1).Explain(Apply("h", Pair(NewPub("A"), dyK1)))
	if !ok {
		t.Fatal("not derivable")
	}
	want := []string{
		"$A: public name",
		"~k1: given",
		"<$A, ~k1>: composed with pair",
		"h(<$A, ~k1>): composed with h",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("Explain =\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if _, ok := NewKnowledge(testSignature).Explain(dyK1); ok {
		t.Error("Explain of an underivable term says ok")
	}
}

func TestSignatureErrors(t *testing.T) {
	cases := []struct {
		name  string
		funcs []FuncSym
		rules []Destructor
		want  string
	}{
		{"redeclared", []FuncSym{{Name: "pk", Arity: 2}}, nil, "function pk/2: already declared as pk/1"},
		{"undeclared", nil, []Destructor{{Name: "x", Of: PFunc("nope", PVar("a")), Gives: []Pattern{PVar("a")}}}, "destructor x: undeclared function nope"},
		{"arity", nil, []Destructor{{Name: "x", Of: PFunc("senc", PVar("a")), Gives: []Pattern{PVar("a")}}}, "destructor x: senc used with 1 arguments, declared senc/2"},
		{"unbound", nil, []Destructor{{Name: "x", Of: PFunc("h", PVar("a")), Gives: []Pattern{PVar("b")}}}, "destructor x: variable b does not occur in h(a)"},
		{"variable head", nil, []Destructor{{Name: "x", Of: PVar("a"), Gives: []Pattern{PVar("a")}}}, "destructor x: Of must be a function application, not a variable"},
		{"repeated", nil, []Destructor{{Name: "x", Of: PFunc("senc", PVar("a"), PVar("a")), Gives: []Pattern{PVar("a")}}}, "destructor x: variable a occurs twice in senc(a, a)"},
		{"gives nothing", nil, []Destructor{{Name: "x", Of: PFunc("h", PVar("a"))}}, "destructor x: gives nothing"},
		{"loops", nil, []Destructor{{Name: "x", Of: PFunc("h", PVar("a")), Gives: []Pattern{PFunc("h", PFunc("h", PVar("a")))}}}, "destructor x: gives the new term h(h(a)), which rules for h would analyse again; analysis might not terminate"},
	}
	for _, c := range cases {
		_, err := testSignature.Extend(c.funcs, c.rules)
		var se *SignatureError
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v is not a *SignatureError", c.name, err)
			continue
		}
		if got := strings.TrimPrefix(err.Error(), "model: signature: "); got != c.want {
			t.Errorf("%s: error %q, want %q", c.name, got, c.want)
		}
	}
	if len(testSignature.Destructors()) != 6 || len(testSignature.Funcs()) != 11 {
		t.Errorf("testSignature changed by Extend: %d rules, %d funcs", len(testSignature.Destructors()), len(testSignature.Funcs()))
	}
}

func dyContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
