package cachesim

// This file records what every tier did, from outside the cache code: each
// request a tier answered (a hop) and each upstream exchange it made (a
// fetch), with true times and the tier's own clock readings. Requests are
// tied together by their W3C trace id, which clients send and every tier
// continues upstream. Recording changes nothing a tier sees or sends.

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache/status"
)

// hop is one request a tier answered.
type hop struct {
	tier, trace, path, variant string
	start, header, end         time.Duration // true time; header is 0 until written
	clock                      time.Time     // the tier's clock at start
	status                     int
	age                        int // the Age sent, -1 without one
	etag, cs                   string
	own                        status.Member // the tier's own (last) Cache-Status member
	ownOK                      bool
}

// fetch is one upstream exchange a tier made.
type fetch struct {
	tier, to, path, trace, variant string
	conditional                    bool
	start, header, end             time.Duration // true time; end is 0 while the body is read
	clockHeader                    time.Time
	status                         int
	etag, cc                       string // the answer's ETag and Cache-Control
	age                            int
	err                            bool // no response at all
	complete                       bool // the body was read to its end
}

// traceOf is the trace id of a traceparent field, or "".
func traceOf(h http.Header) string {
	parts := strings.Split(h.Get("Traceparent"), "-")
	if len(parts) < 4 {
		return ""
	}
	return parts[1]
}

func ageOf(h http.Header) int {
	v, ok := h["Age"]
	if !ok || len(v) == 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[0]))
	if err != nil {
		return -1
	}
	return n
}

// recordingTransport records a tier's upstream exchanges.
type recordingTransport struct {
	rt  http.RoundTripper
	e   *tierEnv
	cfg Config
	// names maps an address to its node's name.
	names map[string]string
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	to := req.URL.Hostname()
	if n, ok := t.names[to]; ok {
		to = n
	}
	f := &fetch{tier: t.e.tier, to: to, path: req.URL.Path, trace: traceOf(req.Header),
		variant: variantOf(req.URL.Path, req.Header), conditional: req.Header.Get("If-None-Match") != "",
		start: t.e.s.Now(), age: -1}
	t.e.rec.fetches = append(t.e.rec.fetches, f)
	resp, err := t.rt.RoundTrip(req)
	f.header = t.e.s.Now()
	if err != nil {
		f.err, f.end = true, f.header
		return resp, err
	}
	f.clockHeader = t.e.Env.Now()
	f.status, f.etag, f.age = resp.StatusCode, resp.Header.Get("ETag"), ageOf(resp.Header)
	f.cc = strings.Join(resp.Header.Values("Cache-Control"), ", ")
	resp.Body = &watchedBody{ReadCloser: resp.Body, f: f, now: t.e.s.Now}
	return resp, nil
}

// watchedBody notes when and how a fetch's body ended.
type watchedBody struct {
	io.ReadCloser
	f   *fetch
	now func() time.Duration
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.f.end == 0 {
		b.f.end, b.f.complete = b.now(), errors.Is(err, io.EOF)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	if b.f.end == 0 {
		b.f.end = b.now()
	}
	return b.ReadCloser.Close()
}

// watchHops records each request tn answers.
func watchHops(tn *tierNode, e *tierEnv, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := &hop{tier: tn.name, trace: traceOf(r.Header), path: r.URL.Path, variant: variantOf(r.URL.Path, r.Header),
			start: e.s.Now(), clock: e.Env.Now(), age: -1}
		e.rec.hops = append(e.rec.hops, h)
		defer func() { h.end = e.s.Now() }()
		next.ServeHTTP(&hopWriter{ResponseWriter: w, h: h, now: e.s.Now}, r)
	})
}

// hopWriter notes the header a tier sends.
type hopWriter struct {
	http.ResponseWriter
	h   *hop
	now func() time.Duration
}

func (w *hopWriter) WriteHeader(code int) {
	if w.h.header == 0 {
		hd := w.Header()
		w.h.header, w.h.status, w.h.age, w.h.etag = w.now(), code, ageOf(hd), hd.Get("ETag")
		w.h.cs = strings.Join(hd.Values(status.Field), ", ")
		if ms, err := status.Parse(hd.Values(status.Field)); err == nil && len(ms) > 0 {
			w.h.own, w.h.ownOK = ms[len(ms)-1], true
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *hopWriter) Write(b []byte) (int, error) {
	if w.h.header == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *hopWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *hopWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
