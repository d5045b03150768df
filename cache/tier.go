// Package cache is a tiered HTTP cache: each tier is an http.Handler that
// answers from its store when RFC 9111 allows and otherwise fetches from
// upstream (another tier or the origin). Everything it does with time,
// tasks and the network goes through env.Env, so the same code serves real
// sockets and runs in the simulator.
//
// The small packages beside it hold one idea each: cachecontrol (the
// directives), freshness (lifetimes and ages), cachekey (keys and Vary),
// status (Cache-Status) and store (bounded memory).
package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgelab/edgelab/cache/cachecontrol"
	"github.com/edgelab/edgelab/cache/cachekey"
	"github.com/edgelab/edgelab/cache/control"
	"github.com/edgelab/edgelab/cache/freshness"
	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/cache/store"
	"github.com/edgelab/edgelab/sim/env"
)

// Config configures a tier. Zero fields take the defaults shown.
type Config struct {
	// Name is the tier's name in Cache-Status and facts (default: Env.Node()).
	Name string
	// Env is the world the tier runs in (required).
	Env env.Env
	// Origin is where misses go (required): scheme and host; its path is
	// a prefix to the request's.
	Origin *url.URL
	// Transport sends upstream requests (default: Env.Transport()).
	Transport http.RoundTripper
	// Store holds the responses (default: 64 MiB).
	Store *store.Store
	// Targets are the targeted cache-control fields obeyed, most specific
	// first (default: DefaultTargets).
	Targets []string
	// MaxHeaderBytes bounds a request's header block; larger requests get
	// 431 here and never reach the origin (default 32 KiB).
	MaxHeaderBytes int
	// MaxObjectBytes bounds a body the tier will store (default 8 MiB).
	MaxObjectBytes int64
	// Timeout bounds one upstream exchange up to its header (default 30s).
	Timeout time.Duration
	// NegativeTTL, if positive, is how long an error the tier generated
	// itself (502, 504) is stored; zero stores none.
	NegativeTTL time.Duration
	// StaleIfDisconnected, if positive, is how stale a stored response
	// may be served when the tier is disconnected: its upstream exchange
	// failed without a response (refused, cut, timed out, the origin's
	// name unresolved). RFC 9111 §4.2.4 lets a disconnected cache serve
	// stale; must-revalidate, proxy-revalidate, s-maxage and no-cache
	// still forbid it (§5.2.2), as do a request's no-cache, max-age it
	// exceeds and min-fresh. Zero serves stale only under stale-if-error.
	StaleIfDisconnected time.Duration

	// Parents are the upper tiers misses go to (none: the origin).
	Parents []*url.URL
	// HashParents picks each key's parent by rendezvous hashing (the
	// generic topology); otherwise parents are tried in order.
	HashParents bool
	// DirectToOrigin lets a tier whose parents are all unreachable go to
	// the origin itself.
	DirectToOrigin bool
	// Upper makes this an upper (or hub) tier: every request must carry a
	// control context authenticated under ControlKey, and names the origin.
	Upper bool
	// ControlKey is the deployment's key for control contexts.
	ControlKey []byte
	// Zone and Route describe this lower tier's zone in the control
	// context it attaches.
	Zone, Route string
	// Tracer, if set, receives a read-only span of every request.
	Tracer Tracer
	// DisableCollapsing sends every miss upstream on its own.
	DisableCollapsing bool
	// Bugs switches on seeded bugs (bugs.go); the zero value is the
	// correct code.
	Bugs Bugs
}

// Tier is one cache tier. It is safe for concurrent use.
type Tier struct {
	cfg   Config
	name  string
	store *store.Store
	env   env.Env

	traceKeys *traceKeys

	mu           sync.Mutex
	revalidating map[string]bool    // keys with a background revalidation running
	flights      map[string]*flight // misses being fetched, by key
}

