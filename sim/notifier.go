package sim

// This file holds the simulated Notifier: an auto-reset event that parks
// waiting tasks in the kernel instead of blocking goroutines on channels.

import "context"

type simNotifier struct {
	s       *Sim
	pending bool
	waiters []waiter
}

// Wait returns at once if a notification is pending (consuming it);
// otherwise it parks the task until Notify or until ctx is done.
func (n *simNotifier) Wait(ctx context.Context) error {
	if n.pending {
		n.pending = false
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctxErr(ctx); err != nil {
		return err
	}
	t := n.s.current("Notifier.Wait")
	t.notified = false
	n.waiters = append(n.waiters, waiter{t, t.gen})
	n.s.watch(ctx, t)
	t.park("notifier")
	if t.notified {
		return nil
	}
	return ctxErr(ctx)
}

// Notify wakes every task blocked in Wait, or, if none is, makes the next
// Wait return at once.
func (n *simNotifier) Notify() {
	woke := false
	for _, w := range n.waiters {
		if w.live() {
			w.t.notified = true
			n.s.wake(w.t, w.gen)
			woke = true
		}
	}
	clear(n.waiters)
	n.waiters = n.waiters[:0]
	if !woke {
		n.pending = true
	}
}
