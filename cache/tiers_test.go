package cache

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/cache/control"
	"github.com/edgelab/edgelab/sim/env"
)

var testKey = []byte("0123456789abcdef-deployment-key")

// zoneResolver answers from a fixed table; other names do not exist.
type zoneResolver struct {
	env.Resolver
	mu      sync.Mutex
	hosts   map[string][]string
	lookups []string
}

func (z *zoneResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.lookups = append(z.lookups, host)
	if a, ok := z.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// tierNet is a deployment of tiers on real loopback servers.
type tierNet struct {
	t        *testing.T
	origin   *origin
	originL  string // the origin's host:port
	resolver *zoneResolver
	servers  map[string]*httptest.Server
	tiers    map[string]*Tier
}

func newTierNet(t *testing.T) *tierNet {
	e := &testEnv{Env: env.Real("origin"), now: time.Now()}
	o := &origin{}
	o.handler = func(w http.ResponseWriter, r *http.Request) {
		for k := range r.Header {
			if control.IsInternal(k) {
				t.Errorf("control field %s reached the origin", k)
			}
		}
		reply(e, o, 200, "Cache-Control", "max-age=100", "ETag", `"o"`, "Cache-Tag", "t1")(w, r)
	}
	os := httptest.NewServer(o)
	t.Cleanup(os.Close)
	ou, _ := url.Parse(os.URL)
	return &tierNet{t: t, origin: o, originL: ou.Host,
		resolver: &zoneResolver{hosts: map[string][]string{"origin.example.test": {"127.0.0.1"}}},
		servers:  map[string]*httptest.Server{}, tiers: map[string]*Tier{}}
}

// add starts a tier named name; parents are names of tiers already added.
func (n *tierNet) add(name string, upper bool, mod func(*Config), parents ...string) *Tier {
	n.t.Helper()
	_, port, _ := net.SplitHostPort(n.originL)
	e := env.NewReal(env.RealConfig{Node: name, Resolver: n.resolver, Transport: &http.Transport{DisableCompression: true}})
	cfg := Config{Name: name, Env: e, Upper: upper, ControlKey: testKey, Zone: "z", Route: "r"}
	if !upper {
		cfg.Origin = &url.URL{Scheme: "http", Host: "origin.example.test:" + port}
	}
	for _, p := range parents {
		u, _ := url.Parse(n.servers[p].URL)
		cfg.Parents = append(cfg.Parents, u)
	}
	if mod != nil {
		mod(&cfg)
	}
	tier, err := New(cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	srv := httptest.NewServer(tier)
	n.t.Cleanup(srv.Close)
	n.servers[name], n.tiers[name] = srv, tier
	return tier
}

func (n *tierNet) get(name, path string, hdr ...string) (*http.Response, string) {
	n.t.Helper()
	req, _ := http.NewRequest("GET", n.servers[name].URL+path, nil)
	req.Host = "www.example.test"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		n.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for k := range resp.Header {
		if control.IsInternal(k) {
			n.t.Fatalf("control field %s reached the client", k)
		}
	}
	return resp, string(b)
}

// wantChain compares Cache-Status exactly but for ttl values: over real
// sockets and a real clock a second boundary may fall inside a request.
func wantChain(t *testing.T, resp *http.Response, want string) {
	t.Helper()
	ttl := regexp.MustCompile(`ttl=-?[0-9]+`)
	if got := resp.Header.Get("Cache-Status"); ttl.ReplaceAllString(got, "ttl=N") != ttl.ReplaceAllString(want, "ttl=N") {
		t.Fatalf("Cache-Status\n got %q\nwant %q", got, want)
	}
}

const kx = `key="http://www.example.test/x"`

// Regional: lower → hub → upper → origin, a chain of three members, and a
// hit at each tier in turn.
func TestRegionalChainOfThree(t *testing.T) {
	n := newTierNet(t)
	n.add("upper", true, nil)
	n.add("hub", true, nil, "upper")
	n.add("lower", false, nil, "hub")
	n.add("lower2", false, nil, "hub")
	resp, _ := n.get("lower", "/x")
	wantChain(t, resp, "upper; fwd=uri-miss; fwd-status=200; ttl=100; stored; "+kx+", hub; fwd=uri-miss; fwd-status=200; ttl=100; stored; "+kx+", lower; fwd=uri-miss; fwd-status=200; ttl=100; stored; "+kx)
	resp, _ = n.get("lower", "/x")
	wantChain(t, resp, "lower; hit; ttl=100; "+kx)
	resp, _ = n.get("lower2", "/x")
	wantChain(t, resp, "hub; hit; ttl=100; "+kx+", lower2; fwd=uri-miss; fwd-status=200; ttl=100; stored; "+kx)
	if n.origin.count() != 1 {
		t.Fatalf("origin asked %d times", n.origin.count())
	}
	// Nothing stored carries a control field.
	for name, tier := range n.tiers {
		for _, o := range tier.Store().Get("http://www.example.test/x") {
			for k := range o.Header {
				if control.IsInternal(k) {
					t.Fatalf("%s stored control field %s", name, k)
				}
			}
		}
	}
	if got := n.origin.last().Host; got != "www.example.test" {
		t.Fatalf("origin saw Host %q", got)
	}
}

// Generic: every lower tier picks the same owner per key; when the owner
// is down the next-ranked one answers; with every upper down, a tier goes
// direct only if configured to.
func TestGenericOwnershipAndFailover(t *testing.T) {
	n := newTierNet(t)
	for _, u := range []string{"u1", "u2", "u3"} {
		n.add(u, true, nil)
	}
	hashed := func(c *Config) { c.HashParents = true }
	n.add("a", false, hashed, "u1", "u2", "u3")
	n.add("b", false, hashed, "u3", "u1", "u2") // a different order, the same owners
	owner := func(resp *http.Response) string {
		return strings.SplitN(resp.Header.Get("Cache-Status"), ";", 2)[0]
	}
	for _, p := range []string{"/k1", "/k2", "/k3", "/k4", "/k5", "/k6"} {
		ra, _ := n.get("a", p)
		rb, _ := n.get("b", p)
		if !strings.Contains(rb.Header.Get("Cache-Status"), owner(ra)+"; hit") {
			t.Fatalf("%s: a went to %s, b saw %q", p, owner(ra), rb.Header.Get("Cache-Status"))
		}
	}
	// Take down the owner of /k1: the next owner answers.
	ra, _ := n.get("a", "/k9")
	first := owner(ra)
	n.servers[first].Close()
	ra, _ = n.get("a", "/k9", "Cache-Control", "no-cache")
	if got := owner(ra); got == first || ra.StatusCode != 200 {
		t.Fatalf("after %s went down: %d from %q", first, ra.StatusCode, got)
	}
	// All uppers down: 502 without DirectToOrigin, the origin with it.
	for _, u := range []string{"u1", "u2", "u3"} {
		n.servers[u].Close()
	}
	ra, _ = n.get("a", "/k10")
	if ra.StatusCode != http.StatusBadGateway || !strings.Contains(ra.Header.Get("Cache-Status"), "detail=upstream-error") {
		t.Fatalf("all uppers down: %d %q", ra.StatusCode, ra.Header.Get("Cache-Status"))
	}
	n.add("c", false, func(c *Config) { c.HashParents, c.DirectToOrigin = true, true }, "u1", "u2", "u3")
	rc, _ := n.get("c", "/k10")
	wantChain(t, rc, `c; fwd=uri-miss; fwd-status=200; ttl=100; stored; key="http://www.example.test/k10"`)
}

// An upper tier with a missing, forged or replayed control context fails
// fast, looks nothing up, and says why; an origin name that does not
// resolve is 530.
func TestUpperTierControlContext(t *testing.T) {
	n := newTierNet(t)
	n.add("upper", true, nil)
	resp, _ := n.get("upper", "/x")
	if resp.StatusCode != 500 || resp.Header.Get("Cache-Status") != "upper; detail=control-missing" {
		t.Fatalf("missing: %d %q", resp.StatusCode, resp.Header.Get("Cache-Status"))
	}
	h := http.Header{}
	control.Attach(h, control.Context{OriginHost: "origin.example.test", Scheme: "http", Hops: 1, Path: []string{"l"}}, []byte("another-deployment-key"), "GET", "/x")
	resp, _ = n.get("upper", "/x", flatten(h)...)
	if resp.StatusCode != 500 || resp.Header.Get("Cache-Status") != "upper; detail=control-unauthenticated" {
		t.Fatalf("forged: %d %q", resp.StatusCode, resp.Header.Get("Cache-Status"))
	}
	h = http.Header{}
	control.Attach(h, control.Context{OriginHost: "origin.example.test", Scheme: "http", Hops: 1}, testKey, "GET", "/other")
	resp, _ = n.get("upper", "/x", flatten(h)...)
	if resp.StatusCode != 500 || resp.Header.Get("Cache-Status") != "upper; detail=control-unauthenticated" {
		t.Fatalf("replayed for another target: %d %q", resp.StatusCode, resp.Header.Get("Cache-Status"))
	}
	h = http.Header{}
	control.Attach(h, control.Context{OriginHost: "", Scheme: "http", Hops: 1}, testKey, "GET", "/x")
	resp, _ = n.get("upper", "/x", flatten(h)...)
	if resp.StatusCode != 500 || resp.Header.Get("Cache-Status") != "upper; detail=control-invalid" {
		t.Fatalf("empty origin: %d %q", resp.StatusCode, resp.Header.Get("Cache-Status"))
	}
	if len(n.resolver.lookups) != 0 {
		t.Fatalf("looked up %q without a valid control context", n.resolver.lookups)
	}
	h = http.Header{}
	control.Attach(h, control.Context{OriginHost: "gone.example.test", Scheme: "http", Hops: 1}, testKey, "GET", "/x")
	resp, body := n.get("upper", "/x", flatten(h)...)
	if resp.StatusCode != StatusOriginDNSError || !strings.Contains(body, `origin \"gone.example.test\" does not resolve`) ||
		resp.Header.Get("Cache-Status") != "upper; fwd=uri-miss; "+kx+"; detail=origin-dns-error" {
		t.Fatalf("unresolvable origin: %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Status"), body)
	}
}

func flatten(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k, vs[0])
	}
	return out
}
