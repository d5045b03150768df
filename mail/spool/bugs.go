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
}
