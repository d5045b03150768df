package check

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// Options control a check.
type Options struct {
	// Adversary names the party (or, with several names, the coalition)
	// whose knowledge the lemmas' K facts are about. Check needs it;
	// New ignores it.
	Adversary []string
	// Config is the theory's party table and vocabulary; nil means
	// ConfigFor(th).
	Config *Config
	// Vocabulary adds action facts the services record to the Config's.
	Vocabulary []string
	// MaxSilent bounds the silent rule instances fired for one recorded
	// fact (default 64); MaxSilentDepth bounds their nesting (default 4).
	MaxSilent      int
	MaxSilentDepth int
	// MaxSteps bounds the work of evaluating one lemma (default 50
	// million candidate bindings); past it the lemma is not applicable.
	MaxSteps int
}

// Verdict is the result of one lemma on one trace.
type Verdict string

const (
	Holds         Verdict = "holds"
	Violated      Verdict = "violated"
	Witnessed     Verdict = "witnessed"      // an exists-trace lemma this trace satisfies
	NotApplicable Verdict = "not applicable" // see LemmaResult.Reason
)

// MaxViolations is where the count of a lemma's violating assignments
// stops: past it, more add nothing but time.
const MaxViolations = 1000

// Assignment is one variable of a violating (or witnessing) assignment.
type Assignment struct {
	Var   string // as written in the lemma: C, req, #i
	Value string // a term, or for a time point the event it stands for
	Seq   int64  // the event's sequence number for a recorded time point, else -1
	// Origin is the node whose recorded fact first names a fresh value
	// (the client a ~cid stands for), else "".
	Origin string
}

// Describe renders the value for people: a fresh value with the node it
// came from ("~cid of client-1 (~cid#0546412d)").
func (a Assignment) Describe() string {
	if a.Origin == "" {
		return a.Value
	}
	name, _, _ := strings.Cut(a.Value, "#")
	return name + " of " + a.Origin + " (" + a.Value + ")"
}

// LemmaResult is the verdict on one lemma.
type LemmaResult struct {
	Name    string
	Traces  spthy.TraceQuantifier
	Verdict Verdict
	// Reason explains NotApplicable.
	Reason string
	// Violations counts the violating assignments of the lemma's outer
	// quantifier (at most MaxViolations are counted); Witness is the first.
	Violations int
	Witness    []Assignment
}

// Conformance is the result of replaying the trace's action facts.
type Conformance struct {
	OK bool
	// Facts is the number of recorded action facts; Replayed how many the
	// run accounts for; Silent how many silent rule instances it fired.
	Facts, Replayed, Silent int
	// Failure is the first recorded fact the run could not account for.
	Failure *Failure
	// Restrictions lists the theory's restrictions the run violates.
	Restrictions []string
}

// Report is the result of checking one trace against one theory for one
// adversary.
type Report struct {
	Theory      string
	Adversary   []string
	Conformance Conformance
	Lemmas      []LemmaResult
}

// OK reports whether the trace conforms and no lemma is violated.
func (r *Report) OK() bool {
	if !r.Conformance.OK {
		return false
	}
	for _, l := range r.Lemmas {
		if l.Verdict == Violated {
			return false
		}
	}
	return true
}

// Run is a trace replayed against a theory, ready to have its lemmas
// evaluated for any adversary.
type Run struct {
	c    *checker
	conf Conformance
}

// checker holds one replay.
type checker struct {
	th      *spthy.Theory
	tr      *model.Trace
	opts    Options
	cfg     Config
	ts      *terms
	si      *sigInfo
	rw      *rewriter
	destr   map[string]bool
	rules   []*crule
	silent  []*crule
	byName  map[string]*crule
	byAct   map[string][]actRef
	canon   *canon
	facts   []recFact
	st      *state
	net     *model.Knowledge
	outSeen map[tid]bool
	outHead map[string][]tid
	outArg  map[argKey][]tid
	inHeads map[string]bool // head/arity of In premises' patterns
	fresh   map[tid]int
	// origin is the node whose recorded fact first names a fresh value:
	// the party a ~cid or a ~req belongs to, for people reading a witness.
	origin map[tid]string
	steps  []step
	genN   int

	silentLeft int
}

// Check replays tr against th and evaluates every lemma for
// opts.Adversary.
func Check(th *spthy.Theory, tr *model.Trace, opts Options) (*Report, error) {
	r, err := New(th, tr, opts)
	if err != nil {
		return nil, err
	}
	return r.Evaluate(opts.Adversary)
}

