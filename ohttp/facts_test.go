package ohttp

import (
	"testing"

	"github.com/edgelab/edgelab/model"
)

// TestFactVocabulary keeps the constants and FactArity in step, and checks
// every term helper renders in Tamarin syntax with a digest where a
// concrete value stands behind it.
func TestFactVocabulary(t *testing.T) {
	names := []string{FactKeyPublish, FactRelayUp, FactClientSend, FactRelayForward, FactGatewayRecv,
		FactTargetServe, FactGatewayReply, FactRelayReturn, FactClientRecv}
	if len(FactArity) != len(names) {
		t.Fatalf("FactArity has %d entries, %d facts are defined", len(FactArity), len(names))
	}
	for _, n := range names {
		least := 3 // a role, then what it handled
		if n == FactRelayUp {
			least = 1
		}
		if FactArity[n] < least {
			t.Errorf("%s: arity %d", n, FactArity[n])
		}
	}
	if rid := RelayIdentity("10.0.0.2"); rid.String() != "~rid" || rid.Digest == "" {
		t.Errorf("relay identity %s, digest %q", rid, rid.Digest)
	}
	req := requestTerm([]byte("r"))
	ereq := encRequestTerm([]byte("pk"), []byte("enc"), req, []byte("ereq"))
	eresp := encResponseTerm(ereq, []byte("nonce"), responseTerm([]byte("s")), []byte("eresp"))
	for term, want := range map[*model.Term]string{
		&req:   "~req",
		&ereq:  "hpke(pk(~sk), ~ek, ~req)",
		&eresp: "aead(rkey(~ek, ~rn), ~resp)",
	} {
		if got := term.String(); got != want {
			t.Errorf("term %s, want %s", got, want)
		}
		if term.Digest == "" {
			t.Errorf("%s has no digest", want)
		}
	}
	if blobTerm([]byte("x")).Digest != requestTerm([]byte("x")).Digest {
		t.Error("digests of the same bytes differ between terms")
	}
}
