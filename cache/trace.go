package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
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

// traceIDs are an exchange's W3C identifiers. The tier's own ids (a trace
// id when the client sent none, and its span id) are a pure function of
// the tier's trace key and a number, drawn from no randomness per
// request, and are built only when something reads them: an upstream
// request first (numbered in the order the tier sends them, with or
// without a tracer, so a tracer changes nothing on the wire), else the
// span of a request that never went upstream (numbered apart).
type traceIDs struct {
	traceID, spanID, parentID string // hex; the tier's own filled in by ids
	flags                     string
	start                     time.Time
	rec                       *statusRecorder
}

// traceKeys gives a tier's requests their ids: AES-128 under a key drawn
// once from the tier's Env, applied to a counter and a domain byte: a
// pseudorandom permutation, so the blocks never repeat within a tier (the
// 64-bit span ids, their halves, as rarely as random ones would) and
// nobody can predict them without the key.
type traceKeys struct {
	block    cipher.Block
	upstream atomic.Uint64 // ids sent upstream
	local    atomic.Uint64 // ids only a span reads
}

// Domains of the counter block, so the two counters never meet.
const (
	domainUpstream = 0
	domainLocal    = 1
)

func newTraceKeys(rand io.Reader) *traceKeys {
	key := make([]byte, 16)
	if _, err := io.ReadFull(rand, key); err != nil {
		clear(key) // still ids, all from one known key
	}
	b, _ := aes.NewCipher(key) // a 16-byte key is always accepted
	return &traceKeys{block: b}
}

// ids fills in the tier's own identifiers, numbered in domain.
func (x *exchange) ids(domain byte) {
	if x.trace.spanID != "" {
		return
	}
	k := x.t.traceKeys
	var in, out [aes.BlockSize]byte
	in[8] = domain
	if domain == domainUpstream {
		binary.BigEndian.PutUint64(in[:8], k.upstream.Add(1))
	} else {
		binary.BigEndian.PutUint64(in[:8], k.local.Add(1))
	}
	k.block.Encrypt(out[:], in[:])
	// W3C Trace Context: ids of all zeros are invalid.
	if out[0]|out[1]|out[2]|out[3]|out[4]|out[5]|out[6]|out[7] == 0 {
		out[7] = 1
	}
	x.trace.spanID = hex.EncodeToString(out[:8])
	if x.trace.traceID == "" {
		in[9] = 1 // the same number's second block
		k.block.Encrypt(out[:], in[:])
		if out == ([aes.BlockSize]byte{}) {
			out[15] = 1
		}
		x.trace.traceID = hex.EncodeToString(out[:])
	}
}

// traceparent is the field this tier sends upstream.
func (x *exchange) traceparent() string {
	x.ids(domainUpstream)
	return "00-" + x.trace.traceID + "-" + x.trace.spanID + "-" + x.trace.flags
}

func (x *exchange) startSpan(w http.ResponseWriter) {
	// Sampled (01) only where this tier records spans; an upstream that
	// reads the flag learns nothing else about the tier.
	x.trace.flags = "00"
	if x.t.cfg.Tracer != nil {
		x.trace.flags = "01"
	}
	if tid, pid, flags, ok := parseTraceparent(firstValue(x.r.Header, "Traceparent")); ok {
		x.trace.traceID, x.trace.parentID, x.trace.flags = tid, pid, flags
	}
	if x.t.cfg.Tracer == nil {
		return
	}
	x.trace.start = x.t.env.Now()
	// Only a span needs the status; without a tracer the writer is the
	// client's own, which behaves the same.
	x.trace.rec = &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	x.w = x.trace.rec
}

func (x *exchange) endSpan() {
	x.ids(domainLocal)
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

// parseTraceparent reads version 00 of W3C traceparent: exactly
// "00-" 32 hex "-" 16 hex "-" 2 hex, lower case, ids not all zero. The
// ids returned are substrings of v.
func parseTraceparent(v string) (traceID, parentID, flags string, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) != 55 || v[0] != '0' || v[1] != '0' || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return "", "", "", false
	}
	traceID, parentID, flags = v[3:35], v[36:52], v[53:55]
	if !lowerHex(traceID) || !lowerHex(parentID) || !lowerHex(flags) ||
		strings.Trim(traceID, "0") == "" || strings.Trim(parentID, "0") == "" {
		return "", "", "", false
	}
	return traceID, parentID, flags, true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
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
