package deliver

// This file is the deliverer's seeded bug, off unless switched on in
// Deliverer.Bugs, so the mail world (mail/mailsim) can measure that its
// properties catch it. The site is a one-line check in deliver.go.

// Bugs are the deliverer's seeded bugs; the zero value is correct
// behaviour.
type Bugs struct {
	// IPv4FirstNoFallback: a host's IPv4 addresses are tried and its
	// IPv6 ones never, so an IPv6-only mail host (or one whose IPv4 path
	// is down) is unreachable.
	IPv4FirstNoFallback bool
}