// New compiles th, reads tr's action facts (Kind model.Fact) and replays
// them as a run of th's rules:
//
//   - Each recorded fact is matched, in order, to a rule with an action of
//     the same name and arity (let blocks expanded; ~x takes fresh names,
//     $x public names and constants). The rule's premises must hold in the
//     current state: linear facts are consumed, persistent ones kept;
//     Fr(~x) takes a fresh value never generated before in the run; In(t)
//     needs t derivable by the network adversary (model.Knowledge with th's
//     signature) from what earlier steps sent with Out. Premise variables
//     the action does not fix are bound by matching state facts, or for
//     In by matching messages sent so far, with backtracking. The
//     conclusions are added.
//   - A rule none of whose actions the services record (Config.Vocabulary,
//     Options.Vocabulary and the fact names in the trace), that is not a
//     compromise rule and that consumes no linear fact (a set-up rule:
//     channel or key set-up) may be fired silently when a premise needs
//     what it concludes, at most MaxSilent times per recorded fact and
//     MaxSilentDepth deep. Silent instances are kept even if the recorded
//     fact they were fired for then fails.
//   - Values are the trace's terms with opaque atoms resolved through a
//     model.Binding of the whole trace: atoms are told apart by kind, name
//     and digest, so two ~req with different digests are different values.
//
// The replay stops at the first fact it cannot account for; the Run's
// Conformance says which and why. The theory's restrictions are then
// evaluated on the replayed run. Errors are for input the checker cannot
// use at all: a message theory it cannot map, an unknown compromise fact.
func New(th *spthy.Theory, tr *model.Trace, opts Options) (*Run, error) {
	if opts.MaxSilent <= 0 {
		opts.MaxSilent = 64
	}
	if opts.MaxSilentDepth <= 0 {
		opts.MaxSilentDepth = 4
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 50_000_000
	}
	var cfg Config
	if opts.Config != nil {
		cfg = *opts.Config
	} else {
		var err error
		if cfg, err = ConfigFor(th); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
	}
	si, err := signatureOf(th)
	if err != nil {
		return nil, err
	}
	c := &checker{
		th: th, tr: tr, opts: opts, cfg: cfg, ts: newTerms(), si: si, rw: si.rw,
		byName: map[string]*crule{}, byAct: map[string][]actRef{},
		st: newState(), net: model.NewKnowledge(si.sig), outSeen: map[tid]bool{},
		outHead: map[string][]tid{}, outArg: map[argKey][]tid{}, inHeads: map[string]bool{}, fresh: map[tid]int{}, origin: map[tid]string{},
	}
	c.rw.bindTerms(c.ts)
	c.destr = c.rw.destructors()
	if err := c.compileRules(); err != nil {
		return nil, err
	}
	c.readTrace()
	fail := c.replay()
	conf := Conformance{OK: fail == nil, Facts: len(c.facts), Failure: fail}
	for _, st := range c.steps {
		conf.Replayed += len(st.recorded)
		if st.silent {
			conf.Silent++
		}
	}
	if fail == nil {
		conf.Restrictions = c.checkRestrictions()
		conf.OK = len(conf.Restrictions) == 0
	}
	return &Run{c: c, conf: conf}, nil
}

// Conformance returns the result of the replay.
func (r *Run) Conformance() Conformance { return r.conf }

// Config returns the party table the run uses.
func (r *Run) Config() Config { return r.c.cfg }

func (c *checker) compileRules() error {
	vocab := map[string]bool{}
	for _, v := range c.cfg.Vocabulary {
		vocab[v] = true
	}
	for _, v := range c.opts.Vocabulary {
		vocab[v] = true
	}
	for i := range c.tr.Events {
		if e := &c.tr.Events[i]; e.Kind == model.Fact {
			vocab[e.Name] = true
		}
	}
	compromise := map[string]bool{}
	acts := map[string]bool{}
	for _, r := range c.th.Rules {
		for _, a := range r.Actions {
			acts[a.Name] = true
			if isCompromiseName(a.Name) {
				compromise[a.Name] = true
			}
		}
	}
	for _, party := range c.cfg.PartyNames() {
		for _, f := range c.cfg.Parties[party].Compromise {
			if !acts[f] {
				return fmt.Errorf("check: theory %s: party %s: compromise fact %s is not an action of any rule", c.th.Name, party, f)
			}
			compromise[f] = true
		}
	}
	for _, r := range c.th.Rules {
		cr, err := compileRule(r, c.destr)
		if err != nil {
			return fmt.Errorf("check: theory %s: %w", c.th.Name, err)
		}
		recorded := false
		for i, a := range cr.act {
			if compromise[a.name] {
				cr.compromise = true
			}
			if vocab[a.name] {
				cr.vocab = append(cr.vocab, i)
				recorded = true
			}
		}
		cr.silent = !recorded && !cr.compromise && cr.onlySetupPremises()
		c.rules = append(c.rules, cr)
		c.byName[cr.name] = cr
		for _, p := range cr.prem {
			if p.kind == fkIn && p.args[0].kind == pApp {
				c.inHeads[p.args[0].name+"/"+strconv.Itoa(len(p.args[0].args))] = true
			}
		}
		if cr.silent {
			c.silent = append(c.silent, cr)
		}
		if cr.compromise {
			continue
		}
		for _, i := range cr.vocab {
			a := &cr.act[i]
			key := a.name + "/" + strconv.Itoa(len(a.args))
			c.byAct[key] = append(c.byAct[key], actRef{cr, i})
		}
	}
	return nil
}

