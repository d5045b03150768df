package check

import (
	"fmt"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check/checktest"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// TestEmbeddedTheoriesCompileForTheChecker keeps every embedded theory
// within what the checker can use: its message theory maps to destructor
// rules, its rules compile, its party table names real compromise facts,
// and every lemma evaluates on an empty trace.
func TestEmbeddedTheoriesCompileForTheChecker(t *testing.T) {
	for _, e := range tamarin.Theories() {
		th, err := e.Parse()
		if err != nil {
			t.Fatal(err)
		}
		run, err := New(th, &model.Trace{}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		for _, p := range run.Config().PartyNames() {
			rep, err := run.Evaluate([]string{p})
			if err != nil {
				t.Fatalf("%s: %v", e.Name, err)
			}
			for _, l := range rep.Lemmas {
				if l.Verdict == Violated || l.Verdict == NotApplicable && l.Traces != spthy.ExistsTrace {
					t.Errorf("%s: adversary %s: lemma %s on the empty trace: %s %s", e.Name, p, l.Name, l.Verdict, l.Reason)
				}
			}
		}
	}
}

// TestOHTTPTheoryReplaysATraceInItsShapes runs the real theory on a trace
// written in the shapes its header documents (a fresh client address ~cid,
// eresp = aead(rkey(ek, rn), resp)), exercising silent channel set-up, In
// premises whose variables only a sent message binds (the response nonce),
// and compromise rules for every party.
func TestOHTTPTheoryReplaysATraceInItsShapes(t *testing.T) {
	th, err := tamarin.Parse("ohttp")
	if err != nil {
		t.Fatal(err)
	}
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	b.Fact("relay", "RelayUp", model.NewFresh("rid").WithDigest([]byte("relay")))
	for i := 0; i < 2; i++ {
		c := model.NewFresh("cid").WithDigest([]byte(fmt.Sprint("client", i)))
		req := checktest.Request(fmt.Sprint("GET /", i))
		resp := checktest.Response(fmt.Sprint("200 ", i))
		ek := model.NewFresh("ek").WithDigest([]byte(fmt.Sprint("enc", i)))
		ereq := model.Apply("hpke", k.PK, ek, req).WithDigest([]byte(fmt.Sprint("ereq", i)))
		eresp := model.Apply("aead", model.Apply("rkey", ek, model.NewFresh("rn").WithDigest([]byte(fmt.Sprint("rn", i)))), resp).WithDigest([]byte(fmt.Sprint("eresp", i)))
		G := model.NewPub(b.GatewayName)
		b.Fact("client", "ClientSend", c, G, req, ereq)
		b.Fact("relay", "RelayForward", c, G, checktest.Blob(fmt.Sprint("ereq", i)))
		b.Fact("gateway", "GatewayRecv", G, req, ereq)
		b.Fact("gateway", "TargetServe", model.NewPub("target.example"), req, resp)
		b.Fact("gateway", "GatewayReply", G, req, resp, eresp)
		b.Fact("relay", "RelayReturn", c, G, checktest.Blob(fmt.Sprint("eresp", i)))
		b.Fact("client", "ClientRecv", c, G, req, resp)
	}
	run, err := New(th, &b.Trace, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := run.Conformance(); !c.OK {
		t.Fatalf("does not conform: %v", c.Failure)
	}
	for _, adv := range [][]string{{"relay"}, {"gateway"}, {"target"}, {"network"}, {"relay", "gateway"}} {
		rep, err := run.Evaluate(adv)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("%s", report(t, rep))
		}
	}
}
