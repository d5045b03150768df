package spthy

import (
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Random theories in the normal form Parse produces, to check that Print
// and Parse are inverse on far more shapes than the fixtures have. Message
// variables and time points use disjoint names, so that Tamarin-style sort
// inference (a variable used after '@' is a time point) never changes what
// was generated.
var (
	genMsgVar = rapid.Custom(func(t *rapid.T) Term {
		name := rapid.SampledFrom([]string{"x", "y", "k", "m.1"}).Draw(t, "name")
		sort := rapid.SampledFrom([]Sort{SortMsg, SortFresh, SortPub}).Draw(t, "sort")
		return Variable(name, sort)
	})
	genTimepoint = rapid.Map(rapid.SampledFrom([]string{"i", "j"}), func(n string) Term { return Variable(n, SortTemporal) })
	genConst     = rapid.Custom(func(t *rapid.T) Term {
		c := Constant(rapid.SampledFrom([]string{"c", "", "a b", "ohttp/req"}).Draw(t, "c"))
		if rapid.IntRange(0, 4).Draw(t, "fresh") == 0 {
			c.Sort = SortFresh
		}
		return c
	})
)

func genRTerm(depth int) *rapid.Generator[Term] {
	return rapid.Custom(func(t *rapid.T) Term {
		if depth == 0 || rapid.IntRange(0, 2).Draw(t, "leaf") == 0 {
			switch rapid.IntRange(0, 3).Draw(t, "atom") {
			case 0:
				return genConst.Draw(t, "const")
			case 1:
				return Apply(OneName)
			default:
				return genMsgVar.Draw(t, "var")
			}
		}
		sub := genRTerm(depth - 1)
		switch rapid.IntRange(0, 4).Draw(t, "shape") {
		case 0:
			return Tuple(rapid.SliceOfN(sub, 2, 4).Draw(t, "elems")...)
		case 1:
			op := rapid.SampledFrom([]string{ExpName, MultName, UnionName}).Draw(t, "op")
			return Apply(op, sub.Draw(t, "l"), sub.Draw(t, "r"))
		default:
			name := rapid.SampledFrom([]string{"f", "h", "senc", "g"}).Draw(t, "fn")
			args := rapid.SliceOfN(sub, 0, 3).Draw(t, "args")
			if len(args) == 0 {
				return Apply(name) // the parser's form: no argument slice
			}
			return Apply(name, args...)
		}
	})
}

var genFact = rapid.Custom(func(t *rapid.T) Fact {
	f := Fact{
		Name:       rapid.SampledFrom([]string{"A", "Fr", "In", "Out", "St_1"}).Draw(t, "name"),
		Persistent: rapid.Bool().Draw(t, "persistent"),
		Args:       rapid.SliceOfN(genRTerm(2), 0, 3).Draw(t, "args"),
	}
	if len(f.Args) == 0 {
		f.Args = nil
	}
	if rapid.IntRange(0, 3).Draw(t, "annotated") == 0 {
		f.Annotations = rapid.SliceOfN(rapid.SampledFrom([]string{"+", "-", "no_precomp"}), 1, 2).Draw(t, "annotations")
	}
	return f
})

func genFacts(t *rapid.T, label string) []Fact {
	fs := rapid.SliceOfN(genFact, 0, 3).Draw(t, label)
	if len(fs) == 0 {
		return nil
	}
	return fs
}

func genFormula(depth int) *rapid.Generator[Formula] {
	return rapid.Custom(func(t *rapid.T) Formula {
		if depth == 0 || rapid.IntRange(0, 2).Draw(t, "leaf") == 0 {
			switch rapid.IntRange(0, 5).Draw(t, "atom") {
			case 0:
				return Bool{Value: rapid.Bool().Draw(t, "b")}
			case 1:
				f := genFact.Draw(t, "fact")
				return Action{Fact: Fact{Name: f.Name, Args: f.Args}, At: genTimepoint.Draw(t, "at")}
			case 2:
				return Less{L: genTimepoint.Draw(t, "l"), R: genTimepoint.Draw(t, "r")}
			case 3:
				return Equal{L: genRTerm(2).Draw(t, "l"), R: genRTerm(2).Draw(t, "r")}
			case 4:
				return Subterm{L: genRTerm(2).Draw(t, "l"), R: genRTerm(2).Draw(t, "r")}
			default:
				return Last{At: genTimepoint.Draw(t, "at")}
			}
		}
		sub := genFormula(depth - 1)
		switch rapid.IntRange(0, 2).Draw(t, "shape") {
		case 0:
			return Not{F: sub.Draw(t, "f")}
		case 1:
			op := rapid.SampledFrom([]Connective{And, Or, Implies, Iff}).Draw(t, "op")
			return Binary{Op: op, L: sub.Draw(t, "l"), R: sub.Draw(t, "r")}
		default:
			vars := rapid.SliceOfN(rapid.OneOf(genMsgVar, genTimepoint), 1, 3).Draw(t, "vars")
			return Quantified{Exists: rapid.Bool().Draw(t, "ex"), Vars: vars, Body: sub.Draw(t, "body")}
		}
	})
}

var genDoc = rapid.Custom(func(t *rapid.T) string {
	lines := rapid.SliceOfN(rapid.SampledFrom([]string{"", "claim:", "the relay never learns the request", "* bullet", "a  b"}), 0, 3).Draw(t, "lines")
	return strings.Join(docLines(lines), "\n")
})

var genAttrs = rapid.Custom(func(t *rapid.T) []Attr {
	attrs := rapid.SliceOfN(rapid.SampledFrom([]Attr{
		{Key: "sources"}, {Key: "reuse"}, {Key: "hide_lemma", Value: "x"}, {Key: "color", Value: "#ff0000"},
		{Key: "output", Value: "[spthy, proverif]"}, {Key: "role", Value: `"Client, Relay"`},
	}), 0, 2).Draw(t, "attrs")
	if len(attrs) == 0 {
		return nil
	}
	return attrs
})

var genTheory = rapid.Custom(func(t *rapid.T) *Theory {
	th := &Theory{Name: "Gen"}
	th.Builtins = rapid.SliceOfN(rapid.SampledFrom([]string{"hashing", "diffie-hellman", "symmetric-encryption", "dest-pairing"}), 0, 2).Draw(t, "builtins")
	if len(th.Builtins) == 0 {
		th.Builtins = nil
	}
	for i, n := 0, rapid.IntRange(0, 2).Draw(t, "nfuncs"); i < n; i++ {
		th.Functions = append(th.Functions, Function{
			Name:       rapid.SampledFrom([]string{"f", "kdf", "hpke"}).Draw(t, "fname"),
			Arity:      rapid.IntRange(1, 3).Draw(t, "arity"),
			Private:    rapid.Bool().Draw(t, "private"),
			Destructor: rapid.Bool().Draw(t, "destructor"),
		})
	}
	for i, n := 0, rapid.IntRange(0, 2).Draw(t, "neqs"); i < n; i++ {
		th.Equations = append(th.Equations, Equation{LHS: genRTerm(2).Draw(t, "lhs"), RHS: genRTerm(2).Draw(t, "rhs")})
	}
	for i, n := 0, rapid.IntRange(0, 2).Draw(t, "nrules"); i < n; i++ {
		r := Rule{Name: "R" + string(rune('a'+i)), Attrs: genAttrs.Draw(t, "rattrs"), Doc: genDoc.Draw(t, "rdoc")}
		for j, m := 0, rapid.IntRange(0, 2).Draw(t, "nlets"); j < m; j++ {
			r.Lets = append(r.Lets, Let{Var: Variable("v", SortMsg), Value: genRTerm(2).Draw(t, "value")})
		}
		r.Premises, r.Actions, r.Conclusions = genFacts(t, "premises"), genFacts(t, "actions"), genFacts(t, "conclusions")
		th.Rules = append(th.Rules, r)
	}
	if rapid.Bool().Draw(t, "restriction") {
		th.Restrictions = append(th.Restrictions, Restriction{Name: "Only", Formula: genFormula(3).Draw(t, "rf"), Doc: genDoc.Draw(t, "sdoc")})
	}
	for i, n := 0, rapid.IntRange(1, 5).Draw(t, "nlemmas"); i < n; i++ {
		th.Lemmas = append(th.Lemmas, Lemma{
			Name:    "l" + string(rune('a'+i)),
			Attrs:   genAttrs.Draw(t, "lattrs"),
			Traces:  rapid.SampledFrom([]TraceQuantifier{AllTraces, ExistsTrace}).Draw(t, "traces"),
			Formula: genFormula(4).Draw(t, "lf"),
			Doc:     genDoc.Draw(t, "ldoc"),
		})
	}
	return th
})

func TestPropPrintParseIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		th := genTheory.Draw(t, "theory")
		text := th.String()
		back, err := Parse([]byte(text), Options{})
		if err != nil {
			t.Fatalf("printed theory does not parse: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(stripPos(back), th) {
			t.Fatalf("parse(print(th)) != th\n%s\n--- reprinted\n%s", text, back.String())
		}
	})
}
