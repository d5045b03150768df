package model

import (
	"encoding/binary"
	"slices"
	"sort"
)

// Knowledge is what a party, or a coalition of parties, knows in the
// Dolev–Yao sense: the terms it was given, everything it can take apart
// from them (analysis, saturated eagerly on Add), and everything it can
// build from those with public functions (synthesis, decided on demand by
// Derivable).
//
// Identity of terms. Terms are compared by structure. An atom's Digest is
// part of its identity: two opaque records ~blob with different digests are
// different values, which is the whole point of digests. A function
// application's Digest is not: its arguments determine it. Any two terms
// with the same non-empty Digest are aliases — spellings of the same bytes —
// so knowing one is knowing the other; and with a Resolver (see Binding) an
// opaque atom is analysed as the structured term bound to its digest.
//
// Saturation always terminates: the only terms analysis opens are
// subterms of what the party was given (NewSignature refuses rules that
// would give new terms for other rules to open), and each is opened once. A decryption whose key is not yet derivable waits on the
// nodes that block it and is retried only when one of them becomes known,
// so saturation stays near-linear in the size of the view.
//
// A Knowledge is not safe for concurrent use.
type Knowledge struct {
	sig    *Signature
	res    Resolver
	nodes  []node
	index  map[string]int32   // structural key -> node
	groups map[string][]int32 // digest -> nodes spelling those bytes
	looked map[string]bool    // digests already asked of res
	given  []Term
	work   []int32 // nodes newly known, not yet analysed
	retry  []int32 // pending rules whose blockers moved
	pend   []pending
	key    []byte  // scratch for interning
	env    []int32 // scratch for matching
	arena  []int32 // current block of node arguments

	// Cold data lives beside the nodes, not in them: the node table is
	// the hot loop, and a small node keeps a 10k-term view in cache.
	why     []origin           // parallel to nodes
	waiters map[int32][]int32  // node -> pending rules blocked on it
	aliases map[int32][]string // node -> digests it spells
}

// node is one interned term. Arguments are interned first, so a node's
// arguments always have smaller ids than the node itself.
type node struct {
	name      string
	digest    string // part of identity, for atoms only
	args      []int32
	kind      TermKind
	known     bool // given or learned by analysis
	derivable bool // known, or composable from derivable parts
	aliased   bool // has an entry in Knowledge.aliases
}

type originKind uint8

const (
	fromView originKind = iota + 1
	fromAlias
	fromRule
)

// origin records why a node is known, for Explain.
type origin struct {
	kind   originKind
	from   int32 // the alias, or the analysed term
	pend   int32 // the rule application, for fromRule
	digest string
}

// pending is one application of a destructor rule to a known term, waiting
// for its keys to become derivable.
type pending struct {
	of    int32
	rule  int
	keys  []int32
	gives []int32
	done  bool
}

// NewKnowledge returns the knowledge of a party that was given terms,
// reasoning with sig (PairSignature if nil: a protocol's own message
// theory is its to give, derived from its Tamarin theory).
func NewKnowledge(sig *Signature, terms ...Term) *Knowledge {
	if sig == nil {
		sig = PairSignature
	}
	k := &Knowledge{
		sig:     sig,
		index:   map[string]int32{},
		groups:  map[string][]int32{},
		looked:  map[string]bool{},
		waiters: map[int32][]int32{},
		aliases: map[int32][]string{},
	}
	k.Add(terms...)
	return k
}

// Signature returns the signature k reasons with.
func (k *Knowledge) Signature() *Signature { return k.sig }

// Add gives the party more terms and saturates.
func (k *Knowledge) Add(terms ...Term) {
	// A recorded term interns to a handful of nodes; growing once up
	// front saves repeated copying of a large table.
	k.nodes = slices.Grow(k.nodes, 4*len(terms))
	k.why = slices.Grow(k.why, 4*len(terms))
	for _, t := range terms {
		k.given = append(k.given, t)
		k.markKnown(k.intern(t), origin{kind: fromView})
	}
	k.saturate()
}

// SetResolver makes k analyse opaque terms as the structured terms r binds
// to their digests: those already added as well as those added later.
func (k *Knowledge) SetResolver(r Resolver) {
	k.res = r
	k.looked = map[string]bool{}
	digests := make([]string, 0, len(k.groups))
	for d := range k.groups {
		digests = append(digests, d)
	}
	// Sorted, so node numbering — and with it Explain's output — does
	// not depend on map order.
	sort.Strings(digests)
	for _, d := range digests {
		k.lookup(d)
	}
	k.saturate()
}

// Given returns the terms the party was given, in order.
func (k *Knowledge) Given() []Term { return append([]Term(nil), k.given...) }

