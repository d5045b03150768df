package check

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/edgelab/edgelab/tamarin/spthy"
)

type fop uint8

const (
	fTrue fop = iota + 1
	fFalse
	fNot
	fAnd
	fOr
	fImp
	fIff
	fAll
	fEx
	fAction // fact @ at
	fK      // K(t) @ at
	fLess   // at < at2
	fEqT    // at = at2
	fEqM    // l = r
	fSub    // l << r
	fLast   // last(at)
)

// fnode is a compiled trace formula.
type fnode struct {
	op   fop
	kids []*fnode
	vars []int // quantified slots
	fact string
	args []pat
	at   int
	at2  int
	l, r pat
	free []int // free slots, sorted
}

// naError says why a formula cannot be evaluated.
type naError struct{ msg string }

func (e *naError) Error() string { return e.msg }

func (c *checker) compileFormula(f spthy.Formula, sc *scope) (*fnode, error) {
	switch f := f.(type) {
	case spthy.Bool:
		if f.Value {
			return &fnode{op: fTrue}, nil
		}
		return &fnode{op: fFalse}, nil
	case spthy.Not:
		k, err := c.compileFormula(f.F, sc)
		if err != nil {
			return nil, err
		}
		return mk(fNot, k), nil
	case spthy.Binary:
		l, err := c.compileFormula(f.L, sc)
		if err != nil {
			return nil, err
		}
		r, err := c.compileFormula(f.R, sc)
		if err != nil {
			return nil, err
		}
		switch f.Op {
		case spthy.And:
			return mk(fAnd, l, r), nil
		case spthy.Or:
			return mk(fOr, l, r), nil
		case spthy.Implies:
			return mk(fImp, l, r), nil
		case spthy.Iff:
			return mk(fIff, l, r), nil
		}
		return nil, &naError{"unknown connective"}
	case spthy.Quantified:
		n := &fnode{op: fAll}
		if f.Exists {
			n.op = fEx
		}
		var restore []func()
		for _, v := range f.Vars {
			if v.Kind != spthy.Var {
				return nil, &naError{fmt.Sprintf("quantified %s is not a variable", v)}
			}
			slot, undo := sc.bind(v.Name, v.Sort)
			n.vars = append(n.vars, slot)
			restore = append(restore, undo)
		}
		body, err := c.compileFormula(f.Body, sc)
		for i := len(restore) - 1; i >= 0; i-- {
			restore[i]()
		}
		if err != nil {
			return nil, err
		}
		n.kids = []*fnode{body}
		n.free = minus(body.free, n.vars)
		return n, nil
	case spthy.Action:
		at, err := timeSlot(f.At, sc)
		if err != nil {
			return nil, err
		}
		if f.Fact.Name == "K" && !f.Fact.Persistent {
			if len(f.Fact.Args) != 1 {
				return nil, &naError{fmt.Sprintf("K with %d arguments", len(f.Fact.Args))}
			}
			p, err := compile(f.Fact.Args[0], sc, c.destr)
			if err != nil {
				return nil, &naError{err.Error()}
			}
			n := &fnode{op: fK, args: []pat{p}, at: at}
			n.free = union([]int{at}, p.vars)
			return n, nil
		}
		if f.Fact.Persistent {
			return nil, &naError{"persistent fact !" + f.Fact.Name + " as an action"}
		}
		n := &fnode{op: fAction, fact: f.Fact.Name, at: at}
		n.free = []int{at}
		for _, a := range f.Fact.Args {
			p, err := compile(a, sc, c.destr)
			if err != nil {
				return nil, &naError{err.Error()}
			}
			n.args = append(n.args, p)
			n.free = union(n.free, p.vars)
		}
		return n, nil
	case spthy.Less:
		return timeRelation(fLess, f.L, f.R, sc)
	case spthy.Equal:
		if f.L.Kind == spthy.Var && f.L.Sort == spthy.SortTemporal || f.R.Kind == spthy.Var && f.R.Sort == spthy.SortTemporal {
			return timeRelation(fEqT, f.L, f.R, sc)
		}
		return c.termRelation(fEqM, f.L, f.R, sc)
	case spthy.Subterm:
		return c.termRelation(fSub, f.L, f.R, sc)
	case spthy.Last:
		a, err := timeSlot(f.At, sc)
		if err != nil {
			return nil, err
		}
		return &fnode{op: fLast, at: a, free: []int{a}}, nil
	}
	return nil, &naError{fmt.Sprintf("formula %T", f)}
}

