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
