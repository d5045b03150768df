package ohttp

// This file is the catalog of seeded bugs: realistic mistakes a relay,
// gateway or client could make, each off by default and switched on
// through the Bugs field of the role. The simulated world (ohttp/ohttpsim)
// measures that its properties catch every one of them.

import (
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/edgelab/edgelab/model"
)

// Bug names one seeded bug.
type Bug string

// The seeded bugs.
const (
	// BugRelayForwardXFF: the relay adds X-Forwarded-For with the client's
	// address to the request it forwards, as a generic reverse proxy does.
	BugRelayForwardXFF Bug = "relay-forwards-xff"
	// BugRelayForwardCookies: the relay copies the client's Cookie header
	// to the gateway.
	BugRelayForwardCookies Bug = "relay-forwards-cookies"
	// BugRelayLogsBody: the relay decodes the bodies it carries for its
	// logs, with key material it was handed for debugging (DebugKeys), and
	// records what it decoded.
	BugRelayLogsBody Bug = "relay-logs-body"
	// BugGatewayKeyPartition: the gateway answers every key fetch with a
	// key configuration of its own, kept out of the published one, so
	// each requester holds a distinct key and its requests are
	// recognisable by key ID.
	BugGatewayKeyPartition Bug = "gateway-key-partition"
	// BugClientReuseContext: the client replays its first HPKE randomness,
	// so every request shares one encapsulated key and context.
	BugClientReuseContext Bug = "client-reuses-context"
	// BugGatewayEchoHeaders: the gateway copies the outer request's header
	// and the peer address (X-Forwarded-For) onto the target request.
	BugGatewayEchoHeaders Bug = "gateway-echoes-headers"
	// BugResponseUnbound: the gateway encapsulates a response under the
	// previous request's context instead of its own.
	BugResponseUnbound Bug = "response-unbound"
)

// AllBugs lists the catalog in a fixed order.
func AllBugs() []Bug {
	return []Bug{
		BugRelayForwardXFF, BugRelayForwardCookies, BugRelayLogsBody,
		BugGatewayKeyPartition, BugClientReuseContext, BugGatewayEchoHeaders,
		BugResponseUnbound,
	}
}

// Summary says in one line what mistake b plants ("" for a name not in
// the catalog).
func (b Bug) Summary() string { return bugSummaries[b] }

var bugSummaries = map[Bug]string{
	BugRelayForwardXFF:     "the relay adds X-Forwarded-For with the client's address",
	BugRelayForwardCookies: "the relay copies the client's cookies to the gateway",
	BugRelayLogsBody:       "the relay decodes and logs the requests it carries, with debug key material",
	BugGatewayKeyPartition: "the gateway answers each key fetch with a key of its own, unpublished",
	BugClientReuseContext:  "the client replays its first HPKE randomness for every request",
	BugGatewayEchoHeaders:  "the gateway copies the outer header and the peer address onto the target request",
	BugResponseUnbound:     "the gateway seals a response under the previous request's context",
}

// Bugs is a set of seeded bugs; the nil set is correct behaviour.
type Bugs map[Bug]bool

// NewBugs returns the set of bs.
func NewBugs(bs ...Bug) Bugs {
	s := Bugs{}
	for _, b := range bs {
		s[b] = true
	}
	return s
}

// Has reports whether b is switched on.
func (s Bugs) Has(b Bug) bool { return s[b] }

