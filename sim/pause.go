package sim

// This file holds pause and resume, as when a process is stopped
// (SIGSTOP), a VM is suspended or a garbage collector stops the world. A
// paused node runs none of its tasks: a wakeup due while it is paused (a
// timer, a notification, a response) waits and happens on resume, so
// timers fire late. Messages that reach a paused node are kept, as the
// operating system keeps datagrams in a socket buffer, and are delivered
// in arrival order on resume — not dropped: a pause delays, while loss and
// crashes are what drop. Its clock keeps running. A crash ends a pause and
// drops what was kept.

import (
	"strconv"

	"github.com/edgelab/edgelab/model"
)

// Pause stops the node until Resume. It does nothing to a crashed or
// already paused node. A task of this node that is running when it is
// paused goes on until its next Env call that waits.
func (n *Node) Pause() {
	if n.down || n.paused {
		return
	}
	n.paused = true
	n.s.Log(n, model.Fault, "pause", nil)
}

// Resume restarts a paused node: the wakeups that came due meanwhile
// happen now, in the order they were due, and then the kept messages are
// delivered (from kernel context, as any delivery).
func (n *Node) Resume() {
	if !n.paused {
		return
	}
	s := n.s
	n.paused = false
	wakes, msgs := n.heldWakes, n.heldMsgs
	n.heldWakes, n.heldMsgs = nil, nil
	s.Log(n, model.Fault, "resume", map[string]string{
		"wakeups": strconv.Itoa(len(wakes)), "messages": strconv.Itoa(len(msgs)),
	})
	for _, e := range wakes {
		s.push(s.now, e.a, e.n)
	}
	if len(msgs) > 0 {
		inc := n.inc
		s.After(0, func() {
			for _, m := range msgs {
				n.deliverHeld(m, inc)
			}
		})
	}
}

// Paused reports whether the node is paused.
func (n *Node) Paused() bool { return n.paused }

// holdWakeup keeps a task wakeup that came due while the node is paused.
func (n *Node) holdWakeup(e entry) { n.heldWakes = append(n.heldWakes, e) }

// holdMessage keeps a message that reached the paused node.
func (n *Node) holdMessage(m *message) {
	n.heldMsgs = append(n.heldMsgs, m)
	n.s.recordMsg(model.Hold, n, m, "paused")
}

// deliverHeld delivers a kept message after a resume, unless the node has
// crashed since or the port is gone.
func (n *Node) deliverHeld(m *message, inc uint64) {
	s := n.s
	if n.inc != inc || n.down {
		s.recordMsg(model.Drop, n, m, ReasonCrash)
		return
	}
	if n.paused { // paused again before the delivery came round
		n.holdMessage(m)
		return
	}
	b, ok := n.ports[m.dst.Port()]
	if !ok {
		s.recordMsg(model.Drop, n, m, ReasonUnbound)
		return
	}
	s.recordMsg(model.Deliver, n, m, "")
	b.ep.receive(m)
}

// dropPaused ends a pause because the node crashed: kept messages are
// dropped; kept wakeups are for tasks the crash kills, so they are simply
// forgotten.
func (n *Node) dropPaused() {
	for _, m := range n.heldMsgs {
		n.s.recordMsg(model.Drop, n, m, ReasonCrash)
	}
	n.paused = false
	n.heldWakes, n.heldMsgs = nil, nil
}
