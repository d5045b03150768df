package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestAllRunsEveryWorldOneLineEach(t *testing.T) {
	code, out, errs := edgelab("all")
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(worlds) {
		t.Fatalf("%d lines for %d worlds:\n%s", len(lines), len(worlds), out)
	}
	line := regexp.MustCompile(`^ping +PASS  seed=1  sent=\d+ answered=\d+ timedout=\d+ failed=0 served=\d+  sha256:[0-9a-f]{64}$`)
	found := false
	for _, l := range lines {
		if line.MatchString(l) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no ping line in:\n%s", out)
	}
	if _, again, _ := edgelab("all"); again != out {
		t.Fatal("edgelab all is not reproducible")
	}
}
