package sim

// This file holds contexts whose deadlines live in virtual time. A deadline
// is a kernel timer; when it fires (or the cancel function is called) the
// context is cancelled synchronously in kernel order: its Done channel
// closes, standard-library children cancel through AfterFunc, and tasks
// parked on it wake up. Nothing here starts a goroutine.

import (
	"context"
	"time"
)

// simCtxKey finds the nearest simulated context through Value, even under
// standard-library wrappers such as context.WithValue.
type simCtxKey struct{}

// simCtx is a cancellable context with an optional virtual deadline.
type simCtx struct {
	s      *Sim
	parent context.Context
	// foreign is set when parent's cancellation is not driven by this
	// simulation (a context.WithCancel the service made); Err then also
	// consults the parent.
	foreign     bool
	deadline    time.Duration
	hasDeadline bool
	// timer is set while the deadline's entry is queued and live.
	timer bool

	done     chan struct{}
	err      error
	afters   []*afterFunc
	children []*simCtx
	waiters  waitQ   // tasks to wake on cancellation
	up       *simCtx // the simulated ancestor this context is registered with
}

type afterFunc struct {
	f    func()
	gone bool
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// withTimeout is Env.WithTimeout for a simulated node.
func (s *Sim) withTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	c := &simCtx{s: s, parent: parent, deadline: s.now + d, hasDeadline: true}
	if pd, ok := parent.Deadline(); ok {
		if v := pd.Sub(Epoch); v < c.deadline {
			// The parent expires first; its cancellation reaches us.
			c.deadline = v
			c.hasDeadline = false
		}
	}
	switch p := parent.(type) {
	case *simCtx:
		c.up = p
	default:
		if parent.Done() != nil {
			c.foreign = true
			c.up, _ = parent.Value(simCtxKey{}).(*simCtx)
		}
	}
	if err := parent.Err(); err != nil {
		c.cancel(err)
		return c, c.cancelFunc
	}
	if c.up != nil {
		c.up.children = append(c.up.children, c)
	}
	if c.hasDeadline {
		if d <= 0 {
			c.cancel(context.DeadlineExceeded)
		} else {
			s.push(c.deadline, c, 0)
			c.timer = true
		}
	}
	return c, c.cancelFunc
}

func (c *simCtx) cancelFunc() { c.cancel(context.Canceled) }

// fire is the deadline timer.
func (c *simCtx) fire(*Sim, uint64) {
	c.timer = false
	c.cancel(context.DeadlineExceeded)
}

// dead: a cancelled context's timer is discarded without moving time.
func (c *simCtx) dead(uint64) bool { return c.err != nil }

func (c *simCtx) cancel(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.timer {
		// Cancelled before its deadline: the timer's entry is dead.
		c.timer = false
		c.s.deadTimer()
	}
	if c.done != nil {
		close(c.done)
	} else {
		c.done = closedChan
	}
	for _, a := range c.afters {
		if !a.gone {
			a.gone = true
			a.f()
		}
	}
	c.afters = nil
	children := c.children
	c.children = nil
	for _, ch := range children {
		ch.up = nil // already unlinked: no detach while we iterate
		ch.cancel(err)
	}
	c.waiters.wake(c.s)
	if c.up != nil {
		c.up.detach(c)
		c.up = nil
	}
}

func (c *simCtx) detach(child *simCtx) {
	for i, ch := range c.children {
		if ch == child {
			c.children = append(c.children[:i], c.children[i+1:]...)
			return
		}
	}
}

// Deadline reports the virtual deadline as a time on the Epoch timeline.
func (c *simCtx) Deadline() (time.Time, bool) {
	if c.hasDeadline {
		return Epoch.Add(c.deadline), true
	}
	return c.parent.Deadline()
}

func (c *simCtx) Done() <-chan struct{} {
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

func (c *simCtx) Err() error {
	if c.err == nil && c.foreign {
		if err := c.parent.Err(); err != nil {
			c.cancel(err)
		}
	}
	return c.err
}

func (c *simCtx) Value(key any) any {
	if key == (simCtxKey{}) {
		return c
	}
	return c.parent.Value(key)
}

// AfterFunc lets the standard library's context.WithCancel and friends,
// given a simulated parent, register for cancellation synchronously instead
// of starting a goroutine to watch Done.
func (c *simCtx) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	if c.err != nil {
		a.gone = true
		f()
	} else {
		c.afters = append(c.afters, a)
	}
	return func() bool {
		if a.gone {
			return false
		}
		a.gone = true
		return true
	}
}

// ctxWait is a task parked on a context this simulation does not cancel
// itself; the kernel polls it after every action.
type ctxWait struct {
	ctx context.Context
	w   waiter
}

// watch arranges for the running task t to be woken when ctx is done.
func (s *Sim) watch(ctx context.Context, t *task) {
	if c, ok := ctx.(*simCtx); ok {
		c.waiters.add(t)
		if !c.foreign {
			return
		}
	} else {
		if ctx.Done() == nil {
			return // never cancelled
		}
		if c, ok := ctx.Value(simCtxKey{}).(*simCtx); ok {
			c.waiters.add(t)
		}
	}
	s.foreign = append(s.foreign, ctxWait{ctx, waiter{t, t.gen}})
}

// pollForeign wakes tasks whose foreign context has been cancelled (by a
// service's own cancel function, which runs synchronously inside a task, so
// polling after each action observes it deterministically).
func (s *Sim) pollForeign() {
	keep := s.foreign[:0]
	for _, fw := range s.foreign {
		if fw.w.stale() {
			continue
		}
		if ctxErr(fw.ctx) != nil {
			s.wake(fw.w.t, fw.w.gen)
			continue
		}
		keep = append(keep, fw)
	}
	clear(s.foreign[len(keep):])
	s.foreign = keep
}

// ctxErr is ctx.Err() made deterministic. When a standard-library context
// (context.WithCancel over context.WithValue over a simulated context)
// sits between the caller and the simulator, the standard library relays
// cancellation from our context to it on a goroutine of its own. Once the
// simulated ancestor is done that relay is certain to happen, so wait for
// it rather than observe a race. A context that only shares values with
// the ancestor (context.WithoutCancel) never fires; the bounded wait keeps
// that misuse from hanging the run.
func ctxErr(ctx context.Context) error {
	if c, ok := ctx.(*simCtx); ok {
		return c.Err()
	}
	err := ctx.Err()
	if err != nil {
		return err
	}
	if anc, ok := ctx.Value(simCtxKey{}).(*simCtx); ok && anc.err != nil {
		if done := ctx.Done(); done != nil {
			select {
			case <-done:
			case <-time.After(relayWait):
			}
		}
		return ctx.Err()
	}
	return nil
}

// relayWait bounds ctxErr's wait for the standard library's relay.
const relayWait = 5 * time.Second
