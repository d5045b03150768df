package router

// This file is the router's seeded bugs, off unless switched on in
// Config.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch them. Each site is a one-line check in router.go.

import "github.com/edgelab/edgelab/mail/dmarc"

// Bugs are the router's seeded bugs; the zero value is correct behaviour.
type Bugs struct {
	// CaseSensitiveDomain: the rule lookup is keyed by the recipient's
	// domain as the client spelled it, not normalized, so
	// alice@OURS.Example finds no rules (and is refused as relaying).
	CaseSensitiveDomain bool
	// DMARC switches on the DMARC evaluator's seeded bugs.
	DMARC dmarc.Bugs
}
