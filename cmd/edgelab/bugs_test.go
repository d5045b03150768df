package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/ohttp/ohttpsim"
	"github.com/edgelab/edgelab/sim/replay"
)

// The bugs table catches every seeded bug and, for each, names at least
// one lemma of ohttp.spthy its shrunk run violates; with --out it writes
// each shrunk failing run as a replay file that fails again when
// replayed, with the recorded trace hash.
func TestBugsTableNamesAViolatedLemmaPerBugAndWritesReplays(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := edgelab("bugs", "--world", "ohttp", "--plans", "20", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[0], "LEMMAS VIOLATED") {
		t.Fatalf("no table:\n%s", out)
	}
	rows := bugRows(t, out)
	for bug, l := range rows {
		if !strings.Contains(l.line, " yes ") || strings.HasSuffix(strings.TrimSpace(l.line), " -") || !strings.Contains(l.line, "(") {
			t.Errorf("bug %s not caught or no lemma violated: %s", bug, l.line)
		}
	}
	if want := len(ohttp.AllBugs()); len(rows) != want {
		t.Errorf("%d rows, want one per seeded bug (%d):\n%s", len(rows), want, out)
	}
	for _, bug := range ohttp.AllBugs() {
		path := filepath.Join(dir, bugFileName("ohttp", string(bug)))
		if !strings.Contains(out, "replay: "+replay.Command(path)+"\n") {
			t.Errorf("no replay command for %s", path)
			continue
		}
		rf, err := replay.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(rf.Options.Bugs) != 1 || rf.Options.Bugs[0] != string(bug) || len(rf.Plan.Faults) != rows[string(bug)].faults {
			t.Errorf("%s: options %+v, %d faults; table row %s", path, rf.Options, len(rf.Plan.Faults), rows[string(bug)].line)
		}
		code, again, errs := edgelab("replay", path)
		if code != 0 || !strings.Contains(again, ": FAIL: ") || !strings.HasSuffix(again, "trace matches the recording\n") {
			t.Errorf("replay %s: exit %d stderr %q\n%s", bug, code, errs, again)
		}
	}
}

// A failure found under a seeded bug, replayed from the command `edgelab
// run` prints, fails again with the same trace hash (the replay file
// records the bug), and `edgelab shrink` on it gives a plan no larger
// than `edgelab bugs` reports for the bug.
func TestFailureUnderASeededBugReplaysAndShrinks(t *testing.T) {
	const bug = string(ohttp.BugRelayForwardXFF)
	dir := t.TempDir()
	code, out, errs := edgelab("run", "--world", "ohttp", "--bug", bug, "--out", dir)
	if code != 1 || errs != "" || !strings.HasPrefix(out, "world ohttp seed 1 with bugs "+bug+": FAIL: ") {
		t.Fatalf("run with %s: exit %d stderr %q\n%s", bug, code, errs, out)
	}
	hash := regexp.MustCompile(`(?m)^trace sha256: ([0-9a-f]{64})$`).FindStringSubmatch(out)
	cmdline := regexp.MustCompile(`(?m)^replay: (edgelab replay .+)$`).FindStringSubmatch(out)
	if hash == nil || cmdline == nil {
		t.Fatalf("no hash or replay command in:\n%s", out)
	}
	args := strings.Fields(cmdline[1])[1:] // the printed command, without the program name
	code, again, errs := edgelab(args...)
	if code != 0 || errs != "" || !strings.Contains(again, "with bugs "+bug+": FAIL: ") ||
		!strings.Contains(again, "trace sha256: "+hash[1]+"\n") || !strings.HasSuffix(again, "trace matches the recording\n") {
		t.Fatalf("%s: exit %d stderr %q\n%s", cmdline[1], code, errs, again)
	}

	shrunkFile := filepath.Join(dir, "shrunk.json")
	code, sh, errs := edgelab("shrink", args[1], "-o", shrunkFile)
	if code != 0 || errs != "" {
		t.Fatalf("shrink: exit %d stderr %q\n%s", code, errs, sh)
	}
	rf, err := replay.Read(shrunkFile)
	if err != nil {
		t.Fatal(err)
	}
	if code, re, _ := edgelab("replay", shrunkFile); code != 0 || !strings.Contains(re, ": FAIL: ") {
		t.Fatalf("shrunk replay: exit %d\n%s", code, re)
	}
	ops, err := ohttpOps(rf)
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := edgelab("bugs", "--world", "ohttp", "--plans", "20")
	row, ok := bugRows(t, table)[bug]
	if !ok {
		t.Fatalf("no row for %s:\n%s", bug, table)
	}
	if len(rf.Plan.Faults) > row.faults || ops > row.ops {
		t.Fatalf("shrink gave %d faults, %d ops; bugs reports %d, %d\n%s", len(rf.Plan.Faults), ops, row.faults, row.ops, sh)
	}
	t.Logf("%s: shrink %d faults %d ops; bugs %d faults %d ops", bug, len(rf.Plan.Faults), ops, row.faults, row.ops)

	// The printed command works from a shell too, when edgelab is built.
	if testing.Short() {
		return
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build edgelab with")
	}
	bin := filepath.Join(t.TempDir(), "edgelab")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	sout, err := exec.Command("sh", "-c", strings.Replace(cmdline[1], "edgelab", bin, 1)).CombinedOutput()
	if err != nil || !strings.Contains(string(sout), "trace sha256: "+hash[1]+"\n") {
		t.Fatalf("shell %s: %v\n%s", cmdline[1], err, sout)
	}
}

type bugRow struct {
	line        string
	faults, ops int
}

// bugRows reads the bugs table: bug name to its row and shrunk size.
func bugRows(t *testing.T, out string) map[string]bugRow {
	t.Helper()
	rows := map[string]bugRow{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 8 || f[1] != "yes" && f[1] != "no" {
			continue
		}
		r := bugRow{line: l, faults: -1, ops: -1}
		if f[1] == "yes" {
			r.faults, _ = strconv.Atoi(f[5])
			r.ops, _ = strconv.Atoi(f[6])
		}
		rows[f[0]] = r
	}
	return rows
}

func ohttpOps(rf *replay.File) (int, error) {
	return ohttpsim.World{}.Operations(rf.Plan)
}
