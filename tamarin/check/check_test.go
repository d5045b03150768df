package check

import (
	"os"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/check/checktest"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func fixture(t testing.TB) *spthy.Theory {
	t.Helper()
	src, err := os.ReadFile("testdata/ohttp_fixture.spthy")
	if err != nil {
		t.Fatal(err)
	}
	th, err := spthy.Parse(src, spthy.Options{File: "testdata/ohttp_fixture.spthy"})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func report(t testing.TB, r *Report) string {
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}

var singleParties = []string{"relay", "gateway", "target", "network"}

func TestHonestTraceConformsAndEveryLemmaHoldsForEachParty(t *testing.T) {
	th := fixture(t)
	for _, tr := range map[string]*model.Trace{
		"sequential":      checktest.Honest(3, 2, true),
		"interleaved":     checktest.Interleaved(6, 3, 3),
		"wire-less":       checktest.Honest(2, 1, false),
		"one-key-rotated": rotated(),
	} {
		run, err := New(th, tr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		conf := run.Conformance()
		if !conf.OK {
			t.Fatalf("honest trace does not conform: %+v", conf.Failure)
		}
		if conf.Replayed != conf.Facts || conf.Silent == 0 {
			t.Fatalf("replayed %d of %d facts with %d silent steps", conf.Replayed, conf.Facts, conf.Silent)
		}
		for _, p := range singleParties {
			rep, err := run.Evaluate([]string{p})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("adversary %s:\n%s", p, report(t, rep))
			}
			for _, l := range rep.Lemmas {
				want := Holds
				if l.Traces == spthy.ExistsTrace {
					want = Witnessed
					if p != "network" {
						// Every other party's compromise fact holds, and
						// honest_exchange asks for none.
						want = NotApplicable
					}
				}
				if l.Verdict != want {
					t.Errorf("adversary %s: lemma %s: %s (%s), want %s", p, l.Name, l.Verdict, l.Reason, want)
				}
			}
		}
	}
}

// rotated is a trace with two keys of one gateway, one exchange under each:
// two pk(~sk) with different digests are two different keys.
func rotated() *model.Trace {
	b := checktest.New()
	k1 := b.Publish(1, "pk-1")
	k2 := b.Publish(2, "pk-2")
	b.Run(b.NewExchange("client-0", k1, "GET /a", "200 a"))
	b.Run(b.NewExchange("client-1", k2, "GET /b", "200 b"))
	return &b.Trace
}

func TestRelayLearningTheRequestViolatesSecrecyForTheRelay(t *testing.T) {
	th := fixture(t)
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /secret", "200 secret")
	b.Send(x)
	// The bug: the client also sends its plaintext request to the relay.
	b.Message(x.Client, b.Relay, x.ReqBytes)
	b.Forward(x)
	b.Receive(x)
	b.Serve(x)
	b.Reply(x)
	b.Return(x)
	b.Open(x)
	run, err := New(th, &b.Trace, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !run.Conformance().OK {
		t.Fatalf("the leak is on the wire, the facts still conform: %+v", run.Conformance().Failure)
	}
	rep, err := run.Evaluate([]string{"relay"})
	if err != nil {
		t.Fatal(err)
	}
	l := lemma(t, rep, "request_secrecy")
	if l.Verdict != Violated {
		t.Fatalf("request_secrecy for the relay: %s\n%s", l.Verdict, report(t, rep))
	}
	w := witnessMap(l.Witness)
	if !strings.HasPrefix(w["req"], "~req#") || !strings.Contains(w["#i"], "ClientSend") || w["C"] != "$client-0" {
		t.Fatalf("witness %v", l.Witness)
	}
	// K(req) first holds when the relay received the bytes: the next
	// time point after ClientSend.
	if !strings.Contains(w["#j"], "RelayForward") {
		t.Errorf("#j = %q, want the first time point after the leak", w["#j"])
	}
	if l := lemma(t, rep, "response_secrecy"); l.Verdict != Holds {
		t.Errorf("response_secrecy: %s", l.Verdict)
	}
	// The leak crossed the wire in the clear: a network tap saw it too.
	rep, err = run.Evaluate([]string{"network"})
	if err != nil {
		t.Fatal(err)
	}
	if l := lemma(t, rep, "request_secrecy"); l.Verdict != Violated {
		t.Errorf("network: request_secrecy %s", l.Verdict)
	}
	for _, p := range []string{"gateway", "target"} {
		rep, err := run.Evaluate([]string{p})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("adversary %s:\n%s", p, report(t, rep))
		}
	}
	// A relay that records the plaintext in a fact of its own leaks too —
	// and that fact is no action of the theory.
	b2 := checktest.New()
	k = b2.Publish(1, "pk-1")
	x = b2.NewExchange("client-0", k, "GET /secret", "200 secret")
	b2.Send(x)
	b2.Fact(b2.Relay, "RelayForward", x.C, x.G, x.Req)
	rep, err = Check(th, &b2.Trace, Options{Adversary: []string{"relay"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conformance.OK || lemma(t, rep, "request_secrecy").Verdict != Violated {
		t.Fatalf("plaintext RelayForward:\n%s", report(t, rep))
	}
}

func TestReusedFreshValueDoesNotConform(t *testing.T) {
	th := fixture(t)
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	b.Run(b.NewExchange("client-0", k, "GET /same", "200 one"))
	x := b.NewExchange("client-1", k, "GET /same", "200 two") // same request bytes
	b.Run(x)
	rep, err := Check(th, &b.Trace, Options{Adversary: []string{"relay"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Conformance.Failure
	if rep.Conformance.OK || f == nil {
		t.Fatalf("reused ~req conforms:\n%s", report(t, rep))
	}
	if f.Index != 8 || !strings.HasPrefix(f.Fact, "ClientSend($client-1") ||
		!strings.Contains(f.Reason, "Fr(~req)") || !strings.Contains(f.Reason, "already generated") {
		t.Fatalf("failure %+v", f)
	}
}

func TestMissingPremiseIsNamed(t *testing.T) {
	th := fixture(t)
	// The gateway answers a request it never received: GatewayReply needs
	// GwWait, which only Gateway_Recv makes.
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /", "200")
	b.Send(x)
	b.Forward(x)
	b.Serve(x)
	rep, err := Check(th, &b.Trace, Options{Adversary: []string{"network"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Conformance.Failure
	if f == nil || f.Index != 3 || !strings.Contains(f.Reason, "premise GT_Req(") || !strings.Contains(f.Reason, "no such fact in the state") {
		t.Fatalf("failure %+v\n%s", f, report(t, rep))
	}
	// A client that opens a response nobody sent: the In premise fails.
	b = checktest.New()
	k = b.Publish(1, "pk-1")
	x = b.NewExchange("client-0", k, "GET /", "200")
	b.Send(x)
	b.Open(x)
	rep, err = Check(th, &b.Trace, Options{Adversary: []string{"network"}})
	if err != nil {
		t.Fatal(err)
	}
	f = rep.Conformance.Failure
	if f == nil || f.Index != 2 || !strings.Contains(f.Reason, "Client_Recv: premise In(") {
		t.Fatalf("failure %+v\n%s", f, report(t, rep))
	}
	// A fact the theory does not have.
	b = checktest.New()
	b.Fact("x", "Bogus", model.NewPub("a"))
	rep, err = Check(th, &b.Trace, Options{Adversary: []string{"network"}})
	if err != nil {
		t.Fatal(err)
	}
	if f = rep.Conformance.Failure; f == nil || !strings.Contains(f.Reason, "no rule of theory OHTTP_Fixture has the action fact Bogus/1") {
		t.Fatalf("failure %+v", f)
	}
}

func lemma(t testing.TB, r *Report, name string) LemmaResult {
	t.Helper()
	for _, l := range r.Lemmas {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lemma %s", name)
	return LemmaResult{}
}

func witnessMap(ws []Assignment) map[string]string {
	m := map[string]string{}
	for _, w := range ws {
		m[w.Var] = w.Value
	}
	return m
}
