package srs

// This file is the rewriter's seeded bug, off unless switched on in
// Rewriter.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch it. The site is a one-line check in srs.go.

// Bugs are the rewriter's seeded bugs; the zero value is correct
// behaviour.
type Bugs struct {
	// SkipHashCheck: Reverse accepts any hash, so anyone can send a
	// "bounce" through the forwarder to any address.
	SkipHashCheck bool
}
