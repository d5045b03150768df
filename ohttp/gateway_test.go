package ohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// post sends body to the gateway directly with the given content type.
func post(g http.Handler, ct string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, WellKnownPath, bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, r)
	return rec
}

func problemOf(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != MediaTypeProblem {
		t.Fatalf("content type %q, want %s", ct, MediaTypeProblem)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body.Bytes(), err)
	}
	return p
}

// TestGatewayErrorsBeforeDecryption: errors found before the encapsulation
// is removed go back in the clear as 4xx problem details, the key ones with
// the ohttp-key type.
func TestGatewayErrorsBeforeDecryption(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	w.gateway.MaxRequestSize = 4096
	rng := rand.NewChaCha8([32]byte{'e'})
	sym := SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM}
	good, _, err := EncapsulateRequest(rng, w.key.Config(), sym, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateKey(rng, 1, KEMX25519HKDFSHA256, []SymmetricSuite{sym})
	wrongKey, _, _ := EncapsulateRequest(rng, other.Config(), sym, []byte("x"))
	unknownID := bytes.Clone(good)
	unknownID[0] = 99
	kemMismatch := bytes.Clone(good)
	kemMismatch[2] = 0x10
	badSuite := bytes.Clone(good)
	badSuite[6] = byte(AEADAES256GCM)
	tampered := bytes.Clone(good)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name   string
		method string
		ct     string
		body   []byte
		status int
		ptype  string
	}{
		{"PUT", http.MethodPut, MediaTypeRequest, good, 405, ""},
		{"DELETE", http.MethodDelete, "", nil, 405, ""},
		{"no content type", http.MethodPost, "", good, 415, ""},
		{"wrong content type", http.MethodPost, "application/octet-stream", good, 415, ""},
		{"response media type", http.MethodPost, MediaTypeResponse, good, 415, ""},
		{"too large", http.MethodPost, MediaTypeRequest, make([]byte, 4097), 413, ""},
		{"unknown key ID", http.MethodPost, MediaTypeRequest, unknownID, 400, ProblemTypeKey},
		{"KEM mismatch", http.MethodPost, MediaTypeRequest, kemMismatch, 400, ProblemTypeKey},
		{"suite not offered", http.MethodPost, MediaTypeRequest, badSuite, 400, ProblemTypeKey},
		{"wrong key", http.MethodPost, MediaTypeRequest, wrongKey, 400, ProblemTypeKey},
		{"tampered ciphertext", http.MethodPost, MediaTypeRequest, tampered, 400, ProblemTypeKey},
		{"truncated header", http.MethodPost, MediaTypeRequest, good[:5], 400, ""},
		{"truncated enc", http.MethodPost, MediaTypeRequest, good[:20], 400, ""},
		{"empty", http.MethodPost, MediaTypeRequest, nil, 400, ""},
		{"whole request sent as chunked", http.MethodPost, MediaTypeChunkedReq, good, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, WellKnownPath, bytes.NewReader(c.body))
			if c.ct != "" {
				r.Header.Set("Content-Type", c.ct)
			}
			rec := httptest.NewRecorder()
			w.gateway.ServeHTTP(rec, r)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, c.status, rec.Body.Bytes())
			}
			p := problemOf(t, rec)
			if p.Type != c.ptype || p.Status != c.status {
				t.Fatalf("problem %+v, want type %q", p, c.ptype)
			}
			if c.status == 405 && rec.Header().Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

// TestGatewayErrorsAfterDecryption: once the request is decrypted, every
// error is an encapsulated response with the right status, which only the
// client can read; the outer response is a plain 200.
func TestGatewayErrorsAfterDecryption(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	// unreachable.example is allowed but has no server; slow.example
	// never answers before the deadline.
	w.gwNet.hosts["slow.example"] = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	// The test, not the library, chooses the clock behind the deadline.
	w.gateway.TargetTimeout = 20 * time.Millisecond
	w.gateway.WithTimeout = context.WithTimeout
	rng := rand.NewChaCha8([32]byte{'a'})
	seal := func(plain []byte) ([]byte, *ClientContext) {
		ereq, cctx, err := EncapsulateRequest(rng, w.key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM}, plain)
		if err != nil {
			t.Fatal(err)
		}
		return ereq, cctx
	}
	request := func(method, url string, hdr ...string) []byte {
		req, _ := http.NewRequest(method, url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		br, err := bhttp.FromHTTPRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := br.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		plain  []byte
		status int
	}{
		{"target answers", request("GET", "https://"+targetHost+"/x"), 200},
		{"garbage binary HTTP", []byte{0x07, 0xff, 0xff}, 400},
		{"empty binary HTTP", nil, 400},
		{"target not on allow-list", request("GET", "https://elsewhere.example/"), 403},
		{"literal loopback target", request("GET", "https://127.0.0.1/"), 403},
		{"http scheme not allowed", request("GET", "http://"+targetHost+"/"), 403},
		{"100-continue", request("POST", "https://"+targetHost+"/", "Expect", "100-continue"), 417},
		{"target unreachable", request("GET", "https://unreachable.example/"), 502},
		{"target timeout", request("GET", "https://slow.example/"), 504},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ereq, cctx := seal(c.plain)
			rec := post(w.gateway, MediaTypeRequest, ereq)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != MediaTypeResponse {
				t.Fatalf("outer response %d %q, want 200 %s", rec.Code, rec.Header().Get("Content-Type"), MediaTypeResponse)
			}
			inner, err := cctx.DecapsulateResponse(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := bhttp.ParseResponse(inner)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != c.status {
				t.Fatalf("inner status %d, want %d (%s)", resp.Status, c.status, resp.Content)
			}
			if c.status != 200 && bytes.Contains(rec.Body.Bytes(), []byte("target")) {
				t.Fatal("error detail visible outside the encapsulation")
			}
		})
	}
}

