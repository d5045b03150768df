package main

// Keeps deploy/ and the Dockerfile in step with the command line: the
// manifests parse, the Job runs a sweep that parses, one shard per
// completion index, from the image the Dockerfile builds as a static
// binary for an unprivileged user.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/sweep"
)

func readManifest(t *testing.T, name string) []any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := parseYAML(string(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, d := range docs {
		if yamlPath(d, "apiVersion") == nil || yamlPath(d, "kind") == nil || yamlPath(d, "metadata", "name") == nil {
			t.Fatalf("%s: document %d lacks apiVersion, kind or metadata.name", name, i)
		}
	}
	return docs
}

// jobOf returns the Job among docs.
func jobOf(t *testing.T, docs []any) any {
	t.Helper()
	for _, d := range docs {
		if yamlPath(d, "kind") == "Job" {
			return d
		}
	}
	t.Fatal("no Job")
	return nil
}

func TestDeploySweepJobRunsAValidSweep(t *testing.T) {
	job := jobOf(t, readManifest(t, "sweep-job.yaml"))
	spec := yamlPath(job, "spec")
	pod := yamlPath(spec, "template", "spec")
	ctr := yamlPath(pod, "containers", 0)
	if yamlPath(spec, "completionMode") != "Indexed" || yamlPath(pod, "restartPolicy") != "Never" || yamlPath(ctr, "image") != "edgelab:latest" {
		t.Fatalf("job spec %v", spec)
	}
	if yamlPath(pod, "securityContext", "runAsNonRoot") != "true" {
		t.Fatalf("the pod may run as root: %v", yamlPath(pod, "securityContext"))
	}
	env := map[string]string{"JOB_COMPLETION_INDEX": "0"}
	for _, e := range yamlPath(ctr, "env").([]any) {
		env[yamlPath(e, "name").(string)] = yamlPath(e, "value").(string)
	}
	if c := yamlPath(spec, "completions"); c != env["SHARDS"] || yamlPath(spec, "parallelism") != env["SHARDS"] {
		t.Fatalf("completions %v, SHARDS %q: they must be equal", c, env["SHARDS"])
	}
	script, _ := yamlPath(ctr, "args", 0).(string)
	line := regexp.MustCompile(`(?m)^(edgelab sweep [^>\n]*)`).FindStringSubmatch(script)
	if line == nil || !strings.Contains(line[1], `--shard "$JOB_COMPLETION_INDEX/$SHARDS"`) {
		t.Fatalf("no edgelab sweep sharded by JOB_COMPLETION_INDEX in the script:\n%s", script)
	}
	// Run pod 1's sweep on a few seeds: later flags override earlier.
	shards, _ := strconv.Atoi(env["SHARDS"])
	for _, index := range []int{0, shards - 1} {
		env["JOB_COMPLETION_INDEX"] = strconv.Itoa(index)
		expanded := os.Expand(line[1], func(k string) string { return env[k] })
		args := strings.Fields(strings.ReplaceAll(expanded, `"`, ""))
		code, out, errs := edgelab(append(args[1:], "--seeds", "1..64", "--out", t.TempDir())...)
		if code > 1 || errs != "" {
			t.Fatalf("%v: code %d stderr %q", args, code, errs)
		}
		rep, err := sweep.ReadReport(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Shards != uint64(shards) || len(rep.Covered) != 1 || rep.Covered[0] != uint64(index) || len(rep.Results) != 64/shards {
			t.Fatalf("pod %d of %d swept %+v", index, shards, rep)
		}
	}
}

func TestDeployMergeJobReadsTheShards(t *testing.T) {
	job := jobOf(t, readManifest(t, "sweep-merge-job.yaml"))
	ctr := yamlPath(job, "spec", "template", "spec", "containers", 0)
	script, _ := yamlPath(ctr, "args", 0).(string)
	if yamlPath(ctr, "image") != "edgelab:latest" || !strings.Contains(script, "edgelab sweep merge /results/shard-*.json") {
		t.Fatalf("merge job container %v", ctr)
	}
}

// TestDockerfileMakesTheJobsImage: the Dockerfile builds edgelab static
// in one stage and runs it unprivileged in another; where a Docker
// engine answers, it is built and the image's edgelab runs.
func TestDockerfileMakesTheJobsImage(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	froms := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(df, -1)
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %d FROM lines", len(froms))
	}
	build, final := df[:froms[len(froms)-1][0]], df[froms[len(froms)-1][0]:]
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "./cmd/edgelab") {
		t.Fatal("the build stage does not build a static ./cmd/edgelab")
	}
	// The builder's Go is the module's: go.mod's go line names it.
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if goLine == nil || !strings.Contains(build, "FROM golang:"+string(goLine[1])+" ") {
		t.Fatalf("the build stage's Go is not go.mod's go %s", goLine[1])
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(final)
	if user == nil || user[1] == "root" || strings.HasPrefix(user[1], "0") || !strings.Contains(final, "COPY --from=") {
		t.Fatalf("the final stage runs as %v or copies nothing built", user)
	}
	if !strings.Contains(df, "docker build -f deploy/Dockerfile -t edgelab:latest .") {
		t.Fatal("the Dockerfile does not say how to build the image the Jobs name")
	}

	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: built the image's checks only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, docker, "info").Run(); err != nil {
		t.Skipf("no Docker engine answers (%v): checked the Dockerfile's text only", err)
	}
	if testing.Short() {
		t.Skip("building the image takes minutes")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tag := "edgelab:test-" + strconv.Itoa(os.Getpid())
	if out, err := exec.CommandContext(ctx, docker, "build", "-f", filepath.Join(root, "deploy", "Dockerfile"), "-t", tag, root).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command(docker, "rmi", "-f", tag).Run()
	out, err := exec.CommandContext(ctx, docker, "run", "--rm", tag, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage: edgelab") {
		t.Fatalf("docker run %s help: %v\n%s", tag, err, out)
	}
	out, err = exec.CommandContext(ctx, docker, "run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "id -u").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "0" {
		t.Fatalf("the image runs as uid %q (%v)", out, err)
	}
}
