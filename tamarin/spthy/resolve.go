package spthy

// builtinNullaries are the nullary functions builtins bring, written bare.
var builtinNullaries = map[string][]string{
	"signing":           {"true"},
	"revealing-signing": {"true"},
	"xor":               {"zero"},
}

// nullaries returns the names that stand for nullary functions in th: the
// ones declared c/0 and the ones its builtins bring.
func nullaries(th *Theory) map[string]bool {
	out := map[string]bool{}
	for _, b := range th.Builtins {
		for _, n := range builtinNullaries[b] {
			out[n] = true
		}
	}
	for _, f := range th.Functions {
		if f.Arity == 0 {
			out[f.Name] = true
		}
	}
	return out
}

// resolveNullaries turns every sortless variable named like a nullary
// function into that function's application. Tamarin reads a bare name the
// same way: as the constant function if the signature has one, else as a
// variable. Bound names (let, quantifiers) are left alone.
func resolveNullaries(th *Theory) {
	names := nullaries(th)
	if len(names) == 0 {
		return
	}
	r := resolver(names)
	for i := range th.Equations {
		e := &th.Equations[i]
		e.LHS, e.RHS = r.term(e.LHS), r.term(e.RHS)
	}
	for i := range th.Rules {
		rule := &th.Rules[i]
		for j := range rule.Lets {
			rule.Lets[j].Value = r.term(rule.Lets[j].Value)
		}
		r.facts(rule.Premises)
		r.facts(rule.Actions)
		r.facts(rule.Conclusions)
	}
	for i := range th.Restrictions {
		th.Restrictions[i].Formula = r.formula(th.Restrictions[i].Formula)
	}
	for i := range th.Lemmas {
		th.Lemmas[i].Formula = r.formula(th.Lemmas[i].Formula)
	}
}

type resolver map[string]bool

func (r resolver) term(t Term) Term {
	if t.Kind == Var && t.Sort == SortMsg && r[t.Name] {
		return Apply(t.Name)
	}
	if len(t.Args) == 0 {
		return t
	}
	args := make([]Term, len(t.Args))
	for i, a := range t.Args {
		args[i] = r.term(a)
	}
	t.Args = args
	return t
}

func (r resolver) facts(fs []Fact) {
	for i := range fs {
		for j := range fs[i].Args {
			fs[i].Args[j] = r.term(fs[i].Args[j])
		}
	}
}

func (r resolver) formula(f Formula) Formula {
	switch f := f.(type) {
	case Not:
		return Not{F: r.formula(f.F)}
	case Binary:
		return Binary{Op: f.Op, L: r.formula(f.L), R: r.formula(f.R)}
	case Quantified:
		return Quantified{Exists: f.Exists, Vars: f.Vars, Body: r.formula(f.Body)}
	case Action:
		fact := f.Fact
		fact.Args = append([]Term(nil), fact.Args...)
		r.facts([]Fact{fact})
		return Action{Fact: fact, At: f.At}
	case Equal:
		return Equal{L: r.term(f.L), R: r.term(f.R)}
	case Subterm:
		return Subterm{L: r.term(f.L), R: r.term(f.R)}
	}
	return f
}
