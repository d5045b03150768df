package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/perfetto"
	"github.com/edgelab/edgelab/sim/plan"
)

func mustPlan(t *testing.T, s string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExportFormatsAgreeWithRun: every source of the same run gives the
// same export, and each format says what run says.
func TestExportFormatsAgreeWithRun(t *testing.T) {
	dir := t.TempDir()
	nd, pf := filepath.Join(dir, "t.ndjson"), filepath.Join(dir, "t.json")
	code, out, _ := edgelab("run", "--world", "ping", "--seed", "4", "--trace", nd, "--perfetto", pf)
	if code != 0 {
		t.Fatal(out)
	}
	ndjson, _ := os.ReadFile(nd)
	timeline, _ := os.ReadFile(pf)

	// perfetto: from a run, the same bytes as run --perfetto.
	code, got, errs := edgelab("export", "--format", "perfetto", "--world", "ping", "--seed", "4")
	if code != 0 || errs != "" || got != string(timeline) {
		t.Fatalf("export perfetto differs from run --perfetto (code %d %s)", code, errs)
	}
	if err := perfetto.Validate([]byte(got)); err != nil {
		t.Fatal(err)
	}
	// ndjson: from the trace file, the file itself.
	code, got, _ = edgelab("export", "--format", "ndjson", "--trace", nd)
	if code != 0 || got != string(ndjson) {
		t.Fatal("ndjson export of a trace file is not the file")
	}
	// json: a document with the hash and every event.
	out2 := filepath.Join(dir, "doc.json")
	if code, _, errs := edgelab("export", "--format", "json", "--world", "ping", "--seed", "4", "-o", out2); code != 0 {
		t.Fatal(errs)
	}
	var doc struct {
		World       string        `json:"world"`
		Seed        uint64        `json:"seed"`
		TraceSHA256 string        `json:"trace_sha256"`
		Events      []model.Event `json:"events"`
	}
	b, _ := os.ReadFile(out2)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	tr := &model.Trace{Events: doc.Events}
	if doc.World != "ping" || doc.Seed != 4 || doc.TraceSHA256 != tr.HashHex() || !strings.Contains(out, "trace sha256: "+doc.TraceSHA256) {
		t.Fatalf("json export: world %s seed %d hash %s, run said:\n%s", doc.World, doc.Seed, doc.TraceSHA256, out)
	}
	// From a trace file, perfetto has no world but the same timeline body.
	code, fromFile, _ := edgelab("export", "--format", "perfetto", "--trace", nd)
	if code != 0 || fromFile[strings.Index(fromFile, `"traceEvents"`):] != got2body(timeline) {
		t.Fatal("perfetto export of the trace file differs from the run's")
	}
}

func got2body(b []byte) string {
	s := string(b)
	return s[strings.Index(s, `"traceEvents"`):]
}

func TestExportFromAReplayFile(t *testing.T) {
	dir := t.TempDir()
	edgelab("run", "--plan", writeTemp(t, "lossy.json", lossyPlan), "--seed", "2", "--out", dir)
	code, out, errs := edgelab("export", "--format", "perfetto", "--replay", filepath.Join(dir, "edgelab-fail-ping-2.json"))
	if code != 0 || errs != "" || perfetto.Validate([]byte(out)) != nil || !strings.Contains(out, `"world":"ping"`) {
		t.Fatalf("code %d stderr %q", code, errs)
	}
}

func TestExportUsageErrorsAreOneLineExit2(t *testing.T) {
	nd := writeTemp(t, "bad.ndjson", "not json\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--world", "ping"}, "missing --format (one of json, ndjson, perfetto, spthy)"},
		{[]string{"export", "--format", "tla", "--world", "ping"}, `unknown format "tla"`},
		{[]string{"export", "--format", "json"}, "give one source"},
		{[]string{"export", "--format", "json", "--world", "ping", "--trace", nd}, "give one source"},
		{[]string{"export", "--format", "json", "--trace", nd}, "trace line 1"},
		{[]string{"export", "--format", "json", "--world", "nope"}, `unknown world "nope"`},
		{[]string{"export", "--format", "json", "--replay", "missing.json"}, "no such file"},
		{[]string{"export", "--format", "json", "--world", "ping", "x"}, "give one source"},
		{[]string{"export", "--format", "json", "a.ndjson", "b.ndjson"}, `unexpected argument "b.ndjson"`},
	} {
		code, out, errs := edgelab(c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d stdout %q stderr %q, want one line containing %q", c.args, code, out, errs, c.want)
		}
	}
}
