package spthy

import (
	"io"
	"strconv"
	"strings"
)

// printer writes spthy text. nullary holds the names that, applied to
// nothing, are written bare (true rather than true()): the theory's
// nullary functions, which Parse resolves back from variables.
type printer struct {
	strings.Builder
	nullary map[string]bool
}

// Print writes th as spthy text. Parse reads the text back as a Theory
// equal to th up to positions — provided th came from Parse, or was built
// with names that are identifiers. Comments other than the docs of rules,
// restrictions and lemmas, and heuristic and tactic sections, are not kept.
func Print(w io.Writer, th *Theory) error {
	_, err := io.WriteString(w, th.String())
	return err
}

// String returns th as spthy text; see Print.
func (th *Theory) String() string {
	b := &printer{nullary: nullaries(th)}
	b.WriteString("theory ")
	b.WriteString(th.Name)
	b.WriteString("\nbegin\n")
	if len(th.Builtins) > 0 {
		b.WriteString("\nbuiltins: ")
		b.WriteString(strings.Join(th.Builtins, ", "))
		b.WriteString("\n")
	}
	if len(th.Functions) > 0 {
		b.WriteString("\nfunctions: ")
		for i, f := range th.Functions {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.String())
		}
		b.WriteString("\n")
	}
	if len(th.Equations) > 0 {
		b.WriteString("\nequations:\n")
		for i, e := range th.Equations {
			b.WriteString("  ")
			b.writeTerm(e.LHS, 0)
			b.WriteString(" = ")
			b.writeTerm(e.RHS, 0)
			if i < len(th.Equations)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
	}
	for _, r := range th.Rules {
		b.WriteString("\n")
		b.writeRule(r)
	}
	for _, r := range th.Restrictions {
		b.WriteString("\n")
		b.writeDoc(r.Doc)
		b.WriteString("restriction ")
		b.WriteString(r.Name)
		b.WriteString(":\n  \"")
		b.writeFormula(r.Formula, 0)
		b.WriteString("\"\n")
	}
	for _, l := range th.Lemmas {
		b.WriteString("\n")
		b.writeDoc(l.Doc)
		b.WriteString("lemma ")
		b.WriteString(l.Name)
		if len(l.Attrs) > 0 {
			b.WriteString(" ")
			b.writeAttrs(l.Attrs)
		}
		b.WriteString(":\n  ")
		traces := l.Traces
		if traces != ExistsTrace {
			traces = AllTraces
		}
		b.WriteString(traces.String())
		b.WriteString("\n  \"")
		b.writeFormula(l.Formula, 0)
		b.WriteString("\"\n")
	}
	b.WriteString("\nend\n")
	return b.String()
}

func (f Function) String() string {
	s := f.Name + "/" + strconv.Itoa(f.Arity)
	switch {
	case f.Private && f.Destructor:
		s += " [private, destructor]"
	case f.Private:
		s += " [private]"
	case f.Destructor:
		s += " [destructor]"
	}
	return s
}

func (b *printer) writeDoc(doc string) {
	if doc == "" {
		return
	}
	for _, line := range strings.Split(doc, "\n") {
		b.WriteString("//")
		if line != "" {
			b.WriteString(" ")
			b.WriteString(line)
		}
		b.WriteString("\n")
	}
}

func (b *printer) writeAttrs(attrs []Attr) {
	b.WriteString("[")
	for i, a := range attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Key)
		if a.Value != "" {
			b.WriteString("=")
			b.WriteString(a.Value)
		}
	}
	b.WriteString("]")
}

func (b *printer) writeRule(r Rule) {
	b.writeDoc(r.Doc)
	b.WriteString("rule ")
	b.WriteString(r.Name)
	if len(r.Attrs) > 0 {
		b.writeAttrs(r.Attrs)
	}
	b.WriteString(":\n")
	if len(r.Lets) > 0 {
		b.WriteString("  let\n")
		for _, l := range r.Lets {
			b.WriteString("    ")
			b.writeTerm(l.Var, 0)
			b.WriteString(" = ")
			b.writeTerm(l.Value, 0)
			b.WriteString("\n")
		}
		b.WriteString("  in\n")
	}
	b.WriteString("  ")
	b.writeFacts(r.Premises)
	if len(r.Actions) == 0 {
		b.WriteString("\n  -->\n  ")
	} else {
		b.WriteString("\n  --")
		b.writeFacts(r.Actions)
		b.WriteString("->\n  ")
	}
	b.writeFacts(r.Conclusions)
	b.WriteString("\n")
}

func (b *printer) writeFacts(fs []Fact) {
	if len(fs) == 0 {
		b.WriteString("[ ]")
		return
	}
	b.WriteString("[ ")
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.writeFact(f)
	}
	b.WriteString(" ]")
}

// String renders f as in a rule: !F(t1, t2)[+].
func (f Fact) String() string {
	b := &printer{}
	b.writeFact(f)
	return b.String()
}

func (b *printer) writeFact(f Fact) {
	if f.Persistent {
		b.WriteString("!")
	}
	b.WriteString(f.Name)
	b.WriteString("(")
	b.writeTerms(f.Args)
	b.WriteString(")")
	if len(f.Annotations) > 0 {
		b.WriteString("[")
		b.WriteString(strings.Join(f.Annotations, ", "))
		b.WriteString("]")
	}
}

