package spthy

// Formulas, loosest binding first:
//
//	formula := imp ('<=>' imp)?
//	imp     := disj ('==>' imp)?            right-associative
//	disj    := conj ('|' conj)*
//	conj    := unary ('&' unary)*
//	unary   := 'not' unary | ('All'|'Ex') vars '.' formula | atom
//	atom    := T | F | (formula) | last(t) | Fact(ts) @ t
//	         | t = t | t < t | t << t
//
// A quantifier's body reaches as far right as it can, as in Tamarin.

func (p *parser) formula() Formula {
	p.enter()
	defer p.leave()
	l := p.implication()
	if p.isPunct("<=>") {
		p.next()
		return Binary{Op: Iff, L: l, R: p.implication()}
	}
	return l
}

func (p *parser) implication() Formula {
	l := p.disjunction()
	if p.isPunct("==>") {
		p.next()
		p.enter()
		defer p.leave()
		return Binary{Op: Implies, L: l, R: p.implication()}
	}
	return l
}

func (p *parser) disjunction() Formula {
	l := p.conjunction()
	for p.isPunct("|") {
		p.next()
		l = Binary{Op: Or, L: l, R: p.conjunction()}
	}
	return l
}

func (p *parser) conjunction() Formula {
	l := p.unary()
	for p.isPunct("&") {
		p.next()
		l = Binary{Op: And, L: l, R: p.unary()}
	}
	return l
}

func (p *parser) unary() Formula {
	p.enter()
	defer p.leave()
	switch {
	case p.isWord("not"):
		p.next()
		return Not{F: p.unary()}
	case p.isWord("All"), p.isWord("Ex"):
		return p.quantified()
	}
	return p.formulaAtom()
}

func (p *parser) quantified() Formula {
	q := Quantified{Exists: p.tok.text == "Ex"}
	word := p.tok.text
	p.next()
	for !p.isPunct(".") {
		q.Vars = append(q.Vars, p.quantVar(word))
	}
	if len(q.Vars) == 0 {
		p.failf(p.tok.pos, "expected variables after '%s'", word)
	}
	p.next()
	q.Body = p.formula()
	retypeTimepoints(&q)
	return q
}

func (p *parser) quantVar(word string) Term {
	tok := p.tok
	switch tok.kind {
	case tFresh, tPub, tTemporal, tIdent:
		t := p.atom()
		if t.Kind == Var {
			return t
		}
	}
	p.failf(tok.pos, "expected a variable or '.' after '%s', got %s", word, describe(tok))
	return Term{}
}

func (p *parser) formulaAtom() Formula {
	tok := p.tok
	switch {
	case p.isPunct("("):
		return p.parenthesised()
	case (p.isWord("T") || p.isWord("F")) && !p.peekIs("("):
		p.next()
		return Bool{Value: tok.text == "T"}
	case p.isWord("last") && p.peekIs("("):
		p.next()
		p.next()
		at := p.timepoint("in last(...)")
		p.expect(")", "to close last(...)")
		return Last{At: at}
	case tok.kind == tQuote:
		p.failf(tok.pos, "expected a formula, got %s", describe(tok))
	case tok.kind == tPunct && tok.text != "<" && tok.text != "<<":
		p.failf(tok.pos, "expected a formula, got %s", describe(tok))
	}
	return p.relation()
}

// parenthesised reads "(" at the start of an atom: a parenthesised
// formula, or else a term that begins with one, as in (a + b)^c = d. If
// neither reading works, the formula's error is the one reported.
func (p *parser) parenthesised() Formula {
	st := p.save()
	f, err := p.attempt(func() Formula {
		p.next()
		f := p.formula()
		p.expect(")", "to close the parenthesised formula")
		return f
	})
	if err == nil {
		return f
	}
	p.restore(st)
	if g, err2 := p.attempt(p.relation); err2 == nil {
		return g
	}
	panic(bailout{err})
}

