package ohttpsim

// This file records what each party observes. A handler wrapper records
// every request a node receives and a transport wrapper every response it
// receives, as an Observe fact on that node whose terms are the concrete
// things seen: the source address, method or status, path, each header's
// value split into tokens, and the body. Every concrete string becomes an
// atom tagged with the digest of its bytes, so when a client's address
// (the digest of ~cid) turns up anywhere — an X-Forwarded-For header, a
// cookie, a source address — the party that saw it knows ~cid in the
// Dolev–Yao sense, with no special casing.

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/edgelab/edgelab/model"
)

// FactObserve is the fact a party's observations are recorded as:
// Observe('req' | 'resp', src, method-or-status, path, <header, tokens>..., body).
const FactObserve = "Observe"

// obsAtom is a concrete string as a party saw it.
func obsAtom(s string) model.Term {
	if t, ok := atoms.get(s); ok {
		return t
	}
	// The same few strings (addresses, media types, lengths, dates) are
	// observed again and again; hashing each once saves a tenth of a
	// run. A digest is a pure function of the string, so sharing the
	// cache between concurrent runs changes nothing they record.
	t := model.NewFresh("obs").WithDigest([]byte(s))
	atoms.put(s, t)
	return t
}

var atoms termCache[string]

// termCache remembers terms built from concrete values, in two
// generations of at most cacheGen entries: when the current one fills up
// it becomes the old one and the oldest is dropped, and a hit in the old
// generation moves the entry back to the current one. Values seen again
// and again stay; values seen once (request ids, nonces) pass through
// without piling up in the heap the collector scans.
type termCache[K comparable] struct {
	mu       sync.Mutex
	cur, old map[K]model.Term
}

const cacheGen = 4096

func (c *termCache[K]) get(k K) (model.Term, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.cur[k]; ok {
		return t, true
	}
	if t, ok := c.old[k]; ok {
		delete(c.old, k)
		c.putLocked(k, t)
		return t, true
	}
	return model.Term{}, false
}

func (c *termCache[K]) put(k K, t model.Term) {
	c.mu.Lock()
	c.putLocked(k, t)
	c.mu.Unlock()
}

func (c *termCache[K]) putLocked(k K, t model.Term) {
	if c.cur == nil || len(c.cur) >= cacheGen {
		c.old, c.cur = c.cur, make(map[K]model.Term, cacheGen)
	}
	c.cur[k] = t
}

// bodyTerm is a body as a party saw it; the same digest as ContentTerm.
func bodyTerm(b []byte) model.Term { return model.NewFresh("body").WithDigest(b) }

// ContentTerm is a request's content: its body bytes. The target sees a
// request as content, not as the Binary HTTP bytes the client sealed, so
// linking checks look for either.
func ContentTerm(b []byte) model.Term { return bodyTerm(b) }

// tokens splits a header value the way a log parser would.
func tokens(v string) []string {
	f := strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == '=' || r == ' ' || r == '\t'
	})
	out := []string{v}
	for _, t := range f {
		if t != v {
			out = append(out, t)
		}
	}
	return out
}

// appendHeaderTerms appends h's lines, by name, to out.
func appendHeaderTerms(out []model.Term, h http.Header) []model.Term {
	var buf [16]string
	names := buf[:0]
	n := 0
	for k, vs := range h {
		names = append(names, k)
		n += len(vs)
	}
	sort.Strings(names)
	out = slices.Grow(out, n)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, headerTerm(k, v))
		}
	}
	return out
}

// headerTerm is one header line as a party saw it: <name, value,
// tokens...>. Lines repeat across requests (media types, lengths, dates,
// cookies), so built terms are shared like atoms; a Term's Args are never
// modified in place, so sharing them changes nothing a run records.
func headerTerm(k, v string) model.Term {
	key := headerKey{k, v}
	if t, ok := headerLines.get(key); ok {
		return t
	}
	toks := tokens(v)
	// model.Pair(parts...) nests to the right, one two-element slice per
	// level; build the same terms with one backing array.
	parts := make([]model.Term, 1+len(toks))
	parts[0] = model.NewConst(strings.ToLower(k))
	for i, tk := range toks {
		parts[1+i] = obsAtom(tk)
	}
	t := pairAll(parts)
	headerLines.put(key, t)
	return t
}

// pairAll is model.Pair(ts...) with all the nested pairs' arguments in one
// allocation.
func pairAll(ts []model.Term) model.Term {
	if len(ts) < 2 {
		return model.Pair(ts...)
	}
	levels := len(ts) - 1
	back := make([]model.Term, 2*levels)
	// Fill from the innermost pair outwards.
	last := ts[len(ts)-1]
	for i := len(ts) - 2; i >= 0; i-- {
		a := back[2*i : 2*i+2 : 2*i+2]
		a[0], a[1] = ts[i], last
		last = model.Apply("pair", a...)
	}
	return last
}

type headerKey struct{ k, v string }

var headerLines termCache[headerKey]

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// observation is an Observe fact's terms: what, from where, method or
// status, path, the headers and the body.
func observation(what, src, verb, path model.Term, h http.Header, body []byte) []model.Term {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	args := make([]model.Term, 0, 5+n)
	args = append(args, what, src, verb, path)
	args = appendHeaderTerms(args, h)
	return append(args, bodyTerm(body))
}

// record records an observation with env, handing the freshly built args
// over to a simulated node's Env (which then need not copy them).
func record(env model.Recorder, args []model.Term) {
	if o, ok := env.(interface {
		RecordOwned(string, []model.Term)
	}); ok {
		o.RecordOwned(FactObserve, args)
		return
	}
	env.Record(FactObserve, args...)
}

// observeHandler records each request h receives with env (a node's
// Env, which records on that node).
func observeHandler(env model.Recorder, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		args := observation(model.NewConst("req"), obsAtom(hostOf(r.RemoteAddr)), model.NewConst(r.Method), model.NewConst(r.URL.Path), r.Header, body)
		record(env, args)
		h.ServeHTTP(w, r)
	})
}

// observeTransport records each response rt receives on env's node.
type observeTransport struct {
	env model.Recorder
	rt  http.RoundTripper
	// cookie, if set, is sent to relay: the client's session with it.
	cookie, relay string
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.cookie != "" && req.URL.Hostname() == t.relay {
		req = req.Clone(req.Context())
		req.Header.Set("Cookie", t.cookie)
	}
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	args := observation(model.NewConst("resp"), obsAtom(req.URL.Hostname()), model.NewConst(resp.Status), model.NewConst(req.URL.Path), resp.Header, body)
	record(t.env, args)
	return resp, nil
}
