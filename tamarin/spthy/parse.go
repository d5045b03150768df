package spthy

import (
	"strconv"
	"strings"
)

// Options control Parse.
type Options struct {
	// File names the source in errors; "spthy" if empty.
	File string
	// Defines are the flags #ifdef tests, as tamarin-prover -D sets them.
	Defines []string
}

// maxDepth bounds the nesting of terms and formulas, so that a hostile
// input cannot exhaust the stack.
const maxDepth = 256

// Parse reads a theory. The error, if any, is a *SyntaxError.
func Parse(src []byte, opts Options) (th *Theory, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			th, err = nil, b.err
		}
	}()
	defined := map[string]bool{}
	for _, d := range opts.Defines {
		defined[d] = true
	}
	text := preprocess(opts.File, src, defined)
	p := &parser{file: opts.File, lx: newLexer(opts.File, text)}
	p.tok = p.lx.next()
	th = p.theory()
	th.File = opts.File
	resolveNullaries(th)
	return th, nil
}

type parser struct {
	file    string
	lx      *lexer
	tok     token   // the current token, not yet consumed
	back    []token // tokens read ahead or split off, next on top
	prevEnd int     // end offset of the last consumed token
	depth   int
}

func (p *parser) next() {
	p.prevEnd = p.tok.end
	if n := len(p.back); n > 0 {
		p.tok = p.back[n-1]
		p.back = p.back[:n-1]
		return
	}
	p.tok = p.lx.next()
}

// peek returns the token after the current one without consuming anything.
func (p *parser) peek() token {
	if len(p.back) == 0 {
		p.back = append(p.back, p.lx.next())
	}
	return p.back[len(p.back)-1]
}

func (p *parser) failf(pos Pos, format string, args ...any) {
	fail(p.file, pos, format, args...)
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *parser) isWord(s string) bool { return p.tok.kind == tIdent && p.tok.text == s }

// expect consumes the operator s or fails with "expected 's' context, got X".
func (p *parser) expect(s, context string) {
	if !p.isPunct(s) {
		p.failf(p.tok.pos, "expected '%s' %s, got %s", s, context, describe(p.tok))
	}
	p.next()
}

func (p *parser) ident(what string) (string, Pos) {
	if p.tok.kind != tIdent {
		p.failf(p.tok.pos, "expected %s, got %s", what, describe(p.tok))
	}
	name, pos := p.tok.text, p.tok.pos
	p.next()
	return name, pos
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failf(p.tok.pos, "nesting deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tFresh:
		return "'~" + t.text + "'"
	case tPub:
		return "'$" + t.text + "'"
	case tTemporal:
		return "'#" + t.text + "'"
	case tConst:
		return "constant '" + t.text + "'"
	case tFreshConst:
		return "constant ~'" + t.text + "'"
	}
	return "'" + t.text + "'"
}

// unsupported are item keywords of Tamarin outside edgelab's subset.
var unsupported = map[string]bool{
	"predicates": true, "predicate": true, "options": true, "macros": true, "process": true,
	"let": true, "export": true, "configuration": true, "diffLemma": true, "equivLemma": true,
	"diffEquivLemma": true, "test": true,
}

func (p *parser) theory() *Theory {
	if !p.isWord("theory") {
		p.failf(p.tok.pos, "expected 'theory', got %s", describe(p.tok))
	}
	p.next()
	name, _ := p.ident("a theory name")
	if !p.isWord("begin") {
		p.failf(p.tok.pos, "expected 'begin' after theory name, got %s", describe(p.tok))
	}
	p.next()
	th := &Theory{Name: name}
	for {
		switch {
		case p.tok.kind == tEOF:
			p.failf(p.tok.pos, "expected 'end' to close theory %s, got end of input", name)
		case p.isWord("end"):
			p.next()
			if p.tok.kind != tEOF {
				p.failf(p.tok.pos, "unexpected %s after 'end'", describe(p.tok))
			}
			return th
		case p.isWord("builtins"):
			p.builtins(th)
		case p.isWord("functions"):
			p.functions(th)
		case p.isWord("equations"):
			p.equations(th)
		case p.isWord("rule"):
			th.Rules = append(th.Rules, p.rule())
		case p.isWord("restriction"), p.isWord("axiom"):
			th.Restrictions = append(th.Restrictions, p.restriction())
		case p.isWord("lemma"):
			th.Lemmas = append(th.Lemmas, p.lemma())
		case p.isWord("heuristic"), p.isWord("tactic"):
			// Prover guidance, not theory: skipped, lines and all.
			p.back = nil // the skip restarts the lexer at this token
			p.lx.skipToItem(p.tok.off, p.tok.pos)
			p.tok = p.lx.next()
		case p.tok.kind == tIdent && unsupported[p.tok.text]:
			p.failf(p.tok.pos, "'%s' is not supported by this parser", p.tok.text)
		default:
			p.failf(p.tok.pos, "expected a rule, lemma, restriction or declaration, got %s", describe(p.tok))
		}
	}
}

