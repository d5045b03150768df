package check

import (
	"encoding/binary"
)

// fact is a ground fact of the replay state.
type fact struct {
	name       string
	persistent bool
	args       []tid
	count      int // copies in the multiset; persistent facts stay at 1
	born       int // step that first produced it
	indexed    bool
}

type argKey struct {
	name string
	pos  int
	val  tid
}

// state is the multiset of facts of a run, indexed by name and by each
// argument. Facts are never removed from the indexes; a consumed linear
// fact keeps its entry with count 0 and is skipped.
type state struct {
	byKey  map[string]*fact
	byName map[string][]*fact
	byArg  map[argKey][]*fact
	key    []byte
}

func newState() *state {
	return &state{byKey: map[string]*fact{}, byName: map[string][]*fact{}, byArg: map[argKey][]*fact{}}
}

func (s *state) keyOf(name string, persistent bool, args []tid) string {
	k := s.key[:0]
	if persistent {
		k = append(k, '!')
	}
	k = append(k, name...)
	k = append(k, 0)
	for _, a := range args {
		k = binary.LittleEndian.AppendUint32(k, uint32(a))
	}
	s.key = k
	return string(k)
}

// add puts one copy of the fact into the state.
func (s *state) add(name string, persistent bool, args []tid, step int) *fact {
	key := s.keyOf(name, persistent, args)
	f, ok := s.byKey[key]
	if !ok {
		f = &fact{name: name, persistent: persistent, args: append([]tid(nil), args...), born: step}
		s.byKey[key] = f
	}
	if persistent {
		f.count = 1
	} else {
		f.count++
	}
	if !f.indexed {
		f.indexed = true
		s.byName[name] = append(s.byName[name], f)
		for i, a := range f.args {
			k := argKey{name, i, a}
			s.byArg[k] = append(s.byArg[k], f)
		}
	}
	return f
}

// candidates returns the facts that might match a premise named name whose
// argument i is known to be vals[i] (noTerm where unknown): the shortest
// of the applicable index lists.
func (s *state) candidates(name string, vals []tid) []*fact {
	best := s.byName[name]
	for i, v := range vals {
		if v == noTerm {
			continue
		}
		l := s.byArg[argKey{name, i, v}]
		if len(l) < len(best) {
			best = l
		}
		if len(best) == 0 {
			return nil
		}
	}
	return best
}