// New returns a tier for cfg.
func New(cfg Config) (*Tier, error) {
	if cfg.Env == nil {
		return nil, errors.New("cache: Config.Env is required")
	}
	if !cfg.Upper && (cfg.Origin == nil || cfg.Origin.Host == "") {
		return nil, errors.New("cache: Config.Origin needs a scheme and host")
	}
	if (cfg.Upper || len(cfg.Parents) > 0) && len(cfg.ControlKey) < 16 {
		return nil, errors.New("cache: tiers need a ControlKey of at least 16 bytes")
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Env.Node()
	}
	if cfg.Transport == nil {
		cfg.Transport = cfg.Env.Transport()
	}
	if cfg.Store == nil {
		cfg.Store = store.New(64 << 20)
	}
	if cfg.Targets == nil {
		cfg.Targets = DefaultTargets
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = 32 << 10
	}
	if cfg.MaxObjectBytes == 0 {
		cfg.MaxObjectBytes = 8 << 20
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Tier{cfg: cfg, name: cfg.Name, store: cfg.Store, env: cfg.Env, traceKeys: newTraceKeys(cfg.Env.Rand()),
		revalidating: map[string]bool{}, flights: map[string]*flight{}}, nil
}

// Store is the tier's store, for purges and figures.
func (t *Tier) Store() *store.Store { return t.store }

// Name is the tier's name.
func (t *Tier) Name() string { return t.name }

// exchange is one request's way through the tier.
type exchange struct {
	t        *Tier
	w        http.ResponseWriter
	r        *http.Request
	key      string
	variants []*store.Object // stored under key when the request came
	member   status.Member
	cc       cachecontrol.Directives // the request's directives
	noCache  bool                    // request no-cache (or Pragma)
	ctl      *control.Context        // the control context received (upper tiers)
	trace    traceIDs
	// upstreamStatus is the Cache-Status of an upstream 304 or error this
	// tier answered from its store, so the chain keeps the upstream's
	// member.
	upstreamStatus []string
	flight         *flight // the shared fetch this exchange leads, if any
}

func (t *Tier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{t: t, w: w, r: r, member: status.Member{Cache: t.name}}
	// The key is built in a buffer on the stack and looked up as bytes:
	// on a hit the key string is the stored one, so nothing is allocated
	// for it.
	var kb [256]byte
	x.key, x.variants = t.store.Lookup(cachekey.AppendRequest(kb[:0], r), r.Method == http.MethodGet || r.Method == http.MethodHead)
	// Trace context is carried upstream whether or not a tracer listens,
	// so installing one changes nothing on the wire: the same bytes, the
	// same draws from the node's randomness, the same timing.
	x.startSpan(w)
	if t.cfg.Tracer != nil {
		defer x.endSpan()
	}
	x.serve()
}

func (x *exchange) serve() {
	t, r := x.t, x.r
	if headerBytes(r.Header) > t.cfg.MaxHeaderBytes {
		x.member.Detail = "header-too-large"
		x.fail(http.StatusRequestHeaderFieldsTooLarge, "request header fields too large")
		return
	}
	if t.cfg.Upper {
		// An upper tier acts only on an authenticated control context:
		// without one it does not know the origin, and it says so rather
		// than resolve an empty name.
		c, err := control.Read(r.Header, t.cfg.ControlKey, r.Method, r.URL.RequestURI())
		if err != nil {
			x.member.Detail = controlDetail(err)
			x.fail(http.StatusInternalServerError, err.Error())
			return
		}
		x.ctl = &c
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions, http.MethodTrace, "CONNECT":
		x.member.Fwd = status.FwdMethod
		x.pass(false)
		return
	default:
		x.member.Fwd = status.FwdMethod
		x.pass(true)
		return
	}
	// A GET with a body, or one some origins would treat as another
	// method, is neither answered from the store nor stored: its response
	// need not be the resource's.
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		x.bypass("request-body")
		return
	}
	if hasAny(r.Header, methodOverride) {
		x.bypass("method-override")
		return
	}
	reqCC := r.Header["Cache-Control"]
	if len(reqCC) > 0 {
		x.cc = cachecontrol.Parse(reqCC) // x.cc is zero, the directives of none
	}
	x.noCache = x.cc.NoCache || (len(reqCC) == 0 && cachecontrol.PragmaNoCache(r.Header["Pragma"]))
	x.member.Key = x.key
	x.lookup()
}