// knownBuiltins are Tamarin's builtin theories.
var knownBuiltins = map[string]bool{
	"diffie-hellman": true, "hashing": true, "symmetric-encryption": true,
	"asymmetric-encryption": true, "signing": true, "revealing-signing": true,
	"bilinear-pairing": true, "xor": true, "multiset": true, "natural-numbers": true,
	"reliable-channel": true, "locations-report": true, "dest-pairing": true,
	"dest-symmetric-encryption": true, "dest-asymmetric-encryption": true, "dest-signing": true,
}

func (p *parser) builtins(th *Theory) {
	p.next()
	p.expect(":", "after 'builtins'")
	for {
		name, pos := p.hyphenated("a builtin name")
		if !knownBuiltins[name] {
			p.failf(pos, "unknown builtin '%s'", name)
		}
		th.Builtins = append(th.Builtins, name)
		if !p.isPunct(",") {
			return
		}
		p.next()
	}
}

// hyphenated reads a name written with hyphens, like diffie-hellman or
// exists-trace: identifiers joined by '-' with no blanks between.
func (p *parser) hyphenated(what string) (string, Pos) {
	if p.tok.kind != tIdent {
		p.failf(p.tok.pos, "expected %s, got %s", what, describe(p.tok))
	}
	var b strings.Builder
	pos := p.tok.pos
	b.WriteString(p.tok.text)
	p.next()
	for p.isPunct("-") && p.tok.off == p.prevEnd {
		p.next()
		if p.tok.kind != tIdent || p.tok.off != p.prevEnd {
			p.failf(p.tok.pos, "expected the rest of %s after '-', got %s", what, describe(p.tok))
		}
		b.WriteByte('-')
		b.WriteString(p.tok.text)
		p.next()
	}
	return b.String(), pos
}

func (p *parser) functions(th *Theory) {
	p.next()
	p.expect(":", "after 'functions'")
	for {
		name, pos := p.ident("a function name")
		if p.isPunct("(") {
			p.failf(p.tok.pos, "typed function declarations are not supported; write %s/arity", name)
		}
		p.expect("/", "after function name "+name)
		if p.tok.kind != tNumber {
			p.failf(p.tok.pos, "expected the arity of %s, got %s", name, describe(p.tok))
		}
		arity, err := strconv.Atoi(p.tok.text)
		if err != nil || arity > 1<<16 {
			p.failf(p.tok.pos, "arity %s of %s is too large", p.tok.text, name)
		}
		p.next()
		f := Function{Name: name, Arity: arity, Pos: pos}
		if p.isPunct("[") {
			p.next()
			for {
				attr, apos := p.ident("a function attribute")
				switch attr {
				case "private":
					f.Private = true
				case "destructor":
					f.Destructor = true
				default:
					p.failf(apos, "unknown function attribute '%s' (want private or destructor)", attr)
				}
				if p.isPunct("]") {
					p.next()
					break
				}
				p.expect(",", "between function attributes")
			}
		}
		th.Functions = append(th.Functions, f)
		if !p.isPunct(",") {
			return
		}
		p.next()
	}
}

func (p *parser) equations(th *Theory) {
	p.next()
	p.expect(":", "after 'equations'")
	for {
		pos := p.tok.pos
		lhs := p.term()
		p.expect("=", "in equation")
		rhs := p.term()
		th.Equations = append(th.Equations, Equation{LHS: lhs, RHS: rhs, Pos: pos})
		if !p.isPunct(",") {
			return
		}
		p.next()
	}
}

// attrs reads [key, key=value, ...]. Values are raw source text.
func (p *parser) attrs() []Attr {
	p.next() // '['
	var out []Attr
	if p.isPunct("]") {
		p.next()
		return nil
	}
	for {
		key, _ := p.ident("an attribute name")
		a := Attr{Key: key}
		if p.isPunct("=") {
			// Read the value as text from just after '='; any token
			// already read ahead is read again.
			p.back = nil
			a.Value = p.lx.rawAttrValue(p.tok.end, Pos{Line: p.tok.pos.Line, Col: p.tok.pos.Col + 1})
			p.prevEnd = p.lx.off
			p.tok = p.lx.next()
		}
		out = append(out, a)
		if p.isPunct("]") {
			p.next()
			return out
		}
		p.expect(",", "or ']' in attribute list")
	}
}

