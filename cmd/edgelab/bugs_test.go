package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
)

// The bugs table catches every seeded bug and, for each, names at least
// one lemma of ohttp.spthy its shrunk run violates.
func TestBugsTableNamesAViolatedLemmaPerBug(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"bugs", "--world", "ohttp", "--plans", "20"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, errb.String(), out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[0], "LEMMAS VIOLATED") {
		t.Fatalf("no table:\n%s", out.String())
	}
	rows := 0
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "all ") {
			continue
		}
		rows++
		if !strings.Contains(l, " yes ") || strings.HasSuffix(strings.TrimSpace(l), " -") || !strings.Contains(l, "(") {
			t.Errorf("bug not caught or no lemma violated: %s", l)
		}
	}
	if want := len(ohttp.AllBugs()); rows != want {
		t.Errorf("%d rows, want one per seeded bug (%d):\n%s", rows, want, out.String())
	}
}
