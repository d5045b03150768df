package check

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/model"
)

// recFact is a recorded action fact of the trace, in canonical values.
type recFact struct {
	seq  uint64
	node string
	name string
	args []tid
}

// gfact is a ground action fact of a step.
type gfact struct {
	name string
	args []tid
}

// step is one rule instance of the replayed run.
type step struct {
	rule     string
	recorded []int // indices into checker.facts of the facts it accounts for
	seq      uint64
	silent   bool
	actions  []gfact
	outs     []tid
}

type actRef struct {
	rule *crule
	act  int
}

// Failure says why a recorded fact could not be replayed.
type Failure struct {
	Index    int    // position among the trace's action facts
	Seq      uint64 // the event's sequence number
	Node     string
	Fact     string // the recorded fact, in Tamarin syntax
	Reason   string // the reason of the attempt that got furthest
	Attempts []Attempt
}

// Attempt is one rule tried for a recorded fact, and why it did not apply.
type Attempt struct {
	Rule   string
	Reason string
}

func (f *Failure) String() string {
	return fmt.Sprintf("event %d (%s) %s: %s", f.Seq, f.Node, f.Fact, f.Reason)
}

// bestWhy keeps the reason of the attempt that satisfied most premises.
type bestWhy struct {
	depth int
	why   string
}

func (b *bestWhy) note(depth int, why string) {
	if b.why == "" || depth > b.depth {
		b.depth, b.why = depth, why
	}
}

// replay runs the recorded facts as a run of the theory. It stops at the
// first fact it cannot account for.
func (c *checker) replay() *Failure {
	for i := 0; i < len(c.facts); {
		n, fail := c.replayFact(i)
		if fail != nil {
			return fail
		}
		i += n
	}
	return nil
}

// replayFact accounts for fact i (and, for a rule with several recorded
// actions, the ones after it); it returns how many facts it consumed.
func (c *checker) replayFact(i int) (int, *Failure) {
	f := &c.facts[i]
	c.silentLeft = c.opts.MaxSilent
	refs := c.byAct[f.name+"/"+strconv.Itoa(len(f.args))]
	fail := &Failure{Index: i, Seq: f.seq, Node: f.node, Fact: c.gfactString(gfact{f.name, f.args})}
	if len(refs) == 0 {
		fail.Reason = fmt.Sprintf("no rule of theory %s has the action fact %s/%d", c.th.Name, f.name, len(f.args))
		return 0, fail
	}
	var best bestWhy
	for _, ref := range refs {
		n, why, depth := c.tryRule(ref, i)
		if n > 0 {
			return n, nil
		}
		fail.Attempts = append(fail.Attempts, Attempt{Rule: ref.rule.name, Reason: why})
		best.note(depth, ref.rule.name+": "+why)
	}
	fail.Reason = best.why
	return 0, fail
}

// tryRule tries to account for fact i with one rule; it returns the number
// of facts accounted for, or 0 and why not with how far it got.
func (c *checker) tryRule(ref actRef, i int) (int, string, int) {
	cr := ref.rule
	e := newEnv(cr.nvars())
	f := &c.facts[i]
	a := &cr.act[ref.act]
	for k := range a.args {
		if !c.ts.match(&a.args[k], f.args[k], e, c.rw) {
			return 0, fmt.Sprintf("action %s does not match %s (argument %d)", c.factString(a, cr.sc, nil), c.gfactString(gfact{f.name, f.args}), k+1), 0
		}
	}
	used := []int{i}
	// The rule's other recorded actions must be the facts right after.
	var others []int
	for _, v := range cr.vocab {
		if v != ref.act {
			others = append(others, v)
		}
	}
	if len(others) > 0 {
		if !c.matchFollowing(cr, others, i+1, e) {
			return 0, fmt.Sprintf("the rule's other recorded actions do not follow %s", c.gfactString(gfact{f.name, f.args})), 0
		}
		for j := range others {
			used = append(used, i+1+j)
		}
	}
	sol := &solver{c: c, rule: cr, e: e, local: map[*fact]int{}, seq: f.seq}
	if !sol.run(0) {
		return 0, sol.best.why, 1 + sol.best.depth
	}
	if why := c.commit(sol, used, false); why != "" {
		return 0, why, 100
	}
	return len(used), "", 0
}

