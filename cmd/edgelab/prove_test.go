package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
// --prove=LEMMA with the given result.
func fakeTamarin(t *testing.T, result string) {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
lemma=""
for a in "$@"; do case "$a" in --prove=*) lemma="${a#--prove=}";; esac; done
printf 'summary of summaries:\n\nanalyzed: x.spthy\n\n  %s (all-traces): ` + result + ` (7 steps)\n\n' "$lemma"
`
	p := filepath.Join(dir, "tamarin-prover")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Unsetenv("TAMARIN")
}

func TestProveComparesWithAnnotations(t *testing.T) {
	fakeTamarin(t, "verified")
	code, out, errs := edgelab("prove", "--theory", "ohttp", "--lemma", "request_secrecy")
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	if !regexpMatch(`^ohttp  request_secrecy  expected=verified  got=verified  steps=7  time=\S+  ok\n$`, out) {
		t.Fatalf("output %q", out)
	}
	fakeTamarin(t, "falsified - found trace")
	code, out, _ = edgelab("prove", "--theory", "ohttp", "--lemma", "request_secrecy")
	if code != 1 || !strings.Contains(out, "got=falsified") || !strings.Contains(out, "MISMATCH") {
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
