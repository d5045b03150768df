package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// decodeJSON decodes out, which must be exactly one JSON document.
func decodeJSON(t *testing.T, what, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON document:\n%s", what, out)
	}
}

// isNumber reports whether v decoded as a JSON number.
func isNumber(v any) bool { _, ok := v.(json.Number); return ok }

// TestJSONOutputsHaveNumericFields: --json on run, sweep, bugs, check and
// prove prints one document whose counts are numbers, and no summary
// string to parse.
func TestJSONOutputsHaveNumericFields(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "t.ndjson")

	code, out, errs := edgelab("run", "--world", "ohttp", "--seed", "2", "--json", "--trace", tf)
	var r map[string]any
	decodeJSON(t, "run", out, &r)
	figs, _ := r["figures"].(map[string]any)
	if code != 0 || errs != "" || r["pass"] != true || !isNumber(r["seed"]) || !isNumber(figs["sent"]) || !isNumber(figs["unfinished"]) || !isNumber(r["trace_events"]) {
		t.Fatalf("run --json: exit %d %q\n%s", code, errs, out)
	}

	_, out, _ = edgelab("sweep", "--world", "ping", "--seeds", "1..3", "--json", "--out", dir)
	var s map[string]any
	decodeJSON(t, "sweep", out, &s)
	results, _ := s["results"].([]any)
	if len(results) != 3 || strings.Contains(out, `"summary"`) || !isNumber(s["passed"]) {
		t.Fatalf("sweep --json:\n%s", out)
	}
	for _, res := range results {
		f, _ := res.(map[string]any)["figures"].(map[string]any)
		if !isNumber(f["sent"]) || !isNumber(f["answered"]) {
			t.Fatalf("sweep --json result without numeric figures: %v", res)
		}
	}

	code, out, _ = edgelab("check", "--json", tf, "--adversary", "relay", "--world", "ohttp")
	var c []map[string]any
	decodeJSON(t, "check", out, &c)
	if code != 0 || len(c) != 1 || !isNumber(c[0]["events"]) {
		t.Fatalf("check --json: exit %d\n%s", code, out)
	}
	rep := c[0]["reports"].([]any)[0].(map[string]any)
	conf := rep["conformance"].(map[string]any)
	if rep["ok"] != true || !isNumber(conf["replayed"]) || len(rep["lemmas"].([]any)) == 0 {
		t.Fatalf("check --json report: %v", rep)
	}

	code, out, _ = edgelab("bugs", "--world", "ohttp", "--plans", "2", "--json")
	var b map[string]any
	decodeJSON(t, "bugs", out, &b)
	bugs, _ := b["bugs"].([]any)
	if code != 0 || !isNumber(b["caught"]) || len(bugs) == 0 || !isNumber(bugs[0].(map[string]any)["shrunk_ops"]) || !isNumber(bugs[0].(map[string]any)["wall_seconds"]) {
		t.Fatalf("bugs --json: exit %d\n%s", code, out)
	}

	fakeTamarin(t, "verified", nil, "")
	code, out, _ = edgelab("prove", "--theory", "ohttp", "--lemma", "channel_sources", "--json")
	var p map[string]any
	decodeJSON(t, "prove", out, &p)
	pr, _ := p["results"].([]any)
	pt, _ := p["theories"].([]any)
	if code != 0 || p["ok"] != true || len(pr) != 1 || !isNumber(pr[0].(map[string]any)["steps"]) || !isNumber(pr[0].(map[string]any)["seconds"]) ||
		len(pt) != 1 || !isNumber(pt[0].(map[string]any)["seconds"]) {
		t.Fatalf("prove --json: exit %d\n%s", code, out)
	}
}