// List returns the bugs switched on, sorted.
func (s Bugs) List() []Bug {
	var out []Bug
	for b, on := range s {
		if on {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// FactRelayLog is what a relay with BugRelayLogsBody records: the request
// it decoded. It is not an action fact of the theory (an honest relay has
// none like it); the world's checks treat it as part of the relay's view.
const FactRelayLog = "RelayLog"

// seedOutgoing applies the relay's seeded bugs to the request it is about
// to forward.
func (rl *Relay) seedOutgoing(out, in *http.Request, body []byte) {
	if rl.Bugs == nil {
		return
	}
	if rl.Bugs.Has(BugRelayForwardXFF) {
		out.Header.Set("X-Forwarded-For", remoteHost(in.RemoteAddr))
	}
	if rl.Bugs.Has(BugRelayForwardCookies) {
		if c := in.Header.Values("Cookie"); len(c) > 0 {
			out.Header["Cookie"] = append([]string(nil), c...)
		}
	}
	if rl.Bugs.Has(BugRelayLogsBody) && rl.DebugKeys != nil && rl.Recorder != nil {
		if plain, _, err := DecapsulateRequest(rl.DebugKeys, body); err == nil {
			rl.Recorder.Record(FactRelayLog, requestTerm(plain))
		}
	}
}

// encapRand is the randomness for one encapsulation: c.Rand, or with
// BugClientReuseContext the bytes the first encapsulation read, replayed.
func (c *Client) encapRand() io.Reader {
	if !c.Bugs.Has(BugClientReuseContext) {
		return c.Rand
	}
	return &replayReader{c: c}
}

// replayReader serves the client's recorded randomness first and records
// whatever it reads beyond it.
type replayReader struct {
	c   *Client
	pos int
}

func (r *replayReader) Read(p []byte) (int, error) {
	r.c.mu.Lock()
	if r.pos < len(r.c.reuse) {
		n := copy(p, r.c.reuse[r.pos:])
		r.pos += n
		r.c.mu.Unlock()
		return n, nil
	}
	r.c.mu.Unlock()
	n, err := r.c.Rand.Read(p)
	r.c.mu.Lock()
	if r.pos == len(r.c.reuse) {
		r.c.reuse = append(r.c.reuse, p[:n]...)
	}
	r.pos += n
	r.c.mu.Unlock()
	return n, err
}

// gatewayBugState is what the gateway's seeded bugs remember between
// requests.
type gatewayBugState struct {
	mu       sync.Mutex
	lastCtx  *GatewayContext
	lastTerm model.Term
}

// responseContext is the context a response is sealed under: the request's
// own, or with BugResponseUnbound the previous request's. term is the
// encapsulated request that context belongs to, for the GatewayReply fact.
func (g *Gateway) responseContext(gctx *GatewayContext, ereq model.Term) (*GatewayContext, model.Term) {
	if !g.Bugs.Has(BugResponseUnbound) {
		return gctx, ereq
	}
	g.bug.mu.Lock()
	defer g.bug.mu.Unlock()
	prev, prevTerm := g.bug.lastCtx, g.bug.lastTerm
	g.bug.lastCtx, g.bug.lastTerm = gctx, ereq
	if prev == nil || prev.chunked != gctx.chunked {
		return gctx, ereq
	}
	return prev, prevTerm
}

// echoHeaders applies BugGatewayEchoHeaders to the target request.
func (g *Gateway) echoHeaders(target, outer *http.Request) {
	if !g.Bugs.Has(BugGatewayEchoHeaders) {
		return
	}
	for k, vs := range outer.Header {
		if target.Header.Get(k) == "" {
			target.Header[k] = append([]string(nil), vs...)
		}
	}
	target.Header.Set("X-Forwarded-For", remoteHost(outer.RemoteAddr))
}

// servePartitionedKeys is BugGatewayKeyPartition: a fresh key, installed
// for decryption, and offered to this requester alone.
func (g *Gateway) servePartitionedKeys(w http.ResponseWriter, r *http.Request) {
	cur := g.Keys.Published()
	if len(cur) == 0 {
		serveKeys(w, r, g.Keys)
		return
	}
	k, err := g.Keys.installNextFree(g.Rand, cur[0])
	if err != nil {
		writeProblem(w, http.StatusServiceUnavailable, "", "no key", err.Error())
		return
	}
	b, _ := MarshalKeyConfigs([]KeyConfig{k.Config()})
	writeKeys(w, r, b)
}

// installNextFree generates a key like tmpl under the next free key ID and
// installs it for decryption without publishing it: it is in no
// configuration other clients get, and no KeyPublish records it.
func (r *Keyring) installNextFree(rand io.Reader, tmpl KeyConfig) (*PrivateKey, error) {
	r.mu.Lock()
	id := r.nextFreeLocked(tmpl.KeyID)
	r.mu.Unlock()
	// Key generation runs unlocked: it reads from rand, which may block.
	k, err := GenerateKey(rand, id, tmpl.KEM, tmpl.Suites)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkFreeLocked(id); err != nil {
		return nil, err
	}
	r.keys = append(r.keys, &ringKey{key: k, published: r.now(), unlisted: true})
	return k, nil
}
