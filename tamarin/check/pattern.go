package check

import (
	"fmt"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// pat is a compiled term pattern of a rule, equation or formula: a
// variable slot, a constant, or an application.
type pat struct {
	kind  patKind
	slot  int        // pVar
	sort  spthy.Sort // pVar
	name  string     // pConst, pFreshConst, pApp
	args  []pat      // pApp
	destr bool       // contains a symbol the rewriter reduces
	vars  []int      // slots occurring in the pattern, each once
}

type patKind uint8

const (
	pVar patKind = iota + 1
	pConst
	pFreshConst
	pApp
)

// scope numbers the variables of one rule, equation or formula.
type scope struct {
	slots map[varKey]int
	names []string // slot -> printable name
	sorts []spthy.Sort
}

type varKey struct {
	name string
	sort spthy.Sort
}

func newScope() *scope { return &scope{slots: map[varKey]int{}} }

func (s *scope) slot(name string, sort spthy.Sort) int {
	k := varKey{name, sort}
	if i, ok := s.slots[k]; ok {
		return i
	}
	i := len(s.names)
	s.slots[k] = i
	s.names = append(s.names, varName(name, sort))
	s.sorts = append(s.sorts, sort)
	return i
}

// fresh adds a new slot for name even if one exists (a quantifier that
// shadows), returning the old one so the caller can restore it.
func (s *scope) bind(name string, sort spthy.Sort) (slot int, restore func()) {
	k := varKey{name, sort}
	old, had := s.slots[k]
	i := len(s.names)
	s.slots[k] = i
	s.names = append(s.names, varName(name, sort))
	s.sorts = append(s.sorts, sort)
	return i, func() {
		if had {
			s.slots[k] = old
		} else {
			delete(s.slots, k)
		}
	}
}

func varName(name string, sort spthy.Sort) string {
	switch sort {
	case spthy.SortFresh:
		return "~" + name
	case spthy.SortPub:
		return "$" + name
	case spthy.SortTemporal:
		return "#" + name
	}
	return name
}

// compile turns t into a pattern over sc's slots. destr is the set of
// symbols the rewriter reduces.
func compile(t spthy.Term, sc *scope, destr map[string]bool) (pat, error) {
	switch t.Kind {
	case spthy.Var:
		if t.Sort == spthy.SortTemporal {
			return pat{}, fmt.Errorf("time point #%s used as a message", t.Name)
		}
		i := sc.slot(t.Name, t.Sort)
		return pat{kind: pVar, slot: i, sort: t.Sort, vars: []int{i}}, nil
	case spthy.Const:
		if t.Sort == spthy.SortFresh {
			return pat{kind: pFreshConst, name: t.Name}, nil
		}
		return pat{kind: pConst, name: t.Name}, nil
	case spthy.App:
		p := pat{kind: pApp, name: t.Name, destr: destr[t.Name]}
		seen := map[int]bool{}
		for _, a := range t.Args {
			c, err := compile(a, sc, destr)
			if err != nil {
				return pat{}, err
			}
			p.destr = p.destr || c.destr
			for _, v := range c.vars {
				if !seen[v] {
					seen[v] = true
					p.vars = append(p.vars, v)
				}
			}
			p.args = append(p.args, c)
		}
		return p, nil
	}
	return pat{}, fmt.Errorf("unknown term %v", t)
}

// env holds the values of a scope's slots; a trail undoes bindings.
type env struct {
	val   []int64 // tid or time point; -1 when unbound
	trail []int
}

func newEnv(n int) *env {
	e := &env{val: make([]int64, n)}
	for i := range e.val {
		e.val[i] = -1
	}
	return e
}

func (e *env) grow(n int) {
	for len(e.val) < n {
		e.val = append(e.val, -1)
	}
}

func (e *env) set(slot int, v int64) {
	e.val[slot] = v
	e.trail = append(e.trail, slot)
}

func (e *env) mark() int { return len(e.trail) }

func (e *env) undo(m int) {
	for i := len(e.trail) - 1; i >= m; i-- {
		e.val[e.trail[i]] = -1
	}
	e.trail = e.trail[:m]
}

func (e *env) bound(p *pat) bool {
	for _, v := range p.vars {
		if e.val[v] < 0 {
			return false
		}
	}
	return true
}

// sortOK reports whether value id may be bound to a variable of sort s:
// a fresh variable takes fresh names, a public one public names and
// constants (Tamarin's 'c' is a public name), a message variable anything.
func (ts *terms) sortOK(id tid, s spthy.Sort) bool {
	switch s {
	case spthy.SortFresh:
		return ts.nodes[id].kind == model.Fresh
	case spthy.SortPub:
		k := ts.nodes[id].kind
		return k == model.Pub || k == model.Const
	}
	return true
}

// match extends e so that p spells id; on failure e may hold partial
// bindings, which the caller undoes.
func (ts *terms) match(p *pat, id tid, e *env, rw *rewriter) bool {
	if p.destr {
		if !e.bound(p) {
			return false
		}
		v, ok := ts.inst(p, e, rw)
		return ok && v == id
	}
	n := &ts.nodes[id]
	switch p.kind {
	case pVar:
		if cur := e.val[p.slot]; cur >= 0 {
			return tid(cur) == id
		}
		if !ts.sortOK(id, p.sort) {
			return false
		}
		e.set(p.slot, int64(id))
		return true
	case pConst:
		return (n.kind == model.Const || n.kind == model.Pub) && n.name == p.name && n.digest == ""
	case pFreshConst:
		return n.kind == model.Fresh && n.name == p.name
	case pApp:
		if n.kind != model.Func || n.name != p.name || len(n.args) != len(p.args) {
			return false
		}
		for i := range p.args {
			if !ts.match(&p.args[i], n.args[i], e, rw) {
				return false
			}
		}
		return true
	}
	return false
}

// inst builds the value of p under e, normalised by rw; ok is false if a
// variable of p is unbound.
func (ts *terms) inst(p *pat, e *env, rw *rewriter) (tid, bool) {
	switch p.kind {
	case pVar:
		v := e.val[p.slot]
		return tid(v), v >= 0
	case pConst:
		return ts.atom(model.Const, p.name, ""), true
	case pFreshConst:
		return ts.atom(model.Fresh, p.name, ""), true
	}
	var small [4]tid
	args := small[:0]
	for i := range p.args {
		a, ok := ts.inst(&p.args[i], e, rw)
		if !ok {
			return noTerm, false
		}
		args = append(args, a)
	}
	id := ts.intern(model.Func, p.name, "", args)
	if p.destr && rw != nil {
		id = rw.normalize(id)
	}
	return id, true
}

// patString renders p with the variable names of sc and the values bound
// in e (if e is not nil).
func (ts *terms) patString(p *pat, sc *scope, e *env) string {
	switch p.kind {
	case pVar:
		if e != nil && p.slot < len(e.val) && e.val[p.slot] >= 0 {
			return ts.String(tid(e.val[p.slot]))
		}
		return sc.names[p.slot]
	case pConst:
		return "'" + p.name + "'"
	case pFreshConst:
		return "~'" + p.name + "'"
	}
	if p.name == "pair" && len(p.args) == 2 {
		s := "<" + ts.patString(&p.args[0], sc, e)
		rest := &p.args[1]
		for rest.kind == pApp && rest.name == "pair" && len(rest.args) == 2 {
			s += ", " + ts.patString(&rest.args[0], sc, e)
			rest = &rest.args[1]
		}
		return s + ", " + ts.patString(rest, sc, e) + ">"
	}
	s := p.name + "("
	for i := range p.args {
		if i > 0 {
			s += ", "
		}
		s += ts.patString(&p.args[i], sc, e)
	}
	return s + ")"
}
