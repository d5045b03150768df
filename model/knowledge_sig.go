package model

import (
	"fmt"
	"sort"
	"strings"
)

// FuncSym declares a function symbol of a Signature. A public symbol can be
// applied by anyone who knows its arguments; a private one only by the
// honest parties (it models a secret table or a keyed oracle).
type FuncSym struct {
	Name    string
	Arity   int
	Private bool
}

func (f FuncSym) String() string {
	s := fmt.Sprintf("%s/%d", f.Name, f.Arity)
	if f.Private {
		s += " [private]"
	}
	return s
}

// Pattern is a term shape with variables, the language destructor rules are
// written in. Exactly one of Var and Func is set.
type Pattern struct {
	Var  string
	Func string
	Args []Pattern
}

// PVar is the pattern variable name; it matches any term.
func PVar(name string) Pattern { return Pattern{Var: name} }

// PFunc is the pattern name(args...); it matches an application of name
// whose arguments match args.
func PFunc(name string, args ...Pattern) Pattern { return Pattern{Func: name, Args: args} }

func (p Pattern) String() string {
	if p.Var != "" {
		return p.Var
	}
	parts := make([]string, len(p.Args))
	for i, a := range p.Args {
		parts[i] = a.String()
	}
	return p.Func + "(" + strings.Join(parts, ", ") + ")"
}

// Destructor is an analysis rule: whoever knows a term matching Of and can
// derive every term in Keys learns every term in Gives. Keys and Gives are
// built from Of's variables and function symbols of the signature.
//
// The engine analyses only terms a party was given or learned, never terms
// it composed itself. That is complete as long as whatever a rule gives can
// be composed with public functions from the arguments of Of (true of the
// usual constructor/destructor theories, Tamarin's among them); a rule that gives more, say a secret key out of a public key,
// would make a one-way function invertible and is not what this engine is
// for.
type Destructor struct {
	Name  string
	Of    Pattern
	Keys  []Pattern
	Gives []Pattern
}

func (d Destructor) String() string {
	var b strings.Builder
	b.WriteString(d.Name)
	b.WriteString(": ")
	b.WriteString(d.Of.String())
	if len(d.Keys) > 0 {
		b.WriteString(" with ")
		for i, k := range d.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k.String())
		}
	}
	b.WriteString(" gives ")
	for i, g := range d.Gives {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.String())
	}
	return b.String()
}

// SignatureError says what is wrong with a function declaration or a
// destructor rule.
type SignatureError struct {
	What string // "function pk/1" or "destructor sdec"
	Msg  string
}

func (e *SignatureError) Error() string { return "model: signature: " + e.What + ": " + e.Msg }

// Signature is the set of function symbols and destructor rules a
// Knowledge reasons with. It is immutable once built, so one can be shared
// freely.
//
// A function symbol used in a term but not declared is treated as public
// and one-way: anyone may apply it, nobody may invert it. That is the safe
// reading for a hash-like symbol a service invents, and keeps a trace with
// an unforeseen symbol analysable.
type Signature struct {
	funcs map[string]FuncSym
	rules []compiledRule
	byFn  map[string][]int // head symbol -> indices into rules
}

// compiledRule is a Destructor with its variables numbered, so matching
// fills a slice instead of a map.
type compiledRule struct {
	src   Destructor
	nvars int
	of    cpat
	keys  []cpat
	gives []cpat
}

// cpat is a compiled pattern: v >= 0 is a variable slot, otherwise fn(args).
type cpat struct {
	v    int
	fn   string
	args []cpat
}

// NewSignature checks and builds a signature. Every function symbol a rule
// mentions must be declared, with the arity it is used at; every variable
// in Keys or Gives must occur in Of.
func NewSignature(funcs []FuncSym, rules []Destructor) (*Signature, error) {
	s := &Signature{funcs: map[string]FuncSym{}, byFn: map[string][]int{}}
	return s.add(funcs, rules)
}

// Extend returns a new signature with s's symbols and rules plus funcs and
// rules. Redeclaring a symbol with another arity or visibility is an error.
func (s *Signature) Extend(funcs []FuncSym, rules []Destructor) (*Signature, error) {
	n := &Signature{funcs: map[string]FuncSym{}, byFn: map[string][]int{}}
	for k, v := range s.funcs {
		n.funcs[k] = v
	}
	for _, r := range s.rules {
		n.rules = append(n.rules, r)
		n.byFn[r.of.fn] = append(n.byFn[r.of.fn], len(n.rules)-1)
	}
	return n.add(funcs, rules)
}

