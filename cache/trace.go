package cache

import (
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"
)

// Tracer receives one span per request a tier handles. A span is a copy:
// its maps and strings belong to the tracer, and the tracer runs as a task
// of its own after the response, with its panics contained, so nothing a
// tracer does — clearing headers, blocking, panicking — can change what the
// cache does or sends.
type Tracer interface {
	Span(Span)
}

// Span is a read-only record of one request at one tier, with W3C Trace
// Context identifiers (hex): the tier continues the client's trace (or
// starts one) and sends its own span id upstream in traceparent. It does
// so with or without a Tracer, so that a tracer's presence is invisible
// to everything but the tracer.
type Span struct {
	Tier                      string
	TraceID, SpanID, ParentID string
	Method, URL               string
	RequestHeader             http.Header
	Status                    int
	ResponseHeader            http.Header
	CacheStatus               string
	Start, End                time.Time
}

// traceIDs are an exchange's W3C identifiers.
type traceIDs struct {
	traceID, spanID, parentID, flags string
	start                            time.Time
	rec                              *statusRecorder
}

// traceparent is the field this tier sends upstream.
func (x *exchange) traceparent() string {
	if x.trace.traceID == "" {
		return ""
	}
	return "00-" + x.trace.traceID + "-" + x.trace.spanID + "-" + x.trace.flags
}

func (x *exchange) startSpan(w http.ResponseWriter) {
	x.trace.start = x.t.env.Now()
	// Sampled (01) only where this tier records spans; an upstream that
	// reads the flag learns nothing else about the tier.
	x.trace.flags = "00"
	if x.t.cfg.Tracer != nil {
		x.trace.flags = "01"
	}
	if tid, pid, flags, ok := parseTraceparent(x.r.Header.Get("Traceparent")); ok {
		x.trace.traceID, x.trace.parentID, x.trace.flags = tid, pid, flags
	} else {
		x.trace.traceID = x.randomHex(16)
	}
	x.trace.spanID = x.randomHex(8)
	x.trace.rec = &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	x.w = x.trace.rec
}

func (x *exchange) endSpan() {
	span := Span{
		Tier: x.t.name, TraceID: x.trace.traceID, SpanID: x.trace.spanID, ParentID: x.trace.parentID,
		Method: x.r.Method, URL: x.key, RequestHeader: x.r.Header.Clone(),
		Status: x.trace.rec.code, ResponseHeader: x.trace.rec.Header().Clone(),
		CacheStatus: x.trace.rec.Header().Get("Cache-Status"),
		Start:       x.trace.start, End: x.t.env.Now(),
	}
	tracer := x.t.cfg.Tracer
	x.t.env.Go("cache-trace", func() {
		defer func() { recover() }() // a tracer's panic is the tracer's problem
		tracer.Span(span)
	})
}

func (x *exchange) randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(x.t.env.Rand(), b); err != nil {
		return strings.Repeat("0", 2*n-1) + "1"
	}
	return hex.EncodeToString(b)
}

// parseTraceparent reads version 00 of W3C traceparent.
func parseTraceparent(v string) (traceID, parentID, flags string, ok bool) {
	parts := strings.Split(strings.TrimSpace(v), "-")
	if len(parts) < 4 || parts[0] != "00" || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return "", "", "", false
	}
	for _, p := range parts[1:4] {
		if _, err := hex.DecodeString(p); err != nil || strings.ToLower(p) != p {
			return "", "", "", false
		}
	}
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

// statusRecorder notes the status a handler sends.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
