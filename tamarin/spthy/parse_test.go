package spthy

import (
	"reflect"
	"strings"
	"testing"
)

func TestFixturesRoundTrip(t *testing.T) {
	for name, src := range fixtures(t) {
		for _, defines := range [][]string{nil, {"SINGLE_SESSION"}} {
			first, err := Parse(src, Options{File: name, Defines: defines})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			text := first.String()
			second, err := Parse([]byte(text), Options{File: name + " (printed)"})
			if err != nil {
				t.Fatalf("%s: printed theory does not parse: %v\n%s", name, err, text)
			}
			if again := second.String(); again != text {
				t.Errorf("%s: printing is not stable:\n%s\n---\n%s", name, text, again)
			}
			if !sameTheory(first, second) {
				t.Errorf("%s: parse(print(parse(x))) differs from parse(x)", name)
			}
		}
	}
}

func TestSignedDHStructure(t *testing.T) {
	src := fixtures(t)["signed_dh.spthy"]
	th, err := Parse(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if th.Name != "SignedDH" {
		t.Errorf("name %q", th.Name)
	}
	if want := []string{"diffie-hellman", "signing", "hashing"}; !reflect.DeepEqual(th.Builtins, want) {
		t.Errorf("builtins %v", th.Builtins)
	}
	if len(th.Functions) != 2 || th.Functions[1] != (Function{Name: "tag", Arity: 1, Private: true, Pos: Pos{10, 19}}) {
		t.Errorf("functions %+v", th.Functions)
	}
	if len(th.Rules) != 5 || len(th.Restrictions) != 1 || len(th.Lemmas) != 3 {
		t.Fatalf("%d rules, %d restrictions, %d lemmas", len(th.Rules), len(th.Restrictions), len(th.Lemmas))
	}
	reg := th.Rules[0]
	if reg.Name != "Register_pk" || reg.Pos != (Pos{13, 1}) {
		t.Errorf("first rule %s at %s", reg.Name, reg.Pos)
	}
	if !reflect.DeepEqual(reg.Attrs, []Attr{{Key: "color", Value: "#88ccee"}}) {
		t.Errorf("attrs %+v", reg.Attrs)
	}
	if reg.Doc != "Every party has one long-term key, published as its public key." {
		t.Errorf("rule doc %q", reg.Doc)
	}
	if got := reg.Conclusions[0]; !got.Persistent || got.Name != "Ltk" || got.Pos != (Pos{16, 5}) {
		t.Errorf("first conclusion %+v", got)
	}
	resp := th.Rules[3]
	if len(resp.Lets) != 2 {
		t.Fatalf("Resp_1 lets %+v", resp.Lets)
	}
	wantKey := Apply("kdf",
		Apply(ExpName, Variable("X", SortMsg), Variable("y", SortFresh)),
		Tuple(Variable("X", SortMsg), Variable("gy", SortMsg)))
	if l := resp.Lets[1]; !reflect.DeepEqual(l.Var, Variable("key", SortMsg)) || !reflect.DeepEqual(l.Value, wantKey) {
		t.Errorf("let key = %s", l.Value)
	}
	// true comes from the signing builtin: a nullary function, not a variable.
	eq := resp.Actions[0]
	if eq.Name != "Eq" || !reflect.DeepEqual(eq.Args[1], Apply("true")) {
		t.Errorf("Eq action %s", eq)
	}
	if len(th.Rules[4].Actions) != 3 || th.Rules[4].Conclusions != nil {
		t.Errorf("Init_2 %+v", th.Rules[4])
	}
	exec, pfs, agree := th.Lemmas[0], th.Lemmas[1], th.Lemmas[2]
	if exec.Traces != ExistsTrace || pfs.Traces != AllTraces || agree.Traces != AllTraces {
		t.Errorf("trace quantifiers %s %s %s", exec.Traces, pfs.Traces, agree.Traces)
	}
	if exec.Doc != "The protocol can run to completion: both sides accept the same key." {
		t.Errorf("lemma doc %q", exec.Doc)
	}
	if pfs.Doc != "Perfect forward secrecy: revealing a long-term key after the session\ndoes not reveal the session key." {
		t.Errorf("multi-line doc %q", pfs.Doc)
	}
	if agree.Doc != "Whatever the other side accepted, we started." {
		t.Errorf("block comment doc %q", agree.Doc)
	}
	if !reflect.DeepEqual(agree.Attrs, []Attr{{Key: "use_induction"}, {Key: "hide_lemma", Value: "executable"}}) {
		t.Errorf("lemma attrs %+v", agree.Attrs)
	}
	if !reflect.DeepEqual(pfs.Attrs, []Attr{{Key: "reuse"}}) {
		t.Errorf("lemma attrs %+v", pfs.Attrs)
	}
	// "@ i" makes i a time point, and so the binder.
	q := agree.Formula.(Quantified)
	if !reflect.DeepEqual(q.Vars[3], Variable("i", SortTemporal)) {
		t.Errorf("binder %+v", q.Vars)
	}
	act := q.Body.(Binary).L.(Action)
	if !reflect.DeepEqual(act.At, Variable("i", SortTemporal)) || act.Fact.Name != "Accept" || act.Fact.Pos != (Pos{70, 18}) {
		t.Errorf("action %+v", act)
	}

	defined, err := Parse(src, Options{Defines: []string{"SINGLE_SESSION"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(defined.Restrictions) != 2 || defined.Restrictions[1].Name != "OneStart" {
		t.Errorf("with SINGLE_SESSION: %d restrictions", len(defined.Restrictions))
	}
}

func TestOHTTPFixtureSkipsProverGuidance(t *testing.T) {
	th, err := Parse(fixtures(t)["ohttp_unlinkability.spthy"], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(th.Equations) != 2 || len(th.Rules) != 5 || len(th.Lemmas) != 4 {
		t.Fatalf("%d equations, %d rules, %d lemmas", len(th.Equations), len(th.Rules), len(th.Lemmas))
	}
	// The comment after the tactic: section still documents the lemma.
	if th.Lemmas[0].Doc != "The request stays secret unless the gateway's key leaks." {
		t.Errorf("doc after tactic %q", th.Lemmas[0].Doc)
	}
	if _, ok := th.Lemmas[2].Formula.(Quantified).Body.(Binary).R.(Subterm); !ok {
		t.Errorf("subterm lemma %s", FormulaString(th.Lemmas[2].Formula))
	}
	// Unicode connectives read as their ASCII forms.
	if got := FormulaString(th.Lemmas[3].Formula); got != "All C req enc #i. ClientSend(C, req, enc) @ #i ==> not (Ex #j. K(req) @ #j & #j < #i) | T" {
		t.Errorf("unicode lemma %s", got)
	}
}

func TestTerms(t *testing.T) {
	x, y, z := Variable("x", SortMsg), Variable("y", SortMsg), Variable("z", SortMsg)
	cases := []struct {
		src  string
		want Term
		text string
	}{
		{"g^a^b", Apply(ExpName, Apply(ExpName, Variable("g", SortMsg), Variable("a", SortMsg)), Variable("b", SortMsg)), "g^a^b"},
		{"g^(a^b)", Apply(ExpName, Variable("g", SortMsg), Apply(ExpName, Variable("a", SortMsg), Variable("b", SortMsg))), "g^(a^b)"},
		{"x*y^z", Apply(MultName, x, Apply(ExpName, y, z)), "x*y^z"},
		{"(x*y)^z", Apply(ExpName, Apply(MultName, x, y), z), "(x*y)^z"},
		{"x + y*z", Apply(UnionName, x, Apply(MultName, y, z)), "x + y*z"},
		{"x*(y + z)", Apply(MultName, x, Apply(UnionName, y, z)), "x*(y + z)"},
		{"<x, y, z>", Tuple(x, y, z), "<x, y, z>"},
		{"<x, <y, z>>", Tuple(x, y, z), "<x, y, z>"},
		{"<<x, y>, z>", Tuple(Tuple(x, y), z), "<<x, y>, z>"},
		{"pair(x, y)", Tuple(x, y), "<x, y>"},
		{"x:pub", Variable("x", SortPub), "$x"},
		{"k:fresh", Variable("k", SortFresh), "~k"},
		{"i:node", Variable("i", SortTemporal), "#i"},
		{"x.1", Variable("x.1", SortMsg), "x.1"},
		{"~'n'", Term{Kind: Const, Name: "n", Sort: SortFresh}, "~'n'"},
		{"'g'^1", Apply(ExpName, Constant("g"), Apply(OneName)), "'g'^1"},
		{"f()", Apply("f"), "f()"},
		{"h(<'a', $B>)", Apply("h", Tuple(Constant("a"), Variable("B", SortPub))), "h(<'a', $B>)"},
	}
	for _, c := range cases {
		got := factArg(t, c.src)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s parsed as %#v", c.src, got)
		}
		if s := got.String(); s != c.text {
			t.Errorf("%s prints as %q, want %q", c.src, s, c.text)
		}
	}
}

func TestFormulaPrecedence(t *testing.T) {
	a := Action{Fact: Fact{Name: "A"}, At: Variable("i", SortTemporal)}
	b := Action{Fact: Fact{Name: "B"}, At: Variable("i", SortTemporal)}
	c := Action{Fact: Fact{Name: "C"}, At: Variable("i", SortTemporal)}
	cases := []struct {
		src  string
		want Formula
		text string
	}{
		{"A() @ i & B() @ i | C() @ i", Binary{Or, Binary{And, a, b}, c}, "A() @ #i & B() @ #i | C() @ #i"},
		{"A() @ i | B() @ i & C() @ i", Binary{Or, a, Binary{And, b, c}}, "A() @ #i | B() @ #i & C() @ #i"},
		{"(A() @ i | B() @ i) & C() @ i", Binary{And, Binary{Or, a, b}, c}, "(A() @ #i | B() @ #i) & C() @ #i"},
		{"A() @ i ==> B() @ i ==> C() @ i", Binary{Implies, a, Binary{Implies, b, c}}, "A() @ #i ==> B() @ #i ==> C() @ #i"},
		{"(A() @ i ==> B() @ i) ==> C() @ i", Binary{Implies, Binary{Implies, a, b}, c}, "(A() @ #i ==> B() @ #i) ==> C() @ #i"},
		{"A() @ i <=> B() @ i | C() @ i", Binary{Iff, a, Binary{Or, b, c}}, "A() @ #i <=> B() @ #i | C() @ #i"},
		{"not A() @ i & B() @ i", Binary{And, Not{a}, b}, "not A() @ #i & B() @ #i"},
		{"not (A() @ i & B() @ i)", Not{Binary{And, a, b}}, "not (A() @ #i & B() @ #i)"},
		{"not not A() @ i", Not{Not{a}}, "not (not A() @ #i)"},
		{"T & F", Binary{And, Bool{true}, Bool{false}}, "T & F"},
		{
			"A() @ i & All #j. B() @ j | C() @ j",
			Binary{And, a, Quantified{Vars: []Term{Variable("j", SortTemporal)}, Body: Binary{Or,
				Action{Fact: Fact{Name: "B"}, At: Variable("j", SortTemporal)},
				Action{Fact: Fact{Name: "C"}, At: Variable("j", SortTemporal)}}}},
			"A() @ #i & (All #j. B() @ #j | C() @ #j)",
		},
		{"Ex x #i. x = 'c' & #i < #j", Quantified{Exists: true, Vars: []Term{Variable("x", SortMsg), Variable("i", SortTemporal)},
			Body: Binary{And, Equal{Variable("x", SortMsg), Constant("c")}, Less{Variable("i", SortTemporal), Variable("j", SortTemporal)}}},
			"Ex x #i. x = 'c' & #i < #j"},
		{"All i j. i < j | i = j", Quantified{Vars: []Term{Variable("i", SortTemporal), Variable("j", SortTemporal)},
			Body: Binary{Or, Less{Variable("i", SortTemporal), Variable("j", SortTemporal)}, Equal{Variable("i", SortTemporal), Variable("j", SortTemporal)}}},
			"All #i #j. #i < #j | #i = #j"},
		{"last(i) & K(<x, y>) @ i", Binary{And, Last{Variable("i", SortTemporal)}, Action{Fact: Fact{Name: "K", Args: []Term{Tuple(Variable("x", SortMsg), Variable("y", SortMsg))}}, At: Variable("i", SortTemporal)}},
			"last(#i) & K(<x, y>) @ #i"},
		{"(x + y)^z = x", Equal{Apply(ExpName, Apply(UnionName, Variable("x", SortMsg), Variable("y", SortMsg)), Variable("z", SortMsg)), Variable("x", SortMsg)}, "(x + y)^z = x"},
		{"((x)) = y & (A() @ i)", Binary{And, Equal{Variable("x", SortMsg), Variable("y", SortMsg)}, a}, "x = y & A() @ #i"},
		{"T(x) @ i", Action{Fact: Fact{Name: "T", Args: []Term{Variable("x", SortMsg)}}, At: Variable("i", SortTemporal)}, "T(x) @ #i"},
	}
	for _, c := range cases {
		got := lemmaFormula(t, c.src)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s parsed as\n%#v\nwant\n%#v", c.src, got, c.want)
		}
		if s := FormulaString(got); s != c.text {
			t.Errorf("%s prints as %q, want %q", c.src, s, c.text)
		}
	}
}

func TestPreprocessor(t *testing.T) {
	src := inTheory(`
#ifdef A
rule a: [ ] --> [ ]
#ifdef B & not C
rule ab: [ ] --> [ ]
#else
rule a_not_b: [ ] --> [ ]
#endif
#else
#define D
rule not_a: [ ] --> [ ]
#endif
#ifdef D | (A & C)
rule d_or_ac: [ ] --> [ ]
#endif // trailing comment
`)
	cases := []struct {
		defines []string
		want    string
	}{
		{nil, "not_a d_or_ac"},
		{[]string{"A"}, "a a_not_b"},
		{[]string{"A", "B"}, "a ab"},
		{[]string{"A", "B", "C"}, "a a_not_b d_or_ac"},
	}
	for _, c := range cases {
		th := mustParse(t, src, c.defines...)
		var names []string
		for _, r := range th.Rules {
			names = append(names, r.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("defines %v: rules %q, want %q", c.defines, got, c.want)
		}
	}
	// Lines keep their numbers: an error after a skipped block points
	// into the file as written.
	_, err := Parse([]byte(inTheory("#ifdef X\nrule x: [ ] --> [ ]\n#endif\nrule y: [ ] --> oops")), Options{})
	if err == nil || err.Error() != "spthy:6:17: expected '[' to open the conclusions of rule y, got 'oops'" {
		t.Errorf("error after #ifdef: %v", err)
	}
}

func TestNullaryFunctions(t *testing.T) {
	th := mustParse(t, inTheory(`
functions: c/0, f/1
rule r: let x = c in [ In(f(c)) ] --[ Eq(x, c()) ]-> [ Out(<c, d>) ]
lemma l: "All #i. Eq(c, d) @ #i ==> c = d"`))
	c := Apply("c")
	r := th.Rules[0]
	if !reflect.DeepEqual(r.Lets[0].Value, c) || !reflect.DeepEqual(r.Premises[0].Args[0], Apply("f", c)) ||
		!reflect.DeepEqual(r.Actions[0].Args[1], c) || !reflect.DeepEqual(r.Conclusions[0].Args[0], Tuple(c, Variable("d", SortMsg))) {
		t.Errorf("c not resolved to the nullary function: %s", th)
	}
	if !strings.Contains(th.String(), "Out(<c, d>)") {
		t.Errorf("nullary printed with parentheses:\n%s", th)
	}
}