// lookup answers from the store or forwards (RFC 9111 §4).
func (x *exchange) lookup() {
	now := x.t.env.Now()
	variants := x.variants
	obj := selectVariant(variants, x.r.Header)
	if x.t.cfg.Bugs.VaryIgnored && obj == nil {
		obj = newestVariant(variants)
	}
	if obj == nil {
		if x.cc.OnlyIfCached {
			x.member.Detail = "only-if-cached"
			x.fail(http.StatusGatewayTimeout, "only-if-cached: no stored response")
			return
		}
		x.member.Fwd = status.FwdURIMiss
		if len(variants) > 0 {
			x.member.Fwd = status.FwdVaryMiss
		}
		x.record(FactCacheMiss)
		if x.t.cfg.DisableCollapsing {
			x.fetch(nil)
		} else {
			x.collapse()
		}
		return
	}
	age := obj.InitialAge + nonNegative(now.Sub(obj.ResponseTime))
	left := obj.Lifetime - age
	fresh := left > 0
	ok := fresh
	if x.cc.MaxAge.Set && age > time.Duration(x.cc.MaxAge.Seconds)*time.Second {
		ok = false
	}
	if x.cc.MinFresh.Set && left < time.Duration(x.cc.MinFresh.Seconds)*time.Second {
		ok = false
	}
	stale := !fresh
	if stale && x.cc.MaxStale.Set && !obj.MustRevalidate && -left <= time.Duration(x.cc.MaxStale.Seconds)*time.Second {
		// max-stale admits a stale response unless the request's
		// max-age says it is too old.
		ok = !(x.cc.MaxAge.Set && age > time.Duration(x.cc.MaxAge.Seconds)*time.Second)
	}
	if obj.NoCache || x.noCache {
		ok = false
	}
	x.member.HasTTL, x.member.TTL = true, ttlSeconds(obj.Lifetime, age)
	switch {
	case ok:
		x.member.Hit = true
		if stale {
			x.t.env.Record(FactCacheServeStale, tierTerm(x.t.name), keyTerm(x.key))
		}
		if x.t.cfg.Bugs.AgeNotAdded {
			age = obj.InitialAge
		}
		d := x.derived(obj, age)
		x.recordHit(d)
		x.serveStoredWith(obj, age, d)
		return
	case stale && !obj.MustRevalidate && !obj.NoCache && !x.noCache && obj.StaleWhileRevalidate > 0 && -left <= obj.StaleWhileRevalidate:
		x.member.Hit = true
		x.member.Detail = "stale-while-revalidate"
		x.record(FactCacheHit)
		x.t.env.Record(FactCacheServeStale, tierTerm(x.t.name), keyTerm(x.key))
		x.t.revalidateInBackground(x.r, x.key, obj, x.ctl)
		x.serveStored(obj, age)
		return
	case x.cc.OnlyIfCached:
		x.member.Detail = "only-if-cached"
		x.fail(http.StatusGatewayTimeout, "only-if-cached: the stored response may not be used")
		return
	}
	if fresh {
		x.member.Fwd = status.FwdRequest
	} else {
		x.member.Fwd = status.FwdStale
	}
	x.fetch(obj)
}

// selectVariant picks the newest stored response whose Vary values match
// the request's (§4.1).
func selectVariant(variants []*store.Object, h http.Header) *store.Object {
	var best *store.Object
	for _, v := range variants {
		if !sameValues(v.VaryValues, cachekey.VaryValues(h, v.VaryNames)) {
			continue
		}
		if best == nil || v.ResponseTime.After(best.ResponseTime) {
			best = v
		}
	}
	return best
}

func sameValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fetch forwards the request upstream; with stored it is a validation of
// that response (§4.3).
func (x *exchange) fetch(stored *store.Object) {
	req, cancel, err := x.upstream(stored)
	if err != nil {
		x.member.Detail = "bad-request"
		x.fail(http.StatusBadRequest, err.Error())
		return
	}
	defer cancel()
	requestTime := x.t.env.Now()
	ctl := x.ctl
	if x.t.cfg.Bugs.TraceClearsControl {
		ctl = x.traceFetchLive()
	}
	resp, err := x.t.send(req, x.key, ctl)
	if err != nil {
		if stored != nil && x.staleIfError(stored, true) {
			return
		}
		x.upstreamFailed(err)
		return
	}
	defer resp.Body.Close()
	responseTime := x.t.env.Now()
	x.member.FwdStatus = resp.StatusCode
	if stored != nil {
		x.t.env.Record(FactCacheRevalidate, tierTerm(x.t.name), keyTerm(x.key), statusTerm(resp.StatusCode))
		x.upstreamStatus = resp.Header.Values(status.Field)
		if resp.StatusCode == http.StatusNotModified {
			if updated := x.t.refresh(stored, resp, requestTime, responseTime); updated != nil {
				x.member.HasTTL, x.member.TTL = true, ttlSeconds(updated.Lifetime, updated.InitialAge)
				x.serveStored(updated, updated.InitialAge)
				return
			}
			// The 304 validates another representation (§4.3.3):
			// fetch it without conditions.
			resp.Body.Close()
			x.fetch(nil)
			return
		}
		if resp.StatusCode >= 500 && x.staleIfError(stored, false) {
			return
		}
	}
	x.respond(resp, requestTime, responseTime)
}

// staleIfError serves stored if stale-if-error (the response's or the
// request's) covers its staleness (RFC 5861 §4), or, when the upstream
// gave no response at all (disconnected), StaleIfDisconnected does and
// the request allows a stale answer.
func (x *exchange) staleIfError(stored *store.Object, disconnected bool) bool {
	if stored.MustRevalidate || stored.NoCache {
		return false
	}
	now := x.t.env.Now()
	age := stored.InitialAge + nonNegative(now.Sub(stored.ResponseTime))
	staleness := age - stored.Lifetime
	window := stored.StaleIfError
	if x.cc.StaleIfError.Set {
		window = time.Duration(x.cc.StaleIfError.Seconds) * time.Second
	}
	if x.t.cfg.Bugs.StaleBeyondSIE && window > 0 {
		staleness = 0
	}
	detail := "stale-if-error"
	if window <= 0 || staleness > window {
		if !disconnected || staleness > x.t.cfg.StaleIfDisconnected || !x.acceptsStale(age) {
			return false
		}
		detail = "stale-disconnected"
	}
	x.member.Detail = detail
	x.t.env.Record(FactCacheServeStale, tierTerm(x.t.name), keyTerm(x.key))
	x.serveStored(stored, age)
	return true
}

// acceptsStale reports whether the request leaves a cache free to answer
// with a stale response of the given age: no no-cache, no min-fresh, and
// no max-age it exceeds (§5.2.1).
func (x *exchange) acceptsStale(age time.Duration) bool {
	cc := x.cc
	if x.noCache || cc.MinFresh.Set {
		return false
	}
	return !cc.MaxAge.Set || age <= time.Duration(cc.MaxAge.Seconds)*time.Second
}

// upstreamFailed answers for an upstream that gave no response: 504 for a
// timeout, 502 otherwise. Such an answer is stored only under NegativeTTL.
func (x *exchange) upstreamFailed(err error) {
	code := http.StatusBadGateway
	x.member.Detail = "upstream-error"
	var dns *errOriginDNS
	switch {
	case errors.As(err, &dns):
		// As the product does: 530 with a body that says what failed.
		code, x.member.Detail = StatusOriginDNSError, "origin-dns-error"
	case errors.Is(err, context.DeadlineExceeded):
		code, x.member.Detail = http.StatusGatewayTimeout, "upstream-timeout"
	}
	if ttl := x.t.cfg.NegativeTTL; ttl > 0 && x.r.Method == http.MethodGet && x.member.Fwd != status.FwdBypass {
		now := x.t.env.Now()
		body := []byte(problemBody(code, "upstream failed: "+err.Error()))
		h := http.Header{"Content-Type": {"application/problem+json"}, "Date": {now.UTC().Format(http.TimeFormat)},
			"Content-Length": {strconv.Itoa(len(body))}}
		obj := &store.Object{Key: x.key, URL: x.key, Status: code, Header: clipHeader(h), Body: body,
			RequestTime: now, ResponseTime: now, Lifetime: ttl, MustRevalidate: true}
		if x.t.store.Put(obj) {
			x.member.Stored = true
			x.member.HasTTL, x.member.TTL = true, int64(ttl/time.Second)
			x.t.env.Record(FactCacheStore, tierTerm(x.t.name), keyTerm(x.key), statusTerm(code))
		}
	}
	x.fail(code, "upstream failed: "+err.Error())
}

