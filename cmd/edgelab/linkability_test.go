package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunLinkabilityWritesCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the experiment")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"run", "--world", "ohttp", "--linkability", "--out", dir, "--seeds", "1", "--requests", "3"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	csv, err := os.ReadFile(filepath.Join(dir, "linkability.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) < 3 {
		t.Fatalf("CSV has %d lines:\n%s", len(lines), csv)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "linkability.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<svg")) || !bytes.Contains(svg, []byte("<polyline")) {
		t.Fatalf("not an SVG plot:\n%.300s", svg)
	}
	if code := run([]string{"run", "--world", "ping", "--linkability"}, &out, &errb); code != 2 {
		t.Fatalf("linkability on ping: exit %d, want 2", code)
	}
}

// TestRunLinkabilitySpeaksAsRun: the experiment reached through `run`
// names `run --linkability` in its messages and takes --seed (the first
// seed of each point), as `run` does.
func TestRunLinkabilitySpeaksAsRun(t *testing.T) {
	code, _, errs := edgelab("run", "--world", "ohttp", "--linkability", "--bogus")
	if code != exitUsage || !strings.HasPrefix(errs, "edgelab run --linkability: flag provided but not defined: -bogus") {
		t.Fatalf("exit %d, %q", code, errs)
	}
	code, out, _ := edgelab("run", "--world", "ohttp", "--linkability", "-h")
	if code != exitOK || !strings.HasPrefix(out, "usage: edgelab run --linkability") || !strings.Contains(out, "-seed") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	code, out, errs = edgelab("run", "--world", "ohttp", "--linkability", "--seed", "5", "--seeds", "1", "--requests", "2", "--out", dir)
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "clients,requests,seeds,") || !strings.Contains(out, "\n10,2,1,") {
		t.Fatalf("--seed 5: exit %d, %q\n%s", code, errs, out)
	}
}
