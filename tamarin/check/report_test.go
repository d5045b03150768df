package check

import (
	"strings"
	"testing"

	"github.com/edgelab/edgelab/tamarin/check/checktest"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// TestNonConformingTraceHoldsNothing: on a trace that is no run of the
// theory, no lemma holds or is witnessed (that would say nothing), while a
// violation stays one.
func TestNonConformingTraceHoldsNothing(t *testing.T) {
	th := fixture(t)
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /", "200")
	b.Send(x)
	b.Open(x) // answered without the relay or gateway: not a run
	rep, err := Check(th, &b.Trace, Options{Adversary: []string{"network"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conformance.OK {
		t.Fatal("trace conforms")
	}
	violated := 0
	for _, l := range rep.Lemmas {
		switch l.Verdict {
		case Holds, Witnessed:
			t.Errorf("lemma %s %s on a non-conforming trace", l.Name, l.Verdict)
		case Violated:
			violated++
		}
	}
	if violated == 0 || lemma(t, rep, "request_secrecy").Reason != notARun {
		t.Fatalf("report:\n%s", report(t, rep))
	}
}

// TestWitnessNamesTheNodeOfAFreshValue: a fresh value in a witness says
// whose it is (the node whose fact first named it).
func TestWitnessNamesTheNodeOfAFreshValue(t *testing.T) {
	th := fixture(t)
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /secret", "200")
	b.Send(x)
	b.Message(x.Client, b.Relay, x.ReqBytes) // plaintext to the relay
	b.Forward(x)
	rep, err := Check(th, &b.Trace, Options{Adversary: []string{"relay"}})
	if err != nil {
		t.Fatal(err)
	}
	l := lemma(t, rep, "request_secrecy")
	var req *Assignment
	for i := range l.Witness {
		if l.Witness[i].Var == "req" {
			req = &l.Witness[i]
		}
	}
	if l.Verdict != Violated || req == nil || req.Origin != "client-0" ||
		!strings.HasPrefix(req.Describe(), "~req of client-0 (~req#") {
		t.Fatalf("witness %+v\n%s", l.Witness, report(t, rep))
	}
}

// TestViolationCountSaysWhereItStops: a count that reached the cap reads
// as a lower bound, not as the number.
func TestViolationCountSaysWhereItStops(t *testing.T) {
	rep := &Report{Theory: "T", Adversary: []string{"relay"}, Conformance: Conformance{OK: true}, Lemmas: []LemmaResult{
		{Name: "a", Traces: spthy.AllTraces, Verdict: Violated, Violations: MaxViolations},
		{Name: "b", Traces: spthy.AllTraces, Verdict: Violated, Violations: 7},
	}}
	out := report(t, rep)
	if !strings.Contains(out, "a  (all-traces)  violated (1000 or more violating assignments; counting stops at 1000)\n") ||
		!strings.Contains(out, "b  (all-traces)  violated (7 violating assignments)\n") {
		t.Fatalf("report:\n%s", out)
	}
}
