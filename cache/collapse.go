package cache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/edgelab/edgelab/cache/cachekey"
	"github.com/edgelab/edgelab/sim/env"
)

// Request collapsing: concurrent misses for one key share one upstream
// fetch. The first request leads; the others wait on its flight. Once the
// leader knows the response is storable, waiters receive its header and
// then its body as it arrives; when it is not (or the fetch fails before
// a response), they are released to fetch on their own. A flight always
// ends — the leader's return, panic, failure, timeout or its client's
// disconnect all end it — and every waiter also gives up when its own
// client goes away, so no waiter is left hanging.

type flightState int

const (
	flightPending   flightState = iota
	flightStreaming             // header known, body arriving
	flightAlone                 // not shareable: fetch on your own
)

// flight is one shared upstream fetch.
type flight struct {
	env env.Env

	mu         sync.Mutex
	state      flightState
	code       int
	header     http.Header // as the leader's client gets it, before this tier's member
	varyNames  []string
	varyValues []string
	body       []byte // grows; bytes once appended never change
	complete   bool
	err        error
	waiters    []env.Notifier // one each: a notifier wakes one waiter reliably
}

var errFlightAborted = errors.New("cache: the shared fetch ended before its body did")

func (f *flight) notifyLocked() {
	for _, n := range f.waiters {
		n.Notify()
	}
}

// start publishes the response's header: waiters may now stream it.
func (f *flight) start(code int, h http.Header, varyNames, varyValues []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != flightPending {
		return
	}
	f.state, f.code, f.header, f.varyNames, f.varyValues = flightStreaming, code, h, varyNames, varyValues
	f.notifyLocked()
}

// alone releases the waiters to fetch on their own.
func (f *flight) alone() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == flightPending {
		f.state = flightAlone
		f.notifyLocked()
	}
}

func (f *flight) append(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = append(f.body, b...)
	f.notifyLocked()
}

// end closes the flight: complete, or cut short by err. A flight still
// pending sends its waiters off alone.
func (f *flight) end(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.state == flightPending:
		f.state = flightAlone
	case f.complete || f.err != nil:
		return
	case err != nil:
		f.err = err
	default:
		f.complete = true
	}
	f.notifyLocked()
}

// teeBody feeds what the leader reads into the flight.
type teeBody struct {
	io.ReadCloser
	f *flight
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if n > 0 {
		t.f.append(p[:n])
	}
	switch {
	case err == io.EOF:
		t.f.end(nil)
	case err != nil:
		t.f.end(err)
	}
	return n, err
}

// collapse makes x the leader of key's flight or a waiter on it.
func (x *exchange) collapse() {
	t := x.t
	t.mu.Lock()
	f := t.flights[x.key]
	if f == nil {
		f = &flight{env: t.env}
		t.flights[x.key] = f
		t.mu.Unlock()
		x.lead(f)
		return
	}
	n := t.env.NewNotifier()
	f.mu.Lock()
	f.waiters = append(f.waiters, n)
	f.mu.Unlock()
	t.mu.Unlock()
	x.wait(f, n)
}

func (x *exchange) lead(f *flight) {
	defer func() {
		x.t.mu.Lock()
		if x.t.flights[x.key] == f {
			delete(x.t.flights, x.key)
		}
		x.t.mu.Unlock()
		if x.t.cfg.Bugs.WaiterNotReleased && x.member.FwdStatus == 0 {
			return
		}
		f.end(errFlightAborted) // a no-op once the body is complete
	}()
	x.flight = f
	// The shared fetch must not die with the leader's client: it is
	// bounded by the tier's timeout instead.
	x.r = x.r.WithContext(context.WithoutCancel(x.r.Context()))
	if env.Buggify(x.t.env, "cache: collapse leader starts its fetch late") {
		// More requests pile up behind a slow leader.
		x.t.env.Sleep(20 * time.Millisecond)
	}
	x.fetch(nil)
}

// wait serves x from f, or fetches alone when f says so.
func (x *exchange) wait(f *flight, n env.Notifier) {
	ctx := x.r.Context()
	for {
		f.mu.Lock()
		st := f.state
		f.mu.Unlock()
		if st != flightPending {
			break
		}
		if err := n.Wait(ctx); err != nil {
			return // our client left
		}
		x.wakeLate()
	}
	f.mu.Lock()
	st, code, h := f.state, f.code, f.header
	match := sameValues(f.varyValues, cachekey.VaryValues(x.r.Header, f.varyNames))
	f.mu.Unlock()
	if st == flightAlone || !match {
		x.member.Detail = "collapse-declined"
		x.fetch(nil)
		return
	}
	x.member.Collapsed, x.member.FwdStatus = true, code
	x.record(FactCacheCollapse)
	out := x.w.Header()
	for k, vs := range h {
		out[k] = vs
	}
	x.setStatus(out)
	x.w.WriteHeader(code)
	if x.r.Method == http.MethodHead {
		return
	}
	off := 0
	rc := http.NewResponseController(x.w)
	for {
		f.mu.Lock()
		chunk, complete, err := f.body[off:], f.complete, f.err
		f.mu.Unlock()
		if len(chunk) > 0 {
			if _, werr := x.w.Write(chunk); werr != nil {
				return
			}
			off += len(chunk)
			if !complete {
				rc.Flush() // the client sees bytes as they arrive here
			}
			continue
		}
		if complete {
			return
		}
		if err != nil {
			// The body was cut upstream: end this response as cut too,
			// rather than let it look complete.
			panic(http.ErrAbortHandler)
		}
		if werr := n.Wait(ctx); werr != nil {
			return
		}
		x.wakeLate()
	}
}

// wakeLate is a BUGGIFY site: a waiter scheduled late after its wake-up,
// so the flight moves on (more body, its end, a new leader) before the
// waiter looks.
func (x *exchange) wakeLate() {
	if env.Buggify(x.t.env, "cache: collapse waiter wakes late") {
		x.t.env.Sleep(10 * time.Millisecond)
	}
}

// flightHeader is the header waiters get: what the leader's client gets,
// before this tier's own Cache-Status member.
func flightHeader(h http.Header) http.Header {
	out := h.Clone()
	removeHopByHop(out)
	for k := range out {
		if isInternal(k) {
			delete(out, k)
		}
	}
	return out
}