// StatusOriginDNSError is the status for an origin whose name does not
// resolve.
const StatusOriginDNSError = 530

func controlDetail(err error) string {
	switch {
	case errors.Is(err, control.ErrMissing):
		return "control-missing"
	case errors.Is(err, control.ErrMAC):
		return "control-unauthenticated"
	case errors.Is(err, control.ErrHops):
		return "control-hops"
	default:
		return "control-invalid"
	}
}

// respond relays an upstream response, storing it when it may.
func (x *exchange) respond(resp *http.Response, requestTime, responseTime time.Time) {
	h := resp.Header
	if _, ok := h["Date"]; !ok {
		// RFC 9110 §6.6.1: a recipient with a clock adds Date to a
		// response it caches or forwards.
		h.Set("Date", responseTime.UTC().Format(http.TimeFormat))
	}
	if x.t.cfg.Bugs.LowerStores5xx && !x.t.cfg.Upper && x.t.cfg.NegativeTTL > 0 && resp.StatusCode >= 500 {
		h.Set("Cache-Control", "max-age="+strconv.Itoa(int(x.t.cfg.NegativeTTL/time.Second)))
	}
	p := readPolicy(h, x.t.cfg.Targets)
	varyNames, star := cachekey.VaryNames(h)
	why := ""
	switch {
	case x.r.Method != http.MethodGet && x.r.Method != http.MethodHead:
		why = "method"
	case x.cc.NoStore:
		why = "request-no-store"
	default:
		why = p.uncacheable(x.r, resp.StatusCode, h, star)
	}
	if x.t.cfg.Bugs.PrivateStored && why == "private" {
		why = ""
	}
	if why != "" || resp.ContentLength > x.t.cfg.MaxObjectBytes {
		if why == "" {
			why = "too-large"
		}
		if x.flight != nil {
			x.flight.alone()
		}
		x.relay(resp, why)
		return
	}
	if x.t.cfg.Bugs.CutBodyStored {
		resp.Body = cutIsEnd{resp.Body}
	}
	if x.flight != nil {
		x.flight.start(resp.StatusCode, flightHeader(h), varyNames, cachekey.VaryValues(x.r.Header, varyNames))
		resp.Body = teeBody{resp.Body, x.flight}
	}
	body, complete, err := readUpTo(resp.Body, x.t.cfg.MaxObjectBytes)
	if err != nil {
		x.member.Detail = "upstream-body"
		x.fail(http.StatusBadGateway, "upstream body: "+err.Error())
		return
	}
	if !complete {
		// Too large to store: send what was read and stream the rest.
		x.relayPrefix(resp, body, "too-large")
		return
	}
	obj := &store.Object{
		Key: x.key, URL: x.key, VaryNames: varyNames, VaryValues: cachekey.VaryValues(x.r.Header, varyNames),
		Status: resp.StatusCode, Header: storedHeader(h, p, isInternal), Body: body,
		RequestTime: requestTime, ResponseTime: responseTime, Tags: tags(h),
		InitialAge: freshness.InitialAge(h, requestTime, responseTime),
	}
	p.fill(&obj.Lifetime, &obj.NoCache, &obj.MustRevalidate, &obj.StaleWhileRevalidate, &obj.StaleIfError, h, resp.StatusCode)
	if x.t.store.Put(obj) {
		x.member.Stored = true
		x.t.env.Record(FactCacheStore, tierTerm(x.t.name), keyTerm(x.key), statusTerm(resp.StatusCode))
	}
	x.member.HasTTL, x.member.TTL = true, ttlSeconds(obj.Lifetime, obj.InitialAge)
	// The first response passes the origin's header through as it came
	// (Age included), less what this tier must not forward.
	out := x.w.Header()
	for k, vs := range h {
		out[k] = vs
	}
	removeHopByHop(out)
	x.stripInternal(out)
	x.setStatus(out)
	if x.answerConditional(obj) {
		return
	}
	if x.answerRange(obj, out) {
		return
	}
	out.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(resp.StatusCode)
	if x.r.Method != http.MethodHead {
		x.w.Write(body)
	}
}

