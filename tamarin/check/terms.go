package check

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/edgelab/edgelab/model"
)

// tid names an interned ground term. Two terms are the same value iff they
// have the same tid: atoms are compared by (kind, name, digest) — a public
// name $A and the constant 'A' being one kind —, function
// applications by name and arguments (a digest on an application is an
// alias of its structure, not part of its identity — as in model.Knowledge).
type tid int32

const noTerm tid = -1

type tnode struct {
	kind   model.TermKind
	name   string
	digest string // atoms: part of identity; applications: first seen
	args   []tid
}

// terms is a hash-consed table of ground terms.
type terms struct {
	nodes []tnode
	index map[string]tid
	key   []byte
	model []model.Term // memo of toModel, by tid; grown on demand
}

func newTerms() *terms { return &terms{index: map[string]tid{}} }

func (ts *terms) intern(kind model.TermKind, name, digest string, args []tid) tid {
	kb := byte(kind)
	if kind == model.Pub {
		// A public name and the constant of the same name are one value,
		// as in Tamarin ($A instantiated is 'A').
		kb = byte(model.Const)
	}
	key := append(ts.key[:0], kb)
	key = binary.AppendUvarint(key, uint64(len(name)))
	key = append(key, name...)
	if kind != model.Func {
		key = binary.AppendUvarint(key, uint64(len(digest)))
		key = append(key, digest...)
	}
	for _, a := range args {
		key = binary.LittleEndian.AppendUint32(key, uint32(a))
	}
	ts.key = key
	if id, ok := ts.index[string(key)]; ok {
		if ts.nodes[id].digest == "" && digest != "" {
			ts.nodes[id].digest = digest
		}
		return id
	}
	id := tid(len(ts.nodes))
	var own []tid
	if len(args) > 0 {
		own = append([]tid(nil), args...)
	}
	ts.nodes = append(ts.nodes, tnode{kind: kind, name: name, digest: digest, args: own})
	ts.index[string(key)] = id
	return id
}

func (ts *terms) atom(kind model.TermKind, name, digest string) tid {
	return ts.intern(kind, name, digest, nil)
}

func (ts *terms) app(name string, args ...tid) tid {
	return ts.intern(model.Func, name, "", args)
}

// fromModel interns a model term as is (no resolution).
func (ts *terms) fromModel(t model.Term) tid {
	if t.Kind != model.Func {
		return ts.atom(t.Kind, t.Name, t.Digest)
	}
	var small [4]tid
	args := small[:0]
	for _, a := range t.Args {
		args = append(args, ts.fromModel(a))
	}
	return ts.intern(model.Func, t.Name, t.Digest, args)
}

// toModel returns the model term for id, digests included.
func (ts *terms) toModel(id tid) model.Term {
	if int(id) >= len(ts.model) {
		ts.model = append(ts.model, make([]model.Term, len(ts.nodes)-len(ts.model))...)
	}
	if ts.model[id].Kind != 0 {
		return ts.model[id]
	}
	n := ts.nodes[id]
	t := model.Term{Kind: n.kind, Name: n.name, Digest: n.digest}
	if len(n.args) > 0 {
		t.Args = make([]model.Term, len(n.args))
		for i, a := range n.args {
			t.Args[i] = ts.toModel(a)
		}
	}
	ts.model[id] = t
	return t
}

// subterms calls f for id and each of its subterms, each once per call.
func (ts *terms) subterms(id tid, seen map[tid]bool, f func(tid)) {
	if seen[id] {
		return
	}
	seen[id] = true
	f(id)
	for _, a := range ts.nodes[id].args {
		ts.subterms(a, seen, f)
	}
}

// isSubterm reports whether a occurs in b.
func (ts *terms) isSubterm(a, b tid) bool {
	if a == b {
		return true
	}
	for _, x := range ts.nodes[b].args {
		if ts.isSubterm(a, x) {
			return true
		}
	}
	return false
}

// String renders id in Tamarin syntax. Atoms with a digest show its first
// eight characters after '#', so two values with one name can be told
// apart: ~req#3fa2c1d0.
func (ts *terms) String(id tid) string {
	var b strings.Builder
	ts.write(&b, id)
	return b.String()
}

