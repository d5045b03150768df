package rules

// This file is the rule table's seeded bug, off unless switched on in
// Config.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch it. The site is a one-line check in rules.go.

// Bugs are the table's seeded bugs; the zero value is correct behaviour.
type Bugs struct {
	// CatchAllFirst: a domain's catch-all is evaluated before its literal
	// rules, so it takes every address.
	CatchAllFirst bool
}
