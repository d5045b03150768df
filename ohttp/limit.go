package ohttp

import (
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// BodyLimits bound what slow or numerous clients can make a server hold.
// A relay or gateway buffers each request body, up to MaxRequestSize, before
// it can act on it; without a bound on how long a body may take and on how
// many are buffered at once, clients that send most of a body and stall can
// hold memory and connections for as long as they like.
type BodyLimits struct {
	// MaxInFlight caps the requests with a body that are served at once
	// (default 128). One more is answered 503 at once, unread, so memory
	// held for bodies stays under MaxInFlight × the handler's
	// MaxRequestSize. Requests without a body (key fetches) are not
	// counted.
	MaxInFlight int
	// BodyTimeout bounds how long a request body may take to arrive,
	// counted on the Env's clock from when the request is handed to the
	// handler (default 10s). A body still incomplete then is cut: the read
	// fails as a timeout and the handler answers 408.
	BodyTimeout time.Duration
}

const (
	defaultMaxInFlight = 128
	defaultBodyTimeout = 10 * time.Second
)

// LimitBodies wraps h, a Relay or a Gateway, in the bounds of lim; e is the
// Env of the node it serves on, whose clock sets body deadlines. It goes
// outside anything that holds requests before reading them, such as a
// relay's batching, so that a held request counts against the cap.
//
// On a real server the deadline is also set on the connection (through
// http.ResponseController), so a read that is blocked because the client
// stopped sending returns at the deadline; where the ResponseWriter cannot
// set deadlines, as in a simulated node whose bodies arrive whole, every
// read past the deadline fails instead. Both are the same code.
func LimitBodies(e env.Env, lim BodyLimits, h http.Handler) http.Handler {
	if lim.MaxInFlight <= 0 {
		lim.MaxInFlight = defaultMaxInFlight
	}
	if lim.BodyTimeout <= 0 {
		lim.BodyTimeout = defaultBodyTimeout
	}
	return &bodyLimiter{env: e, lim: lim, h: h}
}

type bodyLimiter struct {
	env      env.Env
	lim      BodyLimits
	h        http.Handler
	inFlight atomic.Int64
}

// InFlight is the number of requests with a body being served now.
func (l *bodyLimiter) InFlight() int { return int(l.inFlight.Load()) }

func (l *bodyLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		l.h.ServeHTTP(w, r)
		return
	}
	if l.inFlight.Add(1) > int64(l.lim.MaxInFlight) {
		l.inFlight.Add(-1)
		// The body is left unread, so the connection cannot carry
		// another request; say so rather than have net/http find out.
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, "", "too many requests in progress",
			"at most "+strconv.Itoa(l.lim.MaxInFlight)+" request bodies are served at once")
		return
	}
	defer l.inFlight.Add(-1)
	rc := http.NewResponseController(w)
	deadline := l.env.Now().Add(l.lim.BodyTimeout)
	// ErrNotSupported leaves the per-read check below alone on guard.
	connDeadline := rc.SetReadDeadline(deadline) == nil
	r.Body = &deadlineBody{body: r.Body, now: l.env.Now, deadline: deadline, rc: rc, connDeadline: connDeadline}
	l.h.ServeHTTP(w, r)
}

// deadlineBody fails every read that ends after its deadline. Once the
// body has been read to its end it lifts the connection's deadline: the
// server then reads on in the background only to notice a client going
// away, and that read timing out would cancel a request still being
// forwarded.
type deadlineBody struct {
	body         io.ReadCloser
	now          func() time.Time
	deadline     time.Time
	rc           *http.ResponseController
	connDeadline bool
	done         bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	n, err := b.body.Read(p)
	if err == nil && b.now().After(b.deadline) {
		return 0, errBodyTimeout
	}
	if err != nil && isTimeout(err) {
		return n, errBodyTimeout
	}
	if err != nil {
		b.done = true
		if b.connDeadline {
			b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

func (b *deadlineBody) Close() error { return b.body.Close() }

// errBodyTimeout is the error of a read cut by BodyTimeout; it is a
// timeout in the net.Error sense.
var errBodyTimeout error = bodyTimeoutError{}

type bodyTimeoutError struct{}

func (bodyTimeoutError) Error() string   { return "ohttp: request body not received in time" }
func (bodyTimeoutError) Timeout() bool   { return true }
func (bodyTimeoutError) Temporary() bool { return true }
