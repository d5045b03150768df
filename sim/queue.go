package sim

// This file holds the kernel's event queue: a binary min-heap of values
// ordered by (virtual time, sequence number). Entries are stored by value
// and the heap is hand-written rather than built on container/heap, so a
// push or pop never allocates or boxes.

import "time"

// action is something the kernel does at a point in virtual time: wake a
// task, deliver a message, fire a context deadline, run a callback.
type action interface {
	// fire performs the action; n is the token given when it was queued.
	fire(s *Sim, n uint64)
	// dead reports that the action was superseded (the task moved on, the
	// context was cancelled). Dead entries are discarded without advancing
	// virtual time, so a cancelled 30s timeout does not stretch a run.
	dead(n uint64) bool
}

// entry is one scheduled action.
type entry struct {
	at  time.Duration
	seq uint64
	a   action
	n   uint64
}

func (e *entry) before(f *entry) bool {
	return e.at < f.at || (e.at == f.at && e.seq < f.seq)
}

// queue is a min-heap of entries.
type queue []entry

func (q *queue) push(e entry) {
	h := append(*q, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

// init restores the heap order of q after entries were removed.
func (q queue) init() {
	for i := len(q)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

// down moves the entry at i down to its place.
func (q queue) down(i int) {
	n := len(q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && q[r].before(&q[l]) {
			c = r
		}
		if !q[c].before(&q[i]) {
			return
		}
		q[i], q[c] = q[c], q[i]
		i = c
	}
}

// pop removes and returns the earliest entry; the queue must not be empty.
func (q *queue) pop() entry {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = entry{} // drop references held by the vacated slot
	h = h[:n]
	h.down(0)
	*q = h
	return top
}
