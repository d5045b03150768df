package check

import (
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
	run, err := New(th, checktest.Real(2), Options{})
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
