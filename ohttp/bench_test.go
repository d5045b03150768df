package ohttp

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cloudflare/circl/hpke"
	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// benchWriter is a reusable http.ResponseWriter that keeps only what the
// benchmark checks.
type benchWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }
func (w *benchWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *benchWriter) reset() {
	clear(w.h)
	w.status = 200
	w.body.Reset()
}

// benchTarget is the in-process target: a RoundTripper that serves the
// request with a trivial handler and returns its response.
type benchTarget struct {
	h http.Handler
	w benchWriter
}

func (t *benchTarget) RoundTrip(r *http.Request) (*http.Response, error) {
	t.w.reset()
	t.h.ServeHTTP(&t.w, r)
	return &http.Response{
		StatusCode: t.w.status, Header: t.w.h, Body: io.NopCloser(bytes.NewReader(t.w.body.Bytes())),
		ContentLength: int64(t.w.body.Len()), Request: r,
	}, nil
}

// benchPair times f and bare alternately, so that noise from other work on
// the machine falls on both alike, and reports the median time of each and
// the ratio of the medians: on a shared machine a preempted iteration can
// take many times its real cost, and the median ignores those outliers
// where the mean does not. Where the OS can say how much CPU the thread
// used, it also reports the ratio of median CPU times, which other
// processes cannot inflate at all.
func benchPair(b *testing.B, f, bare func()) {
	runtime.LockOSThread() // so thread CPU time is this goroutine's
	defer runtime.UnlockOSThread()
	for i := 0; i < 100; i++ { // warm caches and pools
		f()
		bare()
	}
	var tf, tb, cf, cb []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Alternate which goes first, so neither always inherits the
		// other's cache state.
		first, second, fw, sw, fc, sc := bare, f, &tb, &tf, &cb, &cf
		if i%2 == 1 {
			first, second, fw, sw, fc, sc = f, bare, &tf, &tb, &cf, &cb
		}
		c0, t0 := threadCPU(), time.Now()
		first()
		c1, t1 := threadCPU(), time.Now()
		second()
		c2, t2 := threadCPU(), time.Now()
		*fw, *sw = append(*fw, t1.Sub(t0)), append(*sw, t2.Sub(t1))
		*fc, *sc = append(*fc, c1-c0), append(*sc, c2-c1)
	}
	b.StopTimer()
	mf, mb := median(tf), median(tb)
	b.ReportMetric(float64(mf.Nanoseconds()), "full-ns/op")
	b.ReportMetric(float64(mb.Nanoseconds()), "bare-ns/op")
	b.ReportMetric(float64(mf)/float64(mb), "x-vs-bare")
	b.ReportMetric(float64(sum(tf))/float64(sum(tb)), "mean-x-vs-bare")
	if haveThreadCPU {
		b.ReportMetric(float64(median(cf))/float64(median(cb)), "cpu-x-vs-bare")
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func sum(d []time.Duration) (t time.Duration) {
	for _, x := range d {
		t += x
	}
	return t
}

var benchSuite = Suite{KEMX25519HKDFSHA256, KDFHKDFSHA256, AEADAES128GCM}

// gatewayBench sets up one request and returns three ways to answer it:
// full, the gateway's whole handling (decapsulate, Binary HTTP decode,
// allow-list, forward to an in-process target RoundTripper calling a trivial
// handler, Binary HTTP encode, encapsulate, write); crypto, this package's
// decapsulation and response encapsulation alone; and bare, the circl
// operations neither can avoid (receiver setup, open, export, response key
// derivation and AEAD seal).
func gatewayBench(b *testing.B) (full, crypto, bare func()) {
	rng := rand.NewChaCha8([32]byte{'b'})
	sym := SymmetricSuite{benchSuite.KDF, benchSuite.AEAD}
	key, _ := GenerateKey(rng, 1, benchSuite.KEM, []SymmetricSuite{sym})
	ring, _ := NewKeyring(KeyringConfig{Now: func() time.Time { return time.Unix(0, 0) }}, key)
	target := &benchTarget{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	}), w: benchWriter{h: http.Header{}}}
	g := &Gateway{
		Name: "G", Keys: ring, Transport: target, Rand: rng,
		Policy: &TargetPolicy{Allow: []string{"203.0.113.7"}},
	}
	hreq, _ := http.NewRequest(http.MethodGet, "https://203.0.113.7/index.html", nil)
	hreq.Header.Set("Accept", "text/plain")
	breq, _ := bhttp.FromHTTPRequest(hreq)
	plain, _ := breq.MarshalBinary()
	ereq, _, err := EncapsulateRequest(rng, key.Config(), sym, plain)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.NewReader(ereq)
	in, _ := http.NewRequest(http.MethodPost, "https://gateway.example/", body)
	in.Header.Set("Content-Type", MediaTypeRequest)
	out := &benchWriter{h: http.Header{}}
	full = func() {
		body.Reset(ereq)
		in.Body = io.NopCloser(body)
		out.reset()
		g.ServeHTTP(out, in)
		if out.status != 200 {
			b.Fatalf("gateway answered %d: %s", out.status, out.body.Bytes())
		}
	}

	cs := benchSuite.circl()
	info := RequestHeader{1, benchSuite.KEM, benchSuite.KDF, benchSuite.AEAD}.info(bhttpLabels.request)
	enc := ereq[requestHeaderLen : requestHeaderLen+32]
	ct := ereq[requestHeaderLen+32:]
	respPlain := make([]byte, 60) // about the size of the encoded response
	bare = func() {
		r, _ := cs.NewReceiver(key.sk, info)
		o, err := r.Setup(enc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := o.Open(ct, nil); err != nil {
			b.Fatal(err)
		}
		secret := o.Export([]byte("message/bhttp response"), 16)
		nonce := make([]byte, 16, 16+len(respPlain)+16)
		io.ReadFull(rng, nonce)
		kdf := hpke.KDF(benchSuite.KDF)
		prk := kdf.Extract(secret, append(append(make([]byte, 0, 48), enc...), nonce...))
		k := kdf.Expand(prk, []byte("key"), 16)
		n := kdf.Expand(prk, []byte("nonce"), 12)
		a, _ := hpke.AEAD(benchSuite.AEAD).New(k)
		a.Seal(nonce, n, respPlain, nil)
	}
	crypto = func() {
		_, g, err := DecapsulateRequest(ring, ereq)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.EncapsulateResponse(rng, respPlain); err != nil {
			b.Fatal(err)
		}
	}
	return full, crypto, bare
}

