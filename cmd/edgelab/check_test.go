package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/check/checktest"
)

const fixtureTheory = "../../tamarin/check/testdata/ohttp_fixture.spthy"

func writeTrace(t *testing.T, tr *model.Trace) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trace.ndjson")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tr.WriteNDJSON(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckHonestTraceEveryParty(t *testing.T) {
	tf := writeTrace(t, checktest.Honest(2, 2, true))
	code, out, errs := edgelab("check", "--theory", fixtureTheory, tf)
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	if !strings.HasPrefix(out, "trace "+tf+" (") {
		t.Fatalf("output:\n%s", out)
	}
	for _, p := range []string{"gateway", "network", "relay", "target"} {
		if !strings.Contains(out, "theory OHTTP_Fixture, adversary "+p+"\n  conformance: ok") {
			t.Errorf("no conforming report for %s:\n%s", p, out)
		}
	}
	if strings.Contains(out, "violated") {
		t.Fatalf("violation in an honest trace:\n%s", out)
	}
}

func TestCheckLeakExitsOneAndNamesTheWitness(t *testing.T) {
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /secret", "200")
	b.Send(x)
	b.Message(x.Client, b.Relay, x.ReqBytes) // plaintext to the relay
	b.Forward(x)
	tf := writeTrace(t, &b.Trace)
	code, out, errs := edgelab("check", "--theory", fixtureTheory, "--adversary", "relay", "--adversary", "gateway+target", tf)
	if code != 1 || errs != "" {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	if !strings.Contains(out, "adversary relay\n") || !strings.Contains(out, "adversary gateway+target\n") ||
		!regexpMatch(`request_secrecy +\(all-traces\) +violated\n +C = \$client-0\n`, out) {
		t.Fatalf("output:\n%s", out)
	}
}

func TestCheckNonConformingTraceExitsOne(t *testing.T) {
	b := checktest.New()
	k := b.Publish(1, "pk-1")
	x := b.NewExchange("client-0", k, "GET /", "200")
	b.Send(x)
	b.Open(x)
	code, out, _ := edgelab("check", "--theory", fixtureTheory, "--adversary", "network", writeTrace(t, &b.Trace))
	if code != 1 || !strings.Contains(out, "conformance: FAILED at fact 3 of 3") || !strings.Contains(out, "premise In(") {
		t.Fatalf("code %d\n%s", code, out)
	}
	// Not a run of the theory: no lemma may read as holding on it.
	if regexpMatch(`\) +(holds|witnessed)`, out) ||
		!strings.Contains(out, "not applicable: the trace is not a run of the theory (conformance failed)") {
		t.Fatalf("lemmas on a non-conforming trace:\n%s", out)
	}
}

func TestCheckBadInput(t *testing.T) {
	good := writeTrace(t, checktest.Honest(1, 1, false))
	bad := filepath.Join(t.TempDir(), "bad.ndjson")
	os.WriteFile(bad, []byte("{\"seq\":0}\nnot json\n"), 0o644)
	for _, args := range [][]string{
		{"check"},
		{"check", "--theory", fixtureTheory},
		{"check", "--theory", "no-such-theory", good},
		{"check", "--theory", fixtureTheory, "--adversary", "mallory", good},
		{"check", "--theory", fixtureTheory, "--adversary", "relay+mallory", good},
		{"check", "--theory", fixtureTheory, bad},
		{"check", "--theory", fixtureTheory, filepath.Join(t.TempDir(), "missing")},
		{"check", "--bogus-flag", good},
	} {
		code, out, errs := edgelab(args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "edgelab check: ") {
			t.Errorf("%v: code %d stdout %q stderr %q", args, code, out, errs)
		}
	}
}
