package model

import (
	"testing"

	"pgregory.net/rapid"
)

// Terms over a small alphabet, so that random views share names and keys
// and decryptions actually happen.
var (
	dyFreshNames = []string{"a", "b", "c", "k", "s"}
	dyPubNames   = []string{"A", "B"}
)

func dyGenTerm(depth int) *rapid.Generator[Term] {
	atom := rapid.OneOf(
		rapid.Map(rapid.SampledFrom(dyFreshNames), NewFresh),
		rapid.Map(rapid.SampledFrom(dyPubNames), NewPub),
		rapid.Just(NewConst("c")),
	)
	if depth == 0 {
		return atom
	}
	sub := dyGenTerm(depth - 1)
	return rapid.OneOf(
		atom,
		rapid.Custom(func(t *rapid.T) Term { return Pair(sub.Draw(t, "l"), sub.Draw(t, "r")) }),
		rapid.Custom(func(t *rapid.T) Term { return dySenc(sub.Draw(t, "m"), sub.Draw(t, "k")) }),
		rapid.Custom(func(t *rapid.T) Term { return dyAenc(sub.Draw(t, "m"), dyPk(sub.Draw(t, "sk"))) }),
		rapid.Custom(func(t *rapid.T) Term { return dyPk(sub.Draw(t, "sk")) }),
		rapid.Custom(func(t *rapid.T) Term { return Apply("h", sub.Draw(t, "x")) }),
		rapid.Custom(func(t *rapid.T) Term {
			return Apply("hpke", dyPk(sub.Draw(t, "sk")), sub.Draw(t, "e"), sub.Draw(t, "m"))
		}),
		rapid.Custom(func(t *rapid.T) Term {
			return Apply("hpkectx", dyPk(sub.Draw(t, "sk")), sub.Draw(t, "e"))
		}),
	)
}

var dyGenView = rapid.SliceOfN(dyGenTerm(3), 0, 8)

// subterms lists t and all its subterms, the natural queries for a view.
func dySubterms(t Term, out []Term) []Term {
	out = append(out, t)
	for _, a := range t.Args {
		out = dySubterms(a, out)
	}
	return out
}

// dyNaive is a deliberately simple reference: a set of known terms, closed
// under the testSignature's rules by rescanning until nothing changes.
type dyNaive struct{ known map[string]Term }

func newDyNaive(view []Term) *dyNaive {
	n := &dyNaive{known: map[string]Term{}}
	for _, t := range view {
		n.known[t.String()] = t
	}
	for changed := true; changed; {
		changed = false
		for _, t := range n.snapshot() {
			for _, g := range n.analyse(t) {
				if _, ok := n.known[g.String()]; !ok {
					n.known[g.String()] = g
					changed = true
				}
			}
		}
	}
	return n
}

func (n *dyNaive) snapshot() []Term {
	out := make([]Term, 0, len(n.known))
	for _, t := range n.known {
		out = append(out, t)
	}
	return out
}

func (n *dyNaive) analyse(t Term) []Term {
	if t.Kind != Func {
		return nil
	}
	a := t.Args
	switch t.Name {
	case "pair":
		return a
	case "senc":
		if n.derivable(a[1]) {
			return a[:1]
		}
	case "aenc":
		if a[1].Kind == Func && a[1].Name == "pk" && n.derivable(a[1].Args[0]) {
			return a[:1]
		}
	case "hpke":
		out := []Term{a[0], dyPk(a[1])}
		if a[0].Kind == Func && a[0].Name == "pk" && n.derivable(a[0].Args[0]) {
			out = append(out, Apply("hpkectx", a[0], a[1]))
		}
		if n.derivable(Apply("hpkectx", a[0], a[1])) {
			out = append(out, a[2])
		}
		return out
	}
	return nil
}

func (n *dyNaive) derivable(t Term) bool {
	if _, ok := n.known[t.String()]; ok {
		return true
	}
	switch t.Kind {
	case Pub, Const:
		return true
	case Func:
		for _, a := range t.Args {
			if !n.derivable(a) {
				return false
			}
		}
		return true
	}
	return false
}

func TestPropMatchesNaiveReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		view := dyGenView.Draw(t, "view")
		extra := rapid.SliceOfN(dyGenTerm(2), 0, 4).Draw(t, "extra")
		ref := newDyNaive(view)
		kn := NewKnowledge(testSignature, view...)
		var queries []Term
		for _, v := range append(append([]Term{}, view...), extra...) {
			queries = dySubterms(v, queries)
		}
		for _, q := range queries {
			if got, want := kn.Derivable(q), ref.derivable(q); got != want {
				t.Fatalf("Derivable(%s) = %v, reference says %v", q, got, want)
			}
		}
	})
}

func TestPropMonotone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		small := dyGenView.Draw(t, "small")
		more := dyGenView.Draw(t, "more")
		q := dyGenTerm(3).Draw(t, "query")
		sub := NewKnowledge(testSignature, small...)
		super := NewKnowledge(testSignature, append(append([]Term{}, more...), small...)...)
		if sub.Derivable(q) && !super.Derivable(q) {
			t.Fatalf("%s derivable from a subset but not from the superset", q)
		}
		// Adding to the same knowledge is monotone too.
		before := sub.Derivable(q)
		sub.Add(more...)
		if before && !sub.Derivable(q) {
			t.Fatalf("%s no longer derivable after Add", q)
		}
	})
}

func TestPropOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		view := dyGenView.Draw(t, "view")
		perm := rapid.Permutation(view).Draw(t, "perm")
		batch := NewKnowledge(testSignature, view...)
		oneByOne := NewKnowledge(testSignature)
		for _, v := range perm {
			oneByOne.Add(v)
		}
		var queries []Term
		for _, v := range view {
			queries = dySubterms(v, queries)
		}
		queries = append(queries, dyGenTerm(3).Draw(t, "query"))
		for _, q := range queries {
			if batch.Derivable(q) != oneByOne.Derivable(q) {
				t.Fatalf("Derivable(%s) depends on the order terms were added", q)
			}
		}
	})
}

func TestPropGivenAndPublicAlwaysDerivable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		view := dyGenView.Draw(t, "view")
		kn := NewKnowledge(testSignature, view...)
		for _, v := range view {
			if !kn.Derivable(v) {
				t.Fatalf("given term %s not derivable", v)
			}
		}
		// A term with no fresh names is public.
		q := dyGenTerm(3).Filter(func(x Term) bool { return !dyHasFresh(x) }).Draw(t, "public")
		if !NewKnowledge(testSignature).Derivable(q) {
			t.Fatalf("public term %s not derivable from nothing", q)
		}
	})
}

func TestPropUnseenFreshNeverDerivable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		view := dyGenView.Draw(t, "view")
		kn := NewKnowledge(testSignature, view...)
		secret := NewFresh("never-seen")
		if kn.Derivable(secret) {
			t.Fatal("a fresh name that never appears is derivable")
		}
		wrapped := Pair(dyGenTerm(2).Draw(t, "with"), secret)
		if kn.Derivable(wrapped) {
			t.Fatalf("%s derivable though it contains an unseen secret", wrapped)
		}
	})
}

func dyHasFresh(t Term) bool {
	if t.Kind == Fresh {
		return true
	}
	for _, a := range t.Args {
		if dyHasFresh(a) {
			return true
		}
	}
	return false
}
