package spool

// This file is the spool's seeded bugs: realistic mistakes, each off
// unless switched on in Options.Bugs, so the mail world (mail/mailsim)
// can measure that its properties catch them. Each site is a one-line
// check in spool.go.

// Bugs are the spool's seeded bugs; the zero value is correct behaviour.
type Bugs struct {
	// AckBeforeSync: Put returns once the record is written, without the
	// fsync, so the router says 250 for mail a crash can still lose.
	AckBeforeSync bool
	// GroupAckBeforeSync: the group-commit leader wakes its batch as soon
	// as the batch is written, while the fsync still runs, so the router
	// says 250 for records a crash during the sync (or a failed sync)
	// loses. Without sync latency or sync errors it is invisible.
	GroupAckBeforeSync bool
	// SkipTornSegment: recovery treats a segment whose tail is torn as
	// corrupt and skips all of it, so the queue rebuilt from disk loses
	// the synced, acknowledged records written before the tear.
	SkipTornSegment bool
}
