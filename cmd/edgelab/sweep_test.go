package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/sim/sweep"
)

func TestSweepOutputIsIndependentOfJobs(t *testing.T) {
	for _, mode := range [][]string{{"--soak", "-v"}, {"--soak", "--json"}, {"-v"}} {
		var first string
		for _, jobs := range []string{"1", "3", "8"} {
			args := append([]string{"sweep", "--world", "ping", "--seeds", "1..12", "--jobs", jobs, "--out", t.TempDir()}, mode...)
			code, out, errs := edgelab(args...)
			if code > 1 || errs != "" {
				t.Fatalf("%v: code %d stderr %q", args, code, errs)
			}
			if first == "" {
				first = out
			} else if out != first {
				t.Fatalf("%v: output depends on --jobs:\n%s\nvs\n%s", mode, first, out)
			}
		}
	}
}

func TestSweepPrintsFailuresWithReplayCommands(t *testing.T) {
	dir := t.TempDir()
	plan := writeTemp(t, "lossy.json", lossyPlan)
	code, out, errs := edgelab("sweep", "--world", "ping", "--seeds", "5..7", "--plan", plan, "--out", dir)
	if code != 1 || errs != "" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	var want strings.Builder
	for _, s := range []string{"5", "6", "7"} {
		want.WriteString("seed " + s + ": FAIL: accounting: pingworld: no ping was answered\n")
		want.WriteString("  replay: edgelab replay " + filepath.Join(dir, "edgelab-fail-ping-"+s+".json") + "\n")
	}
	summary := regexp.MustCompile(`^world ping seeds 5\.\.7 \(plan:[0-9a-f]{64} plans\): 3 seeds, 0 passed, 3 failed\n$`)
	if !strings.HasPrefix(out, want.String()) || !summary.MatchString(strings.TrimPrefix(out, want.String())) {
		t.Fatalf("output:\n%s", out)
	}
	if code, rout, _ := edgelab("replay", filepath.Join(dir, "edgelab-fail-ping-6.json")); code != 0 {
		t.Fatalf("a sweep's replay file does not replay:\n%s", rout)
	}
	// A passing sweep says so and exits 0.
	code, out, _ = edgelab("sweep", "--world", "ping", "--seeds", "1..3")
	if code != 0 || out != "world ping seeds 1..3 (default plans): 3 seeds, 3 passed, 0 failed\n" {
		t.Fatalf("code %d out %q", code, out)
	}
}

// TestSweepShardsMergeIntoTheWholeSweep runs 1..20 as three shards, as
// three machines would, and merges them.
func TestSweepShardsMergeIntoTheWholeSweep(t *testing.T) {
	dir := t.TempDir()
	plan := writeTemp(t, "ping.json", `{"world": "ping", "knobs": {"pings": 4}, "network": {"default": {"loss": 0.6}}}`)
	run := func(args ...string) string {
		code, out, errs := edgelab(append([]string{"sweep", "--world", "ping", "--seeds", "1..20", "--plan", plan, "--out", dir}, args...)...)
		if code > 1 || errs != "" {
			t.Fatalf("%v: code %d stderr %q", args, code, errs)
		}
		return out
	}
	whole := run("--json")
	var files []string
	for _, i := range []string{"2", "0", "1"} {
		f := filepath.Join(dir, "shard-"+i+".json")
		os.WriteFile(f, []byte(run("--json", "--shard", i+"/3")), 0o644)
		files = append(files, f)
	}
	code, merged, errs := edgelab(append([]string{"sweep", "merge", "--json"}, files...)...)
	if code > 1 || errs != "" {
		t.Fatalf("merge: code %d stderr %q", code, errs)
	}
	a, _ := sweep.ReadReport(strings.NewReader(whole))
	m, _ := sweep.ReadReport(strings.NewReader(merged))
	if a == nil || m == nil || !m.Complete() || len(m.Results) != 20 || a.Failed == 0 || a.Passed == 0 {
		t.Fatalf("reports: whole %+v merged %+v", a, m)
	}
	for i := range a.Results {
		if !reflect.DeepEqual(a.Results[i], m.Results[i]) {
			t.Fatalf("seed %d: whole %+v, merged %+v", a.Results[i].Seed, a.Results[i], m.Results[i])
		}
	}
	// The text merge lists the same failures as the text sweep.
	_, text, _ := edgelab(append([]string{"sweep", "merge"}, files...)...)
	wholeText := run()
	if allButLast(text) != allButLast(wholeText) {
		t.Fatalf("merged text:\n%s\nwhole sweep text:\n%s", text, wholeText)
	}
	want := fmt.Sprintf("world ping seeds 1..20 shards 0,1,2 of 3 (%s plans): 20 seeds, %d passed, %d failed\n", m.Mode, m.Passed, m.Failed)
	if !strings.HasSuffix(text, "\n"+want) {
		t.Fatalf("merged summary:\n%s\nwant %s", text, want)
	}
	// A missing shard is reported and fails the merge with status 3:
	// the sweep is incomplete, which is not a verdict on the code.
	code, text, _ = edgelab("sweep", "merge", files[0], files[1])
	if code != exitEnv || !strings.HasSuffix(text, "incomplete: shards 1 of 3 missing\n") {
		t.Fatalf("partial merge: code %d:\n%s", code, text)
	}
}

// allButLast drops the last line (the summary) of command output.
func allButLast(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

func TestSweepUsageErrorsAreOneLineExit2(t *testing.T) {
	bad := writeTemp(t, "bad.json", `{"version": 1}`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--world", "ping"}, "missing --seeds"},
		{[]string{"sweep", "--world", "ping", "--seeds", "9..1"}, "invalid seed range"},
		{[]string{"sweep", "--world", "ping", "--seeds", "1..2", "--shard", "3/3"}, "invalid shard"},
		{[]string{"sweep", "--world", "ping", "--seeds", "1..2", "--jobs", "-1"}, "invalid --jobs"},
		{[]string{"sweep", "--world", "ping", "--seeds", "1..2", "--soak", "--plan", "p.json"}, "exclude each other"},
		{[]string{"sweep", "--world", "nope", "--seeds", "1..2"}, `unknown world "nope"`},
		{[]string{"sweep", "--seeds", "1..2"}, "missing --world"},
		{[]string{"sweep", "--world", "ping", "--seeds", "0..18446744073709551615"}, "use --shard"},
		{[]string{"sweep", "merge"}, "no report files"},
		{[]string{"sweep", "merge", bad}, "sweep report"},
		{[]string{"sweep", "merge", "missing.json"}, "no such file"},
	} {
		code, out, errs := edgelab(c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d stdout %q stderr %q, want one line containing %q", c.args, code, out, errs, c.want)
		}
	}
}
