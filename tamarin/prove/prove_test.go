package prove

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/tamarin/spthy"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The samples were captured from tamarin-prover 1.8.0 (maude 3.2):
// prove_all.out is `--prove tiny.spthy`, prove_one.out `--prove=secrecy
// tiny.spthy`, wellformedness.out the precomputation of the checker's
// OHTTP fixture, whose rules bind variables by pattern matching.
func TestParseOutputOfCapturedRuns(t *testing.T) {
	o, err := ParseOutput(read(t, "prove_all.out"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		{Lemma: "secrecy", Traces: "all-traces", Status: Verified, Steps: 5},
		{Lemma: "secrecy_without_reveal", Traces: "all-traces", Status: Falsified, Detail: "found trace", Steps: 5},
		{Lemma: "can_send", Traces: "exists-trace", Status: Verified, Steps: 3},
		{Lemma: "sent_twice", Traces: "exists-trace", Status: Falsified, Detail: "no trace found", Steps: 2},
	}
	if len(o.Lemmas) != len(want) {
		t.Fatalf("lemmas %+v", o.Lemmas)
	}
	for i := range want {
		if o.Lemmas[i] != want[i] {
			t.Errorf("lemma %d: %+v, want %+v", i, o.Lemmas[i], want[i])
		}
	}
	if len(o.Warnings) != 0 {
		t.Errorf("warnings %q", o.Warnings)
	}

	o, err = ParseOutput(read(t, "prove_one.out"))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := o.Lookup("secrecy", NoSide); s.Status != Verified || s.Steps != 5 {
		t.Errorf("secrecy %+v", s)
	}
	if s, _ := o.Lookup("can_send", NoSide); s.Status != Incomplete || s.Steps != 1 {
		t.Errorf("can_send %+v", s)
	}
	if _, ok := o.Lookup("nope", NoSide); ok {
		t.Error("found a lemma that is not there")
	}

	o, err = ParseOutput(read(t, "wellformedness.out"))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Warnings) != 1 || o.Warnings[0] != "WARNING: 1 wellformedness check failed!" {
		t.Errorf("warnings %q", o.Warnings)
	}
	if len(o.Lemmas) != 5 || o.Lemmas[0].Status != Incomplete {
		t.Errorf("lemmas %+v", o.Lemmas)
	}
	// The report's one section is the derivation checks' hint, a warning.
	wantWF := []WFCheck{{Title: "Message Derivation Checks", Text: "The variables of the follwing rule(s) are not derivable from their premises, you may be performing unintended pattern matching.\nRule Gateway_Recv:\nFailed to derive Variable(s): ek\nRule Client_Recv:\nFailed to derive Variable(s): resp, rn"}}
	if len(o.Wellformedness) != 1 || o.Wellformedness[0] != wantWF[0] {
		t.Errorf("wellformedness %+v", o.Wellformedness)
	}
	if o, _ := ParseOutput(read(t, "prove_all.out")); len(o.Wellformedness) != 0 {
		t.Errorf("a clean theory's wellformedness: %+v", o.Wellformedness)
	}

	// Rules, lemmas and comments printed before the summary never count.
	if _, err := ParseOutput([]byte("lemma x (all-traces): verified (3 steps)\n")); err == nil {
		t.Error("output without a summary parsed")
	}
	if _, err := ParseOutput(nil); err == nil {
		t.Error("empty output parsed")
	}
}

func TestExpectation(t *testing.T) {
	src := read(t, "tiny.spthy")
	th, err := spthy.Parse(src, spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"secrecy": Verified, "secrecy_without_reveal": Falsified, "can_send": Verified, "sent_twice": Falsified}
	for _, l := range th.Lemmas {
		if got := Expectation(src, l); got != want[l.Name] {
			t.Errorf("%s: %q, want %q", l.Name, got, want[l.Name])
		}
	}
	inside := []byte(`theory T
begin
rule R: [ Fr(~x) ] --[ A(~x) ]-> [ ]
lemma a:
  // expect: falsified
  "All x #i. A(x) @ #i ==> F"
lemma b: /* expect: verified */
  exists-trace "Ex x #i. A(x) @ #i"
lemma c:
  "All x #i. A(x) @ #i ==> T"
// expect: verified
lemma d:
  "All x #i. A(x) @ #i ==> T"
end
`)
	th, err = spthy.Parse(inside, spthy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]Status{"a": Falsified, "b": Verified, "c": None, "d": Verified}
	for _, l := range th.Lemmas {
		if got := Expectation(inside, l); got != want[l.Name] {
			t.Errorf("inside %s: %q, want %q", l.Name, got, want[l.Name])
		}
	}
}

