package model

import "sort"

// Resolver maps a digest (the hex SHA-256 of some concrete bytes) to the
// structured terms known to stand for those bytes. A Knowledge consults it
// for every term with a digest, so an opaque record — a relay's
// NewFresh("blob").WithDigest(b) — can be analysed as the structured term
// the client recorded for the same bytes.
type Resolver interface {
	Lookup(digest string) []Term
}

// Binding is a Resolver built from recorded terms: every function
// application that carries a digest is bound to it. Build it from a whole
// trace (BindTrace) and hand it to each party's Knowledge: resolving an
// opaque term grants no knowledge by itself, it only tells the engine what
// the bytes are made of, so a party still needs the keys to open them.
type Binding struct {
	byDigest map[string][]Term
}

// NewBinding returns a Binding of every digest-carrying application in
// terms and their subterms.
func NewBinding(terms ...Term) *Binding {
	b := &Binding{byDigest: map[string][]Term{}}
	b.Bind(terms...)
	return b
}

// Bind adds the digest-carrying applications in terms and their subterms.
// Atoms are not bound: an atom has no structure to reveal, and atoms with
// equal digests are linked by Knowledge anyway.
func (b *Binding) Bind(terms ...Term) {
	for _, t := range terms {
		b.bind(t)
	}
}

func (b *Binding) bind(t Term) {
	for _, a := range t.Args {
		b.bind(a)
	}
	if t.Kind != Func || t.Digest == "" {
		return
	}
	for _, old := range b.byDigest[t.Digest] {
		if old.Equal(t) {
			return
		}
	}
	b.byDigest[t.Digest] = append(b.byDigest[t.Digest], t)
}

// BindTrace binds the terms of every event in tr.
func (b *Binding) BindTrace(tr *Trace) {
	for i := range tr.Events {
		b.Bind(tr.Events[i].Args...)
	}
}

// Lookup returns the structured terms bound to digest, first bound first.
// More than one means the trace gave the same bytes two symbolic readings
// (say, two encryptions that differ only in randomness); Knowledge treats
// them all as the same value.
func (b *Binding) Lookup(digest string) []Term { return b.byDigest[digest] }

// Digests lists the bound digests in order.
func (b *Binding) Digests() []string {
	out := make([]string, 0, len(b.byDigest))
	for d := range b.byDigest {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Resolve returns t with every atom whose digest is bound replaced by the
// first structured term bound to it, recursively. It is for display and for
// callers that want the structure spelled out; Knowledge resolves by itself.
func (b *Binding) Resolve(t Term) Term {
	return b.resolve(t, map[string]bool{})
}

func (b *Binding) resolve(t Term, active map[string]bool) Term {
	if t.Kind != Func && t.Digest != "" && !active[t.Digest] {
		if bound := b.byDigest[t.Digest]; len(bound) > 0 {
			// active guards against a digest bound to a term that
			// contains the same digest again.
			active[t.Digest] = true
			r := b.resolve(bound[0], active)
			delete(active, t.Digest)
			return r
		}
	}
	if len(t.Args) == 0 {
		return t
	}
	out := t
	out.Args = make([]Term, len(t.Args))
	for i, a := range t.Args {
		out.Args[i] = b.resolve(a, active)
	}
	return out
}
