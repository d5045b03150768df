package prove

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/tamarin"
)

func readMutant(t *testing.T, name string) Mutant {
	t.Helper()
	file := filepath.Join("testdata", "mutants", "tiny", name+".mutant")
	m, err := ParseMutant("tiny", name, file, read(t, filepath.Join("mutants", "tiny", name+".mutant")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseAndApplyMutant(t *testing.T) {
	m := readMutant(t, "reveal_unrecorded")
	if m.ID() != "tiny/reveal_unrecorded" || !reflect.DeepEqual(m.Falsifies, []string{"secrecy"}) || m.ReuseOff || len(m.Blocks) != 1 ||
		m.Blocks[0].Find != "  [ !Key(A, k) ] --[ Reveal(A) ]-> [ Out(k) ]\n" || m.Blocks[0].With != "  [ !Key(A, k) ] --[ ]-> [ Out(k) ]\n" || m.Blocks[0].Line != 5 {
		t.Fatalf("%+v", m)
	}
	src := read(t, "tiny.spthy")
	out, err := m.Apply(src)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "Reveal(A) ]->") || !strings.Contains(string(out), "--[ ]-> [ Out(k) ]") {
		t.Fatalf("applied:\n%s", out)
	}
	if err := CheckMutant(m, src); err != nil {
		t.Fatal(err)
	}
	if h := readMutant(t, "hello"); !h.ReuseOff {
		t.Fatalf("%+v", h)
	}

	// A mutant that no longer applies, or applies twice, is an error.
	gone := m
	gone.Blocks = []Replace{{Find: "rule Nope:\n", Line: 3}}
	if _, err := gone.Apply(src); err == nil || !strings.Contains(err.Error(), "not in tiny.spthy") {
		t.Fatalf("not found: %v", err)
	}
	twice := m
	twice.Blocks = []Replace{{Find: "// expect: verified\n", Line: 3}}
	if _, err := twice.Apply(src); err == nil || !strings.Contains(err.Error(), "occurs 2 times") {
		t.Fatalf("twice: %v", err)
	}
	same := m
	same.Blocks = []Replace{{Find: "rule Send:\n", With: "rule Send:\n"}}
	if _, err := same.Apply(src); err == nil {
		t.Fatal("a mutant that changes nothing applied")
	}
	// Targets must be lemmas the theory expects verified.
	for target, want := range map[string]string{"nope": "no such lemma", "secrecy_without_reveal": "does not expect verified", ObservationalEquivalence: "no diff theory"} {
		bad := m
		bad.Falsifies = []string{target}
		if err := CheckMutant(bad, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("target %s: %v", target, err)
		}
	}

	for text, want := range map[string]string{
		"why: x\n@@ replace\na\n@@ with\n@@ end\n":                        "no falsifies",
		"falsifies: a\n@@ replace\na\n@@ with\n@@ end\n":                  "no why",
		"falsifies: a\nwhy: x\n":                                          "no replace block",
		"falsifies: a\nwhy: x\ncolour: red\n":                             "unknown header key",
		"falsifies: a\nwhy: x\nreuse: maybe\n":                            "reuse",
		"falsifies: a\nwhy: x\n@@ replace\na\n@@ with\nb\n":               "not closed",
		"falsifies: a\nwhy: x\n@@ with\n":                                 "without @@ replace",
		"falsifies: a\nwhy: x\n@@ replace\n@@ with\nb\n@@ end\n":          "empty text",
		"falsifies: a\nwhy: x\n@@ replace\na\n@@ with\n@@ end\nstray\n":   "between blocks",
		"falsifies: a\nfalsifies: b\nwhy: x\n":                            "twice",
		"just words\n":                                                    "key: value",
		"falsifies: a\nwhy: x\n@@ replace\na\n@@ with\n@@ end\n@@ oops\n": "unknown directive",
	} {
		if _, err := ParseMutant("tiny", "m", "m.mutant", []byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	two, err := ParseMutant("tiny", "m", "m.mutant", []byte("# comment\nfalsifies: a, b\nwhy: x\n@@ replace\na\n@@ with\nb\n@@ end\n\n@@ replace\nc\nd\n@@ with\n@@ end\n"))
	if err != nil || !reflect.DeepEqual(two.Falsifies, []string{"a", "b"}) || len(two.Blocks) != 2 || two.Blocks[1].Find != "c\nd\n" || two.Blocks[1].With != "" {
		t.Fatalf("%+v %v", two, err)
	}
}

func TestEmbeddedMutantsApply(t *testing.T) {
	ms, probs := Mutants()
	for _, p := range probs {
		t.Error(p)
	}
	for _, m := range ms {
		if len(m.Falsifies) == 0 || m.Why == "" {
			t.Errorf("%s: %+v", m.ID(), m)
		}
	}
}

func TestProveMutantWithAFakeProver(t *testing.T) {
	src := []byte(reuseTheory)
	m := Mutant{Theory: "r", Name: "m", File: "m.mutant", Falsifies: []string{"main"},
		Blocks: []Replace{{Find: "lemma other [hide_lemma=helper_b]:", With: "lemma other:"}}}
	// The theory alone (no [reuse] in the file) gives no verdict; as
	// written, the attack is found.
	prover := fakeProver(t, `for a in "$@"; do f="$a"; case "$a" in --prove=*) l="${a#--prove=}";; esac; done
v="verified"
if [ "$l" = main ]; then if grep -q '\[reuse' "$f"; then v="falsified - found trace"; else v="analysis incomplete"; fi; fi
printf 'summary of summaries:\n\n  %s (all-traces): %s (2 steps)\n' "$l" "$v"`)
	rep, err := ProveMutant(context.Background(), m, src, Options{Prover: prover})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Targets) != 1 || !rep.Targets[0].Killed || rep.Targets[0].Alone || rep.Survived() {
		t.Fatalf("%+v", rep)
	}
	if len(rep.Helpers) != 1 || rep.Helpers[0].Lemma != "src" {
		t.Fatalf("helpers %+v", rep.Helpers)
	}
	// reuse: off keeps the undecided run alone: the mutant survives.
	m.ReuseOff = true
	rep, err = ProveMutant(context.Background(), m, src, Options{Prover: prover})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Survived() || !rep.Targets[0].Alone || rep.Targets[0].Results[0].Got != Incomplete {
		t.Fatalf("%+v", rep)
	}
	cov := Coverage([]*MutantReport{rep}, []tamarin.Theory{{Name: "r", Source: src}})
	var names []string
	for _, c := range cov {
		names = append(names, c.Lemma)
		if c.Lemma == "main" && (!c.Vacuous() || !reflect.DeepEqual(c.Aimed, []string{"m"})) || c.Lemma != "main" && (c.Vacuous() || len(c.Aimed) != 0) {
			t.Errorf("%+v", c)
		}
	}
	if want := []string{"helper_a", "helper_b", "main", "other"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("covered %q, want %q", names, want)
	}
	// A falsification resting on nothing kills, even alone.
	prover = fakeProver(t, `for a in "$@"; do case "$a" in --prove=*) l="${a#--prove=}";; esac; done
printf 'summary of summaries:\n\n  %s (all-traces): falsified - found trace (2 steps)\n' "$l"`)
	rep, err = ProveMutant(context.Background(), m, src, Options{Prover: prover})
	if err != nil || rep.Survived() || !rep.Targets[0].Alone {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestRealProverOnTinyMutants runs tamarin-prover on the tiny theory's
// mutants: hiding the reveal falsifies secrecy; sending a constant does
// not, and alone it leaves secrecy vacuous.
func TestRealProverOnTinyMutants(t *testing.T) {
	prover, err := Find()
	if err != nil {
		t.Skipf("no tamarin-prover (%v): the mutant run against the real prover is skipped", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	src := read(t, "tiny.spthy")
	var reps []*MutantReport
	for _, name := range []string{"reveal_unrecorded", "hello"} {
		m := readMutant(t, name)
		rep, err := ProveMutant(ctx, m, src, Options{Prover: prover, Timeout: time.Minute, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	if reps[0].Survived() || !reps[1].Survived() {
		t.Fatalf("killed: %+v\nsurvived: %+v", reps[0].Targets, reps[1].Targets)
	}
	tiny := []tamarin.Theory{{Name: "tiny", Source: src}}
	for _, c := range Coverage(reps, tiny) {
		if c.Lemma == "secrecy" && (c.Vacuous() || !reflect.DeepEqual(c.Killed, []string{"reveal_unrecorded"})) {
			t.Errorf("%+v", c)
		}
	}
	for _, c := range Coverage(reps[1:], tiny) {
		if c.Lemma == "secrecy" && !c.Vacuous() {
			t.Errorf("secrecy not vacuous under the harmless mutant alone: %+v", c)
		}
	}
	if _, err := os.Stat(prover); err != nil {
		t.Fatal(err)
	}
}