// Known returns every term the party was given or learned by analysis, in
// the order it became part of the index. It does not list what the party
// could compose; that set is infinite.
func (k *Knowledge) Known() []Term {
	var out []Term
	for i := range k.nodes {
		if k.nodes[i].known {
			out = append(out, k.term(int32(i)))
		}
	}
	return out
}

// Derivable reports whether the party can produce t: t is known after
// analysis, or public (a Pub or Const atom), or a public function applied
// to derivable arguments, or an alias of something derivable.
func (k *Knowledge) Derivable(t Term) bool {
	id := k.intern(t)
	k.saturate()
	return k.synth(id, nil)
}

// Union returns the knowledge of a coalition: k's and others' given terms
// together, analysed with k's signature and resolver.
func (k *Knowledge) Union(others ...*Knowledge) *Knowledge {
	u := NewKnowledge(k.sig)
	if k.res != nil {
		u.SetResolver(k.res)
	}
	u.Add(k.given...)
	for _, o := range others {
		u.Add(o.given...)
	}
	return u
}

// intern returns the node for t, creating it (and its arguments) if new.
func (k *Knowledge) intern(t Term) int32 {
	var small [4]int32
	args := small[:0]
	for _, a := range t.Args {
		args = append(args, k.intern(a))
	}
	digest := ""
	if t.Kind != Func {
		digest = t.Digest
	}
	id := k.internNode(t.Kind, t.Name, digest, args)
	if t.Digest != "" {
		k.link(id, t.Digest)
	}
	return id
}

func (k *Knowledge) internNode(kind TermKind, name, digest string, args []int32) int32 {
	key := append(k.key[:0], byte(kind))
	key = binary.AppendUvarint(key, uint64(len(name)))
	key = append(key, name...)
	key = binary.AppendUvarint(key, uint64(len(digest)))
	key = append(key, digest...)
	for _, a := range args {
		key = binary.LittleEndian.AppendUint32(key, uint32(a))
	}
	k.key = key
	if id, ok := k.index[string(key)]; ok {
		return id
	}
	id := int32(len(k.nodes))
	k.nodes = append(k.nodes, node{kind: kind, name: name, digest: digest, args: k.keep(args)})
	k.why = append(k.why, origin{})
	k.index[string(key)] = id
	return id
}

// keep copies args into the arena, so nodes share a few large blocks
// instead of owning one small allocation each. Blocks never move.
func (k *Knowledge) keep(args []int32) []int32 {
	if len(args) == 0 {
		return nil
	}
	if cap(k.arena)-len(k.arena) < len(args) {
		k.arena = make([]int32, 0, max(4096, len(args)))
	}
	start := len(k.arena)
	k.arena = append(k.arena, args...)
	return k.arena[start:len(k.arena):len(k.arena)]
}

// link records that node id spells the bytes with digest d.
func (k *Knowledge) link(id int32, d string) {
	for _, x := range k.aliases[id] {
		if x == d {
			return
		}
	}
	k.aliases[id] = append(k.aliases[id], d)
	k.nodes[id].aliased = true
	group := k.groups[d]
	k.groups[d] = append(group, id)
	for _, m := range group {
		if k.nodes[m].known {
			k.markKnown(id, origin{kind: fromAlias, from: m, digest: d})
			break
		}
	}
	if k.nodes[id].known {
		for _, m := range group {
			k.markKnown(m, origin{kind: fromAlias, from: id, digest: d})
		}
	}
	// A new spelling may be composable where the old ones were not:
	// whatever waited on the old ones looks again.
	for _, m := range group {
		k.wake(m)
	}
	k.lookup(d)
}

// lookup asks the resolver, once per digest, for the structure behind d.
func (k *Knowledge) lookup(d string) {
	if k.res == nil || k.looked[d] {
		return
	}
	k.looked[d] = true
	for _, s := range k.res.Lookup(d) {
		k.link(k.intern(s), d)
	}
}

func (k *Knowledge) markKnown(id int32, why origin) {
	n := &k.nodes[id]
	if n.known {
		return
	}
	n.known, n.derivable = true, true
	k.why[id] = why
	k.work = append(k.work, id)
}

func (k *Knowledge) wake(id int32) {
	if w, ok := k.waiters[id]; ok {
		k.retry = append(k.retry, w...)
		delete(k.waiters, id)
	}
}

// saturate runs analysis to a fixpoint.
func (k *Knowledge) saturate() {
	for {
		if n := len(k.work); n > 0 {
			id := k.work[n-1]
			k.work = k.work[:n-1]
			k.analyse(id)
			continue
		}
		if n := len(k.retry); n > 0 {
			pid := k.retry[n-1]
			k.retry = k.retry[:n-1]
			k.try(pid)
			continue
		}
		return
	}
}