func (p *parser) rule() Rule {
	r := Rule{Pos: p.tok.pos, Doc: strings.Join(p.tok.doc, "\n")}
	p.next()
	r.Name, _ = p.ident("a rule name")
	if p.isPunct("[") {
		// Attribute keys are lower-case words; a fact or an empty list
		// means the premises came where the ':' should be.
		if next := p.peek(); next.kind == tPunct && (next.text == "!" || next.text == "]") || next.kind == tIdent && isUpper(next.text) {
			p.failf(p.tok.pos, "expected ':' after rule name %s, got '['", r.Name)
		}
		r.Attrs = p.attrs()
	}
	p.expect(":", "after rule name "+r.Name)
	if p.isWord("let") {
		r.Lets = p.lets()
	}
	p.expect("[", "to open the premises of rule "+r.Name)
	r.Premises = p.facts()
	switch {
	case p.isPunct("-->"):
		p.next()
	case p.isPunct("--["):
		p.next()
		r.Actions = p.facts()
		p.expect("->", "after the action facts (write ']->')")
	default:
		p.failf(p.tok.pos, "expected '-->' or '--[' after the premises of rule %s, got %s", r.Name, describe(p.tok))
	}
	p.expect("[", "to open the conclusions of rule "+r.Name)
	r.Conclusions = p.facts()
	return r
}

func (p *parser) lets() []Let {
	pos := p.tok.pos
	p.next() // let
	var out []Let
	for !p.isWord("in") {
		switch p.tok.kind {
		case tEOF:
			p.failf(pos, "let block without 'in'")
		case tIdent, tFresh, tPub:
		default:
			p.failf(p.tok.pos, "expected a variable or 'in' in the let block, got %s", describe(p.tok))
		}
		vpos := p.tok.pos
		v := p.term()
		if v.Kind != Var {
			p.failf(vpos, "expected a variable on the left of '=' in let, got %s", v)
		}
		p.expect("=", "after "+v.String()+" in let")
		out = append(out, Let{Var: v, Value: p.term()})
	}
	if len(out) == 0 {
		p.failf(pos, "empty let block")
	}
	p.next() // in
	return out
}

// facts reads the facts of a list whose '[' has been consumed, and its ']'.
func (p *parser) facts() []Fact {
	if p.isPunct("]") {
		p.next()
		return nil
	}
	var out []Fact
	for {
		out = append(out, p.fact())
		if p.isPunct(",") {
			p.next()
			continue
		}
		p.expect("]", "after fact list")
		return out
	}
}

func (p *parser) fact() Fact {
	f := Fact{Pos: p.tok.pos}
	if p.isPunct("!") {
		f.Persistent = true
		p.next()
	}
	if p.tok.kind != tIdent {
		p.failf(p.tok.pos, "expected a fact, got %s", describe(p.tok))
	}
	f.Name = p.tok.text
	if !isUpper(f.Name) {
		p.failf(p.tok.pos, "fact name '%s' must start with an upper-case letter", f.Name)
	}
	p.next()
	p.expect("(", "after fact name "+f.Name)
	f.Args = p.termList(")", "after the arguments of "+f.Name)
	if p.isPunct("[") {
		p.next()
		for {
			switch {
			case p.isPunct("+"), p.isPunct("-"):
				f.Annotations = append(f.Annotations, p.tok.text)
				p.next()
			case p.isWord("no_precomp"):
				f.Annotations = append(f.Annotations, p.tok.text)
				p.next()
			default:
				p.failf(p.tok.pos, "expected a fact annotation (+, - or no_precomp), got %s", describe(p.tok))
			}
			if p.isPunct("]") {
				p.next()
				break
			}
			p.expect(",", "between fact annotations")
		}
	}
	return f
}

func isUpper(name string) bool { return name != "" && 'A' <= name[0] && name[0] <= 'Z' }

func (p *parser) restriction() Restriction {
	r := Restriction{Pos: p.tok.pos, Doc: strings.Join(p.tok.doc, "\n")}
	p.next()
	r.Name, _ = p.ident("a restriction name")
	p.expect(":", "after restriction name "+r.Name)
	r.Formula = p.quotedFormula()
	return r
}

func (p *parser) lemma() Lemma {
	l := Lemma{Pos: p.tok.pos, Doc: strings.Join(p.tok.doc, "\n"), Traces: AllTraces}
	p.next()
	l.Name, _ = p.ident("a lemma name")
	if p.isPunct("[") {
		l.Attrs = p.attrs()
	}
	p.expect(":", "after lemma name "+l.Name)
	if p.isWord("all") || p.isWord("exists") {
		q, pos := p.hyphenated("a trace quantifier")
		switch q {
		case "all-traces":
			l.Traces = AllTraces
		case "exists-trace":
			l.Traces = ExistsTrace
		default:
			p.failf(pos, "expected all-traces or exists-trace, got '%s'", q)
		}
	}
	l.Formula = p.quotedFormula()
	return l
}

func (p *parser) quotedFormula() Formula {
	if p.tok.kind != tQuote {
		p.failf(p.tok.pos, "expected '\"' to open the formula, got %s", describe(p.tok))
	}
	p.next()
	f := p.formula()
	if p.tok.kind != tQuote {
		p.failf(p.tok.pos, "expected '\"' to close the formula, got %s", describe(p.tok))
	}
	p.next()
	return f
}
