package env

// FaultSites is an Env that can make BUGGIFY fault sites misbehave: a
// simulated node's Env does, under a plan that enables BUGGIFY. The real
// OS never does.
type FaultSites interface {
	Buggify(site string) bool
}

// Buggify reports whether the BUGGIFY fault site named site should
// misbehave now. Service code marks with it places where something unusual
// but legal could happen (a task scheduled late, a background job that
// fails) and does that thing when it returns true:
//
//	if env.Buggify(e, "cache: collapse leader starts late") { e.Sleep(...) }
//
// It is false on Real() and on any Env that does not implement FaultSites,
// unless that Env wraps one and exposes it with an Unwrap() Env method.
func Buggify(e Env, site string) bool {
	for e != nil {
		switch w := e.(type) {
		case FaultSites:
			return w.Buggify(site)
		case interface{ Unwrap() Env }:
			e = w.Unwrap()
		default:
			return false
		}
	}
	return false
}
