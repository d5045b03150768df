package spthy

import (
	"fmt"

	"github.com/edgelab/edgelab/model"
)

// NotGroundError says that a term could not become a model.Term because it
// still has a variable that only a substitution can fill.
type NotGroundError struct {
	Term Term // the whole term
	Var  Term // the first variable found
}

func (e *NotGroundError) Error() string {
	return fmt.Sprintf("spthy: term %s is not ground: variable %s", e.Term, e.Var)
}

// ToModel converts a ground term to the model's vocabulary. Constants stay
// constants (a fresh constant ~'n' becomes the fresh name ~n) and applications stay applications (tuples as nested "pair",
// infix operators as "exp", "mult" and "union"). A fresh variable ~n and a
// public variable $A become the fresh name ~n and the public name $A: that
// is how an instance of a rule in a trace reads, and how the services name
// what they record. Message and temporal variables are not ground.
func ToModel(t Term) (model.Term, error) {
	out, bad, ok := toModel(t)
	if !ok {
		return model.Term{}, &NotGroundError{Term: t, Var: bad}
	}
	return out, nil
}

func toModel(t Term) (model.Term, Term, bool) {
	switch t.Kind {
	case Const:
		if t.Sort == SortFresh {
			return model.NewFresh(t.Name), Term{}, true
		}
		return model.NewConst(t.Name), Term{}, true
	case Var:
		switch t.Sort {
		case SortFresh:
			return model.NewFresh(t.Name), Term{}, true
		case SortPub:
			return model.NewPub(t.Name), Term{}, true
		}
		return model.Term{}, t, false
	case App:
		var args []model.Term
		for _, a := range t.Args {
			m, bad, ok := toModel(a)
			if !ok {
				return model.Term{}, bad, false
			}
			args = append(args, m)
		}
		return model.Apply(t.Name, args...), Term{}, true
	}
	return model.Term{}, t, false
}

// IsGround reports whether ToModel would succeed on t.
func IsGround(t Term) bool {
	_, _, ok := toModel(t)
	return ok
}

// FromModel converts a model term to spthy: the inverse of ToModel.
// Digests have no spthy syntax and are dropped.
func FromModel(t model.Term) Term {
	switch t.Kind {
	case model.Const:
		return Constant(t.Name)
	case model.Fresh:
		return Variable(t.Name, SortFresh)
	case model.Pub:
		return Variable(t.Name, SortPub)
	}
	args := make([]Term, len(t.Args))
	for i, a := range t.Args {
		args[i] = FromModel(a)
	}
	if len(args) == 0 {
		args = nil
	}
	return Apply(t.Name, args...)
}
