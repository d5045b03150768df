// Package export writes a recorded run as a Tamarin theory, so that
// tamarin-prover can confirm that the model allows it.
package export

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// LemmaName is the name of the lemma Spthy writes.
const LemmaName = "trace_is_a_run"

// Spthy writes a theory called name with th's builtins, functions,
// equations, rules and restrictions, its [sources] lemmas (the others left
// out), and one more lemma:
//
//	lemma trace_is_a_run:
//	  exists-trace
//	  "Ex req_1 ek_1 ... #e0 #e1 ... .
//	     KeyPublish('gateway.example', '1', pk(sk_1)) @ #e0
//	   & ClientSend('client-0', 'gateway.example', req_1, hpke(pk(sk_1), ek_1, req_1)) @ #e1
//	   & ...
//	   & #e0 < #e1 & #e1 < #e2 & ...
//	   & not (Ex #r. RevealRelay() @ #r) & ..."
//
// that is: there is a run of the model whose action facts include the
// trace's, in the trace's order, with no compromise action at all. Each
// recorded action fact is one time point (one rule instance). Public names
// and constants of the trace become constants ('client-0'); each distinct
// fresh value (told apart by digest) becomes an existentially quantified
// variable, so values the trace shares stay shared. Opaque terms are
// resolved through the trace's digests first (check.ResolveFacts), so the
// relay's ~blob reads as the client's hpke(...).
//
// Tamarin proves the lemma by finding such a run, and that search grows
// steeply with the facts it must place: SpthyParts splits a long run.
func Spthy(w io.Writer, th *spthy.Theory, tr *model.Trace, name string) error {
	return SpthyParts(w, th, tr, name, 0)
}

// SpthyParts is Spthy with the run split into lemmas of about maxFacts
// facts each (0: one lemma, as Spthy), named trace_is_a_run_1, _2, ....
// Each part takes a stretch of the trace in order and, with every fact,
// the facts that first recorded the fresh values it uses (and theirs, to
// the root), so a part is a run on its own: a reply is placed after the
// send that chose its request, every use of a key after its publication.
// Every fact of the trace is in some part. What the parts do not say
// together is that one run holds them all at once: the order between
// facts of different parts, and state one part's facts leave for
// another's (a replayed request seen twice), are checked by the Go
// checker's replay of the whole run, not by these lemmas.
func SpthyParts(w io.Writer, th *spthy.Theory, tr *model.Trace, name string, maxFacts int) error {
	if !ident.MatchString(name) {
		return fmt.Errorf("theory name %q is not an identifier", name)
	}
	if maxFacts < 0 {
		return fmt.Errorf("maxFacts %d: want 0 (one lemma) or more", maxFacts)
	}
	facts := check.ResolveFacts(tr)
	if len(facts) == 0 {
		return fmt.Errorf("the trace has no action facts")
	}
	arity := map[string]int{}
	for _, r := range th.Rules {
		for _, a := range r.Actions {
			arity[a.Name] = len(a.Args)
		}
	}
	for _, e := range facts {
		if n, ok := arity[e.Name]; !ok || n != len(e.Args) {
			return fmt.Errorf("event %d: %s/%d is not an action of theory %s", e.Seq, e.Name, len(e.Args), th.Name)
		}
	}
	cfg, err := check.ConfigFor(th)
	if err != nil {
		return err
	}
	comp := check.CompromiseFacts(th, cfg)
	groups := [][]int{allIndexes(len(facts))}
	if maxFacts > 0 {
		groups = split(facts, maxFacts)
	}
	lemmas := helperLemmas(th)
	for k, g := range groups {
		l, err := runLemma(facts, g, comp)
		if err != nil {
			return err
		}
		l.Name = LemmaName
		if len(groups) > 1 {
			l.Name = fmt.Sprintf("%s_%d", LemmaName, k+1)
			l.Doc = fmt.Sprintf("Part %d of %d of the recorded run (trace sha256 %s), %d of its %d action facts,\n"+
				"with the facts their fresh values come from: they happen in this order, with no compromise.%s",
				k+1, len(groups), tr.HashHex(), len(g), len(facts), l.Doc)
		} else {
			l.Doc = fmt.Sprintf("The recorded run (%d action facts, trace sha256 %s) is a run of theory %s:\n"+
				"its facts happen in this order, with no compromise.%s", len(facts), tr.HashHex(), th.Name, l.Doc)
		}
		l.Doc += "\nexpect: verified"
		lemmas = append(lemmas, l)
	}
	out := &spthy.Theory{
		Name:         name,
		Builtins:     th.Builtins,
		Functions:    th.Functions,
		Equations:    th.Equations,
		Rules:        th.Rules,
		Restrictions: th.Restrictions,
		Lemmas:       lemmas,
	}
	return spthy.Print(w, out)
}