// matchFollowing matches the actions acts of cr, in any order, against the
// facts from index from on.
func (c *checker) matchFollowing(cr *crule, acts []int, from int, e *env) bool {
	if len(acts) == 0 {
		return true
	}
	if from >= len(c.facts) {
		return false
	}
	f := &c.facts[from]
	for j, ai := range acts {
		a := &cr.act[ai]
		if a.name != f.name || len(a.args) != len(f.args) {
			continue
		}
		m := e.mark()
		ok := true
		for k := range a.args {
			if !c.ts.match(&a.args[k], f.args[k], e, c.rw) {
				ok = false
				break
			}
		}
		if ok {
			rest := append(append([]int(nil), acts[:j]...), acts[j+1:]...)
			if c.matchFollowing(cr, rest, from+1, e) {
				return true
			}
		}
		e.undo(m)
	}
	return false
}

// solver finds facts of the state, messages of the network and fresh
// values for the premises of one rule instance, with backtracking.
type solver struct {
	c     *checker
	rule  *crule
	e     *env
	local map[*fact]int // linear facts tentatively consumed
	seq   uint64
	depth int // silent nesting
	best  bestWhy
	done  []bool
	// fresh values generated for unbound Fr variables, by slot
}

func (s *solver) run(progress int) bool {
	if s.done == nil {
		s.done = make([]bool, len(s.rule.prem))
	}
	// Next state premise: the one with most arguments known.
	pick, score := -1, -1
	for i := range s.rule.prem {
		p := &s.rule.prem[i]
		if s.done[i] || p.kind != fkState {
			continue
		}
		sc := 0
		for k := range p.args {
			if s.e.bound(&p.args[k]) {
				sc++
			}
		}
		if len(p.args) > 0 && sc == len(p.args) {
			sc += 100
		}
		if sc > score {
			pick, score = i, sc
		}
	}
	if pick < 0 {
		return s.network(0, progress)
	}
	p := &s.rule.prem[pick]
	s.done[pick] = true
	defer func() { s.done[pick] = false }()
	c := s.c
	for attempt := 0; attempt < 2; attempt++ {
		vals := make([]tid, len(p.args))
		for k := range p.args {
			vals[k] = noTerm
			if s.e.bound(&p.args[k]) {
				if v, ok := c.ts.inst(&p.args[k], s.e, c.rw); ok {
					vals[k] = v
				}
			}
		}
		for _, f := range c.st.candidates(p.name, vals) {
			if f.persistent != p.persistent || f.count-s.local[f] <= 0 || len(f.args) != len(p.args) {
				continue
			}
			m := s.e.mark()
			ok := true
			for k := range p.args {
				if !c.ts.match(&p.args[k], f.args[k], s.e, c.rw) {
					ok = false
					break
				}
			}
			if ok {
				if !f.persistent {
					s.local[f]++
				}
				if s.run(progress + 1) {
					return true
				}
				if !f.persistent {
					s.local[f]--
				}
			}
			s.e.undo(m)
		}
		if attempt > 0 || !c.fireSilentFor(p, s.rule.sc, s.e, s.seq, s.depth) {
			break
		}
	}
	s.best.note(progress, fmt.Sprintf("premise %s: no such fact in the state", c.factString(p, s.rule.sc, s.e)))
	return false
}

// network satisfies the In premises from index i on, then checks Fr.
func (s *solver) network(i int, progress int) bool {
	c := s.c
	for ; i < len(s.rule.prem); i++ {
		if s.rule.prem[i].kind == fkIn {
			break
		}
	}
	if i == len(s.rule.prem) {
		return s.freshOK(progress)
	}
	p := &s.rule.prem[i]
	arg := &p.args[0]
	if s.e.bound(arg) {
		t, _ := c.ts.inst(arg, s.e, c.rw)
		if !c.derivable(t) {
			c.fireSilentForOut(t, s.seq, s.depth)
		}
		if !c.derivable(t) {
			s.best.note(progress, fmt.Sprintf("premise In(%s): the network cannot derive %s from what has been sent so far", c.ts.patString(arg, s.rule.sc, nil), c.ts.String(t)))
			return false
		}
		return s.network(i+1, progress+1)
	}
	if arg.kind == pVar {
		// The adversary may send anything; a public name will do.
		m := s.e.mark()
		s.e.set(arg.slot, int64(c.ts.atom(model.Pub, "adversary", "")))
		if s.network(i+1, progress+1) {
			return true
		}
		s.e.undo(m)
		return false
	}
	for _, cand := range c.outCandidates(arg, s.e) {
		m := s.e.mark()
		if c.ts.match(arg, cand, s.e, c.rw) && c.derivable(cand) {
			if s.network(i+1, progress+1) {
				return true
			}
		}
		s.e.undo(m)
	}
	s.best.note(progress, fmt.Sprintf("premise In(%s): no message the network can derive matches", c.ts.patString(arg, s.rule.sc, s.e)))
	return false
}

