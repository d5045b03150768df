package model

import (
	"fmt"
	"strings"
)

// Explain returns how the party derives t, one step per line, each step
// after the steps it relies on:
//
//	~k: given
//	senc(~m, ~k): given
//	~m: by sdec from senc(~m, ~k) with ~k
//	h(~m): composed with h
//
// ok is false, and steps nil, if t is not derivable.
func (k *Knowledge) Explain(t Term) (steps []string, ok bool) {
	id := k.intern(t)
	k.saturate()
	if !k.synth(id, nil) {
		return nil, false
	}
	e := explainer{k: k, done: map[int32]bool{}}
	e.explain(id)
	return e.steps, true
}

type explainer struct {
	k     *Knowledge
	done  map[int32]bool
	steps []string
}

func (e *explainer) explain(id int32) {
	if e.done[id] {
		return
	}
	e.done[id] = true
	k := e.k
	n := &k.nodes[id]
	name := k.term(id).String()
	if n.known {
		switch w := k.why[id]; w.kind {
		case fromView:
			e.add("%s: given", name)
		case fromAlias:
			e.explain(w.from)
			e.add("%s: same bytes as %s (digest %s)", name, k.term(w.from), short(w.digest))
		case fromRule:
			p := &k.pend[w.pend]
			e.explain(w.from)
			for _, key := range p.keys {
				e.explain(key)
			}
			line := fmt.Sprintf("%s: by %s from %s", name, k.sig.rules[p.rule].src.Name, k.term(w.from))
			if len(p.keys) > 0 {
				keys := make([]string, len(p.keys))
				for i, key := range p.keys {
					keys[i] = k.term(key).String()
				}
				line += " with " + strings.Join(keys, ", ")
			}
			e.steps = append(e.steps, line)
		}
		return
	}
	switch n.kind {
	case Pub:
		e.add("%s: public name", name)
		return
	case Const:
		e.add("%s: public constant", name)
		return
	case Func:
		if k.sig.composable(n.name, len(n.args)) && e.argsDerivable(n.args) {
			for _, a := range n.args {
				e.explain(a)
			}
			e.add("%s: composed with %s", name, n.name)
			return
		}
	}
	// Derivable only through another spelling of the same bytes.
	for _, d := range k.aliases[id] {
		for _, m := range k.groups[d] {
			if m != id && k.nodes[m].derivable {
				e.explain(m)
				e.add("%s: same bytes as %s (digest %s)", name, k.term(m), short(d))
				return
			}
		}
	}
	e.add("%s: derivable", name)
}

func (e *explainer) argsDerivable(args []int32) bool {
	for _, a := range args {
		if !e.k.nodes[a].derivable {
			return false
		}
	}
	return true
}

func (e *explainer) add(format string, args ...any) {
	e.steps = append(e.steps, fmt.Sprintf(format, args...))
}

// short abbreviates a hex digest for humans.
func short(d string) string {
	if len(d) > 12 {
		return d[:12] + "…"
	}
	return d
}
