package ohttp

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// appendVarString appends a length-prefixed string, for building inner
// requests by hand: the encoder refuses the malformed ones these tests
// need.
func appendVarString(b []byte, s string) []byte { return append(appendVarint(b, uint64(len(s))), s...) }

// rawRequest is a known-length Binary HTTP request with the given control
// data and header fields (name, value, name, value, ...), no content.
func rawRequest(method, scheme, authority, path string, fields ...string) []byte {
	b := []byte{0}
	for _, s := range []string{method, scheme, authority, path} {
		b = appendVarString(b, s)
	}
	var sec []byte
	for i := 0; i+1 < len(fields); i += 2 {
		sec = appendVarString(appendVarString(sec, fields[i]), fields[i+1])
	}
	b = append(appendVarint(b, uint64(len(sec))), sec...)
	return append(b, 0, 0) // no content, no trailers
}

// realTargetGateway is a gateway whose Transport is net/http's own,
// reaching a loopback target that remembers every request it got.
type realTargetGateway struct {
	gw     *Gateway
	key    *PrivateKey
	host   string // the target's host:port
	mu     sync.Mutex
	served []*http.Request
}

func newRealTargetGateway(t *testing.T) *realTargetGateway {
	t.Helper()
	g := &realTargetGateway{}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.served = append(g.served, r)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello"))
	}))
	t.Cleanup(target.Close)
	g.host = strings.TrimPrefix(target.URL, "http://")
	rng := rand.NewChaCha8([32]byte{'i'})
	key, err := GenerateKey(rng, 1, KEMX25519HKDFSHA256, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(KeyringConfig{Now: (&fakeClock{}).Now}, key)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	g.key = key
	g.gw = &Gateway{Name: "G", Keys: ring, Transport: tr, Rand: rng, Policy: &TargetPolicy{
		Allow: []string{g.host}, Schemes: []string{"http"},
		AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}}
	return g
}

// do sends an inner request through the gateway and returns the inner
// response the client would open.
func (g *realTargetGateway) do(t *testing.T, plain []byte) *bhttp.Response {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{'s'})
	ereq, cctx, err := EncapsulateRequest(rng, g.key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM}, plain)
	if err != nil {
		t.Fatal(err)
	}
	rec := post(g.gw, MediaTypeRequest, ereq)
	if rec.Code != 200 {
		t.Fatalf("outer status %d: %s", rec.Code, rec.Body.Bytes())
	}
	inner, err := cctx.DecapsulateResponse(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := bhttp.ParseResponse(inner)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (g *realTargetGateway) reached() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.served)
}

// TestGatewayBlamesMalformedInnerRequests: a control character in a
// field value, or a scheme net/http will not send, is the client's
// malformed request. The gateway answers 400 without sending anything,
// where it used to pass the request on, have the transport refuse it and
// answer 502 as if the target were unreachable.
func TestGatewayBlamesMalformedInnerRequests(t *testing.T) {
	g := newRealTargetGateway(t)
	if resp := g.do(t, rawRequest("GET", "http", g.host, "/ok")); resp.Status != 200 || g.reached() != 1 {
		t.Fatalf("a good request: %d, target reached %d times", resp.Status, g.reached())
	}
	cases := map[string][]byte{
		"0x01 in a value": rawRequest("GET", "http", g.host, "/", "x-a", "a\x01b"),
		"0x1f in a value": rawRequest("GET", "http", g.host, "/", "x-a", "a\x1f"),
		"0x0b in a value": rawRequest("GET", "http", g.host, "/", "x-a", "\x0bz"),
		"DEL in a value":  rawRequest("GET", "http", g.host, "/", "x-a", "a\x7fb"),
		"scheme HTTP":     rawRequest("GET", "HTTP", g.host, "/"),
		"scheme Http":     rawRequest("GET", "Http", g.host, "/"),
	}
	for name, plain := range cases {
		t.Run(name, func(t *testing.T) {
			before := g.reached()
			resp := g.do(t, plain)
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("inner status %d (%s), want 400", resp.Status, resp.Content)
			}
			if g.reached() != before {
				t.Fatal("the malformed request reached the target")
			}
		})
	}
	// A tab and obs-text are allowed, and reach the target as sent.
	if resp := g.do(t, rawRequest("GET", "http", g.host, "/", "x-a", "a\tb\xe9")); resp.Status != 200 {
		t.Fatalf("tab and obs-text: %d %s", resp.Status, resp.Content)
	}
	g.mu.Lock()
	got := g.served[len(g.served)-1].Header.Get("X-A")
	g.mu.Unlock()
	if got != "a\tb\xe9" {
		t.Fatalf("target saw %q", got)
	}
}

// TestGatewayDropsHopByHopFields: what describes the client's hop never
// reaches the target (RFC 9110 §7.6.1): Connection, what it names, and the
// connection-specific fields; TE: trailers is kept.
func TestGatewayDropsHopByHopFields(t *testing.T) {
	g := newRealTargetGateway(t)
	resp := g.do(t, rawRequest("GET", "http", g.host, "/",
		"connection", "x-secret, Keep-Alive",
		"x-secret", "client-only",
		"upgrade", "websocket",
		"keep-alive", "timeout=5",
		"proxy-connection", "keep-alive",
		"proxy-authorization", "Basic dTpw",
		"te", "gzip",
		"x-kept", "yes",
	))
	if resp.Status != 200 {
		t.Fatalf("inner status %d %s", resp.Status, resp.Content)
	}
	g.mu.Lock()
	r := g.served[0]
	g.mu.Unlock()
	for _, name := range []string{"X-Secret", "Upgrade", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te"} {
		if v, ok := r.Header[name]; ok {
			t.Errorf("target got %s: %q", name, v)
		}
	}
	// net/http's server keeps Connection in the header; the transport
	// adds none of its own for a reusable connection.
	if v := r.Header.Get("Connection"); v != "" {
		t.Errorf("target got Connection: %q", v)
	}
	if r.Header.Get("X-Kept") != "yes" {
		t.Errorf("an end-to-end field was lost: %v", r.Header)
	}
}

// TestGatewayHostFieldFallback: RFC 9292 §3.4 lets a request carry an
// empty :authority and name its target in a host field. The allow-list
// judges that target, which it used to refuse as a malformed authority
// (it looked at the empty one).
func TestGatewayHostFieldFallback(t *testing.T) {
	g := newRealTargetGateway(t)
	resp := g.do(t, rawRequest("GET", "http", "", "/via-host", "host", g.host))
	if resp.Status != 200 || g.reached() != 1 {
		t.Fatalf("inner status %d (%s), target reached %d times", resp.Status, resp.Content, g.reached())
	}
	g.mu.Lock()
	r := g.served[0]
	g.mu.Unlock()
	if r.Host != g.host || r.URL.Path != "/via-host" {
		t.Fatalf("target saw host %q path %q", r.Host, r.URL.Path)
	}
	// The fallback names a target the allow-list does not have: refused.
	if resp := g.do(t, rawRequest("GET", "http", "", "/", "host", "127.0.0.1:1")); resp.Status != http.StatusForbidden {
		t.Fatalf("host field off the allow-list: %d", resp.Status)
	}
	// Two host fields and no authority: ambiguous, the client's fault.
	if resp := g.do(t, rawRequest("GET", "http", "", "/", "host", g.host, "host", "127.0.0.1:1")); resp.Status != http.StatusBadRequest {
		t.Fatalf("two host fields: %d", resp.Status)
	}
	if g.reached() != 1 {
		t.Fatalf("refused requests reached the target")
	}
}
