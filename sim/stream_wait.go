package sim

// This file holds the small machinery streams block and wait with:
// virtual-time deadlines, the kernel timers of a connection, and a byte
// queue for the send and receive buffers. Nothing here starts a goroutine;
// a blocked Read is a task parked in the kernel on a waitQ (task.go).

import (
	"time"
)

// deadline is a net.Conn deadline as an instant of virtual time.
type deadline struct {
	at  time.Duration
	set bool
}

func (d *deadline) expired(now time.Duration) bool { return d.set && now >= d.at }

// virtualDeadline turns t, read on node n's clock (which may be offset or
// drifting), into virtual time: the instant a timer armed now for the time
// left on that clock fires, as for Sleep (node_clock.go).
func virtualDeadline(n *Node, t time.Time) deadline {
	if t.IsZero() {
		return deadline{}
	}
	d := t.Sub(n.env.Now())
	if d <= 0 {
		return deadline{at: n.s.now, set: true}
	}
	return deadline{at: n.s.deadlineAfter(n.timerDuration(d)), set: true}
}

// timerKind names a connection's timers.
type timerKind uint8

const (
	tmRetransmit timerKind = iota // retransmission and zero-window probe
	tmAck                         // the acknowledgement owed at the end of this instant
	tmLinger                      // TIME_WAIT, or FIN_WAIT_2 of a closed connection
	tmRead                        // read deadline, while a Read is blocked
	tmWrite                       // write deadline, while a Write is blocked
	nTimers
)

// connTimer is one timer of a connection as a kernel action. A timer is
// re-armed by bumping its generation, which makes entries already queued
// dead, so a cancelled timer never moves virtual time.
type connTimer struct {
	c *Conn
	k timerKind
}

func (tm *connTimer) fire(s *Sim, n uint64) {
	if tm.c.n.paused {
		// A paused node's stack is frozen like the rest of it (messages
		// to it wait too): the timer fires on resume (pause.go).
		tm.c.n.holdWakeup(entry{at: s.now, a: tm, n: n})
		return
	}
	tm.c.onTimer(tm.k)
}

func (tm *connTimer) dead(n uint64) bool { return tm.c.timerDead(tm.k, n) }

// arm schedules timer k at virtual time at, cancelling its previous entry.
func (c *Conn) arm(k timerKind, at time.Duration) {
	c.tgen[k]++
	c.s.push(at, &c.timers[k], c.tgen[k])
}

// disarm cancels timer k.
func (c *Conn) disarm(k timerKind) { c.tgen[k]++ }

func (c *Conn) timerDead(k timerKind, n uint64) bool {
	if n != c.tgen[k] || c.stale() {
		return true
	}
	switch k {
	case tmRead:
		return !c.rq.waiting()
	case tmWrite:
		return !c.wq.waiting()
	}
	return c.state == stateClosed
}

func (c *Conn) onTimer(k timerKind) {
	switch k {
	case tmRetransmit:
		c.rtxQueued = false
		if !c.rtxOn {
			return
		}
		if c.s.now < c.rtxAt {
			// Restarted since this entry was queued: wait for the new
			// instant instead of pushing an entry per acknowledgement.
			c.queueRtx(c.rtxAt)
			return
		}
		c.rtxOn = false
		c.retransmitTimeout()
	case tmAck:
		c.ackQueued = false
		if c.ackPending {
			c.sendAck()
		}
	case tmLinger:
		c.release()
	case tmRead:
		c.rq.wake(c.s)
	case tmWrite:
		c.wq.wake(c.s)
	}
}

// startRtx (re)starts the retransmission timer to fire at at, or earlier
// when the user timeout runs out first (as Linux clamps it).
func (c *Conn) startRtx(at time.Duration) {
	if ut := c.cfg.UserTimeout; ut > 0 && c.state == stateOpen && c.sndUna < c.sndMax {
		at = max(min(at, c.stallSince+ut), c.s.now)
	}
	c.rtxOn = true
	c.rtxAt = at
	if c.rtxQueued && c.rtxQueuedAt <= at {
		return // the queued entry fires first and re-queues itself
	}
	c.queueRtx(at)
}

func (c *Conn) queueRtx(at time.Duration) {
	c.rtxQueued = true
	c.rtxQueuedAt = at
	c.arm(tmRetransmit, at)
}

func (c *Conn) stopRtx() {
	c.rtxOn = false
	c.rtxQueued = false
	c.disarm(tmRetransmit)
}

// blockUntil arms the deadline timer k (tmRead or tmWrite) for a task about
// to park, so that it wakes at the deadline. The timer is armed only while
// someone waits: an idle connection's deadline does not keep a run going.
func (c *Conn) blockUntil(k timerKind, d *deadline) {
	if d.set {
		c.arm(k, d.at)
	}
}

// byteQueue is a FIFO of bytes that reuses its storage: consumed bytes are
// skipped, and compacted away once they are at least half the buffer.
type byteQueue struct {
	buf []byte
	off int
}

func (q *byteQueue) len() int      { return len(q.buf) - q.off }
func (q *byteQueue) bytes() []byte { return q.buf[q.off:] }

func (q *byteQueue) push(p []byte) {
	if q.off > 0 && len(q.buf)+len(p) > cap(q.buf) && q.off >= q.len() {
		n := copy(q.buf, q.buf[q.off:])
		q.buf = q.buf[:n]
		q.off = 0
	}
	q.buf = append(q.buf, p...)
}

// drop consumes the first k bytes.
func (q *byteQueue) drop(k int) {
	q.off += k
	if q.off >= len(q.buf) {
		q.reset()
	}
}

func (q *byteQueue) reset() {
	q.buf = q.buf[:0]
	q.off = 0
}
