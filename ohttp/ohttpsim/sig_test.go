package ohttpsim

import (
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
)

// The views reason with ohttp.spthy's own equations: an encapsulated
// request opens to its request and its HPKE secret with the gateway's key
// and to nothing without it, and a response opens with its response key
// only. The signature is the checker's for the same theory, rule for rule.
func TestSignatureIsTheTheorys(t *testing.T) {
	sk, ek, req := model.NewFresh("sk"), model.NewFresh("ek"), model.NewFresh("req")
	ereq := model.Apply("hpke", model.Apply("pk", sk), ek, req)
	relay := model.NewKnowledge(Signature, ereq)
	if relay.Derivable(req) || relay.Derivable(ek) {
		t.Fatal("the encapsulated request opens without the gateway's key")
	}
	gateway := model.NewKnowledge(Signature, ereq, sk)
	if !gateway.Derivable(req) || !gateway.Derivable(ek) {
		t.Fatal("the gateway's key does not open the encapsulated request (hpke_open, hpke_ek)")
	}
	rk := model.Apply("rkey", ek, model.NewFresh("rn"))
	resp := model.Apply("aead", rk, model.NewFresh("resp"))
	if model.NewKnowledge(Signature, resp).Derivable(model.NewFresh("resp")) {
		t.Fatal("a response opens without its key")
	}
	if !model.NewKnowledge(Signature, resp, rk).Derivable(model.NewFresh("resp")) {
		t.Fatal("a response does not open with its key (aead_open)")
	}

	th, err := tamarin.Parse(TheoryName)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := check.NewSignature(th)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(Signature.Destructors()), len(derived.Destructors()); got != want || got < 5 {
		t.Fatalf("%d destructors, the theory has %d", got, want)
	}
	for i, d := range derived.Destructors() {
		if Signature.Destructors()[i].Name != d.Name {
			t.Errorf("destructor %d: %s, the theory's is %s", i, Signature.Destructors()[i].Name, d.Name)
		}
	}
}