// freshOK checks the Fr premises whose values are known: each must be a
// fresh name no earlier step generated.
func (s *solver) freshOK(progress int) bool {
	c := s.c
	seen := map[tid]bool{}
	for i := range s.rule.prem {
		p := &s.rule.prem[i]
		if p.kind != fkFr || !s.e.bound(&p.args[0]) {
			continue
		}
		v, _ := c.ts.inst(&p.args[0], s.e, c.rw)
		if c.ts.nodes[v].kind != model.Fresh {
			s.best.note(progress, fmt.Sprintf("premise Fr(%s): %s is not a fresh name", c.ts.patString(&p.args[0], s.rule.sc, nil), c.ts.String(v)))
			return false
		}
		if at, used := c.fresh[v]; used || seen[v] {
			where := "in this step"
			if used {
				where = c.stepWhere(at)
			}
			s.best.note(progress+1, fmt.Sprintf("premise Fr(%s): the fresh value %s was already generated %s (fresh values are unique)", c.ts.patString(&p.args[0], s.rule.sc, nil), c.ts.String(v), where))
			return false
		}
		seen[v] = true
	}
	return true
}

// stepWhere describes step i for messages.
func (c *checker) stepWhere(i int) string {
	st := &c.steps[i]
	if len(st.recorded) > 0 {
		f := &c.facts[st.recorded[0]]
		return fmt.Sprintf("by %s for event %d (%s)", st.rule, f.seq, c.gfactString(gfact{f.name, f.args}))
	}
	return fmt.Sprintf("by %s (silent, before event %d)", st.rule, st.seq)
}

// commit applies a solved instance: consumes its linear premises, marks its
// fresh values, adds its conclusions, and records the step.
func (c *checker) commit(s *solver, recorded []int, silent bool) string {
	cr, e := s.rule, s.e
	stepIdx := len(c.steps)
	// Unbound Fr variables get new fresh values.
	for i := range cr.prem {
		p := &cr.prem[i]
		if p.kind != fkFr {
			continue
		}
		a := &p.args[0]
		if !e.bound(a) {
			if a.kind != pVar {
				return fmt.Sprintf("premise Fr(%s) cannot be generated", c.ts.patString(a, cr.sc, e))
			}
			c.genN++
			e.set(a.slot, int64(c.ts.atom(model.Fresh, strings.TrimPrefix(cr.sc.names[a.slot], "~"), "gen:"+strconv.Itoa(c.genN))))
		}
	}
	st := step{rule: cr.name, recorded: recorded, seq: s.seq, silent: silent}
	for i := range cr.act {
		a := &cr.act[i]
		g := gfact{name: a.name}
		for k := range a.args {
			v, ok := c.ts.inst(&a.args[k], e, c.rw)
			if !ok {
				return fmt.Sprintf("action %s has an unbound variable", c.factString(a, cr.sc, e))
			}
			g.args = append(g.args, v)
		}
		st.actions = append(st.actions, g)
	}
	type out struct {
		f    *cfact
		args []tid
	}
	var concl []out
	for i := range cr.concl {
		f := &cr.concl[i]
		o := out{f: f}
		for k := range f.args {
			v, ok := c.ts.inst(&f.args[k], e, c.rw)
			if !ok {
				return fmt.Sprintf("conclusion %s has a variable no premise or action binds", c.factString(f, cr.sc, e))
			}
			o.args = append(o.args, v)
		}
		concl = append(concl, o)
	}
	for f, n := range s.local {
		f.count -= n
	}
	for i := range cr.prem {
		p := &cr.prem[i]
		if p.kind == fkFr {
			v, _ := c.ts.inst(&p.args[0], e, c.rw)
			c.fresh[v] = stepIdx
		}
	}
	for _, o := range concl {
		if o.f.kind == fkOut {
			st.outs = append(st.outs, o.args[0])
			continue
		}
		c.st.add(o.f.name, o.f.persistent, o.args, stepIdx)
	}
	c.emit(st.outs)
	c.steps = append(c.steps, st)
	return ""
}