func TestGatewayResponseTooLarge(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	w.gateway.MaxResponseSize = 10
	resp, body := w.get(t, "https://"+targetHost+"/a-long-path-to-make-a-long-answer")
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d %q, want 502", resp.StatusCode, body)
	}
}

func TestGatewayChunkedTruncated(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	rng := rand.NewChaCha8([32]byte{'t'})
	e, _ := NewEncapsulator(w.key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM})
	var buf bytes.Buffer
	cw, _ := e.NewChunkedRequestWriter(&buf, rng)
	cw.Write([]byte("\x02\x03GET\x05https"))
	// No Close: the final chunk never comes.
	rec := post(w.gateway, MediaTypeChunkedReq, buf.Bytes())
	if rec.Code != 400 {
		t.Fatalf("truncated chunked request: %d", rec.Code)
	}
	if p := problemOf(t, rec); p.Type != "" {
		t.Fatalf("problem type %q", p.Type)
	}
}

// TestDiscovery: GET on the gateway returns the published configurations
// with a cache lifetime tied to the rotation schedule; wrong Accept is 406.
func TestDiscovery(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	w.clock.Advance(20 * time.Minute)
	get := func(method string, accept ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, WellKnownPath, nil)
		for _, a := range accept {
			r.Header.Add("Accept", a)
		}
		rec := httptest.NewRecorder()
		w.gateway.ServeHTTP(rec, r)
		return rec
	}
	for _, accept := range [][]string{nil, {MediaTypeKeys}, {"*/*"}, {"application/*"}, {"text/html, application/ohttp-keys;q=0.5"}, {"text/html", "application/ohttp-keys"}} {
		rec := get(http.MethodGet, accept...)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != MediaTypeKeys {
			t.Fatalf("Accept %q: %d %q", accept, rec.Code, rec.Header().Get("Content-Type"))
		}
		cfgs, err := ParseKeyConfigs(rec.Body.Bytes())
		if err != nil || len(cfgs) != 1 || !cfgs[0].Equal(w.key.Config()) {
			t.Fatalf("Accept %q: configs %v, %v", accept, cfgs, err)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "max-age=2400" {
			t.Fatalf("Cache-Control %q, want max-age=2400 (40 minutes to rotation)", cc)
		}
	}
	for _, accept := range []string{"text/html", "application/json", "application/ohttp-keys;q=0", "*/*, application/ohttp-keys;q=0"} {
		if rec := get(http.MethodGet, accept); rec.Code != http.StatusNotAcceptable {
			t.Fatalf("Accept %q: %d, want 406", accept, rec.Code)
		}
	}
	if rec := get(http.MethodHead, MediaTypeKeys); rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestRelayStripsIdentifyingHeaders(t *testing.T) {
	gw := &handlerTransport{hosts: map[string]http.Handler{gatewayHost: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", MediaTypeResponse)
		rw.Header().Set("Set-Cookie", "gw=1")
		rw.Header().Set("Server", "gateway/1.0")
		rw.Header().Set("X-Gateway-Debug", "key 3")
		rw.WriteHeader(http.StatusOK)
		io.WriteString(rw, "ENCAPSULATED")
	})}}
	rl := &Relay{GatewayURL: "https://" + gatewayHost + "/g", Transport: gw}
	ident := map[string]string{
		"Cookie": "session=abc", "Authorization": "Bearer t", "Proxy-Authorization": "Basic x",
		"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Host": "h", "X-Forwarded-Proto": "https",
		"Forwarded": "for=10.1.2.3", "Via": "1.1 client-proxy", "User-Agent": "Client/1.0",
		"Referer": "https://secret.example/", "Origin": "https://secret.example", "X-Real-IP": "10.1.2.3",
		"Client-IP": "10.1.2.3", "True-Client-IP": "10.1.2.3", "CF-Connecting-IP": "10.1.2.3",
		"Accept-Language": "fr-CH", "Sec-CH-UA": "x", "X-Request-ID": "42", "DNT": "1", "If-None-Match": "etag",
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("OPAQUE"))
	r.RemoteAddr = "10.1.2.3:1234"
	r.Header.Set("Content-Type", MediaTypeRequest)
	for k, v := range ident {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	rl.ServeHTTP(rec, r)
	if len(gw.seen) != 1 {
		t.Fatalf("relay sent %d requests", len(gw.seen))
	}
	sent := gw.seen[0]
	for k := range sent.Header {
		if k != "Content-Type" {
			t.Errorf("relay forwarded header %s: %q", k, sent.Header[k])
		}
	}
	if sent.Header.Get("Content-Type") != MediaTypeRequest || sent.Method != http.MethodPost || sent.URL.Path != "/g" {
		t.Fatalf("forwarded %s %s %v", sent.Method, sent.URL, sent.Header)
	}
	if b, _ := io.ReadAll(sent.Body); string(b) != "OPAQUE" {
		t.Fatalf("body changed: %q", b)
	}
	// Back to the client: status, content type and body only.
	if rec.Code != 200 || rec.Body.String() != "ENCAPSULATED" || rec.Header().Get("Content-Type") != MediaTypeResponse {
		t.Fatalf("returned %d %q", rec.Code, rec.Body.String())
	}
	for _, h := range []string{"Set-Cookie", "Server", "X-Gateway-Debug"} {
		if rec.Header().Get(h) != "" {
			t.Errorf("relay passed back %s", h)
		}
	}
}