// refresh applies a 304 to the stored response it validates (§4.3.4) and
// returns the updated object, or nil when the 304 is for a different
// representation.
func (t *Tier) refresh(stored *store.Object, resp *http.Response, requestTime, responseTime time.Time) *store.Object {
	if et := resp.Header.Get("ETag"); et != "" && et != stored.Header.Get("ETag") {
		return nil
	}
	h := resp.Header
	if _, ok := h["Date"]; !ok {
		h.Set("Date", responseTime.UTC().Format(http.TimeFormat))
	}
	merged := updateHeader(stored.Header, h, isInternal)
	if t.cfg.Bugs.Merge304DropsETag {
		delete(merged, "Etag")
	}
	p := readPolicy(merged, t.cfg.Targets)
	u := *stored
	u.Header = merged
	u.RequestTime, u.ResponseTime = requestTime, responseTime
	u.InitialAge = freshness.InitialAge(h, requestTime, responseTime)
	u.Tags = tags(merged)
	u.StaleIfError, u.StaleWhileRevalidate = 0, 0
	p.fill(&u.Lifetime, &u.NoCache, &u.MustRevalidate, &u.StaleWhileRevalidate, &u.StaleIfError, merged, u.Status)
	if p.cc.NoStore {
		t.store.Remove(stored)
	} else {
		t.store.Replace(stored, &u)
	}
	return &u
}

// revalidateInBackground starts one validation of stored for key unless
// one is already running (RFC 5861 §3).
func (t *Tier) revalidateInBackground(r *http.Request, key string, stored *store.Object, ctl *control.Context) {
	t.mu.Lock()
	if t.revalidating[key] {
		t.mu.Unlock()
		return
	}
	t.revalidating[key] = true
	t.mu.Unlock()
	// The background request is detached from the client's: it must
	// outlive this response.
	bg := r.Clone(context.Background())
	bg.Header = r.Header.Clone()
	t.env.Go("cache-revalidate", func() {
		defer func() {
			t.mu.Lock()
			delete(t.revalidating, key)
			t.mu.Unlock()
		}()
		req, cancel, err := t.upstreamRequest(bg, stored)
		if err != nil {
			return
		}
		defer cancel()
		if env.Buggify(t.env, "cache: background revalidation fails") {
			return // as a lost upstream would: the stale object stays
		}
		requestTime := t.env.Now()
		resp, err := t.send(req, key, ctl)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		responseTime := t.env.Now()
		t.env.Record(FactCacheRevalidate, tierTerm(t.name), keyTerm(key), statusTerm(resp.StatusCode))
		if resp.StatusCode == http.StatusNotModified {
			t.refresh(stored, resp, requestTime, responseTime)
			return
		}
		if resp.StatusCode >= 500 {
			return
		}
		d := &discard{h: http.Header{}}
		x := &exchange{t: t, w: d, r: bg, key: key, member: status.Member{Cache: t.name}, ctl: ctl}
		x.cc = cachecontrol.Parse(bg.Header.Values("Cache-Control"))
		x.respond(resp, requestTime, responseTime)
	})
}

