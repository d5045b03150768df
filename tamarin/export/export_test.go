package export

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/check/checktest"
	"github.com/edgelab/edgelab/tamarin/prove"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

func parseFile(t *testing.T, path string) *spthy.Theory {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	th, err := spthy.Parse(src, spthy.Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestExportParsesAndTheGoCheckerWitnessesIt(t *testing.T) {
	th := parseFile(t, "../check/testdata/ohttp_fixture.spthy")
	tr := checktest.Honest(2, 2, true) // names like client-0 and gateway.example
	var buf bytes.Buffer
	if err := Spthy(&buf, th, tr, "OHTTP_Fixture_run"); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	out, err := spthy.Parse(buf.Bytes(), spthy.Options{File: "export"})
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if out.Name != "OHTTP_Fixture_run" || len(out.Rules) != len(th.Rules) || len(out.Lemmas) != 1 {
		t.Fatalf("exported theory: %s, %d rules, %d lemmas", out.Name, len(out.Rules), len(out.Lemmas))
	}
	l := out.Lemmas[0]
	if l.Name != LemmaName || l.Traces != spthy.ExistsTrace || !strings.Contains(l.Doc, tr.HashHex()) {
		t.Fatalf("lemma %+v", l)
	}
	for _, want := range []string{
		"KeyPublish('gateway_example', '1', pk(sk_1)) @ #e0",
		"ClientSend('client_0', 'gateway_example', req_1, hpke(pk(sk_1), ek_1, req_1)) @ #e1",
		// The relay's opaque blob is the client's encapsulation.
		"RelayForward('client_0', 'gateway_example', hpke(pk(sk_1), ek_1, req_1)) @ #e2",
		"ClientRecv('client_1', 'gateway_example', req_2, resp_2) @ #e14",
		"#e13 < #e14",
		"not (Ex #r. RevealRelay() @ #r)",
		"not (Ex y1 #r. RevealGatewayKey(y1) @ #r)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if !strings.Contains(l.Doc, "'client_0' is client-0, 'client_1' is client-1, 'gateway_example' is gateway.example") {
		t.Errorf("doc %q", l.Doc)
	}
}

func TestTheGoCheckerWitnessesTheExportedLemma(t *testing.T) {
	th := parseFile(t, "../check/testdata/ohttp_fixture.spthy")
	// Names that are spthy identifiers already, so the lemma's constants
	// are the trace's names.
	b := checktest.New()
	b.GatewayName, b.TargetName = "gw", "tg"
	k := b.Publish(1, "pk")
	b.Run(b.NewExchange("alice", k, "GET /a", "200 a"))
	b.Run(b.NewExchange("bob", k, "GET /b", "200 b"))
	tr := &b.Trace
	var buf bytes.Buffer
	if err := Spthy(&buf, th, tr, "Run"); err != nil {
		t.Fatal(err)
	}
	out, err := spthy.Parse(buf.Bytes(), spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The Go checker, run on the exported theory and the same trace, finds
	// the lemma witnessed: the lemma says what the trace is.
	cfg, err := check.ConfigFor(th)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := check.Check(out, tr, check.Options{Adversary: []string{"network"}, Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformance.OK || len(rep.Lemmas) != 1 || rep.Lemmas[0].Verdict != check.Witnessed {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatal(b.String())
	}
}

func TestExportErrors(t *testing.T) {
	th := parseFile(t, "../check/testdata/ohttp_fixture.spthy")
	var buf bytes.Buffer
	if err := Spthy(&buf, th, checktest.Honest(1, 1, false), "bad name"); err == nil {
		t.Error("bad theory name accepted")
	}
	if err := Spthy(&buf, th, &model.Trace{}, "T"); err == nil {
		t.Error("empty trace accepted")
	}
	b := checktest.New()
	b.Fact("x", "Bogus", model.NewPub("a"))
	if err := Spthy(&buf, th, &b.Trace, "T"); err == nil || !strings.Contains(err.Error(), "Bogus/1 is not an action") {
		t.Errorf("unknown fact: %v", err)
	}
}

// TestTamarinConfirmsAnExportedRun exports a two-message run of the small
// theory prove's tests use and has tamarin-prover prove it possible.
func TestTamarinConfirmsAnExportedRun(t *testing.T) {
	prover, err := prove.Find()
	if err != nil {
		t.Skip(err)
	}
	th := parseFile(t, "../prove/testdata/tiny.spthy")
	var tr model.Trace
	for _, m := range []string{"m1", "m2"} {
		tr.Append(model.Event{Node: "alice", Kind: model.Fact, Name: "Sent",
			Args: []model.Term{model.NewPub("alice"), model.NewFresh("m").WithDigest([]byte(m))}})
	}
	var buf bytes.Buffer
	if err := Spthy(&buf, th, &tr, "TinyRun"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs, err := prove.Theory(ctx, "tiny_run", buf.Bytes(), prove.Options{Prover: prover, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Lemma != LemmaName || rs[0].Got != prove.Verified || !rs[0].OK() {
		t.Fatalf("%+v\n%s", rs, buf.String())
	}
}

func TestExportKeepsSourcesLemmas(t *testing.T) {
	th, err := spthy.Parse([]byte(`theory S
begin
rule R: [ Fr(~x) ] --[ A($p, ~x) ]-> [ Out(~x) ]
lemma src [sources]: "All p x #i. A(p, x) @ #i ==> T"
lemma other: "All p x #i. A(p, x) @ #i ==> T"
end
`), spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tr model.Trace
	tr.Append(model.Event{Kind: model.Fact, Name: "A", Args: []model.Term{model.NewPub("p"), model.NewFresh("x").WithDigest([]byte("1"))}})
	var buf bytes.Buffer
	if err := Spthy(&buf, th, &tr, "SRun"); err != nil {
		t.Fatal(err)
	}
	out, err := spthy.Parse(buf.Bytes(), spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Lemmas) != 2 || out.Lemmas[0].Name != "src" || out.Lemmas[1].Name != LemmaName {
		t.Fatalf("lemmas %+v", out.Lemmas)
	}
}

// TestTamarinConfirmsARunOfTheOHTTPTheory exports one exchange written in
// the shapes tamarin/theories/ohttp.spthy documents (a fresh client address
// ~cid; eresp = aead(rkey(ek, rn), resp)) and has tamarin-prover confirm it
// is a run of the theory (about 15 s on two cores: the theory's [sources]
// lemmas, which the export keeps, make it tractable).
func TestTamarinConfirmsARunOfTheOHTTPTheory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	prover, err := prove.Find()
	if err != nil {
		t.Skip(err)
	}
	th, err := tamarin.Parse("ohttp")
	if err != nil {
		t.Fatal(err)
	}
	tr := checktest.Real(1)
	if rep, err := check.Check(th, tr, check.Options{Adversary: []string{"network"}}); err != nil || !rep.Conformance.OK {
		t.Fatalf("the Go checker rejects the run: %v %+v", err, rep)
	}
	var buf bytes.Buffer
	if err := Spthy(&buf, th, tr, "OHTTP_run"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rs, err := prove.Theory(ctx, "ohttp_run", buf.Bytes(), prove.Options{Prover: prover, Timeout: 2 * time.Minute, Lemma: LemmaName})
	if ctx.Err() != nil {
		t.Skipf("tamarin-prover did not finish in %v (a loaded machine): %v", 3*time.Minute, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The prover proves the [sources] lemma the run's lemma rests on as
	// well; that lemma is the theory's, proved by `edgelab prove`, and
	// only the run's own lemma is this test's.
	var run *prove.Result
	for i := range rs {
		if rs[i].Lemma == LemmaName {
			run = &rs[i]
		}
	}
	if run == nil {
		t.Fatalf("no result for %s: %+v", LemmaName, rs)
	}
	if run.Got == prove.Timeout {
		t.Skipf("tamarin-prover did not finish: %s", run.Detail)
	}
	if !run.OK() {
		t.Fatalf("%+v", *run)
	}
	t.Logf("verified in %d steps, %s", run.Steps, run.Time)
}

// TestTamarinConfirmsARunInParts has tamarin-prover confirm every part of
// a run of the OHTTP theory exported in parts of a few facts.
func TestTamarinConfirmsARunInParts(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	prover, err := prove.Find()
	if err != nil {
		t.Skip(err)
	}
	th, err := tamarin.Parse("ohttp")
	if err != nil {
		t.Fatal(err)
	}
	tr := checktest.Real(2)
	var buf bytes.Buffer
	if err := SpthyParts(&buf, th, tr, "OHTTP_parts", 8); err != nil {
		t.Fatal(err)
	}
	out, err := spthy.Parse(buf.Bytes(), spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, l := range out.Lemmas {
		if strings.HasPrefix(l.Name, LemmaName+"_") {
			parts = append(parts, l.Name)
		}
	}
	if len(parts) < 2 {
		t.Fatalf("parts %v", parts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rs, err := prove.Theory(ctx, "ohttp_parts", buf.Bytes(), prove.Options{Prover: prover, Timeout: 4 * time.Minute, Jobs: 2, Lemmas: parts})
	if ctx.Err() != nil {
		t.Skipf("tamarin-prover did not finish in %v (a loaded machine): %v", 10*time.Minute, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]prove.Result{}
	for _, r := range rs {
		got[r.Lemma] = r
	}
	for _, p := range parts {
		r, ok := got[p]
		switch {
		case !ok:
			t.Errorf("no result for %s", p)
		case r.Got == prove.Timeout:
			t.Skipf("tamarin-prover did not finish %s: %s", p, r.Detail)
		case !r.OK():
			t.Errorf("%s: %+v", p, r)
		default:
			t.Logf("%s verified in %d steps, %s", p, r.Steps, r.Time)
		}
	}
}