func (ts *terms) write(b *strings.Builder, id tid) {
	n := &ts.nodes[id]
	switch n.kind {
	case model.Const:
		b.WriteByte('\'')
		b.WriteString(n.name)
		b.WriteByte('\'')
	case model.Fresh:
		b.WriteByte('~')
		b.WriteString(n.name)
	case model.Pub:
		b.WriteByte('$')
		b.WriteString(n.name)
	case model.Func:
		if n.name == "pair" && len(n.args) == 2 {
			b.WriteByte('<')
			ts.write(b, n.args[0])
			rest := n.args[1]
			for {
				b.WriteString(", ")
				r := &ts.nodes[rest]
				if r.kind == model.Func && r.name == "pair" && len(r.args) == 2 {
					ts.write(b, r.args[0])
					rest = r.args[1]
					continue
				}
				ts.write(b, rest)
				break
			}
			b.WriteByte('>')
			return
		}
		b.WriteString(n.name)
		b.WriteByte('(')
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			ts.write(b, a)
		}
		b.WriteByte(')')
		return
	}
	if n.digest != "" {
		b.WriteByte('#')
		d := n.digest
		if len(d) > 8 {
			d = d[:8]
		}
		b.WriteString(d)
	}
}

// canon turns the terms of a trace into the checker's canonical values:
//
//   - An atom without a digest inside an application that has one stands
//     for a value those bytes determine, so it gets a digest derived from
//     the nearest such ancestor and its position: pk(~sk) recorded for two
//     different keys is two different ~sk, not one.
//   - An atom whose digest a Binding ties to a structured term is replaced
//     by that term (recursively): the relay's opaque ~blob is the client's
//     hpke(...) with the same digest.
type canon struct {
	ts   *terms
	bind *model.Binding
	memo map[string]tid // digest -> resolved term, for bound atoms
	busy map[string]bool
}

func newCanon(ts *terms) *canon {
	return &canon{ts: ts, bind: model.NewBinding(), memo: map[string]tid{}, busy: map[string]bool{}}
}

// disambiguate returns t with digest-less atoms under a digest-carrying
// application given derived digests.
func disambiguate(t model.Term) model.Term {
	if t.Kind != model.Func || !hasAnonAtom(t) {
		return t
	}
	return disamb(t, "", "")
}

func hasAnonAtom(t model.Term) bool {
	if t.Kind != model.Func {
		return t.Kind == model.Fresh && t.Digest == ""
	}
	for _, a := range t.Args {
		if hasAnonAtom(a) {
			return true
		}
	}
	return false
}

func disamb(t model.Term, anc, path string) model.Term {
	if t.Kind != model.Func {
		if t.Digest == "" && anc != "" && t.Kind == model.Fresh {
			sum := sha256.Sum256([]byte("edgelab/check derived|" + anc + "|" + path + "|" + t.Name))
			t.Digest = hex.EncodeToString(sum[:])
		}
		return t
	}
	if t.Digest != "" {
		anc, path = t.Digest, ""
	}
	out := t
	out.Args = make([]model.Term, len(t.Args))
	for i, a := range t.Args {
		out.Args[i] = disamb(a, anc, path+"/"+strconv.Itoa(i))
	}
	return out
}

// add records the digest-carrying applications of t for resolution.
func (c *canon) add(t model.Term) { c.bind.Bind(t) }

// term returns the canonical value of an (already disambiguated) term.
func (c *canon) term(t model.Term) tid {
	if t.Kind != model.Func {
		if t.Digest != "" {
			if id, ok := c.memo[t.Digest]; ok {
				return id
			}
			if bound := c.bind.Lookup(t.Digest); len(bound) > 0 && !c.busy[t.Digest] {
				c.busy[t.Digest] = true
				id := c.term(bound[0])
				delete(c.busy, t.Digest)
				c.memo[t.Digest] = id
				return id
			}
		}
		return c.ts.atom(t.Kind, t.Name, t.Digest)
	}
	var small [4]tid
	args := small[:0]
	for _, a := range t.Args {
		args = append(args, c.term(a))
	}
	return c.ts.intern(model.Func, t.Name, t.Digest, args)
}
