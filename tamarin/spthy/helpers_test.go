package spthy

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// stripPos zeroes every position in th, so that theories parsed from
// different text can be compared for structure.
func stripPos(th *Theory) *Theory {
	th.File = ""
	for i := range th.Functions {
		th.Functions[i].Pos = Pos{}
	}
	for i := range th.Equations {
		th.Equations[i].Pos = Pos{}
	}
	for i := range th.Rules {
		r := &th.Rules[i]
		r.Pos = Pos{}
		for _, fs := range [][]Fact{r.Premises, r.Actions, r.Conclusions} {
			for j := range fs {
				fs[j].Pos = Pos{}
			}
		}
	}
	for i := range th.Restrictions {
		th.Restrictions[i].Pos = Pos{}
		th.Restrictions[i].Formula = stripFormula(th.Restrictions[i].Formula)
	}
	for i := range th.Lemmas {
		th.Lemmas[i].Pos = Pos{}
		th.Lemmas[i].Formula = stripFormula(th.Lemmas[i].Formula)
	}
	return th
}

func stripFormula(f Formula) Formula {
	switch f := f.(type) {
	case Not:
		return Not{F: stripFormula(f.F)}
	case Binary:
		return Binary{Op: f.Op, L: stripFormula(f.L), R: stripFormula(f.R)}
	case Quantified:
		return Quantified{Exists: f.Exists, Vars: f.Vars, Body: stripFormula(f.Body)}
	case Action:
		f.Fact.Pos = Pos{}
		return f
	}
	return f
}

// sameTheory reports whether a and b are equal up to positions.
func sameTheory(a, b *Theory) bool {
	return reflect.DeepEqual(stripPos(a), stripPos(b))
}

func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.spthy"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = src
	}
	return out
}

func mustParse(t testing.TB, src string, defines ...string) *Theory {
	t.Helper()
	th, err := Parse([]byte(src), Options{Defines: defines})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return th
}

// inTheory wraps items into a minimal theory.
func inTheory(items string) string {
	return "theory T\nbegin\n" + items + "\nend\n"
}

// lemmaFormula parses one lemma and returns its formula.
func lemmaFormula(t testing.TB, formula string) Formula {
	t.Helper()
	th := mustParse(t, inTheory("lemma l: \""+formula+"\""))
	return stripFormula(th.Lemmas[0].Formula)
}

// factArg parses a rule with one fact and returns the fact's argument.
func factArg(t testing.TB, term string) Term {
	t.Helper()
	th := mustParse(t, inTheory("rule r: [ ] --> [ F("+term+") ]"))
	return th.Rules[0].Conclusions[0].Args[0]
}
