package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEShowsRealOutput: every "$ edgelab ..." line of the README,
// run in order in one directory, prints what the README shows after it
// (64-digit hashes aside, which other changes to a world may move).
func TestREADMEShowsRealOutput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	type example struct {
		args []string
		want string
	}
	var examples []example
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		cmd, ok := strings.CutPrefix(lines[i], "    $ edgelab")
		if !ok {
			continue
		}
		var want strings.Builder
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") && !strings.HasPrefix(lines[i+1], "    $ ") {
			i++
			want.WriteString(strings.TrimPrefix(lines[i], "    ") + "\n")
		}
		examples = append(examples, example{strings.Fields(cmd), want.String()})
	}
	if len(examples) < 5 {
		t.Fatalf("only %d examples found in the README", len(examples))
	}
	t.Chdir(t.TempDir())
	// The README shows the lab on a machine without tamarin-prover; with
	// one installed, $TAMARIN naming no program keeps it that way (and
	// keeps minutes of proofs out of this test).
	t.Setenv("TAMARIN", filepath.Join(t.TempDir(), "no-tamarin-prover"))
	hash := regexp.MustCompile(`[0-9a-f]{64}`)
	for _, ex := range examples {
		code, out, errs := edgelab(ex.args...)
		if code != 0 || errs != "" {
			t.Errorf("edgelab %s: exit %d, stderr %q", strings.Join(ex.args, " "), code, errs)
			continue
		}
		if got, want := hash.ReplaceAllString(out, "<hash>"), hash.ReplaceAllString(ex.want, "<hash>"); got != want {
			t.Errorf("edgelab %s prints\n%s\nbut the README shows\n%s", strings.Join(ex.args, " "), out, ex.want)
		}
	}
}
