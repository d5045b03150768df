package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/tamarin"
	"github.com/edgelab/edgelab/tamarin/prove"
)

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func TestProveWithoutTamarinPrintsOneLineAndExitsZero(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("TAMARIN", "")
	os.Unsetenv("TAMARIN")
	code, out, errs := edgelab("prove")
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q stdout %q", code, errs, out)
	}
	want := "edgelab prove: tamarin-prover not found on PATH (set TAMARIN); ran the Go checks only (--require-prover makes this an error)\n"
	if out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
}

// fakeTamarin installs a stand-in tamarin-prover that answers every
// --prove=LEMMA with the given result, or the one in answers for that
// lemma, after printing preamble (a wellformedness report, say).
func fakeTamarin(t *testing.T, result string, answers map[string]string, preamble string) {
	t.Helper()
	dir := t.TempDir()
	var cases strings.Builder
	for l, a := range answers {
		fmt.Fprintf(&cases, "  %s) result='%s';;\n", l, a)
	}
	if err := os.WriteFile(filepath.Join(dir, "preamble"), []byte(preamble), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
lemma=""
for a in "$@"; do case "$a" in --prove=*) lemma="${a#--prove=}";; esac; done
result='` + result + `'
case "$lemma" in
` + cases.String() + `esac
cat '` + filepath.Join(dir, "preamble") + `'
printf 'summary of summaries:\n\nanalyzed: x.spthy\n\n  %s (all-traces): %s (7 steps)\n\n' "$lemma" "$result"
`
	p := filepath.Join(dir, "tamarin-prover")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Unsetenv("TAMARIN")
}

func TestProveComparesWithAnnotations(t *testing.T) {
	fakeTamarin(t, "verified", nil, "")
	code, out, errs := edgelab("prove", "--theory", "ohttp", "--lemma", "ek_secrecy")
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	// ek_secrecy rests on the sources lemma, which is proved too.
	if !regexpMatch(`^ohttp  channel_sources  expected=verified  got=verified  steps=7  time=\S+  ok\nohttp  ek_secrecy  expected=verified  got=verified  steps=7  time=\S+  ok\nohttp  theory  lemmas=2/2  time=\S+  ok\n$`, out) {
		t.Fatalf("output %q", out)
	}
	fakeTamarin(t, "falsified - found trace", nil, "")
	code, out, _ = edgelab("prove", "--theory", "ohttp", "--lemma", "ek_secrecy")
	if code != 1 || !strings.Contains(out, "got=falsified") || !strings.Contains(out, "MISMATCH") || !strings.Contains(out, "FAILED") {
		t.Fatalf("code %d\n%s", code, out)
	}
}

// TestProveFlagsAProofRestingOnAFalsifiedHelper: tamarin reuses a helper
// whatever its own proof found; a lemma proved with a falsified helper's
// help is a failure, and says which helper.
func TestProveFlagsAProofRestingOnAFalsifiedHelper(t *testing.T) {
	fakeTamarin(t, "verified", map[string]string{"ek_secrecy": "falsified - found trace"}, "")
	code, out, errs := edgelab("prove", "--theory", "ohttp", "--lemma", "request_secrecy")
	if code != 1 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	if !regexpMatch(`(?m)^ohttp  request_secrecy  expected=verified  got=verified  steps=7  time=\S+  MISMATCH: rests on helper ek_secrecy \(falsified\), not verified$`, out) {
		t.Fatalf("output:\n%s", out)
	}
	if !regexpMatch(`(?m)^ohttp  response_bound  expected=verified  got=verified  steps=7  time=\S+  MISMATCH: rests on helper ek_secrecy \(falsified\), not verified$`, out) {
		t.Fatalf("output:\n%s", out)
	}
	if !regexpMatch(`(?m)^ohttp  channel_sources  .*  ok$`, out) {
		t.Fatalf("output:\n%s", out)
	}
}

// recordedPreamble is what tamarin-prover 1.8.0 printed before its
// summary in a run kept in the prove package's testdata.
func recordedPreamble(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "tamarin", "prove", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:strings.Index(string(b), "summary of summaries:")])
}

// TestProveReportsWellformedness: the prover's wellformedness report is
// printed, and a failed check other than the derivation hints fails the
// theory although every lemma is as annotated.
func TestProveReportsWellformedness(t *testing.T) {
	// wf_error.out: three failed checks (fact usage, a fact consumed but
	// never produced, a lemma action no rule has), all errors.
	fakeTamarin(t, "verified", nil, recordedPreamble(t, "wf_error.out"))
	code, out, errs := edgelab("prove", "--theory", "ohttp", "--lemma", "channel_sources")
	if code != 1 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	for _, want := range []string{
		"ohttp  wellformedness ERROR: Fact usage\n    Possible reasons:\n",
		"ohttp  wellformedness ERROR: Inexistant lemma actions\n    lemma `ends_begun' references action\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if !regexpMatch(`(?m)^ohttp  channel_sources  expected=verified  got=verified  steps=7  time=\S+  ok\n(.*\n)*ohttp  theory  lemmas=1/1  time=\S+  FAILED \(3 wellformedness errors\)$`, out) {
		t.Fatalf("output:\n%s", out)
	}
	// wellformedness.out: the derivation hint alone is printed and does
	// not fail.
	fakeTamarin(t, "verified", nil, recordedPreamble(t, "wellformedness.out"))
	code, out, _ = edgelab("prove", "--theory", "ohttp", "--lemma", "channel_sources")
	if code != 0 || !strings.Contains(out, "ohttp  wellformedness warning: Message Derivation Checks\n") ||
		!strings.Contains(out, "    Failed to derive Variable(s): ek\n") || strings.Contains(out, "ERROR") {
		t.Fatalf("code %d\n%s", code, out)
	}
}

func TestProveUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"prove", "extra"},
		{"prove", "--timeout", "soon"},
		{"prove", "--timeout", "0s"},
		{"prove", "--lemma", "no_such_lemma"},
		{"prove", "--theory", "no-such-theory"},
		{"prove", "--theory-timeout", "0s"},
		{"prove", "--jobs", "0"},
	} {
		code, out, errs := edgelab(args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "edgelab prove: ") {
			t.Errorf("%v: code %d stdout %q stderr %q", args, code, out, errs)
		}
	}
}

// TestProveRequireProver: a CI job asking for proofs fails (exit 3, the
// environment) without a prover, and $TAMARIN naming no program counts as
// no prover, said the same way, with and without the flag.
func TestProveRequireProver(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("TAMARIN", "")
	os.Unsetenv("TAMARIN")
	code, out, errs := edgelab("prove", "--require-prover")
	if code != exitEnv || out != "" || errs != "edgelab prove: tamarin-prover not found on PATH (set TAMARIN) (--require-prover)\n" {
		t.Fatalf("no prover, --require-prover: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	t.Setenv("TAMARIN", "/nonexistent")
	code, out, errs = edgelab("prove")
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "edgelab prove: TAMARIN=/nonexistent: ") || !strings.HasSuffix(out, "; ran the Go checks only (--require-prover makes this an error)\n") {
		t.Fatalf("TAMARIN=/nonexistent: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = edgelab("prove", "--require-prover")
	if code != exitEnv || out != "" || !strings.HasPrefix(errs, "edgelab prove: TAMARIN=/nonexistent: ") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("TAMARIN=/nonexistent, --require-prover: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestProofsWorkflowRequiresTheProver: the CI job that exists to prove
// cannot pass having proved nothing.
func TestProofsWorkflowRequiresTheProver(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "proofs.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "edgelab prove --require-prover") {
		t.Fatal("proofs.yml runs edgelab prove without --require-prover")
	}
}

// tinyMutants reads the prove package's small theory and its mutants.
func tinyMutants(t *testing.T) ([]tamarin.Theory, []prove.Mutant) {
	t.Helper()
	dir := filepath.Join("..", "..", "tamarin", "prove", "testdata")
	src, err := os.ReadFile(filepath.Join(dir, "tiny.spthy"))
	if err != nil {
		t.Fatal(err)
	}
	var ms []prove.Mutant
	for _, name := range []string{"hello", "reveal_unrecorded"} {
		file := filepath.Join(dir, "mutants", "tiny", name+".mutant")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := prove.ParseMutant("tiny", name, file, b)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return []tamarin.Theory{{Name: "tiny", Source: src}}, ms
}

// TestProveMutantsReportsSurvivorsAndVacuousLemmas: with a prover that
// verifies everything, every mutant survives, the run fails, and each
// lemma aimed at is vacuous; one that falsifies everything kills them all.
func TestProveMutantsReportsSurvivorsAndVacuousLemmas(t *testing.T) {
	theories, ms := tinyMutants(t)
	for _, c := range []struct {
		result string
		code   int
		want   []string
	}{
		{"verified", exitFailed, []string{
			"mutant tiny/hello  falsifies secrecy: none; the lemma must survive this one\n",
			"tiny/hello  secrecy  got=verified  steps=7  time=",
			"  SURVIVED\n",
			"vacuous: tiny secrecy  survived every mutant aimed at it: hello, reveal_unrecorded\n",
			"mutants: 0 killed, 2 survived  time=",
		}},
		{"falsified - found trace", exitOK, []string{
			"tiny/reveal_unrecorded  secrecy  got=falsified  steps=7  time=",
			"  killed\n",
			"covered: tiny secrecy  falsified by 2 of 2 mutants aimed at it (hello, reveal_unrecorded)\n",
			"mutants: 2 killed, 0 survived  time=",
		}},
	} {
		fakeTamarin(t, c.result, nil, "")
		prover, err := prove.Find()
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		var doc proveJSON
		code, err := proveMutants(context.Background(), &out, false, ms, theories, "", prove.Options{Prover: prover}, &doc)
		if err != nil || code != c.code {
			t.Fatalf("%s: code %d err %v\n%s", c.result, code, err, out.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: no %q in\n%s", c.result, w, out.String())
			}
		}
		if len(doc.Mutants) != 2 || len(doc.Coverage) != 1 || doc.Coverage[0].Vacuous != (c.code != exitOK) {
			t.Errorf("json %+v", doc)
		}
	}
}

func TestProveMutantsCommand(t *testing.T) {
	fakeTamarin(t, "falsified - found trace", nil, "")
	code, out, errs := edgelab("prove", "--mutants")
	if code != exitOK || errs != "" || !regexpMatch(`(?m)^mutants: \d+ killed, 0 survived  time=\S+  \(theories: ohttp, `, out) {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	code, out, _ = edgelab("prove", "--mutants", "--json")
	var p map[string]any
	decodeJSON(t, "prove --mutants", out, &p)
	if code != exitOK || p["coverage"] == nil {
		t.Fatalf("code %d\n%s", code, out)
	}
}

// TestRealProverProveAndMutants runs tamarin-prover, when it is on PATH,
// on the small theory: every lemma as annotated, the mutant hiding the
// reveal falsifies secrecy, and the harmless one survives.
func TestRealProverProveAndMutants(t *testing.T) {
	prover, err := prove.Find()
	if err != nil {
		t.Skipf("no tamarin-prover (%v): prove and prove --mutants against the real prover are skipped", err)
	}
	theories, ms := tinyMutants(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := prove.Run(ctx, "tiny", theories[0].Source, prove.Options{Prover: prover, Timeout: time.Minute, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Results) != 4 {
		t.Fatalf("%+v", rep)
	}
	var out strings.Builder
	var doc proveJSON
	code, err := proveMutants(ctx, &out, false, ms, theories, "", prove.Options{Prover: prover, Timeout: time.Minute, Jobs: 2}, &doc)
	if err != nil || code != exitFailed {
		t.Fatalf("code %d err %v\n%s", code, err, out.String())
	}
	for _, w := range []string{"tiny/hello  secrecy  got=verified", "tiny/reveal_unrecorded  secrecy  got=falsified", "covered: tiny secrecy  falsified by 1 of 2"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("no %q in\n%s", w, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}
