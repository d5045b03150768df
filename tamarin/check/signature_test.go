package check

import (
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func parse(t *testing.T, src string) *spthy.Theory {
	t.Helper()
	th, err := spthy.Parse([]byte(src), spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestSignatureMapsBuiltinsAndDestructorEquations(t *testing.T) {
	th := fixture(t)
	sig, err := NewSignature(th)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, d := range sig.Destructors() {
		rules = append(rules, d.String())
	}
	got := strings.Join(rules, "\n")
	for _, want := range []string{
		"fst(<a, b>) = a: pair(a, b) gives a",
		"sdec(senc(m, k), k) = m: senc(m, k) with k gives m",
		"hpke_open(hpke(pk(sk), ek, m), sk) = m: hpke(pk(sk), ek, m) with sk gives m",
		"aead_open(aead(k, m), k) = m: aead(k, m) with k gives m",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if f, ok := sig.Lookup("rkey"); !ok || !f.Private {
		t.Errorf("rkey: %v %v", f, ok)
	}
	// Deduction with it: the secret key opens the request; the relay's
	// channel key does not.
	sk := model.NewFresh("sk")
	req := model.NewFresh("req")
	ereq := model.Apply("hpke", model.Apply("pk", sk), model.NewFresh("ek"), req)
	if model.NewKnowledge(sig, ereq).Derivable(req) {
		t.Error("req derivable without sk")
	}
	if !model.NewKnowledge(sig, ereq, sk).Derivable(req) {
		t.Error("req not derivable with sk")
	}
	// A private function cannot be applied by the adversary.
	rk := model.Apply("rkey", ereq, model.NewFresh("rn"))
	if model.NewKnowledge(sig, ereq, model.NewFresh("rn")).Derivable(rk) {
		t.Error("private rkey composed")
	}
	// Signature verification teaches nothing and is skipped, not refused.
	if _, err := NewSignature(parse(t, "theory S begin builtins: signing, hashing, asymmetric-encryption, revealing-signing end")); err != nil {
		t.Error(err)
	}
}

func TestSignatureErrorsNameTheEquation(t *testing.T) {
	for src, want := range map[string]string{
		"theory D begin builtins: diffie-hellman end":                                     "builtin diffie-hellman: exponentiation",
		"theory X begin builtins: xor end":                                                "builtin xor",
		"theory C begin functions: f/2 equations: f(x, y) = f(y, x) end":                  "equation f(x, y) = f(y, x)",
		"theory K begin functions: enc/2, dec/2 equations: dec(enc(m, 'k'), 'k') = m end": "constant 'k'",
		"theory R begin functions: g/2, h/1 equations: h(g(x, x)) = x end":                "occurs twice",
	} {
		_, err := NewSignature(parse(t, src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
		_, err = New(parse(t, src), &model.Trace{}, Options{})
		if err == nil {
			t.Errorf("%s: New accepted it", src)
		}
	}
}
