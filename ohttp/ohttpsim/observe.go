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
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/edgelab/edgelab/model"
)

// FactObserve is the fact a party's observations are recorded as:
// Observe('req' | 'resp', src, method-or-status, path, <header, tokens>..., body).
const FactObserve = "Observe"

// obsAtom is a concrete string as a party saw it.
func obsAtom(s string) model.Term {
	if t, ok := atoms.Load(s); ok {
		return t.(model.Term)
	}
	t := model.NewFresh("obs").WithDigest([]byte(s))
	// The same few strings (addresses, media types, lengths, dates) are
	// observed again and again; hashing each once saves a tenth of a
	// run. A digest is a pure function of the string, so sharing the
	// cache between concurrent runs changes nothing they record; it
	// stops growing at maxAtoms.
	if atomCount.Load() < maxAtoms {
		atomCount.Add(1)
		atoms.Store(s, t)
	}
	return t
}

const maxAtoms = 1 << 16

var (
	atoms     sync.Map // string -> model.Term
	atomCount atomic.Int64
)

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

func headerTerms(h http.Header) []model.Term {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []model.Term
	for _, k := range names {
		for _, v := range h[k] {
			parts := []model.Term{model.NewConst(strings.ToLower(k))}
			for _, t := range tokens(v) {
				parts = append(parts, obsAtom(t))
			}
			out = append(out, model.Pair(parts...))
		}
	}
	return out
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// observeHandler records each request h receives with env (a node's
// Env, which records on that node).
func observeHandler(env model.Recorder, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		args := []model.Term{model.NewConst("req"), obsAtom(hostOf(r.RemoteAddr)), model.NewConst(r.Method), model.NewConst(r.URL.Path)}
		args = append(args, headerTerms(r.Header)...)
		args = append(args, bodyTerm(body))
		env.Record(FactObserve, args...)
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
	args := []model.Term{model.NewConst("resp"), obsAtom(req.URL.Hostname()), model.NewConst(resp.Status), model.NewConst(req.URL.Path)}
	args = append(args, headerTerms(resp.Header)...)
	args = append(args, bodyTerm(body))
	t.env.Record(FactObserve, args...)
	return resp, nil
}
