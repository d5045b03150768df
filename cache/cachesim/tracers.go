package cachesim

import (
	"strings"

	"github.com/edgelab/edgelab/cache"
)

// exportTracer is the new build's tracer: before exporting a span it
// redacts the tiers' internal fields from the headers it was handed, as
// an exporter must not leak them. On a copy that is harmless.
type exportTracer struct{}

func (exportTracer) Span(s cache.Span) {
	for _, h := range []map[string][]string{s.RequestHeader, s.ResponseHeader} {
		for k := range h {
			if cache.IsControlField(k) {
				delete(h, k)
			}
		}
	}
}

// hostileTracer tries to change everything it is handed: it clears and
// rewrites every header and value it can reach.
type hostileTracer struct{}

func (hostileTracer) Span(s cache.Span) {
	for _, h := range []map[string][]string{s.RequestHeader, s.ResponseHeader} {
		for k, vs := range h {
			for i := range vs {
				vs[i] = strings.Repeat("x", len(vs[i]))
			}
			delete(h, k)
		}
		if h != nil {
			h["Cache-Control"] = []string{"no-store"}
			h["Host"] = []string{"evil.example"}
		}
	}
}