func TestRelayErrors(t *testing.T) {
	down := &handlerTransport{hosts: map[string]http.Handler{}}
	rl := &Relay{GatewayURL: "https://" + gatewayHost + "/", Transport: down, MaxRequestSize: 100}
	cases := []struct {
		name, method, ct string
		body             []byte
		status           int
	}{
		{"GET", http.MethodGet, MediaTypeRequest, []byte("x"), 405},
		{"wrong media type", http.MethodPost, "text/plain", []byte("x"), 415},
		{"too large", http.MethodPost, MediaTypeRequest, make([]byte, 101), 413},
		{"empty", http.MethodPost, MediaTypeRequest, nil, 400},
		{"gateway unreachable", http.MethodPost, MediaTypeRequest, []byte("x"), 502},
		{"chunked, gateway unreachable", http.MethodPost, MediaTypeChunkedReq, []byte("x"), 502},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/", bytes.NewReader(c.body))
			r.Header.Set("Content-Type", c.ct)
			rec := httptest.NewRecorder()
			rl.ServeHTTP(rec, r)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			problemOf(t, rec)
		})
	}
}

// TestClientKeyConsistency: the client pins the first configuration and
// refuses a different one, as after a rotation it was not told about.
func TestClientKeyConsistency(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	if _, err := w.client.FetchKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.FetchKeys(context.Background()); err != nil {
		t.Fatalf("same configuration again: %v", err)
	}
	rng := rand.NewChaCha8([32]byte{'r'})
	if err := w.keys.Rotate(testKey(t, rng, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := w.client.FetchKeys(context.Background())
	if err != ErrKeyInconsistent {
		t.Fatalf("changed configuration: %v, want ErrKeyInconsistent", err)
	}
	// Still pinned to key 1, which works during the grace period.
	if resp, _ := w.get(t, "https://"+targetHost+"/"); resp.StatusCode != 200 {
		t.Fatalf("pinned key in grace: %d", resp.StatusCode)
	}
	// After the grace period the gateway says the key is unknown.
	w.clock.Advance(time.Minute)
	req, _ := http.NewRequest(http.MethodGet, "https://"+targetHost+"/", nil)
	_, err = w.client.Do(req)
	re, ok := err.(*ResponseError)
	if !ok || re.StatusCode != 400 || !re.KeyProblem() {
		t.Fatalf("expired pinned key: %v", err)
	}
	// A deliberate unpin accepts the new key.
	w.client.Unpin()
	if resp, _ := w.get(t, "https://"+targetHost+"/"); resp.StatusCode != 200 {
		t.Fatalf("after unpin: %d", resp.StatusCode)
	}
	if got := w.client.Keys(); len(got) != 1 || got[0].KeyID != 2 {
		t.Fatalf("pinned %v", got)
	}
	// SetKeys with a different list is refused the same way.
	if err := w.client.SetKeys([]KeyConfig{w.key.Config()}); err != ErrKeyInconsistent {
		t.Fatalf("SetKeys with another list: %v", err)
	}
}

func TestClientNoUsableSuite(t *testing.T) {
	w := newWorld(t, KEMX25519HKDFSHA256)
	w.client.Suites = []SymmetricSuite{{KDFHKDFSHA512, AEADAES256GCM}}
	if _, err := w.client.FetchKeys(context.Background()); err != ErrNoKeyConfig {
		t.Fatalf("no acceptable suite: %v", err)
	}
	w.client.Suites = []SymmetricSuite{{KDFHKDFSHA512, AEADAES256GCM}, {KDFHKDFSHA384, AEADChaCha20Poly1305}}
	if _, err := w.client.FetchKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.client.enc.Header(); got.KDF != KDFHKDFSHA384 || got.AEAD != AEADChaCha20Poly1305 {
		t.Fatalf("chose %+v", got)
	}
}