func (c *checker) termRelation(op fop, l, r spthy.Term, sc *scope) (*fnode, error) {
	lp, err := compile(l, sc, c.destr)
	if err != nil {
		return nil, &naError{err.Error()}
	}
	rp, err := compile(r, sc, c.destr)
	if err != nil {
		return nil, &naError{err.Error()}
	}
	return &fnode{op: op, l: lp, r: rp, free: union(lp.vars, rp.vars)}, nil
}

// timeRelation compiles op between the time points l and r.
func timeRelation(op fop, l, r spthy.Term, sc *scope) (*fnode, error) {
	a, err := timeSlot(l, sc)
	if err != nil {
		return nil, err
	}
	b, err := timeSlot(r, sc)
	if err != nil {
		return nil, err
	}
	return &fnode{op: op, at: a, at2: b, free: union([]int{a}, []int{b})}, nil
}

func timeSlot(t spthy.Term, sc *scope) (int, error) {
	if t.Kind != spthy.Var {
		return 0, &naError{fmt.Sprintf("time point %s is not a variable", t)}
	}
	k := varKey{t.Name, spthy.SortTemporal}
	if s, ok := sc.slots[k]; ok {
		return s, nil
	}
	return 0, &naError{fmt.Sprintf("time point #%s is not quantified", t.Name)}
}

func mk(op fop, kids ...*fnode) *fnode {
	n := &fnode{op: op, kids: kids}
	for _, k := range kids {
		n.free = union(n.free, k.free)
	}
	return n
}

