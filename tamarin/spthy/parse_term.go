package spthy

// Terms, loosest binding first, as Tamarin reads them:
//
//	term  := mult ('+' mult)*      multiset union, left to right
//	mult  := exp ('*' exp)*        product of exponents
//	exp   := atom ('^' atom)*      g^a^b is (g^a)^b
//	atom  := ~x | $x | #i | x | x:sort | 'c' | f(terms) | <term, term, ...> | (term)

func (p *parser) term() Term {
	t := p.mult()
	for p.isPunct("+") {
		p.next()
		t = Apply(UnionName, t, p.mult())
	}
	return t
}

func (p *parser) mult() Term {
	t := p.exp()
	for p.isPunct("*") {
		p.next()
		t = Apply(MultName, t, p.exp())
	}
	return t
}

func (p *parser) exp() Term {
	t := p.atom()
	for p.isPunct("^") {
		p.next()
		t = Apply(ExpName, t, p.atom())
	}
	return t
}

func (p *parser) atom() Term {
	p.enter()
	defer p.leave()
	tok := p.tok
	switch tok.kind {
	case tFresh:
		p.next()
		return Variable(tok.text, SortFresh)
	case tPub:
		p.next()
		return Variable(tok.text, SortPub)
	case tTemporal:
		p.next()
		return Variable(tok.text, SortTemporal)
	case tConst:
		p.next()
		return Constant(tok.text)
	case tIdent:
		p.next()
		if p.isPunct("(") {
			p.next()
			return Apply(tok.text, p.termList(")", "after the arguments of "+tok.text)...)
		}
		v := Variable(tok.text, SortMsg)
		if p.isPunct(":") {
			p.next()
			v.Sort = p.sortName()
		}
		return v
	case tFreshConst:
		p.next()
		return Term{Kind: Const, Name: tok.text, Sort: SortFresh}
	case tNumber:
		if tok.text == "1" {
			// The neutral element of Diffie-Hellman exponents.
			p.next()
			return Apply(OneName)
		}
		p.failf(tok.pos, "a number is not a term here (constants are written 'c'), got %s", describe(tok))
	case tPunct:
		switch tok.text {
		case "<<":
			// Two tuples opening at once: <<a, b>, c>.
			p.splitDouble()
			return p.atom()
		case "<":
			p.next()
			elems := p.termList(">", "to close the tuple")
			if len(elems) < 2 {
				p.failf(tok.pos, "a tuple needs at least two elements")
			}
			return Tuple(elems...)
		case "(":
			p.next()
			t := p.term()
			p.expect(")", "to close the parenthesised term")
			return t
		}
	}
	p.failf(tok.pos, "expected a term, got %s", describe(tok))
	return Term{}
}

// splitDouble turns the current token "<<" into two "<" tokens.
func (p *parser) splitDouble() {
	second := p.tok
	second.text = "<"
	second.off++
	second.pos.Col++
	second.doc = nil
	p.back = append(p.back, second)
	p.tok.text = "<"
	p.tok.end = p.tok.off + 1
}

// sortName reads the sort after "x:".
func (p *parser) sortName() Sort {
	name, pos := p.ident("a sort (msg, fresh, pub, node or temporal)")
	switch name {
	case "msg":
		return SortMsg
	case "fresh":
		return SortFresh
	case "pub":
		return SortPub
	case "node", "temporal":
		return SortTemporal
	}
	p.failf(pos, "unknown sort '%s' (want msg, fresh, pub, node or temporal)", name)
	return 0
}

// termList reads terms separated by commas up to the closing operator,
// which it consumes. The opening bracket has been consumed.
func (p *parser) termList(close, context string) []Term {
	if p.isPunct(close) {
		p.next()
		return nil
	}
	var out []Term
	for {
		out = append(out, p.term())
		if p.isPunct(",") {
			p.next()
			continue
		}
		p.expect(close, context)
		return out
	}
}
