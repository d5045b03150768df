package main

// Keeps deploy/sweep-job.yaml in step with the command line: the sweep it
// runs must parse, and its shard count must match the Job's completions.
// (There is no YAML parser in the module; the manifest is simple enough
// to read with patterns.)

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/sim/sweep"
)

func TestDeploySweepJobRunsAValidSweep(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "sweep-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	y := string(data)
	for _, want := range []string{"kind: Job", "completionMode: Indexed", "restartPolicy: Never", "JOB_COMPLETION_INDEX"} {
		if !strings.Contains(y, want) {
			t.Fatalf("manifest lacks %q", want)
		}
	}
	env := map[string]string{"JOB_COMPLETION_INDEX": "0"}
	for _, m := range regexp.MustCompile(`- name: (\w+)\n\s+value: "?([^"\n]+)"?`).FindAllStringSubmatch(y, -1) {
		env[m[1]] = m[2]
	}
	completions := regexp.MustCompile(`(?m)^\s+completions: (\d+)$`).FindStringSubmatch(y)
	if completions == nil || completions[1] != env["SHARDS"] {
		t.Fatalf("completions %v, SHARDS %q: they must be equal", completions, env["SHARDS"])
	}
	line := regexp.MustCompile(`(?m)^\s+(edgelab sweep [^>\n]*)`).FindStringSubmatch(y)
	if line == nil {
		t.Fatal("no edgelab sweep command in the manifest")
	}
	expanded := os.Expand(line[1], func(k string) string { return env[k] })
	args := strings.Fields(strings.ReplaceAll(expanded, `"`, ""))
	// Run the pod's sweep on a few seeds: later flags override earlier.
	dir := t.TempDir()
	code, out, errs := edgelab(append(args[1:], "--seeds", "1..64", "--out", dir)...)
	if code > 1 || errs != "" {
		t.Fatalf("%v: code %d stderr %q", args, code, errs)
	}
	rep, err := sweep.ReadReport(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	shards, _ := strconv.Atoi(env["SHARDS"])
	if rep.Shards != uint64(shards) || len(rep.Covered) != 1 || rep.Covered[0] != 0 || len(rep.Results) != 64/shards {
		t.Fatalf("pod 0 of %d swept %+v", shards, rep)
	}
}