// canonical returns the checker's value for a term of the trace.
func (c *checker) canonical(t model.Term) tid { return c.canon.term(disambiguate(t)) }

func (c *checker) readTrace() {
	c.canon = newCanon(c.ts)
	for i := range c.tr.Events {
		for _, a := range c.tr.Events[i].Args {
			c.canon.add(disambiguate(a))
		}
	}
	for i := range c.tr.Events {
		e := &c.tr.Events[i]
		if e.Kind != model.Fact {
			continue
		}
		f := recFact{seq: e.Seq, node: e.Node, name: e.Name}
		for _, a := range e.Args {
			id := c.canonical(a)
			f.args = append(f.args, id)
			if _, seen := c.origin[id]; !seen && c.ts.nodes[id].kind == model.Fresh {
				c.origin[id] = e.Node
			}
		}
		c.facts = append(c.facts, f)
	}
}

// checkRestrictions evaluates the theory's restrictions on the replayed
// run, with the network as the adversary for any K fact.
func (c *checker) checkRestrictions() []string {
	if len(c.th.Restrictions) == 0 {
		return nil
	}
	tl := c.buildTimeline(nil)
	kn := c.newKnowledge(tl, nil, true)
	var out []string
	for _, r := range c.th.Restrictions {
		res := c.evaluate(tl, kn, r.Name, spthy.AllTraces, r.Formula)
		switch res.Verdict {
		case Violated:
			out = append(out, fmt.Sprintf("restriction %s violated: %s", r.Name, witnessString(res.Witness)))
		case NotApplicable:
			out = append(out, fmt.Sprintf("restriction %s not checked: %s", r.Name, res.Reason))
		}
	}
	return out
}

// Evaluate evaluates every lemma of the theory against the adversary: a
// party of the Config, or a coalition of several. Time points are the
// run's rule instances with action facts (the recorded facts, silent
// instances' actions, and after a failed replay the remaining recorded
// facts one by one), preceded by the adversary's compromise instances.
// Quantified message variables range over the terms occurring in the
// trace. K(t)@#j holds iff t is derivable from what the adversary knows at
// or before #j; everything after the last time point counts at the last.
func (r *Run) Evaluate(adversary []string) (*Report, error) {
	c := r.c
	if len(adversary) == 0 {
		return nil, errors.New("check: no adversary given")
	}
	var lenses []model.Lens
	network := false
	compromise := map[string]bool{}
	for _, p := range adversary {
		spec, ok := c.cfg.Parties[p]
		if !ok {
			return nil, fmt.Errorf("check: theory %s: unknown party %q (have %s)", c.th.Name, p, strings.Join(c.cfg.PartyNames(), ", "))
		}
		if len(spec.Nodes) > 0 {
			lenses = append(lenses, globLens{party: p, nodes: spec.Nodes})
		}
		if spec.Wire {
			lenses = append(lenses, model.WireTap(p+"/wire"))
		}
		network = network || spec.Network
		for _, f := range spec.Compromise {
			compromise[f] = true
		}
	}
	tl := c.buildTimeline(c.compromiseInstances(compromise))
	kn := c.newKnowledge(tl, lenses, network)
	rep := &Report{Theory: c.th.Name, Adversary: append([]string(nil), adversary...), Conformance: r.conf}
	for _, l := range c.th.Lemmas {
		res := c.evaluate(tl, kn, l.Name, l.Traces, l.Formula)
		if !r.conf.OK {
			res = outsideTheory(res)
		}
		rep.Lemmas = append(rep.Lemmas, res)
	}
	return rep, nil
}

