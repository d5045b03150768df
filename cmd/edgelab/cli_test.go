package main

// Tests of what every command shares: help, exit statuses, flags
// anywhere, atomic outputs and file-kind messages.

import (
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEveryCommandHelpExitsZero: `CMD -h` and `help CMD` print that
// command's help on stdout and exit 0, for every command and subcommand.
func TestEveryCommandHelpExitsZero(t *testing.T) {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := [][]string{{"sweep", "merge"}, {"serve", "ohttp"}, {"ohttp", "get"}}
	for _, n := range names {
		lines = append(lines, []string{n})
	}
	for _, cmd := range lines {
		for _, h := range []string{"-h", "--help"} {
			code, out, errs := edgelab(append(append([]string(nil), cmd...), h)...)
			want := "usage: edgelab " + strings.Join(cmd, " ")
			if code != exitOK || errs != "" || !strings.HasPrefix(out, want) || strings.Contains(out, "unknown") {
				t.Errorf("%v %s: exit %d, stderr %q, stdout %q; want 0 and %q", cmd, h, code, errs, out, want)
			}
			_, viaHelp, _ := edgelab(append([]string{"help"}, cmd...)...)
			if viaHelp != out {
				t.Errorf("help %v differs from %v %s:\n%s\n---\n%s", cmd, cmd, h, viaHelp, out)
			}
		}
	}
	_, out, _ := edgelab("help", "run")
	for _, want := range []string{"-world", "-seed", "-plan", "-trace"} {
		if !strings.Contains(out, want) {
			t.Errorf("help run lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := edgelab("help", "nope"); code != exitUsage || !strings.Contains(errs, `unknown command "nope"`) {
		t.Errorf("help nope: exit %d, %q", code, errs)
	}
}

func TestGeneralHelpListsExitStatuses(t *testing.T) {
	code, out, _ := edgelab("help")
	if code != exitOK || !strings.Contains(out, exitCodesHelp) || !strings.Contains(out, "  3  environment") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestEnvironmentErrorsExit3: what the machine refuses is 3, not 1 (a
// finding) or 2 (a wrong command line).
func TestEnvironmentErrorsExit3(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir")
	aFile := filepath.Join(dir, "file")
	os.WriteFile(aFile, []byte("x"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, args := range [][]string{
		{"run", "--world", "ping", "--seed", "3", "--trace", filepath.Join(missing, "t.ndjson")},
		{"run", "--world", "ping", "--seed", "3", "--perfetto", filepath.Join(missing, "p.json")},
		{"export", "--format", "ndjson", "--world", "ping", "--seed", "3", "-o", filepath.Join(missing, "t.ndjson")},
		{"sweep", "--world", "ping", "--seeds", "1..2", "--out", aFile},
		{"serve", "ohttp", "--relay", busy.Addr().String()},
	} {
		code, out, errs := edgelab(args...)
		if code != exitEnv || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 3 and one line", args, code, out, errs)
		}
	}
}

// TestFlagsAnywhere: flags after file names work as they do before them.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "t.ndjson")
	if code, _, errs := edgelab("run", "--world", "ohttp", "--seed", "1", "--trace", tf); code != 0 {
		t.Fatalf("run: %d %s", code, errs)
	}
	spthy := filepath.Join(dir, "a.spthy")
	if code, _, errs := edgelab("export", "--format", "spthy", "--theory", "ohttp", tf, "-o", spthy); code != 0 {
		t.Fatalf("export with -o after the file: exit %d, %s", code, errs)
	}
	if b, err := os.ReadFile(spthy); err != nil || !strings.HasPrefix(string(b), "theory ") {
		t.Fatalf("export wrote %q, %v", b, err)
	}
	code1, before, _ := edgelab("check", "--world", "ohttp", "--adversary", "relay", tf)
	code2, after, errs := edgelab("check", tf, "--adversary", "relay", "--world", "ohttp")
	if code1 != code2 || before != after || !strings.Contains(after, "adversary relay\n") || strings.Contains(after, "adversary gateway") {
		t.Fatalf("check with the flag after the file: exit %d vs %d, %s\n%s\n---\n%s", code1, code2, errs, before, after)
	}
	// "--" ends the flags: a file named like a flag.
	if code, _, errs := edgelab("check", "--world", "ohttp", "--", "--adversary"); code != exitUsage || !strings.Contains(errs, "--adversary: no such file") {
		t.Fatalf("check -- --adversary: exit %d, %q", code, errs)
	}
}

// TestFailedExportLeavesNoFile: an export that fails leaves neither the
// output file nor a temporary file, and says "export" once.
func TestFailedExportLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "ping.ndjson")
	if code, _, _ := edgelab("run", "--world", "ping", "--seed", "1", "--trace", tf); code != 0 {
		t.Fatal("run failed")
	}
	out := filepath.Join(dir, "out.spthy")
	code, _, errs := edgelab("export", "--format", "spthy", "--theory", "ohttp", "-o", out, tf)
	if code != exitUsage || strings.Contains(errs, "export: export:") || !strings.HasPrefix(errs, "edgelab export: the trace does not fit theory ohttp: ") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only the trace", names)
	}
	// An existing output survives a failed export untouched.
	os.WriteFile(out, []byte("old"), 0o644)
	edgelab("export", "--format", "spthy", "--theory", "ohttp", "-o", out, tf)
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatalf("failed export replaced the old file with %q", b)
	}
}

// TestWrongKindOfFileIsNamed: a file of another kind says what it is and
// what the command wanted.
func TestWrongKindOfFileIsNamed(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "t.ndjson")
	js := filepath.Join(dir, "t.json")
	rep := filepath.Join(dir, "sweep.json")
	edgelab("run", "--world", "ping", "--seed", "1", "--trace", tf)
	edgelab("export", "--format", "json", "--world", "ping", "--seed", "1", "-o", js)
	_, sw, _ := edgelab("sweep", "--world", "ping", "--seeds", "1..2", "--json", "--out", dir)
	os.WriteFile(rep, []byte(sw), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--world", "ohttp", js}, js + " is a JSON trace document (edgelab export --format json), not an NDJSON trace"},
		{[]string{"check", "--world", "ohttp", empty}, empty + " is an empty file, not an NDJSON trace"},
		{[]string{"replay", tf}, tf + " is an NDJSON trace (edgelab run --trace, export --format ndjson), not a replay file"},
		{[]string{"sweep", "merge", tf}, tf + " is an NDJSON trace (edgelab run --trace, export --format ndjson), not a sweep report"},
		{[]string{"export", "--format", "json", rep}, rep + " is a sweep report (edgelab sweep --json), not an NDJSON trace"},
		{[]string{"run", "--plan", tf}, tf + " is an NDJSON trace (edgelab run --trace, export --format ndjson), not a plan"},
		{[]string{"replay", rep}, rep + " is a sweep report"},
	} {
		code, out, errs := edgelab(c.args...)
		if code != exitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// TestExperimentOutputErrorExits3: an experiment that cannot write its
// files is the environment's failure (3), not a finding (1), and leaves no
// temporary file behind.
func TestExperimentOutputErrorExits3(t *testing.T) {
	dir := t.TempDir()
	// A directory where the CSV should go: the rename into place fails,
	// whoever runs the test.
	if err := os.Mkdir(filepath.Join(dir, "linkability.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errs := edgelab("experiment", "ohttp", "linkability", "--seeds", "1", "--requests", "1", "--out", dir)
	if code != exitEnv || !strings.Contains(errs, "writing "+filepath.Join(dir, "linkability.csv")) {
		t.Fatalf("exit %d, %q", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}
