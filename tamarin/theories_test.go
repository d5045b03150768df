package tamarin

import (
	"strings"
	"testing"
)

func TestTheoriesAreEmbeddedAndParse(t *testing.T) {
	ths := Theories()
	if len(ths) == 0 {
		t.Fatal("no embedded theories")
	}
	for i, th := range ths {
		if i > 0 && ths[i-1].Name >= th.Name {
			t.Errorf("theories not sorted: %s before %s", ths[i-1].Name, th.Name)
		}
		if !strings.HasPrefix(th.File, "tamarin/theories/") || !strings.HasSuffix(th.File, ".spthy") {
			t.Errorf("%s: file %q", th.Name, th.File)
		}
		parsed, err := Parse(th.Name)
		if err != nil {
			t.Errorf("%s: %v", th.Name, err)
			continue
		}
		if len(parsed.Rules) == 0 || len(parsed.Lemmas) == 0 {
			t.Errorf("%s: %d rules, %d lemmas", th.Name, len(parsed.Rules), len(parsed.Lemmas))
		}
	}
}

func TestLookup(t *testing.T) {
	name := Theories()[0].Name
	a, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lookup(name + ".spthy")
	if err != nil || b.File != a.File {
		t.Fatalf("Lookup(%q.spthy) = %v, %v", name, b.File, err)
	}
	if _, err := Parse("no-such-theory"); err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("unknown theory: %v", err)
	}
}
