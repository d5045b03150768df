package prove

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptedProver writes a stand-in tamarin-prover that answers
// --prove=LEMMA with answers[LEMMA] ("verified", "falsified - found
// trace", ...), after sleeping delays[LEMMA] seconds; with --diff it
// answers for both sides, and the observational-equivalence lemma on a
// DiffLemma line. Every command line is appended to the file it returns.
func scriptedProver(t *testing.T, answers map[string]string, delays map[string]string) (prover, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	var cases strings.Builder
	for l, a := range answers {
		fmt.Fprintf(&cases, "  %s) answer='%s'; delay='%s';;\n", l, a, delays[l])
	}
	body := `echo "$@" >> '` + log + `'
lemma=""; diff=""
for a in "$@"; do case "$a" in --prove=*) lemma="${a#--prove=}";; --diff) diff=1;; esac; done
answer=""; delay=""
case "$lemma" in
` + cases.String() + `esac
[ -n "$delay" ] && sleep "$delay"
[ -z "$answer" ] && { echo "no answer for $lemma" >&2; exit 2; }
printf 'summary of summaries:\n\nanalyzed: x.spthy\n\n'
if [ "$lemma" = Observational_equivalence ]; then
  printf '  DiffLemma:  %s : %s (9 steps)\n' "$lemma" "$answer"
elif [ -n "$diff" ]; then
  printf '  RHS :  %s (all-traces): %s (4 steps)\n  LHS :  %s (all-traces): %s (3 steps)\n' "$lemma" "$answer" "$lemma" "$answer"
else
  printf '  %s (all-traces): %s (7 steps)\n' "$lemma" "$answer"
fi
printf '\n'
`
	return fakeProver(t, body), log
}

// reuseTheory has a sources lemma, two reused helpers and two lemmas
// after them, one reusing and one not reusing the second helper.
const reuseTheory = `theory R
begin
builtins: symmetric-encryption
rule Send: [ Fr(~k), Fr(~m) ] --[ Sent(~m), Key(~k) ]-> [ Out(senc(~m, ~k)) ]
// expect: verified
lemma src [sources]: "All m #i. Sent(m) @ #i ==> T"
// expect: verified
lemma helper_a [reuse]: "All m #i. Sent(m) @ #i ==> T"
// expect: verified
lemma helper_b [reuse, use_induction]: "All m #i. Sent(m) @ #i ==> T"
// expect: verified
lemma main: "All m #i #j. Sent(m) @ #i & K(m) @ #j ==> F"
// expect: verified
lemma other [hide_lemma=helper_b]: "All m #i. Sent(m) @ #i ==> T"
end
`