// notARun is the reason a lemma's holding on a trace that does not conform
// says nothing.
const notARun = "the trace is not a run of the theory (conformance failed)"

// outsideTheory is res on a trace that does not conform. Such a trace is
// no run of the theory, so that a lemma holds or is witnessed there says
// nothing about the theory: not applicable. A violation stays one: what
// the adversary learned it learned, and a fact outside the theory (a
// relay logging plaintext, say) is often exactly how the leak happened.
func outsideTheory(res LemmaResult) LemmaResult {
	if res.Verdict == Holds || res.Verdict == Witnessed {
		res.Verdict, res.Reason, res.Witness = NotApplicable, notARun, nil
	}
	return res
}

// compromiseInstances fires every compromise rule with an action in names
// on the facts the run ever produced, and adds an instance without
// arguments for a nullary compromise fact no rule instance gave.
func (c *checker) compromiseInstances(names map[string]bool) []tpoint {
	var out []tpoint
	seen := map[string]bool{}
	gotName := map[string]bool{}
	const limit = 100_000
	for _, r := range c.rules {
		if !r.compromise {
			continue
		}
		wanted := false
		for _, a := range r.act {
			wanted = wanted || names[a.name]
		}
		if !wanted {
			continue
		}
		e := newEnv(r.nvars())
		c.joinAll(r, 0, e, func() {
			if len(out) >= limit {
				return
			}
			tp := tpoint{kind: tpCompromise, rule: r.name, cutoff: -1}
			key := r.name
			for i := range r.act {
				g := gfact{name: r.act[i].name}
				for k := range r.act[i].args {
					v, ok := c.ts.inst(&r.act[i].args[k], e, c.rw)
					if !ok {
						return
					}
					g.args = append(g.args, v)
				}
				tp.actions = append(tp.actions, g)
				key += "|" + c.gfactString(g)
			}
			for i := range r.concl {
				if r.concl[i].kind != fkOut {
					continue
				}
				v, ok := c.ts.inst(&r.concl[i].args[0], e, c.rw)
				if !ok {
					return
				}
				tp.outs = append(tp.outs, v)
				key += "|" + c.ts.String(v)
			}
			if seen[key] {
				return
			}
			seen[key] = true
			for _, a := range tp.actions {
				gotName[a.name] = true
			}
			out = append(out, tp)
		})
	}
	for _, n := range sortedKeys(names) {
		if gotName[n] {
			continue
		}
		for _, r := range c.rules {
			for _, a := range r.act {
				if a.name == n && len(a.args) == 0 && !gotName[n] {
					gotName[n] = true
					out = append(out, tpoint{kind: tpCompromise, rule: r.name, actions: []gfact{{name: n}}, cutoff: -1})
				}
			}
		}
	}
	return out
}

// joinAll enumerates the matches of r's state premises against every fact
// the run produced, consumed or not. Rules with In or Fr premises are not
// fired.
func (c *checker) joinAll(r *crule, i int, e *env, yield func()) {
	if i == len(r.prem) {
		yield()
		return
	}
	p := &r.prem[i]
	if p.kind != fkState {
		return
	}
	for _, f := range c.st.byName[p.name] {
		if f.persistent != p.persistent || len(f.args) != len(p.args) {
			continue
		}
		m := e.mark()
		ok := true
		for k := range p.args {
			if !c.ts.match(&p.args[k], f.args[k], e, c.rw) {
				ok = false
				break
			}
		}
		if ok {
			c.joinAll(r, i+1, e, yield)
		}
		e.undo(m)
	}
}

