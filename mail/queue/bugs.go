package queue

// This file is the queue's seeded bugs: realistic mistakes, each off
// unless switched on in Config.Bugs, so the mail world (mail/mailsim) can
// measure that its properties catch them. Each site is a one-line check in
// queue.go.

// Bugs are the queue's seeded bugs; the zero value is correct behaviour.
type Bugs struct {
	// DoneBeforeDelivery: a recipient is marked done in the spool before
	// the delivery attempt instead of after the destination's 250, so a
	// crash mid-delivery loses it.
	DoneBeforeDelivery bool
	// NoBackoff: a temporary failure is retried at once.
	NoBackoff bool
	// BounceNullSender: a failed bounce gets a DSN of its own, to <>.
	BounceNullSender bool
}
