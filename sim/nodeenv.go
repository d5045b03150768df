package sim

// This file implements Env for a simulated node: every call goes through the
// kernel, so time, scheduling and randomness are those of the simulation.

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

type nodeEnv struct {
	n         *Node
	rand      *randReader
	transport *transport
}

var _ env.Env = (*nodeEnv)(nil)

func (e *nodeEnv) Node() string { return e.n.name }

// Now reads the node's clock (node_clock.go).
func (e *nodeEnv) Now() time.Time { return e.n.localNow() }

// Sleep waits d as measured by the node's clock: on a drifting node that
// is Clock.VirtualDuration(d) of true virtual time. On a paused node the
// wakeup waits for Resume.
func (e *nodeEnv) Sleep(d time.Duration) {
	s := e.n.s
	t := s.current("Sleep")
	if d < 0 {
		d = 0
	}
	s.push(s.deadlineAfter(e.n.timerDuration(d)), t, t.gen)
	t.park("sleep")
}

// WithTimeout's timer also runs at the node's clock rate. The context's
// Deadline is reported on the true virtual timeline (Epoch + virtual
// time), not as the node's clock would read it.
func (e *nodeEnv) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	s := e.n.s
	d = e.n.timerDuration(d)
	d = s.deadlineAfter(d) - s.now // no overflow in now+d
	return s.withTimeout(parent, d)
}

// Go starts a task. On a crashed node, or from a task being killed, it
// does nothing: a dead machine starts no work.
func (e *nodeEnv) Go(name string, fn func()) {
	s := e.n.s
	if e.n.down || s.silenced() {
		return
	}
	s.spawn(e.n, name, fn)
}

func (e *nodeEnv) NewNotifier() env.Notifier { return &simNotifier{s: e.n.s} }

func (e *nodeEnv) Rand() io.Reader { return e.rand }

func (e *nodeEnv) Transport() http.RoundTripper {
	if e.transport == nil {
		e.transport = &transport{n: e.n}
	}
	return e.transport
}

// Dial opens a simulated stream (stream_dial.go); the result is a *Conn.
func (e *nodeEnv) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := e.n.dialStream(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Listen opens a simulated stream listener (stream_dial.go); the result is
// a *Listener.
func (e *nodeEnv) Listen(network, address string) (net.Listener, error) {
	l, err := e.n.listenStream(network, address)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Resolver looks names up with the node's resolver at the time of each
// call: the one SetResolver installed, else the run's DNS (resolver.go).
func (e *nodeEnv) Resolver() env.Resolver { return nodeResolver{e.n} }

// Disk is the node's disk, by default a MemDisk (node_disk.go).
func (e *nodeEnv) Disk() env.Disk { return nodeDisk{e.n} }

// Record appends an action fact; facts from a crashed node or a task being
// killed are not recorded, since that code is no longer really running.
func (e *nodeEnv) Record(name string, args ...model.Term) {
	s := e.n.s
	if e.n.down || s.silenced() {
		return
	}
	s.recordFact(e.n, name, args)
}

// RecordOwned is Record for a caller that hands its args slice over: the
// trace keeps it instead of a copy, so the caller must not change it
// afterwards. What is recorded is the same as Record's.
func (e *nodeEnv) RecordOwned(name string, args []model.Term) {
	s := e.n.s
	if e.n.down || s.silenced() {
		return
	}
	if len(args) == 0 {
		args = nil
	}
	s.recordOwnedFact(e.n, name, args)
}

// silenced reports that the running task has been killed and is only
// unwinding (running deferred functions): its side effects are suppressed.
func (s *Sim) silenced() bool { return s.cur != nil && s.cur.state == taskKilled }