// evaluate decides one lemma (or restriction) formula on tl.
func (c *checker) evaluate(tl *timeline, kn *knowledge, name string, q spthy.TraceQuantifier, f spthy.Formula) LemmaResult {
	res := LemmaResult{Name: name, Traces: q}
	if q != spthy.ExistsTrace {
		res.Traces = spthy.AllTraces
	}
	sc := newScope()
	n, err := c.compileFormula(f, sc)
	if err != nil {
		res.Verdict, res.Reason = NotApplicable, err.Error()
		return res
	}
	if len(n.free) > 0 {
		res.Verdict, res.Reason = NotApplicable, "free variable "+sc.names[n.free[0]]
		return res
	}
	ev := &evaluator{c: c, tl: tl, kn: kn, sc: sc, e: newEnv(len(sc.names)), budget: c.opts.MaxSteps, kTime: map[int]tid{}}
	if res.Traces == spthy.ExistsTrace {
		var ok bool
		if n.op == fEx {
			ev.solve(conjuncts(n.kids[0]), n.vars, nil, func() bool {
				ok = true
				res.Witness = ev.witness(n.vars)
				return false
			})
		} else {
			ok = ev.holds(n)
		}
		switch {
		case ev.over:
			res.Verdict, res.Reason = NotApplicable, "evaluation budget exceeded"
		case ok:
			res.Verdict = Witnessed
		default:
			res.Verdict, res.Reason = NotApplicable, "exists-trace lemma not witnessed by this trace"
		}
		return res
	}
	ok := true
	if n.op == fAll {
		body := n.kids[0]
		guard, concl := []*fnode(nil), body
		if body.op == fImp {
			guard, concl = conjuncts(body.kids[0]), body.kids[1]
		}
		ev.solve(guard, n.vars, union(concl.free, n.vars), func() bool {
			if ev.holds(concl) {
				return true
			}
			ok = false
			res.Violations++
			if res.Witness == nil {
				res.Witness = ev.witness(n.vars)
			}
			return res.Violations < MaxViolations
		})
	} else {
		ok = ev.holds(n)
	}
	switch {
	case ev.over:
		res.Verdict, res.Reason = NotApplicable, fmt.Sprintf("evaluation budget of %d steps exceeded (an unguarded quantifier?)", c.opts.MaxSteps)
	case ok:
		res.Verdict = Holds
	default:
		res.Verdict = Violated
	}
	return res
}

// witness renders the current values of vars.
func (ev *evaluator) witness(vars []int) []Assignment {
	var out []Assignment
	for _, s := range vars {
		a := Assignment{Var: ev.sc.names[s], Seq: -1}
		v := ev.e.val[s]
		switch {
		case v < 0:
			a.Value = "(any)"
		case ev.sc.sorts[s] == spthy.SortTemporal:
			j := int(v)
			if t, ok := ev.kTime[s]; ok && j == len(ev.tl.tps)-1 {
				if f := ev.kn.first(t); f >= 0 {
					j = f
				}
			}
			tp := &ev.tl.tps[j]
			a.Value = ev.c.describeTP(ev.tl, j)
			if tp.kind == tpRecorded || tp.kind == tpUnreplayed {
				a.Seq = int64(tp.seq)
			}
		default:
			a.Value = ev.c.ts.String(tid(v))
			a.Origin = ev.c.origin[tid(v)]
		}
		out = append(out, a)
	}
	return out
}

func witnessString(ws []Assignment) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, w.Var+" = "+w.Describe())
	}
	return strings.Join(parts, ", ")
}

// WriteText writes r for humans: the conformance result, then one line per
// lemma, with the witness of a violation indented below it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "theory %s, adversary %s\n", r.Theory, strings.Join(r.Adversary, "+"))
	c := r.Conformance
	switch {
	case c.OK:
		fmt.Fprintf(&b, "  conformance: ok (%d facts replayed, %d silent rule instances)\n", c.Replayed, c.Silent)
	case c.Failure != nil:
		fmt.Fprintf(&b, "  conformance: FAILED at fact %d of %d: %s\n", c.Failure.Index+1, c.Facts, c.Failure)
		for _, a := range c.Failure.Attempts {
			fmt.Fprintf(&b, "    tried %s: %s\n", a.Rule, a.Reason)
		}
	default:
		fmt.Fprintf(&b, "  conformance: FAILED\n")
	}
	for _, s := range c.Restrictions {
		fmt.Fprintf(&b, "    %s\n", s)
	}
	width := 0
	for _, l := range r.Lemmas {
		width = max(width, len(l.Name))
	}
	for _, l := range r.Lemmas {
		fmt.Fprintf(&b, "  %-*s  %-12s  %s", width, l.Name, "("+l.Traces.String()+")", l.Verdict)
		if l.Reason != "" {
			fmt.Fprintf(&b, ": %s", l.Reason)
		}
		switch {
		case l.Verdict == Violated && l.Violations >= MaxViolations:
			fmt.Fprintf(&b, " (%d or more violating assignments; counting stops at %d)", l.Violations, MaxViolations)
		case l.Verdict == Violated && l.Violations > 1:
			fmt.Fprintf(&b, " (%d violating assignments)", l.Violations)
		}
		b.WriteString("\n")
		if l.Verdict == Violated {
			for _, a := range l.Witness {
				fmt.Fprintf(&b, "      %s = %s\n", a.Var, a.Describe())
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
