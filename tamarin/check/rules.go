package check

import (
	"fmt"

	"github.com/edgelab/edgelab/tamarin/spthy"
)

// factKind separates the built-in facts of a rule from state facts.
type factKind uint8

const (
	fkState factKind = iota
	fkFr
	fkIn
	fkOut
)

type cfact struct {
	name       string
	persistent bool
	kind       factKind
	args       []pat
}

// crule is a rule compiled for replay: let blocks expanded, variables
// numbered.
type crule struct {
	name       string
	sc         *scope
	prem       []cfact
	act        []cfact
	concl      []cfact
	vocab      []int // indices of actions the services record
	compromise bool
	silent     bool // may be fired without a recorded fact
}

func (r *crule) nvars() int { return len(r.sc.names) }

// expandLets substitutes a rule's let bindings into t. Later bindings may
// use earlier ones.
func expandLets(t spthy.Term, lets map[varKey]spthy.Term) spthy.Term {
	if t.Kind == spthy.Var {
		if v, ok := lets[varKey{t.Name, t.Sort}]; ok {
			return v
		}
		return t
	}
	if len(t.Args) == 0 {
		return t
	}
	out := t
	out.Args = make([]spthy.Term, len(t.Args))
	for i, a := range t.Args {
		out.Args[i] = expandLets(a, lets)
	}
	return out
}

func compileRule(r spthy.Rule, destr map[string]bool) (*crule, error) {
	lets := map[varKey]spthy.Term{}
	for _, l := range r.Lets {
		if l.Var.Kind != spthy.Var {
			return nil, fmt.Errorf("rule %s: let binds %s, not a variable", r.Name, l.Var)
		}
		lets[varKey{l.Var.Name, l.Var.Sort}] = expandLets(l.Value, lets)
	}
	cr := &crule{name: r.Name, sc: newScope()}
	conv := func(fs []spthy.Fact, where string) ([]cfact, error) {
		var out []cfact
		for _, f := range fs {
			cf := cfact{name: f.Name, persistent: f.Persistent}
			switch {
			case f.Name == "Fr" && !f.Persistent:
				cf.kind = fkFr
			case f.Name == "In" && !f.Persistent:
				cf.kind = fkIn
			case f.Name == "Out" && !f.Persistent:
				cf.kind = fkOut
			}
			if cf.kind != fkState && len(f.Args) != 1 {
				return nil, fmt.Errorf("rule %s: %s takes one argument, has %d", r.Name, f.Name, len(f.Args))
			}
			if (cf.kind == fkFr || cf.kind == fkIn) && where != "premise" {
				return nil, fmt.Errorf("rule %s: %s in the %s", r.Name, f.Name, where)
			}
			if cf.kind == fkOut && where != "conclusion" {
				return nil, fmt.Errorf("rule %s: Out in the %s", r.Name, where)
			}
			for _, a := range f.Args {
				p, err := compile(expandLets(a, lets), cr.sc, destr)
				if err != nil {
					return nil, fmt.Errorf("rule %s: %v", r.Name, err)
				}
				cf.args = append(cf.args, p)
			}
			out = append(out, cf)
		}
		return out, nil
	}
	var err error
	// Actions first: they bind most variables, and slots numbered in
	// that order make reports read naturally.
	if cr.act, err = conv(r.Actions, "action"); err != nil {
		return nil, err
	}
	if cr.prem, err = conv(r.Premises, "premise"); err != nil {
		return nil, err
	}
	if cr.concl, err = conv(r.Conclusions, "conclusion"); err != nil {
		return nil, err
	}
	return cr, nil
}

// onlySetupPremises reports whether r consumes no linear state: its
// premises are Fr, In and persistent facts only. Firing such a rule never
// takes anything away from a later step, so the checker may fire it
// silently.
func (r *crule) onlySetupPremises() bool {
	for _, p := range r.prem {
		if p.kind == fkState && !p.persistent {
			return false
		}
	}
	return true
}

// factString renders f with sc's names and e's values.
func (c *checker) factString(f *cfact, sc *scope, e *env) string {
	s := ""
	if f.persistent {
		s = "!"
	}
	s += f.name + "("
	for i := range f.args {
		if i > 0 {
			s += ", "
		}
		s += c.ts.patString(&f.args[i], sc, e)
	}
	return s + ")"
}
