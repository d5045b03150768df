package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/world"
)

var hash = strings.Repeat("ab", 32)

func mustPlan(t *testing.T, s string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteReadRoundTrip(t *testing.T) {
	f := &File{
		Plan:        mustPlan(t, `{"world": "ping", "seed": 7, "knobs": {"pings": 2}, "faults": [{"at": "1s", "kind": "crash", "node": "server-1", "for": "500ms"}]}`),
		TraceSHA256: hash,
		Failure:     "it broke",
	}
	path := filepath.Join(t.TempDir(), FileName("ping", 7))
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("stat: %v %v", fi, err)
	}
	g, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Marshal()
	b, _ := g.Marshal()
	if string(a) != string(b) || g.Failure != "it broke" || *g.Plan.Seed != 7 {
		t.Fatalf("round trip:\n%s\n%s", a, b)
	}
	if filepath.Base(path) != "edgelab-fail-ping-7.json" {
		t.Fatal(path)
	}
}

// The options a run had (its seeded bugs) survive the file, so a replay
// reruns exactly what failed.
func TestOptionsRoundTrip(t *testing.T) {
	f := &File{Plan: mustPlan(t, `{"world": "ohttp", "seed": 3}`), Options: world.Options{Bugs: []string{"relay-forwards-xff"}}, TraceSHA256: hash}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"options": {`) {
		t.Fatalf("no options in\n%s", b)
	}
	g, err := Parse(b)
	if err != nil || len(g.Options.Bugs) != 1 || g.Options.Bugs[0] != "relay-forwards-xff" {
		t.Fatalf("%+v %v", g, err)
	}
	// No options, no options field: files of runs without bugs read as before.
	f.Options = world.Options{}
	if b, _ := f.Marshal(); strings.Contains(string(b), "options") {
		t.Fatalf("empty options written:\n%s", b)
	}
	if _, err := Parse([]byte(`{"plan": {"world": "ping", "seed": 1}, "options": {"bug": ["x"]}, "trace_sha256": "` + hash + `"}`)); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("misspelt option: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	for doc, want := range map[string]string{
		`{`: "replay:",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "` + hash + `"} {}`:                       "trailing data",
		`{"trace_sha256": "` + hash + `"}`:                                                                "missing plan",
		`{"plan": null, "trace_sha256": "` + hash + `"}`:                                                  "missing plan",
		`{"plan": {"seed": 1}, "trace_sha256": "` + hash + `"}`:                                           "plan.world: missing",
		`{"plan": {"world": "ping"}, "trace_sha256": "` + hash + `"}`:                                     "plan.seed: missing",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "AB"}`:                                    "trace_sha256",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "` + strings.ToUpper(hash) + `"}`:         "trace_sha256",
		`{"plan": {"world": "ping", "seed": 1, "limit": "x"}, "trace_sha256": "` + hash + `"}`:            "plan: limit",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "` + hash + `", "note": 1}`:               "unknown field",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "` + hash + `", "failure": ["multi"]}`:    "replay:",
		`{"plan": {"world": "ping", "seed": 1, "faults": [{}]}, "trace_sha256": "` + hash + `"}`:          "faults[0].kind",
		`{"plan": {"world": "ping", "seed": 1, "nope": 1}, "trace_sha256": "` + hash + `"}`:               "unknown field",
		`{"plan": {"world": "ping", "seed": 1}, "trace_sha256": "` + hash + `", "failure": "x"}` + "\n\n": "",
	} {
		_, err := Parse([]byte(doc))
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", doc, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want one line containing %q", doc, err, want)
		}
	}
}

func TestCommandQuotesForTheShell(t *testing.T) {
	for path, want := range map[string]string{
		"edgelab-fail-ping-3.json":   "edgelab replay edgelab-fail-ping-3.json",
		"/tmp/x y/f.json":            "edgelab replay '/tmp/x y/f.json'",
		"it's.json":                  `edgelab replay 'it'\''s.json'`,
		"testdata/failures/a_b.json": "edgelab replay testdata/failures/a_b.json",
	} {
		if got := Command(path); got != want {
			t.Errorf("Command(%q) = %s, want %s", path, got, want)
		}
	}
}