// upstreamRequest builds the request a tier sends for r. With stored, it
// is conditional on stored's validators.
func (t *Tier) upstreamRequest(r *http.Request, stored *store.Object) (*http.Request, context.CancelFunc, error) {
	// The URL holds the path and query; send puts it under a parent or
	// the origin.
	u := url.URL{Scheme: "http", Host: "upstream.invalid", Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	ctx, cancel := t.env.WithTimeout(r.Context(), t.cfg.Timeout)
	var body io.Reader
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		body = r.Body
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	req.ContentLength = r.ContentLength
	if body == nil {
		req.ContentLength = 0
		if r.ContentLength != 0 {
			req.Body, req.ContentLength = r.Body, r.ContentLength
		}
	}
	req.Header = r.Header.Clone()
	removeHopByHop(req.Header)
	for _, f := range unkeyedInfluence {
		req.Header.Del(f)
	}
	for k := range req.Header {
		if isInternal(k) {
			delete(req.Header, k)
		}
	}
	req.Host = r.Host
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		// The tier answers the client's own conditions and ranges from
		// the full response it stores.
		for _, f := range []string{"If-None-Match", "If-Modified-Since", "If-Range", "Range", "If-Match", "If-Unmodified-Since"} {
			req.Header.Del(f)
		}
		if r.Method == http.MethodHead {
			// Fetch the GET so the response can be stored (§4.3.5's
			// reverse: a HEAD is answered from a stored GET).
			req.Method = http.MethodGet
		}
	}
	req.Header.Del("Traceparent")
	// The origin learns that a surrogate that reads Surrogate-Control is
	// in the path (a client's own claim is not passed on).
	req.Header["Surrogate-Capability"] = []string{surrogateCapability}
	if stored != nil {
		if et := stored.Header.Get("ETag"); et != "" {
			req.Header.Set("If-None-Match", et)
		}
		if lm := stored.Header.Get("Last-Modified"); lm != "" {
			req.Header.Set("If-Modified-Since", lm)
		}
	}
	return req, cancel, nil
}

// upstream builds this exchange's upstream request, carrying its trace.
func (x *exchange) upstream(stored *store.Object) (*http.Request, context.CancelFunc, error) {
	req, cancel, err := x.t.upstreamRequest(x.r, stored)
	if err == nil {
		if tp := x.traceparent(); tp != "" {
			req.Header.Set("Traceparent", tp)
		} else if v := x.r.Header.Values("Traceparent"); len(v) > 0 {
			req.Header["Traceparent"] = v
		}
	}
	return req, cancel, err
}

// pass forwards a request the tier does not cache; unsafe methods
// invalidate what they may have changed (§4.4).
func (x *exchange) pass(unsafe bool) {
	req, cancel, err := x.upstream(nil)
	if err != nil {
		x.member.Detail = "bad-request"
		x.fail(http.StatusBadRequest, err.Error())
		return
	}
	defer cancel()
	resp, err := x.t.send(req, x.key, x.ctl)
	if err != nil {
		x.upstreamFailed(err)
		return
	}
	defer resp.Body.Close()
	x.member.FwdStatus = resp.StatusCode
	if unsafe && resp.StatusCode < 400 {
		x.invalidate(resp.Header)
	}
	x.relay(resp, "")
}

// invalidate removes the target URI and the same-origin Location and
// Content-Location of a successful unsafe request's response.
func (x *exchange) invalidate(h http.Header) {
	x.t.invalidateKey(x.key)
	base, err := url.Parse(x.key)
	if err != nil {
		return
	}
	for _, f := range []string{"Location", "Content-Location"} {
		v := h.Get(f)
		if v == "" {
			continue
		}
		ref, err := base.Parse(v)
		if err != nil || !strings.EqualFold(ref.Scheme, base.Scheme) || !strings.EqualFold(ref.Host, base.Host) {
			continue // another origin's resources are not ours to drop
		}
		x.t.invalidateKey(cachekey.URI(ref.Scheme, ref.Host, ref.RequestURI()))
	}
}

func (t *Tier) invalidateKey(key string) {
	if t.store.Delete(key) > 0 {
		t.env.Record(FactCacheInvalidate, tierTerm(t.name), keyTerm(key))
	}
}

