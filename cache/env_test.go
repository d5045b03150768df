package cache

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// testEnv is a real Env with a clock the test moves and tasks the test runs
// when it chooses, so background revalidation happens at a known point.
type testEnv struct {
	env.Env
	mu    sync.Mutex
	now   time.Time
	tasks []func()
	facts []model.Event
	quiet bool // discard facts (benchmarks)
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestEnv() *testEnv { return &testEnv{Env: env.Real("test"), now: t0} }

func (e *testEnv) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *testEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *testEnv) Go(name string, fn func()) {
	e.mu.Lock()
	e.tasks = append(e.tasks, fn)
	e.mu.Unlock()
}

func (e *testEnv) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithCancel(parent)
}

func (e *testEnv) Record(name string, args ...model.Term) {
	if e.quiet {
		return
	}
	e.mu.Lock()
	e.facts = append(e.facts, model.Event{Name: name, Args: args})
	e.mu.Unlock()
}

// runTasks runs the tasks started so far and reports how many.
func (e *testEnv) runTasks() int {
	e.mu.Lock()
	tasks := e.tasks
	e.tasks = nil
	e.mu.Unlock()
	for _, fn := range tasks {
		fn()
	}
	return len(tasks)
}

// handlerTransport sends a request to an in-process handler: the origin is
// a real http.Handler, reached without sockets.
type handlerTransport struct{ h http.Handler }

// An origin handler that panics with http.ErrAbortHandler hangs up, as a
// server that closes the connection without answering: an error here.
func (t handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, errors.New("the origin closed the connection")
		}
	}()
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp = rec.Result()
	resp.Request = r
	return resp, nil
}

// origin is a scripted origin: each request is answered by the handler the
// test set last, and counted.
type origin struct {
	mu       sync.Mutex
	handler  http.HandlerFunc
	requests []*http.Request
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.requests = append(o.requests, r)
	h := o.handler
	o.mu.Unlock()
	if h == nil {
		http.Error(w, "no handler", http.StatusInternalServerError)
		return
	}
	h(w, r)
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.requests)
}

func (o *origin) last() *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.requests) == 0 {
		return nil
	}
	return o.requests[len(o.requests)-1]
}

func newTestTier(t testing.TB, e *testEnv, o http.Handler, mod func(*Config)) *Tier {
	t.Helper()
	u, _ := url.Parse("http://origin.test")
	cfg := Config{Name: "edge", Env: e, Origin: u, Transport: handlerTransport{o}}
	if mod != nil {
		mod(&cfg)
	}
	tier, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tier
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}

// Resolver knows the test origin's name only.
func (e *testEnv) Resolver() env.Resolver {
	return &zoneResolver{hosts: map[string][]string{"origin.test": {"192.0.2.1"}}}
}
