package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
)

func edgelab(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

var hashLine = regexp.MustCompile(`(?m)^trace sha256: [0-9a-f]{64}\n\z`)

func TestRunPrintsSummaryEndingInHashAndWritesTrace(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "t.ndjson")
	code, out, errs := edgelab("run", "--world", "ping", "--seed", "3", "--trace", tf)
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	if !strings.HasPrefix(out, "world ping seed 3: PASS\n") || !hashLine.MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
	f, err := os.Open(tf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := model.ReadNDJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out, "trace sha256: "+tr.HashHex()+"\n") {
		t.Fatal("printed hash is not the hash of the written trace")
	}
	// Same seed, same hash.
	_, again, _ := edgelab("run", "--world", "ping", "--seed", "3")
	if hashLine.FindString(again) != hashLine.FindString(out) {
		t.Fatal("same seed gave a different hash")
	}
	_, other, _ := edgelab("run", "--world", "ping", "--seed", "4")
	if hashLine.FindString(other) == hashLine.FindString(out) {
		t.Fatal("different seeds gave the same hash")
	}
}

func TestRunWithPlanFile(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "plan.json")
	plan := `{"world": "ping", "seed": 11, "knobs": {"clients": 2, "pings": 5},
	  "faults": [{"at": "300ms", "kind": "isolate", "node": "server-1", "for": "200ms"}]}`
	if err := os.WriteFile(pf, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := edgelab("run", "--plan", pf)
	if code != 0 || errs != "" || !strings.HasPrefix(out, "world ping seed 11: PASS\nsent=10 ") {
		t.Fatalf("code %d stderr %q out:\n%s", code, errs, out)
	}
}

func TestRunUsageErrorsAreOneLineAndExit2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	for _, c := range []struct {
		args []string
		want string // substring of the single stderr line
	}{
		{[]string{"run", "--world", "nope"}, `unknown world "nope"`},
		{[]string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"run"}, "missing --world"},
		{[]string{"run", "--world", "ping", "--seed", "x"}, `invalid --seed "x"`},
		{[]string{"run", "--world", "ping", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--world", "ping", "--plan", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"run", "--world", "ping", "--plan", write("bad.json", `{"faults": [`)}, "plan: invalid JSON"},
		{[]string{"run", "--world", "ping", "--plan", write("unk.json", `{"fault": []}`)}, `plan: unknown field "fault"`},
		{[]string{"run", "--world", "ping", "--plan", write("kind.json", `{"faults": [{"at": "1s", "kind": "melt"}]}`)}, `plan: faults[0].kind: unknown fault kind "melt"`},
		{[]string{"run", "--world", "ping", "--plan", write("node.json", `{"faults": [{"at": "1s", "kind": "crash", "node": "x"}]}`)}, `plan: faults[0].node: unknown node "x"`},
		{[]string{"run", "--world", "ping", "--plan", write("knob.json", `{"knobs": {"pingz": 1}}`)}, "plan: knobs.pingz: unknown knob"},
		{[]string{"run", "--world", "ping", "--plan", write("other.json", `{"world": "mail"}`)}, "the plan is for world mail"},
		{[]string{"all", "x"}, `unexpected argument "x"`},
	} {
		code, out, errs := edgelab(c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d stdout %q stderr %q, want one line containing %q", c.args, code, out, errs, c.want)
		}
	}
}

// TestExplainNamesEveryCounter: `run --explain` explains exactly the
// counters a run of the world prints, in their order.
func TestExplainNamesEveryCounter(t *testing.T) {
	for _, w := range worlds {
		name := w.Name()
		code, out, errs := edgelab("run", "--world", name, "--explain")
		if code != 0 || errs != "" {
			t.Fatalf("%s --explain: exit %d, %q", name, code, errs)
		}
		var explained []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			explained = append(explained, strings.Fields(l)[0])
		}
		_, run, _ := edgelab("run", "--world", name)
		var counted []string
		for _, f := range strings.Fields(strings.Split(run, "\n")[1]) {
			k, _, _ := strings.Cut(f, "=")
			counted = append(counted, k)
		}
		if strings.Join(explained, " ") != strings.Join(counted, " ") {
			t.Errorf("world %s: --explain names %v, a run prints %v", name, explained, counted)
		}
	}
}
