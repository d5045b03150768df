package check

import (
	"fmt"
	"math"
	"sort"

	"github.com/edgelab/edgelab/model"
)

// tpKind says where a time point of the evaluated trace comes from.
type tpKind uint8

const (
	tpRecorded   tpKind = iota + 1 // a rule instance accounting for recorded facts
	tpSilent                       // a silent rule instance with action facts
	tpUnreplayed                   // a recorded fact after the replay stopped
	tpCompromise                   // a compromise instance of the adversary
)

// tpoint is one time point: the action facts of one rule instance.
type tpoint struct {
	kind    tpKind
	rule    string
	seq     uint64 // the recorded event (for silent ones: the event that needed it)
	actions []gfact
	outs    []tid // what it sent to the network
	cutoff  int64 // view observations with Seq <= cutoff have happened
}

type tpRef struct{ tp, act int }

// timeline is the trace as the lemmas see it, indexed.
type timeline struct {
	tps    []tpoint
	byName map[string][]tpRef
	byArg  map[argKey][]tpRef
}

// buildTimeline lays out comp (compromise instances, first), then the
// replayed steps with action facts, then the recorded facts the replay did
// not reach. Outs of steps without actions join the next time point.
func (c *checker) buildTimeline(comp []tpoint) *timeline {
	tl := &timeline{byName: map[string][]tpRef{}, byArg: map[argKey][]tpRef{}}
	tl.tps = append(tl.tps, comp...)
	var carry []tid
	covered := 0
	for _, st := range c.steps {
		if len(st.actions) == 0 {
			carry = append(carry, st.outs...)
			continue
		}
		k := tpRecorded
		if st.silent {
			k = tpSilent
		}
		tl.tps = append(tl.tps, tpoint{kind: k, rule: st.rule, seq: st.seq, actions: st.actions, outs: append(carry, st.outs...), cutoff: int64(st.seq)})
		carry = nil
		for _, r := range st.recorded {
			covered = max(covered, r+1)
		}
	}
	for i := covered; i < len(c.facts); i++ {
		f := &c.facts[i]
		tl.tps = append(tl.tps, tpoint{kind: tpUnreplayed, seq: f.seq, actions: []gfact{{f.name, f.args}}, cutoff: int64(f.seq)})
	}
	if n := len(tl.tps); n > 0 {
		tl.tps[n-1].outs = append(tl.tps[n-1].outs, carry...)
		// What happens after the last action fact counts at the last time
		// point: the adversary's knowledge at the end of the trace.
		tl.tps[n-1].cutoff = math.MaxInt64
	}
	for i := range tl.tps {
		if tl.tps[i].kind == tpCompromise {
			tl.tps[i].cutoff = -1
		}
		for j, a := range tl.tps[i].actions {
			ref := tpRef{i, j}
			key := a.name + "/" + fmt.Sprint(len(a.args))
			tl.byName[key] = append(tl.byName[key], ref)
			for p, v := range a.args {
				k := argKey{key, p, v}
				tl.byArg[k] = append(tl.byArg[k], ref)
			}
		}
	}
	return tl
}

// describe renders time point i for reports.
func (c *checker) describeTP(tl *timeline, i int) string {
	tp := &tl.tps[i]
	facts := ""
	for j, a := range tp.actions {
		if j > 0 {
			facts += ", "
		}
		facts += c.gfactString(a)
	}
	switch tp.kind {
	case tpCompromise:
		return fmt.Sprintf("compromise %s by %s", facts, tp.rule)
	case tpSilent:
		return fmt.Sprintf("silent %s by %s before event %d", facts, tp.rule, tp.seq)
	}
	return fmt.Sprintf("event %d %s", tp.seq, facts)
}

// knowledge is an adversary's Dolev–Yao knowledge over the time points.
type knowledge struct {
	c        *checker
	incr     [][]model.Term // terms learned at each time point
	end      *model.Knowledge
	endMemo  map[tid]bool
	earliest map[tid]int
}

// newKnowledge gathers what the adversary learns at each time point: what
// its lenses see of the trace, what the run sends to the network (if
// network), and what its compromise instances output.
func (c *checker) newKnowledge(tl *timeline, lenses []model.Lens, network bool) *knowledge {
	k := &knowledge{c: c, incr: make([][]model.Term, len(tl.tps)), endMemo: map[tid]bool{}, earliest: map[tid]int{}}
	if len(tl.tps) == 0 {
		k.end = model.NewKnowledge(c.si.sig)
		return k
	}
	var obs []model.Observation
	if len(lenses) > 0 {
		obs = model.Observe(c.tr, lenses...).Observations
	}
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Seq < obs[j].Seq })
	o := 0
	for i := range tl.tps {
		tp := &tl.tps[i]
		if tp.kind == tpCompromise || network {
			for _, t := range tp.outs {
				k.incr[i] = append(k.incr[i], c.ts.toModel(t))
			}
		}
		for ; o < len(obs) && int64(obs[o].Seq) <= tp.cutoff; o++ {
			for _, t := range obs[o].Terms {
				k.incr[i] = append(k.incr[i], c.ts.toModel(c.canonical(t)))
			}
		}
	}
	k.end = k.upTo(len(tl.tps) - 1)
	return k
}

func (k *knowledge) upTo(j int) *model.Knowledge {
	n := 0
	for i := 0; i <= j; i++ {
		n += len(k.incr[i])
	}
	all := make([]model.Term, 0, n)
	for i := 0; i <= j; i++ {
		all = append(all, k.incr[i]...)
	}
	return model.NewKnowledge(k.c.si.sig, all...)
}

// derivableEnd reports whether t is derivable at the end of the trace.
func (k *knowledge) derivableEnd(t tid) bool {
	if v, ok := k.endMemo[t]; ok {
		return v
	}
	v := k.end.Derivable(k.c.ts.toModel(t))
	k.endMemo[t] = v
	return v
}

// first returns the first time point at which t is derivable, or -1.
func (k *knowledge) first(t tid) int {
	if !k.derivableEnd(t) {
		return -1
	}
	if v, ok := k.earliest[t]; ok {
		return v
	}
	m := k.c.ts.toModel(t)
	lo, hi := 0, len(k.incr)-1 // derivable at hi
	for lo < hi {
		mid := (lo + hi) / 2
		if k.upTo(mid).Derivable(m) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	k.earliest[t] = lo
	return lo
}

// at reports whether t is derivable at or before time point j.
func (k *knowledge) at(t tid, j int) bool {
	if !k.derivableEnd(t) {
		return false
	}
	if j >= len(k.incr)-1 {
		return true
	}
	return k.first(t) <= j
}