// analyse handles a node that just became known: its aliases become known,
// rules waiting on it are retried, and the destructor rules for its head
// symbol are applied.
func (k *Knowledge) analyse(id int32) {
	if k.nodes[id].aliased {
		for _, d := range k.aliases[id] {
			for _, m := range k.groups[d] {
				k.markKnown(m, origin{kind: fromAlias, from: id, digest: d})
			}
		}
	}
	k.wake(id)
	n := &k.nodes[id]
	if n.kind != Func {
		return
	}
	name, nargs := n.name, len(n.args) // n dangles once build interns
	for _, ri := range k.sig.byFn[name] {
		r := &k.sig.rules[ri]
		if len(r.of.args) != nargs {
			continue
		}
		env := slices.Grow(k.env[:0], r.nvars)[:r.nvars]
		k.env = env
		if !k.match(r.of, id, env) {
			continue
		}
		p := pending{of: id, rule: ri, keys: make([]int32, 0, len(r.keys)), gives: make([]int32, 0, len(r.gives))}
		for _, c := range r.keys {
			p.keys = append(p.keys, k.build(c, env))
		}
		for _, c := range r.gives {
			p.gives = append(p.gives, k.build(c, env))
		}
		k.pend = append(k.pend, p)
		k.try(int32(len(k.pend) - 1))
	}
}

// match binds env so that pattern p spells node id.
func (k *Knowledge) match(p cpat, id int32, env []int32) bool {
	if p.v >= 0 {
		env[p.v] = id
		return true
	}
	n := &k.nodes[id]
	if n.kind != Func || n.name != p.fn || len(n.args) != len(p.args) {
		return false
	}
	for i := range p.args {
		if !k.match(p.args[i], n.args[i], env) {
			return false
		}
	}
	return true
}

// build interns the instance of pattern p under env.
func (k *Knowledge) build(p cpat, env []int32) int32 {
	if p.v >= 0 {
		return env[p.v]
	}
	var small [4]int32
	args := small[:0]
	for _, a := range p.args {
		args = append(args, k.build(a, env))
	}
	return k.internNode(Func, p.fn, "", args)
}

// try fires pending rule pid if all its keys are derivable, or parks it on
// the nodes that block it.
func (k *Knowledge) try(pid int32) {
	if k.pend[pid].done {
		return
	}
	for _, key := range k.pend[pid].keys {
		var path []int32
		if !k.synth(key, &path) {
			for _, b := range path {
				if w := k.waiters[b]; len(w) == 0 || w[len(w)-1] != pid {
					k.waiters[b] = append(w, pid)
				}
			}
			return
		}
	}
	p := &k.pend[pid]
	p.done = true
	for _, g := range p.gives {
		k.markKnown(g, origin{kind: fromRule, from: p.of, pend: pid})
	}
}

// synth decides whether node id is derivable. When it is not and path is
// non-nil, path receives the nodes whose becoming known could change that:
// the chain from id down to the first underivable argument, and the same
// for each alias.
func (k *Knowledge) synth(id int32, path *[]int32) bool {
	w := synthWalk{k: k, path: path}
	return w.ok(id)
}

type synthWalk struct {
	k    *Knowledge
	path *[]int32
	seen map[int32]bool
}

func (w *synthWalk) ok(id int32) bool {
	k := w.k
	n := &k.nodes[id]
	if n.derivable {
		return true
	}
	switch n.kind {
	case Pub, Const:
		n.derivable = true
		return true
	case Func:
		if k.sig.composable(n.name, len(n.args)) {
			all := true
			for _, a := range n.args {
				if !w.ok(a) {
					all = false
					break
				}
			}
			if all {
				k.nodes[id].derivable = true
				return true
			}
		}
	}
	if n.aliased {
		if w.seen == nil {
			w.seen = map[int32]bool{}
		}
		if !w.seen[id] {
			w.seen[id] = true
			for _, d := range k.aliases[id] {
				for _, m := range k.groups[d] {
					if m != id && w.ok(m) {
						k.nodes[id].derivable = true
						return true
					}
				}
			}
		}
	}
	if w.path != nil {
		*w.path = append(*w.path, id)
	}
	return false
}

// term rebuilds the Term a node stands for. An application shows the first
// digest it was seen with.
func (k *Knowledge) term(id int32) Term {
	n := &k.nodes[id]
	t := Term{Kind: n.kind, Name: n.name, Digest: n.digest}
	if n.kind == Func && n.aliased {
		t.Digest = k.aliases[id][0]
	}
	if len(n.args) > 0 {
		t.Args = make([]Term, len(n.args))
		for i, a := range n.args {
			t.Args[i] = k.term(a)
		}
	}
	return t
}