// emit sends messages to the network.
func (c *checker) emit(outs []tid) {
	if len(outs) == 0 {
		return
	}
	ms := make([]model.Term, len(outs))
	for i, t := range outs {
		ms[i] = c.ts.toModel(t)
	}
	c.net.Add(ms...)
	for _, t := range outs {
		c.index(t)
	}
}

// index records the subterms of a sent message for In matching.
func (c *checker) index(t tid) {
	c.ts.subterms(t, c.outSeen, func(id tid) {
		n := &c.ts.nodes[id]
		if n.kind != model.Func {
			return
		}
		head := n.name + "/" + strconv.Itoa(len(n.args))
		if !c.inHeads[head] {
			return
		}
		c.outHead[head] = append(c.outHead[head], id)
		for i, a := range n.args {
			k := argKey{head, i, a}
			c.outArg[k] = append(c.outArg[k], id)
		}
	})
}

// outCandidates lists the subterms of sent messages that could match p:
// the applications with p's head, narrowed by p's known arguments. Only
// heads that some rule's In premise has are indexed (inHeads).
func (c *checker) outCandidates(p *pat, e *env) []tid {
	if p.kind != pApp {
		return nil
	}
	head := p.name + "/" + strconv.Itoa(len(p.args))
	best := c.outHead[head]
	for i := range p.args {
		if !e.bound(&p.args[i]) {
			continue
		}
		v, ok := c.ts.inst(&p.args[i], e, c.rw)
		if !ok {
			continue
		}
		if l := c.outArg[argKey{head, i, v}]; len(l) < len(best) {
			best = l
		}
	}
	return best
}

func (c *checker) derivable(t tid) bool { return c.net.Derivable(c.ts.toModel(t)) }

// fireSilentFor fires one silent rule that concludes a fact the premise p
// (under e) could match. It reports whether one fired.
func (c *checker) fireSilentFor(p *cfact, sc *scope, e *env, seq uint64, depth int) bool {
	if depth >= c.opts.MaxSilentDepth {
		return false
	}
	for _, r := range c.silent {
		for ci := range r.concl {
			cf := &r.concl[ci]
			if cf.kind != fkState || cf.name != p.name || cf.persistent != p.persistent || len(cf.args) != len(p.args) {
				continue
			}
			if c.silentLeft <= 0 {
				return false
			}
			se := newEnv(r.nvars())
			ok := true
			for k := range p.args {
				if !e.bound(&p.args[k]) {
					continue
				}
				v, _ := c.ts.inst(&p.args[k], e, c.rw)
				if !c.ts.match(&cf.args[k], v, se, c.rw) {
					ok = false
					break
				}
			}
			if ok && c.fireSilent(r, se, seq, depth) {
				return true
			}
		}
	}
	return false
}

// fireSilentForOut fires silent rules whose Out conclusions match t or
// one of its subterms, so that t may become derivable.
func (c *checker) fireSilentForOut(t tid, seq uint64, depth int) bool {
	if depth >= c.opts.MaxSilentDepth {
		return false
	}
	fired := false
	var subs []tid
	c.ts.subterms(t, map[tid]bool{}, func(id tid) { subs = append(subs, id) })
	for _, r := range c.silent {
		for ci := range r.concl {
			cf := &r.concl[ci]
			if cf.kind != fkOut {
				continue
			}
			for _, sub := range subs {
				if c.silentLeft <= 0 {
					return fired
				}
				if c.outSeen[sub] {
					continue
				}
				se := newEnv(r.nvars())
				if c.ts.match(&cf.args[0], sub, se, c.rw) && c.fireSilent(r, se, seq, depth) {
					fired = true
				}
			}
		}
	}
	return fired
}

func (c *checker) fireSilent(r *crule, se *env, seq uint64, depth int) bool {
	sol := &solver{c: c, rule: r, e: se, local: map[*fact]int{}, seq: seq, depth: depth + 1}
	if !sol.run(0) {
		return false
	}
	c.silentLeft--
	return c.commit(sol, nil, true) == ""
}

func (c *checker) gfactString(g gfact) string {
	var b strings.Builder
	b.WriteString(g.name)
	b.WriteByte('(')
	for i, a := range g.args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.ts.String(a))
	}
	b.WriteByte(')')
	return b.String()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