func union(a, b []int) []int {
	out := append([]int(nil), a...)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func minus(a, b []int) []int {
	var out []int
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// conjuncts flattens nested &.
func conjuncts(n *fnode) []*fnode {
	if n.op == fAnd {
		var out []*fnode
		for _, k := range n.kids {
			out = append(out, conjuncts(k)...)
		}
		return out
	}
	if n.op == fTrue {
		return nil
	}
	return []*fnode{n}
}

// evaluator decides compiled formulas on a timeline.
type evaluator struct {
	c      *checker
	tl     *timeline
	kn     *knowledge
	sc     *scope
	e      *env
	budget int
	over   bool
	terms  []tid       // the domain of message variables, built on demand
	kTime  map[int]tid // time slots bound by K as "any time after"
}

func (ev *evaluator) tick(n int) bool {
	ev.budget -= n
	if ev.budget < 0 {
		ev.over = true
	}
	return !ev.over
}

func (ev *evaluator) bound(slots []int) bool {
	for _, s := range slots {
		if ev.e.val[s] < 0 {
			return false
		}
	}
	return true
}

// holds decides a formula whose free variables are bound.
func (ev *evaluator) holds(n *fnode) bool {
	if ev.over {
		return false
	}
	ts := ev.c.ts
	e := ev.e
	switch n.op {
	case fTrue:
		return true
	case fFalse:
		return false
	case fNot:
		return !ev.holds(n.kids[0])
	case fAnd:
		for _, k := range n.kids {
			if !ev.holds(k) {
				return false
			}
		}
		return true
	case fOr:
		for _, k := range n.kids {
			if ev.holds(k) {
				return true
			}
		}
		return false
	case fImp:
		return !ev.holds(n.kids[0]) || ev.holds(n.kids[1])
	case fIff:
		return ev.holds(n.kids[0]) == ev.holds(n.kids[1])
	case fAction:
		tp := &ev.tl.tps[e.val[n.at]]
		for i := range tp.actions {
			m := e.mark()
			ok := ev.matchAction(n, &tp.actions[i])
			e.undo(m)
			if ok {
				return true
			}
		}
		return false
	case fK:
		t, ok := ts.inst(&n.args[0], e, ev.c.rw)
		return ok && ev.kn.at(t, int(e.val[n.at]))
	case fLess:
		return e.val[n.at] < e.val[n.at2]
	case fEqT:
		return e.val[n.at] == e.val[n.at2]
	case fEqM, fSub:
		l, ok1 := ts.inst(&n.l, e, ev.c.rw)
		r, ok2 := ts.inst(&n.r, e, ev.c.rw)
		if !ok1 || !ok2 {
			return false
		}
		if n.op == fEqM {
			return l == r
		}
		return l != r && ts.isSubterm(l, r)
	case fLast:
		return int(e.val[n.at]) == len(ev.tl.tps)-1
	case fEx:
		found := false
		ev.solve(conjuncts(n.kids[0]), n.vars, nil, func() bool { found = true; return false })
		return found
	case fAll:
		body := n.kids[0]
		ok := true
		if body.op == fImp {
			concl := body.kids[1]
			ev.solve(conjuncts(body.kids[0]), n.vars, concl.free, func() bool {
				if !ev.holds(concl) {
					ok = false
				}
				return ok
			})
		} else {
			ev.solve(nil, n.vars, body.free, func() bool {
				if !ev.holds(body) {
					ok = false
				}
				return ok
			})
		}
		return ok && !ev.over
	}
	return false
}

func (ev *evaluator) matchAction(n *fnode, a *gfact) bool {
	if a.name != n.fact || len(a.args) != len(n.args) {
		return false
	}
	for i := range n.args {
		if !ev.c.ts.match(&n.args[i], a.args[i], ev.e, ev.c.rw) {
			return false
		}
	}
	return true
}

// solve enumerates the assignments of vars (and of nothing else) that
// satisfy every conjunct, calling yield for each until it returns false.
// need lists slots the caller will read after yield; they are bound even
// if no conjunct constrains them. It returns false once yield stopped.
func (ev *evaluator) solve(conj []*fnode, vars []int, need []int, yield func() bool) bool {
	if ev.over {
		return false
	}
	e := ev.e
	// Filters first: conjuncts whose variables are all bound.
	for i, n := range conj {
		if ev.bound(n.free) {
			if !ev.tick(1) || !ev.holds(n) {
				return !ev.over
			}
			rest := append(append([]*fnode(nil), conj[:i]...), conj[i+1:]...)
			return ev.solve(rest, vars, need, yield)
		}
	}
	// Then the cheapest generator.
	best, bestCost := -1, int(^uint(0)>>1)
	var bestCands []tpRef
	for i, n := range conj {
		switch n.op {
		case fAction:
			c := ev.actionCandidates(n)
			if len(c) < bestCost {
				best, bestCost, bestCands = i, len(c), c
			}
		case fK:
			if ev.bound(n.args[0].vars) && 1 < bestCost {
				best, bestCost = i, 1
			}
		case fEqM:
			if (ev.bound(n.l.vars) && !n.r.destr || ev.bound(n.r.vars) && !n.l.destr) && 1 < bestCost {
				best, bestCost = i, 1
			}
		case fEqT:
			if (e.val[n.at] >= 0 || e.val[n.at2] >= 0) && 1 < bestCost {
				best, bestCost = i, 1
			}
		}
	}
	if best < 0 {
		for i, n := range conj {
			if n.op == fOr {
				rest := append(append([]*fnode(nil), conj[:i]...), conj[i+1:]...)
				for _, k := range n.kids {
					if !ev.solve(append(conjuncts(k), rest...), vars, need, yield) {
						return false
					}
				}
				return true
			}
		}
		return ev.enumerate(conj, vars, need, yield)
	}
	n := conj[best]
	rest := append(append([]*fnode(nil), conj[:best]...), conj[best+1:]...)
	switch n.op {
	case fAction:
		for _, ref := range bestCands {
			if !ev.tick(1) {
				return false
			}
			m := e.mark()
			if e.val[n.at] < 0 {
				e.set(n.at, int64(ref.tp))
			}
			if int(e.val[n.at]) == ref.tp && ev.matchAction(n, &ev.tl.tps[ref.tp].actions[ref.act]) {
				if !ev.solve(rest, vars, need, yield) {
					e.undo(m)
					return false
				}
			}
			e.undo(m)
		}
		return true
	case fK:
		t, _ := ev.c.ts.inst(&n.args[0], e, ev.c.rw)
		if e.val[n.at] >= 0 {
			// Bound time: a filter after all.
			if ev.kn.at(t, int(e.val[n.at])) {
				return ev.solve(rest, vars, need, yield)
			}
			return true
		}
		if !ev.kn.derivableEnd(t) {
			return true
		}
		last := len(ev.tl.tps) - 1
		usedLater := contains(need, n.at)
		for _, r := range rest {
			usedLater = usedLater || contains(r.free, n.at)
		}
		from := last
		if usedLater {
			from = ev.kn.first(t)
		}
		for j := from; j <= last; j++ {
			if !ev.tick(1) {
				return false
			}
			m := e.mark()
			e.set(n.at, int64(j))
			if !usedLater {
				ev.kTime[n.at] = t
			}
			ok := ev.solve(rest, vars, need, yield)
			e.undo(m)
			if !ok {
				return false
			}
		}
		return true
	case fEqM:
		m := e.mark()
		var ok bool
		if ev.bound(n.l.vars) {
			v, _ := ev.c.ts.inst(&n.l, e, ev.c.rw)
			ok = ev.c.ts.match(&n.r, v, e, ev.c.rw)
		} else {
			v, _ := ev.c.ts.inst(&n.r, e, ev.c.rw)
			ok = ev.c.ts.match(&n.l, v, e, ev.c.rw)
		}
		res := true
		if ok {
			res = ev.solve(rest, vars, need, yield)
		}
		e.undo(m)
		return res
	case fEqT:
		m := e.mark()
		if e.val[n.at] < 0 {
			e.set(n.at, e.val[n.at2])
		} else {
			e.set(n.at2, e.val[n.at])
		}
		res := ev.solve(rest, vars, need, yield)
		e.undo(m)
		return res
	}
	return true
}

// enumerate binds one unbound variable the remaining conjuncts (or the
// caller) need by running through its whole domain: the time points, or
// every term occurring in the trace.
func (ev *evaluator) enumerate(conj []*fnode, vars []int, need []int, yield func() bool) bool {
	e := ev.e
	slot := -1
	for _, n := range conj {
		for _, s := range n.free {
			if e.val[s] < 0 && contains(vars, s) {
				slot = s
				break
			}
		}
		if slot >= 0 {
			break
		}
	}
	if slot < 0 {
		for _, s := range need {
			if e.val[s] < 0 && contains(vars, s) {
				slot = s
				break
			}
		}
	}
	if slot < 0 {
		if len(conj) > 0 {
			// Free variables of an outer scope cannot be unbound here.
			return true
		}
		return yield()
	}
	var domain []int64
	if ev.sc.sorts[slot] == spthy.SortTemporal {
		domain = make([]int64, len(ev.tl.tps))
		for i := range domain {
			domain[i] = int64(i)
		}
	} else {
		for _, t := range ev.domainTerms() {
			if ev.c.ts.sortOK(t, ev.sc.sorts[slot]) {
				domain = append(domain, int64(t))
			}
		}
	}
	for _, v := range domain {
		if !ev.tick(1) {
			return false
		}
		m := e.mark()
		e.set(slot, v)
		ok := ev.solve(conj, vars, need, yield)
		e.undo(m)
		if !ok {
			return false
		}
	}
	return true
}

func (ev *evaluator) domainTerms() []tid {
	if ev.terms == nil {
		seen := map[tid]bool{}
		ev.terms = []tid{}
		for _, tp := range ev.tl.tps {
			for _, a := range tp.actions {
				for _, t := range a.args {
					ev.c.ts.subterms(t, seen, func(id tid) { ev.terms = append(ev.terms, id) })
				}
			}
		}
	}
	return ev.terms
}

// actionCandidates lists the (time point, action) pairs that might match
// n: by its time point if bound, else by the most selective bound
// argument, else by name.
func (ev *evaluator) actionCandidates(n *fnode) []tpRef {
	key := n.fact + "/" + strconv.Itoa(len(n.args))
	if at := ev.e.val[n.at]; at >= 0 {
		var out []tpRef
		for j, a := range ev.tl.tps[at].actions {
			if a.name == n.fact && len(a.args) == len(n.args) {
				out = append(out, tpRef{int(at), j})
			}
		}
		return out
	}
	best := ev.tl.byName[key]
	for i := range n.args {
		p := &n.args[i]
		if len(p.vars) > 0 && !ev.bound(p.vars) {
			continue
		}
		v, ok := ev.c.ts.inst(p, ev.e, ev.c.rw)
		if !ok {
			continue
		}
		if l := ev.tl.byArg[argKey{key, i, v}]; len(l) < len(best) {
			best = l
		}
	}
	return best
}

func contains(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