func (b *printer) writeTerms(ts []Term) {
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.writeTerm(t, 0)
	}
}

// String renders t in spthy syntax.
func (t Term) String() string {
	b := &printer{}
	b.writeTerm(t, 0)
	return b.String()
}

// Binding strength of the infix operators; atoms bind tightest.
const (
	precUnion = 1 + iota
	precMult
	precExp
	precAtom
)

func infix(t Term) (op string, prec int, ok bool) {
	if t.Kind != App || len(t.Args) != 2 {
		return "", 0, false
	}
	switch t.Name {
	case UnionName:
		return " + ", precUnion, true
	case MultName:
		return "*", precMult, true
	case ExpName:
		return "^", precExp, true
	}
	return "", 0, false
}

// writeTerm writes t where the context needs binding strength at least
// ctx, parenthesising if t binds more loosely. Infix operators associate
// to the left, so a right operand needs strictly more.
func (b *printer) writeTerm(t Term, ctx int) {
	if op, prec, ok := infix(t); ok {
		if prec < ctx {
			b.WriteString("(")
		}
		b.writeTerm(t.Args[0], prec)
		b.WriteString(op)
		b.writeTerm(t.Args[1], prec+1)
		if prec < ctx {
			b.WriteString(")")
		}
		return
	}
	switch t.Kind {
	case Var:
		switch t.Sort {
		case SortFresh:
			b.WriteString("~")
		case SortPub:
			b.WriteString("$")
		case SortTemporal:
			b.WriteString("#")
		}
		b.WriteString(t.Name)
	case Const:
		if t.Sort == SortFresh {
			b.WriteString("~")
		}
		b.WriteString("'")
		b.WriteString(t.Name)
		b.WriteString("'")
	case App:
		if t.Name == PairName && len(t.Args) == 2 {
			b.WriteString("<")
			b.writeTerm(t.Args[0], 0)
			rest := t.Args[1]
			for rest.Kind == App && rest.Name == PairName && len(rest.Args) == 2 {
				b.WriteString(", ")
				b.writeTerm(rest.Args[0], 0)
				rest = rest.Args[1]
			}
			b.WriteString(", ")
			b.writeTerm(rest, 0)
			b.WriteString(">")
			return
		}
		b.WriteString(t.Name)
		if len(t.Args) == 0 && (t.Name == OneName || b.nullary[t.Name]) {
			return
		}
		b.WriteString("(")
		b.writeTerms(t.Args)
		b.WriteString(")")
	default:
		b.WriteString("<invalid term>")
	}
}

// FormulaString renders f in spthy syntax, without the surrounding quotes.
func FormulaString(f Formula) string {
	b := &printer{}
	b.writeFormula(f, 0)
	return b.String()
}

// Binding strength of the connectives; quantifiers bind loosest of all
// (their body reaches to the right), atoms tightest.
const (
	precIff = 1 + iota
	precImplies
	precOr
	precAnd
	precNot
	precFAtom
)

// writeFormula writes f where the context needs binding strength at least
// ctx. A quantifier is parenthesised anywhere but at strength 0, so that
// its body cannot swallow what follows it.
func (b *printer) writeFormula(f Formula, ctx int) {
	paren := func(prec int, body func()) {
		if prec < ctx {
			b.WriteString("(")
			body()
			b.WriteString(")")
			return
		}
		body()
	}
	switch f := f.(type) {
	case Quantified:
		paren(0, func() {
			if f.Exists {
				b.WriteString("Ex")
			} else {
				b.WriteString("All")
			}
			for _, v := range f.Vars {
				b.WriteString(" ")
				b.writeTerm(v, 0)
			}
			b.WriteString(". ")
			b.writeFormula(f.Body, 0)
		})
	case Binary:
		var prec, lctx, rctx int
		switch f.Op {
		case Iff:
			prec, lctx, rctx = precIff, precImplies, precImplies
		case Implies:
			prec, lctx, rctx = precImplies, precOr, precImplies
		case Or:
			prec, lctx, rctx = precOr, precOr, precAnd
		default:
			prec, lctx, rctx = precAnd, precAnd, precNot
		}
		paren(prec, func() {
			b.writeFormula(f.L, lctx)
			b.WriteString(" ")
			b.WriteString(f.Op.String())
			b.WriteString(" ")
			b.writeFormula(f.R, rctx)
		})
	case Not:
		paren(precNot, func() {
			b.WriteString("not ")
			b.writeFormula(f.F, precFAtom)
		})
	case Bool:
		if f.Value {
			b.WriteString("T")
		} else {
			b.WriteString("F")
		}
	case Action:
		b.writeFact(Fact{Name: f.Fact.Name, Args: f.Fact.Args})
		b.WriteString(" @ ")
		b.writeTerm(f.At, 0)
	case Less:
		b.writeTerm(f.L, 0)
		b.WriteString(" < ")
		b.writeTerm(f.R, 0)
	case Equal:
		b.writeTerm(f.L, 0)
		b.WriteString(" = ")
		b.writeTerm(f.R, 0)
	case Subterm:
		b.writeTerm(f.L, 0)
		b.WriteString(" << ")
		b.writeTerm(f.R, 0)
	case Last:
		b.WriteString("last(")
		b.writeTerm(f.At, 0)
		b.WriteString(")")
	default:
		b.WriteString("<invalid formula>")
	}
}
