package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExperimentLinkabilityWritesCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the experiment")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"experiment", "ohttp", "linkability", "--out", dir, "--seeds", "1", "--requests", "3"}, &out, &errb)
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
	for _, args := range [][]string{{"experiment", "ping", "linkability"}, {"experiment", "ohttp", "nope"}, {"experiment"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestExperimentSpeaksForItself: the experiment names itself in its
// messages and its -h, takes --seed (the first seed of each point), and
// the old spelling `run --linkability` says where the experiment went.
func TestExperimentSpeaksForItself(t *testing.T) {
	code, _, errs := edgelab("experiment", "ohttp", "linkability", "--bogus")
	if code != exitUsage || !strings.HasPrefix(errs, "edgelab experiment ohttp linkability: flag provided but not defined: -bogus") {
		t.Fatalf("exit %d, %q", code, errs)
	}
	code, out, _ := edgelab("experiment", "ohttp", "linkability", "-h")
	if code != exitOK || !strings.HasPrefix(out, "usage: edgelab experiment ohttp linkability") || !strings.Contains(out, "-seed") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	code, out, errs = edgelab("experiment", "ohttp", "linkability", "--seed", "5", "--seeds", "1", "--requests", "2", "--out", dir)
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "clients,requests,seeds,") || !strings.Contains(out, "\n10,2,1,") {
		t.Fatalf("--seed 5: exit %d, %q\n%s", code, errs, out)
	}
	for _, bad := range []string{"0", "x"} {
		if code, _, errs := edgelab("experiment", "ohttp", "linkability", "--seeds", bad); code != exitUsage || strings.Count(errs, "\n") != 1 {
			t.Errorf("--seeds %s: exit %d, %q", bad, code, errs)
		}
	}
	code, _, errs = edgelab("run", "--world", "ohttp", "--linkability", "--seed", "5")
	if code != exitUsage || !strings.Contains(errs, "edgelab experiment ohttp linkability") {
		t.Fatalf("run --linkability: exit %d, %q", code, errs)
	}
}