func TestAVerdictRestingOnAFalsifiedHelperIsFlagged(t *testing.T) {
	answers := map[string]string{"src": "verified", "helper_a": "verified", "helper_b": "falsified - found trace", "main": "verified", "other": "verified"}
	prover, _ := scriptedProver(t, answers, nil)
	var seen []Result
	rep, err := Run(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover, Progress: func(r Result) { seen = append(seen, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, rep.Results) {
		t.Errorf("progress %+v\nreport %+v", seen, rep.Results)
	}
	got := map[string]Result{}
	for _, r := range rep.Results {
		got[r.Lemma] = r
	}
	if r := got["main"]; r.OK() || !reflect.DeepEqual(r.RestsOn, []string{"helper_b (falsified)"}) {
		t.Errorf("main: %+v", r)
	}
	// other hides helper_b; helper_b itself is wrong, not resting on anything.
	for _, l := range []string{"src", "helper_a", "other"} {
		if !got[l].OK() {
			t.Errorf("%s: %+v", l, got[l])
		}
	}
	if r := got["helper_b"]; r.OK() || len(r.RestsOn) != 0 {
		t.Errorf("helper_b: %+v", r)
	}
	if rep.OK() {
		t.Error("report OK with a falsified helper")
	}

	// A falsified sources lemma undermines every complete proof; an
	// unproved (timed out) helper too; an attack found stands.
	answers = map[string]string{"src": "falsified - found trace", "helper_a": "analysis incomplete", "helper_b": "verified", "main": "falsified - found trace", "other": "verified"}
	prover, _ = scriptedProver(t, answers, nil)
	rep, err = Run(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		var want []string // helper_a is no proof, main an attack: neither rests on anything
		if r.Lemma == "helper_b" || r.Lemma == "other" {
			want = []string{"src (falsified)", "helper_a (incomplete)"}
		}
		if !reflect.DeepEqual(r.RestsOn, want) {
			t.Errorf("%s: rests on %q, want %q", r.Lemma, r.RestsOn, want)
		}
	}
}

func TestLemmaFilterProvesTheHelpersToo(t *testing.T) {
	answers := map[string]string{"src": "verified", "helper_a": "verified", "helper_b": "verified", "main": "verified", "other": "verified"}
	prover, log := scriptedProver(t, answers, nil)
	rs, err := Theory(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover, Lemma: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Lemma)
	}
	if want := []string{"src", "helper_a", "helper_b", "main"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("proved %q, want %q", names, want)
	}
	// Without reuse, only the sources lemma is a helper, and the file the
	// prover reads has no [reuse] left.
	os.Remove(log)
	prover = fakeProver(t, `for a in "$@"; do f="$a"; done; echo "$@" >> '`+log+`'; grep -c reuse "$f" >> '`+log+`'
for a in "$@"; do case "$a" in --prove=*) l="${a#--prove=}";; esac; done
printf 'summary of summaries:\n\n  %s (all-traces): verified (1 steps)\n' "$l"`)
	rs, err = Theory(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover, Lemmas: []string{"main"}, NoReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Lemma != "src" || rs[1].Lemma != "main" || !rs[1].OK() {
		t.Fatalf("no reuse: %+v", rs)
	}
	b, _ := os.ReadFile(log)
	if strings.Count(string(b), "\n0\n") != 2 {
		t.Fatalf("calls:\n%s", b)
	}
}

func TestStripReuse(t *testing.T) {
	got := string(StripReuse([]byte(reuseTheory)))
	for _, want := range []string{"lemma src [sources]:", "lemma helper_a:", "lemma helper_b [use_induction]:", "lemma other [hide_lemma=helper_b]:", "lemma main:"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "reuse") {
		t.Errorf("reuse left in\n%s", got)
	}
}

const diffTheory = `theory D
begin
builtins: symmetric-encryption
// Two clients' requests; the adversary sees one of them. diff( in a comment is no diff term.
rule Send: [ Fr(~a), Fr(~b) ] --[ Sent(~a) ]-> [ Out(diff(~a, ~b)) ]
// expect: verified
lemma both [reuse]: "All m #i. Sent(m) @ #i ==> T"
// expect: verified
lemma left_only [left]: "All m #i. Sent(m) @ #i ==> T"
// Observational_equivalence expect: falsified
end
`

func TestDiffTheoryRunsWithDiff(t *testing.T) {
	if !IsDiff([]byte(diffTheory)) || IsDiff([]byte(reuseTheory)) || IsDiff([]byte("rule R: [ ] --> [ Out('diff') ] // diff(a, b)\n/* diff(x, y) */")) || !IsDiff([]byte("theory X begin\n  // mode: diff\n")) {
		t.Fatal("IsDiff")
	}
	if DiffExpectation([]byte(diffTheory)) != Falsified || DiffExpectation([]byte(reuseTheory)) != None {
		t.Fatal("DiffExpectation")
	}
	answers := map[string]string{"both": "verified", "left_only": "verified", "Observational_equivalence": "falsified - found trace"}
	prover, log := scriptedProver(t, answers, nil)
	rep, err := Run(context.Background(), "d", []byte(diffTheory), Options{Prover: prover})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, fmt.Sprintf("%s %s %s %d %v", r.Name(), r.Traces, r.Got, r.Steps, r.OK()))
	}
	want := []string{
		"both[LHS] all-traces verified 3 true",
		"both[RHS] all-traces verified 4 true",
		"left_only[LHS] all-traces verified 3 true",
		"Observational_equivalence diff falsified 9 true",
	}
	if !reflect.DeepEqual(got, want) || !rep.Diff {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	b, _ := os.ReadFile(log)
	if strings.Count(string(b), "--diff --prove=") != 3 {
		t.Fatalf("calls:\n%s", b)
	}

	// An equivalence proved while a helper failed on one side rests on it.
	answers["both"] = "falsified - found trace"
	answers["Observational_equivalence"] = "verified"
	prover, _ = scriptedProver(t, answers, nil)
	rep, err = Run(context.Background(), "d", []byte(diffTheory), Options{Prover: prover})
	if err != nil {
		t.Fatal(err)
	}
	eq := rep.Results[len(rep.Results)-1]
	if eq.Lemma != ObservationalEquivalence || !reflect.DeepEqual(eq.RestsOn, []string{"both[LHS] (falsified)", "both[RHS] (falsified)"}) {
		t.Fatalf("%+v", eq)
	}
}

func TestParallelRunsReportInTheoryOrder(t *testing.T) {
	answers := map[string]string{"src": "verified", "helper_a": "verified", "helper_b": "verified", "main": "verified", "other": "verified"}
	delays := map[string]string{"src": "0.6", "helper_a": "0.1", "helper_b": "0.4", "main": "0.1", "other": "0"}
	prover, _ := scriptedProver(t, answers, delays)
	var mu sync.Mutex
	var order []string
	rep, err := Run(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover, Jobs: 2, Progress: func(r Result) {
		mu.Lock()
		order = append(order, r.Lemma)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"src", "helper_a", "helper_b", "main", "other"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order %q", order)
	}
	if !rep.OK() {
		t.Fatalf("%+v", rep.Results)
	}
	if MaxJobs(1<<20) < 1 || MaxJobs(0) != 1 || MaxJobs(1<<20) > MaxJobs(1<<21) {
		t.Fatal("MaxJobs")
	}
}

func TestTheoryTimeoutStopsTheRest(t *testing.T) {
	answers := map[string]string{"src": "verified", "helper_a": "verified", "helper_b": "verified", "main": "verified", "other": "verified"}
	delays := map[string]string{"src": "0", "helper_a": "30"}
	prover, log := scriptedProver(t, answers, delays)
	start := time.Now()
	rep, err := Run(context.Background(), "r", []byte(reuseTheory), Options{Prover: prover, TheoryTimeout: 500 * time.Millisecond, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, string(r.Got))
	}
	if want := []string{"verified", "timeout", "timeout", "timeout", "timeout"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
	if !strings.Contains(rep.Results[1].Detail, "killed") || !strings.Contains(rep.Results[2].Detail, "not started") {
		t.Fatalf("%+v", rep.Results)
	}
	if b, _ := os.ReadFile(log); strings.Count(string(b), "\n") != 2 {
		t.Fatalf("calls after the limit:\n%s", b)
	}
}
