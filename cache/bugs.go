package cache

import "github.com/edgelab/edgelab/cache/control"

// Bugs are seeded mistakes, each off unless set, for the simulated cache
// world (cache/cachesim) to prove that its properties catch them. Every
// site is one check of a field here, so the correct code path is the one
// that runs when the field is false.
type Bugs struct {
	// TraceClearsControl is the October 2022 change: an upper tier traces
	// its upstream fetch by handing the tracer the live request header
	// (not a copy), then takes the origin from that header's control
	// fields. A tracer that redacts internal fields before exporting them
	// then erases the origin, and the tier resolves an empty name: 530,
	// only on misses, only where the new build runs.
	TraceClearsControl bool
}

// traceFetchLive is TraceClearsControl's code path: the span shares the
// request's header map, and the origin is re-read from it after the
// tracer returns.
func (x *exchange) traceFetchLive() *control.Context {
	if x.ctl == nil || x.t.cfg.Tracer == nil {
		return x.ctl
	}
	x.t.cfg.Tracer.Span(Span{Tier: x.t.name, Method: x.r.Method, URL: x.key, RequestHeader: x.r.Header})
	c := *x.ctl
	c.OriginHost = x.r.Header.Get(control.FieldHost)
	return &c
}
