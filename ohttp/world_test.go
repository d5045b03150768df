package ohttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// handlerTransport is an in-process http.RoundTripper: it serves each
// request with the handler registered for its host, as a server would,
// without sockets or goroutines.
type handlerTransport struct {
	hosts map[string]http.Handler
	// remote is the RemoteAddr the handlers see.
	remote string
	// seen records every request, as the handler received it.
	seen []*http.Request
}

func (t *handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h, ok := t.hosts[r.URL.Host]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	// Serve a server-side copy of the request, as net/http would.
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	in.RemoteAddr = t.remote
	if in.RemoteAddr == "" {
		in.RemoteAddr = "192.0.2.1:5555"
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if ua, ok := in.Header["User-Agent"]; ok && len(ua) == 1 && ua[0] == "" {
		// net/http sends no User-Agent line for an empty value.
		delete(in.Header, "User-Agent")
	}
	t.seen = append(t.seen, in)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, in)
	if err := r.Context().Err(); err != nil {
		// As a real transport: a request whose context ended has no
		// response.
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// fakeResolver answers from a fixed table.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	as, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range as {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// world is a client, relay, gateway and target wired together in process.
type world struct {
	clock   *fakeClock
	rec     *recorder
	keys    *Keyring
	key     *PrivateKey
	gateway *Gateway
	relay   *Relay
	client  *Client
	net     *handlerTransport // what the client and relay use
	gwNet   *handlerTransport // what the gateway uses to reach targets
	target  http.Handler
}

const (
	relayHost   = "relay.example"
	gatewayHost = "gateway.example"
	targetHost  = "target.example"
)

func newWorld(t testing.TB, kem KEMID) *world {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{'w'})
	w := &world{clock: &fakeClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, rec: &recorder{}}
	key, err := GenerateKey(rng, 1, kem, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}, {KDFHKDFSHA384, AEADChaCha20Poly1305}})
	if err != nil {
		t.Fatal(err)
	}
	w.key = key
	w.keys, err = NewKeyring(KeyringConfig{Now: w.clock.Now, Grace: time.Minute, RotateEvery: time.Hour, Recorder: w.rec, Gateway: "G"}, key)
	if err != nil {
		t.Fatal(err)
	}
	w.target = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rw.Header().Set("Content-Type", "text/plain")
		rw.Header().Set("X-Target", "yes")
		rw.WriteHeader(http.StatusOK)
		io.WriteString(rw, "hello "+r.Method+" "+r.URL.Path+" "+string(body))
	})
	w.gwNet = &handlerTransport{hosts: map[string]http.Handler{targetHost: w.target}}
	w.gateway = &Gateway{
		Name: "G", Keys: w.keys, Transport: w.gwNet, Rand: rng, Recorder: w.rec,
		Policy: &TargetPolicy{
			Allow:    []string{targetHost, "unreachable.example", "slow.example"},
			Resolver: fakeResolver{targetHost: {"203.0.113.7"}, "unreachable.example": {"203.0.113.8"}, "slow.example": {"203.0.113.9"}},
		},
	}
	w.relay = &Relay{GatewayURL: "https://" + gatewayHost + WellKnownPath, GatewayName: "G", Recorder: w.rec}
	w.net = &handlerTransport{hosts: map[string]http.Handler{relayHost: w.relay, gatewayHost: w.gateway}, remote: "198.51.100.23:40000"}
	w.relay.Transport = w.net
	w.client = &Client{
		Name: "C", GatewayName: "G", RelayURL: "https://" + relayHost + "/",
		KeysURL: "https://" + gatewayHost + WellKnownPath, Transport: w.net, Rand: rng, Recorder: w.rec,
	}
	return w
}

func (w *world) get(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestEndToEnd(t *testing.T) {
	for _, kem := range KEMs {
		for _, chunked := range []bool{false, true} {
			name := kem.String()
			if chunked {
				name += "/chunked"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t, kem)
				w.client.Chunked = chunked
				req, _ := http.NewRequest(http.MethodPost, "https://"+targetHost+"/echo?x=1", strings.NewReader("payload"))
				req.Header.Set("Content-Type", "text/plain")
				resp, err := w.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(body) != "hello POST /echo payload" || resp.Header.Get("X-Target") != "yes" {
					t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
				}
				checkFactsBind(t, w.rec)
			})
		}
	}
}

// checkFactsBind checks the facts of one exchange line up by digest across
// the parties: the same request, encapsulated request, response and
// encapsulated response seen by everyone who handled them.
func checkFactsBind(t *testing.T, rec *recorder) {
	t.Helper()
	one := func(name string) []string {
		evs := rec.named(name)
		if len(evs) != 1 {
			t.Fatalf("%d %s facts, want 1", len(evs), name)
		}
		if len(evs[0].Args) != FactArity[name] {
			t.Fatalf("%s has %d args, want %d", name, len(evs[0].Args), FactArity[name])
		}
		var d []string
		for _, a := range evs[0].Args {
			d = append(d, a.Digest)
		}
		return d
	}
	send, fwd, recv := one(FactClientSend), one(FactRelayForward), one(FactGatewayRecv)
	serve, reply, ret, got := one(FactTargetServe), one(FactGatewayReply), one(FactRelayReturn), one(FactClientRecv)
	eq := func(what string, a, b string) {
		if a == "" || a != b {
			t.Errorf("%s: digests %q and %q differ", what, a, b)
		}
	}
	eq("req client/gateway", send[2], recv[1])
	eq("ereq client/relay", send[3], fwd[2])
	eq("ereq client/gateway", send[3], recv[2])
	eq("req gateway/target", recv[1], serve[1])
	eq("resp target/gateway", serve[2], reply[2])
	eq("eresp gateway/relay", reply[3], ret[2])
	eq("resp gateway/client", reply[2], got[3])
	eq("req client recv", send[2], got[2])
	if a := rec.named(FactRelayForward)[0].Args[0]; !a.Equal(ClientIdentity("198.51.100.23")) {
		t.Errorf("relay recorded client %s (digest %s), want ~cid of its address", a, a.Digest)
	}
	if a := rec.named(FactTargetServe)[0].Args[0].String(); a != "$"+targetHost {
		t.Errorf("target recorded as %s", a)
	}
}

// BugClientReuseContext makes every request carry the first one's
// encapsulated key, in either encapsulation; without it each request has
// its own.
func TestClientReuseContextBug(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		for _, bug := range []bool{false, true} {
			w := newWorld(t, KEMX25519HKDFSHA256)
			w.client.Chunked = chunked
			if bug {
				w.client.Bugs = NewBugs(BugClientReuseContext)
			}
			var encs [][]byte
			w.net.hosts[relayHost] = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				encs = append(encs, b[requestHeaderLen:requestHeaderLen+KEMX25519HKDFSHA256.EncapsulatedKeySize()])
				r.Body = io.NopCloser(bytes.NewReader(b))
				w.relay.ServeHTTP(rw, r)
			})
			w.get(t, "https://"+targetHost+"/a")
			w.get(t, "https://"+targetHost+"/b")
			if len(encs) != 2 {
				t.Fatalf("chunked %v, bug %v: %d requests reached the relay, want 2", chunked, bug, len(encs))
			}
			if same := bytes.Equal(encs[0], encs[1]); same != bug {
				t.Errorf("chunked %v, bug %v: the two requests share their encapsulated key: %v", chunked, bug, same)
			}
		}
	}
}