func TestFind(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv("TAMARIN", "")
	os.Unsetenv("TAMARIN")
	if _, err := Find(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find with an empty PATH: %v", err)
	}
	fake := fakeProver(t, "true")
	t.Setenv("TAMARIN", fake)
	if p, err := Find(); err != nil || p != fake {
		t.Fatalf("Find with TAMARIN: %q %v", p, err)
	}
	t.Setenv("TAMARIN", filepath.Join(empty, "missing"))
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "TAMARIN=") {
		t.Fatalf("Find with a bad TAMARIN: %v", err)
	}
}

// fakeProver writes an executable shell script with the given body.
func fakeProver(t *testing.T, body string) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	p := filepath.Join(t.TempDir(), "fake-tamarin")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheoryWithAFakeProver(t *testing.T) {
	src := read(t, "tiny.spthy")
	out, err := filepath.Abs(filepath.Join("testdata", "prove_all.out"))
	if err != nil {
		t.Fatal(err)
	}
	fake := fakeProver(t, "cat '"+out+"'")
	var seen []string
	rs, err := Theory(context.Background(), "tiny", src, Options{Prover: fake, Progress: func(r Result) { seen = append(seen, r.Lemma) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || len(seen) != 4 {
		t.Fatalf("results %+v", rs)
	}
	for _, r := range rs {
		if !r.OK() {
			t.Errorf("%+v", r)
		}
	}
	rs, err = Theory(context.Background(), "tiny", src, Options{Prover: fake, Lemma: "can_send"})
	if err != nil || len(rs) != 1 || rs[0].Got != Verified || rs[0].Steps != 3 || rs[0].Traces != "exists-trace" {
		t.Fatalf("one lemma: %+v %v", rs, err)
	}
	// A prover that fails, or prints no summary.
	rs, _ = Theory(context.Background(), "tiny", src, Options{Prover: fakeProver(t, "echo boom >&2; exit 3"), Lemma: "secrecy"})
	if len(rs) != 1 || rs[0].Got != Failed || !strings.Contains(rs[0].Detail, "boom") || rs[0].OK() {
		t.Fatalf("failing prover: %+v", rs)
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	src := read(t, "tiny.spthy")
	// The child sleep keeps stdout open: only killing the group ends it.
	fake := fakeProver(t, "sleep 30 & wait")
	start := time.Now()
	rs, err := Theory(context.Background(), "tiny", src, Options{Prover: fake, Lemma: "secrecy", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Got != Timeout || rs[0].OK() {
		t.Fatalf("%+v", rs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestRealProverOnTinyTheory(t *testing.T) {
	prover, err := Find()
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs, err := Theory(ctx, "tiny", read(t, "tiny.spthy"), Options{Prover: prover, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%+v", rs)
	}
	for _, r := range rs {
		if !r.OK() {
			t.Errorf("%+v", r)
		}
	}
}

func TestGoChecksOnEmbeddedTheories(t *testing.T) {
	for _, p := range Check() {
		t.Error(p)
	}
	bad := []byte("theory B\nbegin\nbuiltins: xor\nrule R: [ Fr(~x) ] --[ A(~x) ]-> [ ]\nlemma l: \"All x #i. A(x) @ #i ==> T\"\nend\n")
	ps := checkTheory("b", bad)
	if len(ps) != 2 || !strings.Contains(ps[0].Msg, "annotation") || !strings.Contains(ps[1].Msg, "builtin xor") {
		t.Fatalf("%v", ps)
	}
}

// The diff and wellformedness samples were captured from tamarin-prover
// 1.8.0 (maude 3.2): diff_all.out is `--diff --prove tiny_diff.spthy`,
// diff_equiv.out `--diff --prove=Observational_equivalence
// tiny_diff.spthy`, wf_error.out `--prove wf_error.spthy`, derivtimeout.out
// as said below.
func TestParseOutputOfCapturedDiffAndWellformednessRuns(t *testing.T) {
	o, err := ParseOutput(read(t, "diff_all.out"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		{Lemma: "sent_secret", Side: RHS, Traces: "all-traces", Status: Verified, Steps: 3},
		{Lemma: "sent_secret", Side: LHS, Traces: "all-traces", Status: Verified, Steps: 4},
		{Lemma: ObservationalEquivalence, Traces: DiffTraces, Status: Falsified, Detail: "found trace", Steps: 7},
	}
	if !reflect.DeepEqual(o.Lemmas, want) || len(o.Wellformedness) != 0 {
		t.Fatalf("lemmas %+v\nwellformedness %+v", o.Lemmas, o.Wellformedness)
	}

	o, err = ParseOutput(read(t, "diff_equiv.out"))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := o.Lookup(ObservationalEquivalence, NoSide); !ok || s.Status != Falsified || s.Steps != 7 {
		t.Fatalf("%+v", o.Lemmas)
	}
	if s, _ := o.Lookup("sent_secret", LHS); s.Status != Incomplete {
		t.Fatalf("%+v", o.Lemmas)
	}
	// tamarin 1.8.0 finds the generated lemma's name missing from the
	// theory's text; the runner drops that one check (and only that).
	if len(o.Wellformedness) != 1 || o.Wellformedness[0].Title != argumentCheck || !o.Wellformedness[0].Error {
		t.Fatalf("%+v", o.Wellformedness)
	}
	if got := dropArgumentCheck(o.Wellformedness); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
	other := []WFCheck{{Title: argumentCheck, Text: "--> 'nope' from arguments do(es) not correspond to a specified lemma in the theory", Error: true}}
	if got := dropArgumentCheck(other); len(got) != 1 {
		t.Fatal("dropped the check for a lemma that does not exist")
	}

	o, err = ParseOutput(read(t, "wf_error.out"))
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, c := range o.Wellformedness {
		titles = append(titles, c.Title)
		if !c.Error || c.Text == "" {
			t.Errorf("%+v", c)
		}
	}
	if want := []string{"Fact usage", "Facts occur in the left-hand-side but not in any right-hand-side", "Inexistant lemma actions"}; !reflect.DeepEqual(titles, want) {
		t.Fatalf("titles %q", titles)
	}
	if !strings.Contains(o.Wellformedness[2].Text, "lemma `ends_begun' references action\nfact \"Begun\" (arity 1, Linear)\nbut no rule has such an action.") {
		t.Fatalf("%q", o.Wellformedness[2].Text)
	}
	if s, _ := o.Lookup("ends_begun", NoSide); s.Status != Verified {
		t.Fatalf("%+v", o.Lemmas)
	}

	// derivtimeout.out: `--derivcheck-timeout=1 --prove=key_consistency
	// ohttp_partitioned.spthy` on a busy machine; the checks ran out of
	// time, which is a warning, not a fault of the theory.
	o, err = ParseOutput(read(t, "derivtimeout.out"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []WFCheck{{Title: "Derivation Checks", Text: "Derivation checks timed out. Use --derivcheck-timeout=INT to configure timeout, 0 to deactivate."}}; !reflect.DeepEqual(o.Wellformedness, want) {
		t.Fatalf("%+v", o.Wellformedness)
	}
	if s, _ := o.Lookup("key_consistency", NoSide); s.Status != Falsified {
		t.Fatalf("%+v", o.Lemmas)
	}
}

func TestRealProverOnDiffAndIllFormedTheories(t *testing.T) {
	prover, err := Find()
	if err != nil {
		t.Skipf("no tamarin-prover (%v): the diff and wellformedness runs against the real prover are skipped", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, "tiny_diff", read(t, "tiny_diff.spthy"), Options{Prover: prover, Timeout: time.Minute, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Name()+" "+string(r.Got))
	}
	if want := []string{"sent_secret[LHS] verified", "sent_secret[RHS] verified", "Observational_equivalence falsified"}; !reflect.DeepEqual(got, want) || !rep.OK() || !rep.Diff {
		t.Fatalf("%q\n%+v", got, rep)
	}
	rep, err = Run(ctx, "wf_error", read(t, "wf_error.spthy"), Options{Prover: prover, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if rep.WFErrors() != 3 || rep.OK() {
		t.Fatalf("%+v", rep)
	}
}
