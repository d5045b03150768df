package check

import (
	"fmt"
	"sort"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// builtinSrc is what each Tamarin builtin the checker supports brings, as
// spthy text: its functions and equations. Pairing is always there.
var builtinSrc = map[string]string{
	"":                           "functions: pair/2, fst/1, snd/1\nequations: fst(<a, b>) = a, snd(<a, b>) = b",
	"dest-pairing":               "functions: fst/1, snd/1",
	"hashing":                    "functions: h/1",
	"symmetric-encryption":       "functions: senc/2, sdec/2\nequations: sdec(senc(m, k), k) = m",
	"dest-symmetric-encryption":  "functions: senc/2, sdec/2\nequations: sdec(senc(m, k), k) = m",
	"asymmetric-encryption":      "functions: aenc/2, adec/2, pk/1\nequations: adec(aenc(m, pk(sk)), sk) = m",
	"dest-asymmetric-encryption": "functions: aenc/2, adec/2, pk/1\nequations: adec(aenc(m, pk(sk)), sk) = m",
	"signing":                    "functions: sign/2, verify/3, pk/1, true/0\nequations: verify(sign(m, sk), m, pk(sk)) = true",
	"dest-signing":               "functions: sign/2, verify/3, pk/1, true/0\nequations: verify(sign(m, sk), m, pk(sk)) = true",
	"revealing-signing": "functions: revealSign/2, revealVerify/3, getMessage/1, pk/1, true/0\n" +
		"equations: revealVerify(revealSign(m, sk), m, pk(sk)) = true, getMessage(revealSign(m, sk)) = m",
}

// builtinWhyNot says why a builtin the checker does not support is out of
// reach: its equations are not subterm-convergent destructor rules.
var builtinWhyNot = map[string]string{
	"diffie-hellman":    "exponentiation is an equational theory (AC), not destructor rules",
	"bilinear-pairing":  "the pairing equations are not destructor rules",
	"xor":               "xor is an AC theory, not destructor rules",
	"multiset":          "multiset union is an AC theory, not destructor rules",
	"natural-numbers":   "natural numbers are an AC theory, not destructor rules",
	"locations-report":  "report/check_rep is not supported",
	"reliable-channel":  "reliable channels are a SAPIC feature",
	"dest-xor":          "xor is an AC theory, not destructor rules",
	"dest-pairing-only": "not supported",
}

// SignatureError says why a theory's message theory cannot be used by the
// checker.
type SignatureError struct {
	Theory string
	What   string // "builtin xor", "equation dec(enc(m, k), k) = m"
	Msg    string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("check: theory %s: %s: %s", e.Theory, e.What, e.Msg)
}

// sigInfo is a theory's message theory in the checker's two forms: a
// model.Signature for Dolev–Yao deduction, and a rewriter that normalises
// terms built by rules (which may apply destructors).
type sigInfo struct {
	sig   *model.Signature
	rw    *rewriter
	funcs map[string]spthy.Function
}

// NewSignature builds the model.Signature of th for Dolev–Yao deduction:
// every function of th and of its builtins as a model.FuncSym ([private]
// ones private), and every equation of the destructor form
//
//	d(c(p...), k1, ..., kn) = m
//
// — m a variable or subterm of c(p...), the ki built from its variables —
// as a model.Destructor: whoever knows c(p...) and the ki learns m. So
// sdec(senc(m, k), k) = m becomes "senc(m, k) with k gives m". Equations
// whose right-hand side is a constant (signature verification) teach
// nothing and are skipped. Anything else is an error naming the equation.
func NewSignature(th *spthy.Theory) (*model.Signature, error) {
	si, err := signatureOf(th)
	if err != nil {
		return nil, err
	}
	return si.sig, nil
}

func signatureOf(th *spthy.Theory) (*sigInfo, error) {
	funcs := map[string]spthy.Function{}
	var eqs []spthy.Equation
	addFrom := func(src *spthy.Theory) {
		for _, f := range src.Functions {
			funcs[f.Name] = f
		}
		eqs = append(eqs, src.Equations...)
	}
	builtins := append([]string{""}, th.Builtins...)
	for _, b := range builtins {
		src, ok := builtinSrc[b]
		if !ok {
			why := builtinWhyNot[b]
			if why == "" {
				why = "unknown builtin"
			}
			return nil, &SignatureError{Theory: th.Name, What: "builtin " + b, Msg: why}
		}
		bt, err := spthy.Parse([]byte("theory B begin\n"+src+"\nend\n"), spthy.Options{File: "builtin " + b})
		if err != nil {
			panic(err) // the table above is ours
		}
		addFrom(bt)
	}
	addFrom(th)

	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	var syms []model.FuncSym
	for _, n := range names {
		f := funcs[n]
		syms = append(syms, model.FuncSym{Name: f.Name, Arity: f.Arity, Private: f.Private})
	}
	var rules []model.Destructor
	rw := newRewriter()
	seen := map[string]bool{}
	for _, eq := range eqs {
		text := spthy.FormulaString(spthy.Equal{L: eq.LHS, R: eq.RHS})
		if seen[text] {
			continue
		}
		seen[text] = true
		d, skip, msg := destructorOf(eq)
		if msg != "" {
			return nil, &SignatureError{Theory: th.Name, What: "equation " + text, Msg: msg}
		}
		if err := rw.add(eq); err != nil {
			return nil, &SignatureError{Theory: th.Name, What: "equation " + text, Msg: err.Error()}
		}
		if !skip {
			d.Name = text
			rules = append(rules, d)
		}
	}
	sig, err := model.NewSignature(syms, rules)
	if err != nil {
		return nil, &SignatureError{Theory: th.Name, What: "signature", Msg: err.Error()}
	}
	return &sigInfo{sig: sig, rw: rw, funcs: funcs}, nil
}

const destrForm = "only destructor equations d(c(...), k...) = m are supported, with m a variable or subterm of c(...) and the k built from its variables"

// destructorOf maps one equation to a destructor rule. skip is true when
// the equation teaches an adversary nothing (a constant right-hand side).
func destructorOf(eq spthy.Equation) (d model.Destructor, skip bool, msg string) {
	lhs := eq.LHS
	if lhs.Kind != spthy.App || len(lhs.Args) == 0 {
		return d, false, "the left-hand side is not a destructor application; " + destrForm
	}
	rhsVars := varsOf(eq.RHS)
	if len(rhsVars) == 0 {
		return d, true, ""
	}
	for i, a := range lhs.Args {
		if a.Kind != spthy.App || a.Name == lhs.Name {
			continue
		}
		have := varsOf(a)
		ok := subset(rhsVars, have) && (eq.RHS.Kind == spthy.Var || occurs(eq.RHS, a))
		for j, k := range lhs.Args {
			if j != i && !subset(varsOf(k), have) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		of, err := toPattern(a)
		if err != "" {
			return d, false, err
		}
		d.Of = of
		for j, k := range lhs.Args {
			if j == i {
				continue
			}
			kp, err := toPattern(k)
			if err != "" {
				return d, false, err
			}
			d.Keys = append(d.Keys, kp)
		}
		g, err := toPattern(eq.RHS)
		if err != "" {
			return d, false, err
		}
		d.Gives = []model.Pattern{g}
		return d, false, ""
	}
	return d, false, destrForm
}

func toPattern(t spthy.Term) (model.Pattern, string) {
	switch t.Kind {
	case spthy.Var:
		return model.PVar(varName(t.Name, t.Sort)), ""
	case spthy.App:
		var args []model.Pattern
		for _, a := range t.Args {
			p, err := toPattern(a)
			if err != "" {
				return p, err
			}
			args = append(args, p)
		}
		return model.PFunc(t.Name, args...), ""
	}
	return model.Pattern{}, "constant " + t.String() + " in a destructor pattern; " + destrForm
}

func varsOf(t spthy.Term) map[string]bool {
	out := map[string]bool{}
	var walk func(t spthy.Term)
	walk = func(t spthy.Term) {
		if t.Kind == spthy.Var {
			out[varName(t.Name, t.Sort)] = true
		}
		for _, a := range t.Args {
			walk(a)
		}
	}
	walk(t)
	return out
}

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func occurs(t, in spthy.Term) bool {
	if t.String() == in.String() {
		return true
	}
	for _, a := range in.Args {
		if occurs(t, a) {
			return true
		}
	}
	return false
}

// rewriter normalises ground terms with the theory's equations read left
// to right (they are subterm-convergent, so this terminates).
type rewriter struct {
	rules map[string][]rwRule // head symbol -> rules
	ts    *terms
	memo  map[tid]tid
}

type rwRule struct {
	lhs, rhs pat
	nvars    int
}

func newRewriter() *rewriter { return &rewriter{rules: map[string][]rwRule{}} }

func (rw *rewriter) add(eq spthy.Equation) error {
	sc := newScope()
	lhs, err := compile(eq.LHS, sc, nil)
	if err != nil {
		return err
	}
	rhs, err := compile(eq.RHS, sc, nil)
	if err != nil {
		return err
	}
	if lhs.kind != pApp {
		return fmt.Errorf("left-hand side is not an application")
	}
	for _, v := range rhs.vars {
		found := false
		for _, w := range lhs.vars {
			found = found || v == w
		}
		if !found {
			return fmt.Errorf("variable %s of the right-hand side is not on the left", sc.names[v])
		}
	}
	rw.rules[lhs.name] = append(rw.rules[lhs.name], rwRule{lhs: lhs, rhs: rhs, nvars: len(sc.names)})
	return nil
}

// destructors returns the symbols the rewriter reduces.
func (rw *rewriter) destructors() map[string]bool {
	out := map[string]bool{}
	for n := range rw.rules {
		out[n] = true
	}
	return out
}

func (rw *rewriter) bindTerms(ts *terms) {
	rw.ts = ts
	rw.memo = map[tid]tid{}
}

// normalize returns the normal form of id.
func (rw *rewriter) normalize(id tid) tid {
	if v, ok := rw.memo[id]; ok {
		return v
	}
	ts := rw.ts
	n := ts.nodes[id]
	out := id
	if n.kind == model.Func {
		args := make([]tid, len(n.args))
		changed := false
		for i, a := range n.args {
			args[i] = rw.normalize(a)
			changed = changed || args[i] != a
		}
		if changed {
			out = ts.intern(model.Func, n.name, "", args)
		}
		for _, r := range rw.rules[n.name] {
			e := newEnv(r.nvars)
			if ts.match(&r.lhs, out, e, nil) {
				v, ok := ts.inst(&r.rhs, e, nil)
				if ok {
					out = rw.normalize(v)
					break
				}
			}
		}
	}
	rw.memo[id] = out
	return out
}
