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
)

type nodeEnv struct {
	n         *Node
	rand      *randReader
	transport *transport
}

var _ Env = (*nodeEnv)(nil)

func (e *nodeEnv) Node() string { return e.n.name }

func (e *nodeEnv) Now() time.Time {
	t := Epoch.Add(e.n.s.now)
	if e.n.clock != nil {
		return e.n.clock(t)
	}
	return t
}

func (e *nodeEnv) Sleep(d time.Duration) {
	s := e.n.s
	t := s.current("Sleep")
	if d < 0 {
		d = 0
	}
	s.push(s.now+d, t, t.gen)
	t.park("sleep")
}

func (e *nodeEnv) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return e.n.s.withTimeout(parent, d)
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

func (e *nodeEnv) NewNotifier() Notifier { return &simNotifier{s: e.n.s} }

func (e *nodeEnv) Rand() io.Reader { return e.rand }

func (e *nodeEnv) Transport() http.RoundTripper {
	if e.transport == nil {
		e.transport = &transport{n: e.n}
	}
	return e.transport
}

func (e *nodeEnv) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	return nil, &UnsupportedError{Op: "Dial"}
}

func (e *nodeEnv) Listen(network, address string) (net.Listener, error) {
	return nil, &UnsupportedError{Op: "Listen"}
}

func (e *nodeEnv) Resolver() Resolver {
	if e.n.resolver != nil {
		return e.n.resolver
	}
	return unsupportedResolver{}
}

func (e *nodeEnv) Disk() Disk {
	if e.n.disk != nil {
		return e.n.disk
	}
	return unsupportedStorage{}
}

// Record appends an action fact; facts from a crashed node or a task being
// killed are not recorded, since that code is no longer really running.
func (e *nodeEnv) Record(name string, args ...model.Term) {
	s := e.n.s
	if e.n.down || s.silenced() {
		return
	}
	s.recordFact(e.n, name, args)
}

// silenced reports that the running task has been killed and is only
// unwinding (running deferred functions): its side effects are suppressed.
func (s *Sim) silenced() bool { return s.cur != nil && s.cur.state == taskKilled }