func (s *Signature) add(funcs []FuncSym, rules []Destructor) (*Signature, error) {
	for _, f := range funcs {
		what := "function " + f.String()
		if f.Name == "" {
			return nil, &SignatureError{What: what, Msg: "empty name"}
		}
		if f.Arity < 0 {
			return nil, &SignatureError{What: what, Msg: "negative arity"}
		}
		if old, ok := s.funcs[f.Name]; ok && old != f {
			return nil, &SignatureError{What: what, Msg: "already declared as " + old.String()}
		}
		s.funcs[f.Name] = f
	}
	for _, d := range rules {
		c, err := s.compile(d)
		if err != nil {
			return nil, err
		}
		s.rules = append(s.rules, c)
		s.byFn[c.of.fn] = append(s.byFn[c.of.fn], len(s.rules)-1)
	}
	for _, r := range s.rules {
		if err := s.checkTerminates(r.src); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkTerminates rejects a rule that could make analysis run forever. A
// rule may give back parts of the term it takes apart, and new terms whose
// head symbol no rule takes apart; then the terms analysis ever opens are
// subterms of what the party was given, and there are finitely many.
func (s *Signature) checkTerminates(d Destructor) error {
	var walk func(p Pattern) error
	walk = func(p Pattern) error {
		if p.Var != "" {
			return nil
		}
		if len(s.byFn[p.Func]) > 0 && !occursIn(p, d.Of) {
			return &SignatureError{What: "destructor " + d.Name, Msg: fmt.Sprintf("gives the new term %s, which rules for %s would analyse again; analysis might not terminate", p, p.Func)}
		}
		for _, a := range p.Args {
			if err := walk(a); err != nil {
				return err
			}
		}
		return nil
	}
	for _, g := range d.Gives {
		if err := walk(g); err != nil {
			return err
		}
	}
	return nil
}

// occursIn reports whether p is a sub-pattern of q.
func occursIn(p, q Pattern) bool {
	if p.String() == q.String() {
		return true
	}
	for _, a := range q.Args {
		if occursIn(p, a) {
			return true
		}
	}
	return false
}

func (s *Signature) compile(d Destructor) (compiledRule, error) {
	what := "destructor " + d.Name
	if d.Name == "" {
		return compiledRule{}, &SignatureError{What: "destructor " + d.String(), Msg: "empty name"}
	}
	if d.Of.Var != "" || d.Of.Func == "" {
		return compiledRule{}, &SignatureError{What: what, Msg: "Of must be a function application, not a variable"}
	}
	if len(d.Gives) == 0 {
		return compiledRule{}, &SignatureError{What: what, Msg: "gives nothing"}
	}
	vars := map[string]int{}
	var walk func(p Pattern, bind bool) (cpat, error)
	walk = func(p Pattern, bind bool) (cpat, error) {
		if (p.Var == "") == (p.Func == "") {
			return cpat{}, &SignatureError{What: what, Msg: fmt.Sprintf("pattern %q must be either a variable or an application", p.String())}
		}
		if p.Var != "" {
			if len(p.Args) > 0 {
				return cpat{}, &SignatureError{What: what, Msg: "variable " + p.Var + " has arguments"}
			}
			i, ok := vars[p.Var]
			if !ok {
				if !bind {
					return cpat{}, &SignatureError{What: what, Msg: "variable " + p.Var + " does not occur in " + d.Of.String()}
				}
				i = len(vars)
				vars[p.Var] = i
			} else if bind {
				// A repeated variable would need an equality test
				// while matching; no rule here needs one.
				return cpat{}, &SignatureError{What: what, Msg: "variable " + p.Var + " occurs twice in " + d.Of.String()}
			}
			return cpat{v: i}, nil
		}
		f, ok := s.funcs[p.Func]
		if !ok {
			return cpat{}, &SignatureError{What: what, Msg: "undeclared function " + p.Func}
		}
		if f.Arity != len(p.Args) {
			return cpat{}, &SignatureError{What: what, Msg: fmt.Sprintf("%s used with %d arguments, declared %s", p.Func, len(p.Args), f)}
		}
		c := cpat{v: -1, fn: p.Func, args: make([]cpat, len(p.Args))}
		for i, a := range p.Args {
			ca, err := walk(a, bind)
			if err != nil {
				return cpat{}, err
			}
			c.args[i] = ca
		}
		return c, nil
	}
	of, err := walk(d.Of, true)
	if err != nil {
		return compiledRule{}, err
	}
	c := compiledRule{src: d, of: of}
	for _, k := range d.Keys {
		ck, err := walk(k, false)
		if err != nil {
			return compiledRule{}, err
		}
		c.keys = append(c.keys, ck)
	}
	for _, g := range d.Gives {
		cg, err := walk(g, false)
		if err != nil {
			return compiledRule{}, err
		}
		c.gives = append(c.gives, cg)
	}
	c.nvars = len(vars)
	return c, nil
}

// Lookup returns the declaration of the function symbol name.
func (s *Signature) Lookup(name string) (FuncSym, bool) {
	f, ok := s.funcs[name]
	return f, ok
}

// Funcs lists the declared function symbols by name.
func (s *Signature) Funcs() []FuncSym {
	out := make([]FuncSym, 0, len(s.funcs))
	for _, f := range s.funcs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Destructors lists the analysis rules in declaration order.
func (s *Signature) Destructors() []Destructor {
	out := make([]Destructor, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.src
	}
	return out
}

// composable reports whether anyone may apply name to arity arguments.
func (s *Signature) composable(name string, arity int) bool {
	f, ok := s.funcs[name]
	if !ok {
		return true
	}
	return !f.Private && f.Arity == arity
}

// PairSignature is the one message theory every protocol shares: pairs,
// which anyone may build and take apart (fst/snd). It is what a Knowledge
// reasons with when given no signature.
var PairSignature = mustSignature(
	[]FuncSym{{Name: "pair", Arity: 2}},
	[]Destructor{{Name: "fst/snd", Of: PFunc("pair", PVar("a"), PVar("b")), Gives: []Pattern{PVar("a"), PVar("b")}}},
)

func mustSignature(funcs []FuncSym, rules []Destructor) *Signature {
	s, err := NewSignature(funcs, rules)
	if err != nil {
		panic(err)
	}
	return s
}