// bypass forwards a request without using or filling the store.
func (x *exchange) bypass(why string) {
	x.member.Fwd, x.member.Detail = status.FwdBypass, why
	x.record(FactCacheBypass)
	req, cancel, err := x.upstream(nil)
	if err != nil {
		x.fail(http.StatusBadRequest, err.Error())
		return
	}
	defer cancel()
	if x.r.Method == http.MethodHead {
		req.Method = http.MethodHead
	}
	resp, err := x.t.send(req, x.key, x.ctl)
	if err != nil {
		x.upstreamFailed(err)
		return
	}
	defer resp.Body.Close()
	x.member.FwdStatus = resp.StatusCode
	x.relay(resp, why)
}

// relay streams a response it will not store to the client.
func (x *exchange) relay(resp *http.Response, why string) {
	x.relayPrefix(resp, nil, why)
}

func (x *exchange) relayPrefix(resp *http.Response, prefix []byte, why string) {
	if why != "" && x.member.Detail == "" && x.member.Fwd != status.FwdMethod {
		x.member.Detail = "not-stored-" + why
	}
	out := x.w.Header()
	for k, vs := range resp.Header {
		out[k] = vs
	}
	removeHopByHop(out)
	x.stripInternal(out)
	if _, ok := out["Date"]; !ok {
		out.Set("Date", x.t.env.Now().UTC().Format(http.TimeFormat))
	}
	x.setStatus(out)
	x.w.WriteHeader(resp.StatusCode)
	if x.r.Method == http.MethodHead {
		return
	}
	if len(prefix) > 0 {
		if _, err := x.w.Write(prefix); err != nil {
			return
		}
	}
	src := &readErr{r: resp.Body}
	io.Copy(x.w, src)
	if src.err != nil && x.r.Method != http.MethodHead && resp.ContentLength != 0 {
		// The body was cut upstream: end the response as cut too,
		// rather than let it look complete.
		panic(http.ErrAbortHandler)
	}
}

// readErr notes the error a read ended with, other than the end.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

func (x *exchange) setStatus(h http.Header) {
	h[status.Field] = []string{x.statusValue(h)}
}

// statusValue is the Cache-Status this tier sends with header h: its
// member after those already in h (or in the upstream's answer).
func (x *exchange) statusValue(h http.Header) string {
	prev := h[status.Field]
	if len(prev) == 0 {
		prev = x.upstreamStatus
	}
	if len(prev) == 0 {
		return x.member.String()
	}
	return status.Append(prev, x.member)
}

func (x *exchange) stripInternal(h http.Header) {
	for k := range h {
		if isInternal(k) {
			delete(h, k)
		}
	}
}

// fail answers with an error the tier generates itself, as problem+json.
func (x *exchange) fail(code int, detail string) {
	x.t.env.Record(FactCacheError, tierTerm(x.t.name), keyTerm(x.key), statusTerm(code))
	h := x.w.Header()
	for k := range h {
		delete(h, k)
	}
	body := problemBody(code, detail)
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.setStatus(h)
	x.w.WriteHeader(code)
	if x.r.Method != http.MethodHead {
		io.WriteString(x.w, body)
	}
}

func (x *exchange) record(fact string) {
	x.t.env.Record(fact, tierTerm(x.t.name), keyTerm(x.key))
}

func problemBody(code int, detail string) string {
	return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"detail":%q}`+"\n", http.StatusText(code), code, detail)
}

// readUpTo reads r up to limit bytes; complete is false if there was more.
func readUpTo(r io.Reader, limit int64) (b []byte, complete bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return b, false, nil
	}
	return b, true, nil
}

// ttlSeconds is the remaining lifetime as Cache-Status says it: the
// lifetime less the age in whole seconds as the Age field says it, so
// ttl + Age is the lifetime.
func ttlSeconds(lifetime, age time.Duration) int64 {
	return int64(lifetime/time.Second) - int64(nonNegative(age)/time.Second)
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// discard is a ResponseWriter for a background revalidation, whose
// response nobody reads.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