// runLemma is the exists-trace lemma that the facts at idx (in trace
// order) happen in that order with no compromise action. Its Doc holds
// only the renamed public names, for the caller to complete.
func runLemma(facts []model.Event, idx []int, comp map[string]int) (spthy.Lemma, error) {
	vars := &namer{byKey: map[string]string{}, count: map[string]int{}, consts: map[string]string{}, taken: map[string]string{}}
	var body []spthy.Formula
	var times []spthy.Term
	for _, i := range idx {
		e := facts[i]
		f := spthy.Fact{Name: e.Name}
		for _, a := range e.Args {
			t, err := vars.term(a)
			if err != nil {
				return spthy.Lemma{}, fmt.Errorf("event %d: %w", e.Seq, err)
			}
			f.Args = append(f.Args, t)
		}
		at := spthy.Variable(fmt.Sprintf("e%d", i), spthy.SortTemporal)
		times = append(times, at)
		body = append(body, spthy.Action{Fact: f, At: at})
	}
	for i := 1; i < len(times); i++ {
		body = append(body, spthy.Less{L: times[i-1], R: times[i]})
	}
	for _, n := range sortedKeys(comp) {
		var qv []spthy.Term
		f := spthy.Fact{Name: n}
		for j := 0; j < comp[n]; j++ {
			v := spthy.Variable(fmt.Sprintf("y%d", j+1), spthy.SortMsg)
			qv = append(qv, v)
			f.Args = append(f.Args, v)
		}
		r := spthy.Variable("r", spthy.SortTemporal)
		qv = append(qv, r)
		body = append(body, spthy.Not{F: spthy.Quantified{Exists: true, Vars: qv, Body: spthy.Action{Fact: f, At: r}}})
	}
	conj := body[0]
	for _, f := range body[1:] {
		conj = spthy.Binary{Op: spthy.And, L: conj, R: f}
	}
	qvars := append(append([]spthy.Term(nil), vars.order...), times...)
	doc := ""
	if r := vars.renamed(); r != "" {
		doc = "\nPublic names: " + r + "."
	}
	return spthy.Lemma{Traces: spthy.ExistsTrace, Formula: spthy.Quantified{Exists: true, Vars: qvars, Body: conj}, Doc: doc}, nil
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// split packs the facts, in trace order, into groups of at most maxFacts
// facts, each fact together with its origins: the facts that first
// recorded the fresh values it holds, and their origins in turn. A fact
// whose origins alone exceed maxFacts gets a group of its own, as large
// as they need.
func split(facts []model.Event, maxFacts int) [][]int {
	first := map[string]int{} // fresh value -> the fact that first holds it
	origins := make([][]int, len(facts))
	for i, e := range facts {
		direct := map[int]bool{}
		for _, a := range e.Args {
			freshValues(a, func(key string) {
				if j, seen := first[key]; !seen {
					first[key] = i
				} else if j != i {
					direct[j] = true
				}
			})
		}
		closure := map[int]bool{i: true}
		for j := range direct {
			for _, k := range origins[j] {
				closure[k] = true
			}
		}
		origins[i] = sortedSet(closure)
	}
	var groups [][]int
	cur := map[int]bool{}
	for i := range facts {
		grown := len(cur)
		for _, k := range origins[i] {
			if !cur[k] {
				grown++
			}
		}
		if grown > maxFacts && len(cur) > 0 {
			groups = append(groups, sortedSet(cur))
			cur = map[int]bool{}
		}
		for _, k := range origins[i] {
			cur[k] = true
		}
	}
	return append(groups, sortedSet(cur))
}

// freshValues calls fn with the key of every fresh value in t, as namer
// tells them apart (name and digest).
func freshValues(t model.Term, fn func(key string)) {
	if t.Kind == model.Fresh {
		fn(t.Name + "\x00" + t.Digest)
		return
	}
	for _, a := range t.Args {
		freshValues(a, fn)
	}
}

func sortedSet(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// helperLemmas returns th's [sources] lemmas: tamarin-prover needs them to
// refine the sources of partial deconstructions before any proof. The
// [reuse] lemmas stay out. They only prune a search, and an exists-trace
// search pays for applying them at every step: an exported part proves
// in about half the time without them.
func helperLemmas(th *spthy.Theory) []spthy.Lemma {
	var out []spthy.Lemma
	for _, l := range th.Lemmas {
		for _, a := range l.Attrs {
			if a.Key == "sources" {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

var ident = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// namer turns a run's values into lemma terms.
type namer struct {
	byKey  map[string]string // fresh atom identity -> variable name
	count  map[string]int
	order  []spthy.Term
	consts map[string]string // public name -> constant
	taken  map[string]string // constant -> public name
}

// constant returns the spthy constant for a public name. tamarin-prover
// reads only letters, digits and '_' in a formula's constants, so other
// characters become '_' ("client-0" is 'client_0'), with a numeric suffix
// if that collides with another name.
func (n *namer) constant(name string) string {
	if c, ok := n.consts[name]; ok {
		return c
	}
	c := nonIdent.ReplaceAllString(name, "_")
	if c == "" {
		c = "_"
	}
	for i := 2; ; i++ {
		if other, ok := n.taken[c]; !ok || other == name {
			break
		}
		c = fmt.Sprintf("%s_%d", nonIdent.ReplaceAllString(name, "_"), i)
	}
	n.consts[name], n.taken[c] = c, name
	return c
}

// renamed lists the public names that changed, for the lemma's comment.
func (n *namer) renamed() string {
	var parts []string
	for _, name := range sortedKeys(countKeys(n.consts)) {
		if c := n.consts[name]; c != name {
			parts = append(parts, fmt.Sprintf("'%s' is %s", c, name))
		}
	}
	return strings.Join(parts, ", ")
}

func countKeys(m map[string]string) map[string]int {
	out := map[string]int{}
	for k := range m {
		out[k] = 0
	}
	return out
}

func (n *namer) term(t model.Term) (spthy.Term, error) {
	switch t.Kind {
	case model.Pub, model.Const:
		return spthy.Constant(n.constant(t.Name)), nil
	case model.Fresh:
		key := t.Name + "\x00" + t.Digest
		if v, ok := n.byKey[key]; ok {
			return spthy.Variable(v, spthy.SortMsg), nil
		}
		base := sanitize(t.Name)
		n.count[base]++
		v := fmt.Sprintf("%s_%d", base, n.count[base])
		n.byKey[key] = v
		tv := spthy.Variable(v, spthy.SortMsg)
		n.order = append(n.order, tv)
		return tv, nil
	}
	var args []spthy.Term
	for _, a := range t.Args {
		x, err := n.term(a)
		if err != nil {
			return spthy.Term{}, err
		}
		args = append(args, x)
	}
	return spthy.Apply(t.Name, args...), nil
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

func sanitize(s string) string {
	s = nonIdent.ReplaceAllString(s, "_")
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		s = "v" + s
	}
	return s
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
