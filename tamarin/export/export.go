// Package export writes a recorded run as a Tamarin theory, so that
// tamarin-prover can confirm that the model allows it.
package export

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/tamarin/check"
	"github.com/edgelab/edgelab/tamarin/spthy"
)

// LemmaName is the name of the lemma Spthy writes.
const LemmaName = "trace_is_a_run"

// Spthy writes a theory called name with th's builtins, functions,
// equations, rules and restrictions, its [sources] and [reuse] lemmas (the
// others left out), and one more lemma:
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
// Tamarin proves the lemma by finding such a run; for anything beyond a few
// exchanges that search is long, so export small traces.
func Spthy(w io.Writer, th *spthy.Theory, tr *model.Trace, name string) error {
	if !ident.MatchString(name) {
		return fmt.Errorf("theory name %q is not an identifier", name)
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
	vars := &namer{byKey: map[string]string{}, count: map[string]int{}, consts: map[string]string{}, taken: map[string]string{}}
	var body []spthy.Formula
	var times []spthy.Term
	for i, e := range facts {
		if n, ok := arity[e.Name]; !ok || n != len(e.Args) {
			return fmt.Errorf("event %d: %s/%d is not an action of theory %s", e.Seq, e.Name, len(e.Args), th.Name)
		}
		f := spthy.Fact{Name: e.Name}
		for _, a := range e.Args {
			t, err := vars.term(a)
			if err != nil {
				return fmt.Errorf("event %d: %w", e.Seq, err)
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
	cfg, err := check.ConfigFor(th)
	if err != nil {
		return err
	}
	comp := check.CompromiseFacts(th, cfg)
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
	doc := fmt.Sprintf("The recorded run (%d action facts, trace sha256 %s) is a run of theory %s:\n"+
		"its facts happen in this order, with no compromise.", len(facts), tr.HashHex(), th.Name)
	if r := vars.renamed(); r != "" {
		doc += "\nPublic names: " + r + "."
	}
	doc += "\nexpect: verified"
	out := &spthy.Theory{
		Name:         name,
		Builtins:     th.Builtins,
		Functions:    th.Functions,
		Equations:    th.Equations,
		Rules:        th.Rules,
		Restrictions: th.Restrictions,
		Lemmas: append(helperLemmas(th), spthy.Lemma{
			Name:    LemmaName,
			Traces:  spthy.ExistsTrace,
			Formula: spthy.Quantified{Exists: true, Vars: qvars, Body: conj},
			Doc:     doc,
		}),
	}
	return spthy.Print(w, out)
}

// helperLemmas returns th's lemmas that help tamarin-prover with others:
// [sources] lemmas (needed to refine the sources of partial
// deconstructions before any proof) and [reuse] lemmas.
func helperLemmas(th *spthy.Theory) []spthy.Lemma {
	var out []spthy.Lemma
	for _, l := range th.Lemmas {
		for _, a := range l.Attrs {
			if a.Key == "sources" || a.Key == "reuse" {
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