// relation reads an atom that starts with a term.
func (p *parser) relation() Formula {
	tok := p.tok
	lhs := p.term()
	switch {
	case p.isPunct("@"):
		p.next()
		if lhs.Kind != App || !isUpper(lhs.Name) {
			p.failf(tok.pos, "expected an action fact before '@', got %s", lhs)
		}
		at := p.timepoint("after '@'")
		return Action{Fact: Fact{Name: lhs.Name, Args: lhs.Args, Pos: tok.pos}, At: at}
	case p.isPunct("="):
		p.next()
		return Equal{L: lhs, R: p.term()}
	case p.isPunct("<"):
		p.next()
		l := asTimepoint(p, lhs, tok.pos, "before '<'")
		rpos := p.tok.pos
		return Less{L: l, R: asTimepoint(p, p.term(), rpos, "after '<'")}
	case p.isPunct("<<"):
		p.next()
		return Subterm{L: lhs, R: p.term()}
	}
	p.failf(p.tok.pos, "expected '@', '=', '<' or '<<' after %s, got %s", lhs, describe(p.tok))
	return nil
}

// parserState is what save and restore need to backtrack.
type parserState struct {
	off, line, col, lastLine int
	tok                      token
	back                     []token
	prevEnd, depth           int
}

func (p *parser) save() parserState {
	return parserState{
		off: p.lx.off, line: p.lx.line, col: p.lx.col, lastLine: p.lx.lastLine,
		tok: p.tok, back: append([]token(nil), p.back...), prevEnd: p.prevEnd, depth: p.depth,
	}
}

func (p *parser) restore(s parserState) {
	p.lx.off, p.lx.line, p.lx.col, p.lx.lastLine = s.off, s.line, s.col, s.lastLine
	p.tok, p.back, p.prevEnd, p.depth = s.tok, s.back, s.prevEnd, s.depth
}

// attempt runs parse and returns its syntax error instead of raising it.
func (p *parser) attempt(parse func() Formula) (f Formula, err *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			f, err = nil, b.err
		}
	}()
	return parse(), nil
}

func (p *parser) peekIs(op string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == op
}

// timepoint reads a time point: #i, or i (which then is one).
func (p *parser) timepoint(context string) Term {
	pos := p.tok.pos
	return asTimepoint(p, p.atom(), pos, context)
}

func asTimepoint(p *parser, t Term, pos Pos, context string) Term {
	if t.Kind != Var || (t.Sort != SortMsg && t.Sort != SortTemporal) {
		p.failf(pos, "expected a time point variable %s, got %s", context, t)
	}
	t.Sort = SortTemporal
	return t
}

// retypeTimepoints makes a variable bound without a sort (All i.) temporal
// when the body uses it as a time point (F() @ i), and with it every
// sortless use of the same name in the body — as Tamarin infers.
func retypeTimepoints(q *Quantified) {
	for i, v := range q.Vars {
		if v.Sort == SortMsg && usesTimepoint(q.Body, v.Name) {
			q.Vars[i].Sort = SortTemporal
			q.Body = retypeFormula(q.Body, v.Name)
		}
	}
}

func usesTimepoint(f Formula, name string) bool {
	switch f := f.(type) {
	case Not:
		return usesTimepoint(f.F, name)
	case Binary:
		return usesTimepoint(f.L, name) || usesTimepoint(f.R, name)
	case Quantified:
		if binds(f, name) {
			return false
		}
		return usesTimepoint(f.Body, name)
	case Action:
		return f.At.Name == name
	case Less:
		return f.L.Name == name || f.R.Name == name
	case Last:
		return f.At.Name == name
	}
	return false
}

func binds(q Quantified, name string) bool {
	for _, v := range q.Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}

func retypeFormula(f Formula, name string) Formula {
	switch f := f.(type) {
	case Not:
		return Not{F: retypeFormula(f.F, name)}
	case Binary:
		return Binary{Op: f.Op, L: retypeFormula(f.L, name), R: retypeFormula(f.R, name)}
	case Quantified:
		if binds(f, name) {
			return f
		}
		return Quantified{Exists: f.Exists, Vars: f.Vars, Body: retypeFormula(f.Body, name)}
	case Equal:
		return Equal{L: retypeVar(f.L, name), R: retypeVar(f.R, name)}
	}
	return f
}

// retypeVar retypes a sortless variable standing alone; a name inside a
// message (F(i)) stays a message.
func retypeVar(t Term, name string) Term {
	if t.Kind == Var && t.Sort == SortMsg && t.Name == name {
		t.Sort = SortTemporal
	}
	return t
}