// BenchmarkGatewayVsBare: the gateway's whole handling of a request against
// the bare circl operations it needs; see gatewayBench.
func BenchmarkGatewayVsBare(b *testing.B) {
	full, _, bare := gatewayBench(b)
	benchPair(b, full, bare)
}

// BenchmarkGatewayCryptoVsBare: this package's encapsulation layer alone
// against the same bare operations, to show where the gateway's overhead
// is not.
func BenchmarkGatewayCryptoVsBare(b *testing.B) {
	_, crypto, bare := gatewayBench(b)
	benchPair(b, crypto, bare)
}

// BenchmarkClientVsBare: the client's encapsulation of an *http.Request
// (Binary HTTP encode, HPKE setup and seal, framing) against a bare circl
// sender setup and seal of the same bytes.
func BenchmarkClientVsBare(b *testing.B) {
	rng := rand.NewChaCha8([32]byte{'c'})
	sym := SymmetricSuite{benchSuite.KDF, benchSuite.AEAD}
	key, _ := GenerateKey(rng, 1, benchSuite.KEM, []SymmetricSuite{sym})
	e, err := NewEncapsulator(key.Config(), sym)
	if err != nil {
		b.Fatal(err)
	}
	hreq, _ := http.NewRequest(http.MethodGet, "https://target.example/index.html", nil)
	hreq.Header.Set("Accept", "text/plain")
	full := func() {
		breq, err := bhttp.FromHTTPRequest(hreq)
		if err != nil {
			b.Fatal(err)
		}
		plain, err := breq.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := e.Encapsulate(rng, plain); err != nil {
			b.Fatal(err)
		}
	}
	breq, _ := bhttp.FromHTTPRequest(hreq)
	plain, _ := breq.MarshalBinary()
	cs := benchSuite.circl()
	pk, _ := benchSuite.KEM.scheme().UnmarshalBinaryPublicKey(key.config.PublicKey)
	info := e.info[0]
	bare := func() {
		s, _ := cs.NewSender(pk, info)
		_, sealer, err := s.Setup(rng)
		if err != nil {
			b.Fatal(err)
		}
		sealer.Seal(plain, nil)
	}
	benchPair(b, full, bare)
}
