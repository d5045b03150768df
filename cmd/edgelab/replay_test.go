package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/sim/perfetto"
	"github.com/edgelab/edgelab/sim/replay"
)

// lossyPlan makes the ping world fail: no ping can be answered.
const lossyPlan = `{"world": "ping", "knobs": {"clients": 1, "servers": 1, "pings": 3}, "network": {"default": {"loss": 1}}}`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunFailureLeavesAReplayFileThatReplays: a failing run writes the
// replay file, prints the command, and the command reproduces the trace.
func TestRunFailureLeavesAReplayFileThatReplays(t *testing.T) {
	dir := t.TempDir()
	plan := writeTemp(t, "lossy.json", lossyPlan)
	code, out, errs := edgelab("run", "--plan", plan, "--seed", "9", "--out", dir)
	path := filepath.Join(dir, "edgelab-fail-ping-9.json")
	if code != 1 || errs != "" || !strings.HasSuffix(out, "\nreplay: edgelab replay "+path+"\n") {
		t.Fatalf("code %d stderr %q out:\n%s", code, errs, out)
	}
	if !strings.HasPrefix(out, "world ping seed 9: FAIL: accounting: pingworld: no ping was answered\n") {
		t.Fatalf("out:\n%s", out)
	}
	rf, err := replay.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if rf.Plan.World != "ping" || *rf.Plan.Seed != 9 || rf.Failure != "accounting: pingworld: no ping was answered" ||
		!strings.Contains(out, "trace sha256: "+rf.TraceSHA256+"\n") {
		t.Fatalf("replay file %+v for output:\n%s", rf, out)
	}

	code, again, errs := edgelab("replay", path, "--trace", filepath.Join(dir, "t.ndjson"))
	if code != 0 || errs != "" || !strings.HasSuffix(again, "trace matches the recording\n") ||
		!strings.HasPrefix(again, "recorded failure: accounting: pingworld: no ping was answered\nworld ping seed 9: FAIL") {
		t.Fatalf("replay: code %d stderr %q out:\n%s", code, errs, again)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.ndjson")); err != nil {
		t.Fatalf("--trace after the file was ignored: %v", err)
	}

	// A recording that does not match: exit 1, both hashes shown.
	rf.TraceSHA256 = strings.Repeat("0", 64)
	if err := replay.Write(path, rf); err != nil {
		t.Fatal(err)
	}
	code, mis, _ := edgelab("replay", path)
	if code != 1 || !strings.Contains(mis, "trace MISMATCH: recorded sha256 "+rf.TraceSHA256+", this run ") {
		t.Fatalf("mismatch: code %d out:\n%s", code, mis)
	}
}

func TestRunPerfettoIsValidAndStable(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, f := range []string{a, b} {
		if code, _, errs := edgelab("run", "--world", "ping", "--seed", "3", "--perfetto", f); code != 0 {
			t.Fatalf("code %d: %s", code, errs)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if string(da) != string(db) {
		t.Fatal("same seed, different timelines")
	}
	if err := perfetto.Validate(da); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(da), `"otherData":{"seed":"3","trace_sha256":"`) {
		t.Fatalf("timeline lacks the run's metadata: %.200s", da)
	}
}

func TestReplayBadInputIsOneLineExit2(t *testing.T) {
	good, _ := (&replay.File{Plan: mustPlan(t, `{"world": "ping", "seed": 1}`), TraceSHA256: strings.Repeat("a", 64)}).Marshal()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "want exactly one replay file"},
		{[]string{"replay", "a.json", "b.json"}, "want exactly one replay file"},
		{[]string{"replay", filepath.Join(t.TempDir(), "missing.json")}, "no such file"},
		{[]string{"replay", "--bogus", "x"}, "flag provided but not defined"},
		{[]string{"replay", writeTemp(t, "junk.json", "{")}, "replay:"},
		{[]string{"replay", writeTemp(t, "noplan.json", `{"trace_sha256": "`+strings.Repeat("a", 64)+`"}`)}, "missing plan"},
		{[]string{"replay", writeTemp(t, "nohash.json", `{"plan": {"world": "ping", "seed": 1}}`)}, "trace_sha256"},
		{[]string{"replay", writeTemp(t, "noseed.json", `{"plan": {"world": "ping"}, "trace_sha256": "`+strings.Repeat("a", 64)+`"}`)}, "plan.seed: missing"},
		{[]string{"replay", writeTemp(t, "extra.json", `{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "`+strings.Repeat("a", 64)+`", "x": 1}`)}, "unknown field"},
		{[]string{"replay", writeTemp(t, "badplan.json", `{"plan": {"world": "ping", "seed": 1, "faults": [{"kind": "melt"}]}, "trace_sha256": "`+strings.Repeat("a", 64)+`"}`)}, `unknown fault kind "melt"`},
		{[]string{"replay", writeTemp(t, "world.json", strings.Replace(string(good), `"ping"`, `"nowhere"`, 1))}, `unknown world "nowhere"`},
		{[]string{"replay", writeTemp(t, "node.json", `{"plan": {"world": "ping", "seed": 1, "faults": [{"at": "1s", "kind": "crash", "node": "x"}]}, "trace_sha256": "`+strings.Repeat("a", 64)+`"}`)}, `unknown node "x"`},
	} {
		code, out, errs := edgelab(c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d stdout %q stderr %q, want one line containing %q", c.args, code, out, errs, c.want)
		}
	}
}
