package dmarc

// This file is the evaluator's seeded bug, off unless switched on in
// Evaluator.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch it. The site is a one-line check in dmarc.go.

// Bugs are the evaluator's seeded bugs; the zero value is correct
// behaviour.
type Bugs struct {
	// FullDomainAlignment: relaxed alignment compares the full domains,
	// as strict alignment does, instead of their organizational domains,
	// so mail From a subdomain signed by its parent fails DMARC.
	FullDomainAlignment bool
}
