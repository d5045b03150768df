package ohttp

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// propKeys caches one gateway key per KEM offering every symmetric suite,
// so properties spend their time on encapsulation, not key generation.
var propKeys = sync.OnceValue(func() map[KEMID]*PrivateKey {
	var all []SymmetricSuite
	for _, f := range KDFs {
		for _, a := range AEADs {
			all = append(all, SymmetricSuite{f, a})
		}
	}
	rng := rand.NewChaCha8([32]byte{'p'})
	m := map[KEMID]*PrivateKey{}
	for i, k := range KEMs {
		key, err := GenerateKey(rng, uint8(0x40+i), k, all)
		if err != nil {
			panic(err)
		}
		m[k] = key
	}
	return m
})

type propCase struct {
	suite    Suite
	key      *PrivateKey
	rng      io.Reader
	request  []byte
	response []byte
}

func drawCase(t *rapid.T) propCase {
	s := rapid.SampledFrom(AllSuites()).Draw(t, "suite")
	var seed [32]byte
	copy(seed[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "seed"))
	return propCase{
		suite:    s,
		key:      propKeys()[s.KEM],
		rng:      rand.NewChaCha8(seed),
		request:  rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "request"),
		response: rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "response"),
	}
}

func (c propCase) sym() SymmetricSuite { return SymmetricSuite{c.suite.KDF, c.suite.AEAD} }

// TestPropertyRoundTrip: for any suite, request and response, what the
// client encapsulates the gateway opens unchanged, and the other way round.
func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawCase(t)
		ereq, cctx, err := EncapsulateRequest(c.rng, c.key.Config(), c.sym(), c.request)
		if err != nil {
			t.Fatal(err)
		}
		if want := requestHeaderLen + c.suite.KEM.EncapsulatedKeySize() + len(c.request) + aeadOverhead; len(ereq) != want {
			t.Fatalf("encapsulated request is %d bytes, want %d", len(ereq), want)
		}
		got, g, err := DecapsulateRequest(c.key, ereq)
		if err != nil || !bytes.Equal(got, c.request) {
			t.Fatalf("request round trip: %v", err)
		}
		if g.Header() != cctx.Header() {
			t.Fatalf("headers differ: %+v %+v", g.Header(), cctx.Header())
		}
		eresp, err := g.EncapsulateResponse(c.rng, c.response)
		if err != nil {
			t.Fatal(err)
		}
		back, err := cctx.DecapsulateResponse(eresp)
		if err != nil || !bytes.Equal(back, c.response) {
			t.Fatalf("response round trip: %v", err)
		}
	})
}

// TestPropertyTamperDetected: changing any one byte of an encapsulated
// request or response makes opening fail; it never yields a plaintext.
func TestPropertyTamperDetected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawCase(t)
		ereq, cctx, err := EncapsulateRequest(c.rng, c.key.Config(), c.sym(), c.request)
		if err != nil {
			t.Fatal(err)
		}
		_, g, err := DecapsulateRequest(c.key, ereq)
		if err != nil {
			t.Fatal(err)
		}
		eresp, err := g.EncapsulateResponse(c.rng, c.response)
		if err != nil {
			t.Fatal(err)
		}
		i := rapid.IntRange(0, len(ereq)-1).Draw(t, "request byte")
		x := rapid.ByteRange(1, 255).Draw(t, "request xor")
		bad := bytes.Clone(ereq)
		bad[i] ^= x
		if pt, _, err := DecapsulateRequest(c.key, bad); err == nil {
			t.Fatalf("request with byte %d changed opened as %d bytes", i, len(pt))
		}
		j := rapid.IntRange(0, len(eresp)-1).Draw(t, "response byte")
		y := rapid.ByteRange(1, 255).Draw(t, "response xor")
		badr := bytes.Clone(eresp)
		badr[j] ^= y
		if pt, err := cctx.DecapsulateResponse(badr); err == nil {
			t.Fatalf("response with byte %d changed opened as %d bytes", j, len(pt))
		}
		// Cutting either message short fails too.
		if _, _, err := DecapsulateRequest(c.key, ereq[:rapid.IntRange(0, len(ereq)-1).Draw(t, "request cut")]); err == nil {
			t.Fatal("truncated request opened")
		}
		if _, err := cctx.DecapsulateResponse(eresp[:rapid.IntRange(0, len(eresp)-1).Draw(t, "response cut")]); err == nil {
			t.Fatal("truncated response opened")
		}
	})
}

// TestTamperEveryByte sweeps every byte position of one X25519 exchange,
// so no position is left to chance.
func TestTamperEveryByte(t *testing.T) {
	key := propKeys()[KEMX25519HKDFSHA256]
	rng := rand.NewChaCha8([32]byte{'t'})
	ereq, cctx, err := EncapsulateRequest(rng, key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM}, []byte("GET /secret"))
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := DecapsulateRequest(key, ereq)
	if err != nil {
		t.Fatal(err)
	}
	eresp, _ := g.EncapsulateResponse(rng, []byte("200 OK"))
	for i := range ereq {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(ereq)
			bad[i] ^= x
			if _, _, err := DecapsulateRequest(key, bad); err == nil {
				t.Errorf("request byte %d ^ %#x not detected", i, x)
			}
		}
	}
	for i := range eresp {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(eresp)
			bad[i] ^= x
			if _, err := cctx.DecapsulateResponse(bad); err == nil {
				t.Errorf("response byte %d ^ %#x not detected", i, x)
			}
		}
	}
}

// fataler is what testing.T and rapid.T share that the helpers need.
type fataler interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// splitWrites writes b to w in the pieces sizes says (cycled).
func splitWrites(w io.Writer, b []byte, sizes []int) {
	for i := 0; len(b) > 0; i++ {
		n := min(len(b), max(1, sizes[i%len(sizes)]))
		w.Write(b[:n])
		b = b[n:]
	}
}

// chunkedExchange runs a chunked request and response through the
// streaming APIs and returns the two wire messages and what each side read.
func chunkedExchange(t fataler, c propCase, reqSizes, respSizes []int) (ereq, eresp []byte) {
	e, err := NewEncapsulator(c.key.Config(), c.sym())
	if err != nil {
		t.Fatal(err)
	}
	var reqBuf bytes.Buffer
	w, err := e.NewChunkedRequestWriter(&reqBuf, c.rng)
	if err != nil {
		t.Fatal(err)
	}
	splitWrites(w, c.request, reqSizes)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ereq = bytes.Clone(reqBuf.Bytes())
	r, err := NewChunkedRequestReader(&reqBuf, c.key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, c.request) {
		t.Fatalf("chunked request round trip: %v", err)
	}
	var respBuf bytes.Buffer
	rw, err := r.Context().NewChunkedResponseWriter(&respBuf, c.rng)
	if err != nil {
		t.Fatal(err)
	}
	splitWrites(rw, c.response, respSizes)
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	eresp = bytes.Clone(respBuf.Bytes())
	rr, err := w.Context().NewChunkedResponseReader(&respBuf)
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rr)
	if err != nil || !bytes.Equal(back, c.response) {
		t.Fatalf("chunked response round trip: %v", err)
	}
	return ereq, eresp
}

// readChunkedRequest reads a whole chunked request; complete is true only
// if the reader ended with io.EOF, i.e. it saw an authentic final chunk.
func readChunkedRequest(key KeySource, b []byte) (pt []byte, complete bool) {
	r, err := NewChunkedRequestReader(bytes.NewReader(b), key)
	if err != nil {
		return nil, false
	}
	pt, err = io.ReadAll(r) // ReadAll turns io.EOF into nil
	return pt, err == nil
}

// TestPropertyChunked: chunked messages round-trip for any division into
// chunks; a stream cut anywhere, or with any byte changed, is never read as
// complete.
func TestPropertyChunked(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawCase(t)
		sizes := rapid.SliceOfN(rapid.IntRange(1, 2*MaxChunkSize), 1, 5)
		ereq, eresp := chunkedExchange(t, c, sizes.Draw(t, "request chunks"), sizes.Draw(t, "response chunks"))

		cut := rapid.IntRange(0, len(ereq)-1).Draw(t, "request cut")
		if _, ok := readChunkedRequest(c.key, ereq[:cut]); ok {
			t.Fatalf("request cut at %d of %d read as complete", cut, len(ereq))
		}
		i := rapid.IntRange(0, len(ereq)-1).Draw(t, "request byte")
		bad := bytes.Clone(ereq)
		bad[i] ^= rapid.ByteRange(1, 255).Draw(t, "request xor")
		if _, ok := readChunkedRequest(c.key, bad); ok {
			t.Fatalf("request with byte %d changed read as complete", i)
		}
		_ = eresp
	})
}

// TestChunkedTruncationEveryOffset cuts a three-chunk request and response
// at every byte: none reads as complete, and every cut on a chunk boundary
// is reported as a missing final chunk.
func TestChunkedTruncationEveryOffset(t *testing.T) {
	c := propCase{
		suite: Suite{KEMX25519HKDFSHA256, KDFHKDFSHA256, AEADChaCha20Poly1305}, key: propKeys()[KEMX25519HKDFSHA256],
		rng: rand.NewChaCha8([32]byte{'c'}), request: bytes.Repeat([]byte("q"), 50), response: bytes.Repeat([]byte("r"), 50),
	}
	e, _ := NewEncapsulator(c.key.Config(), c.sym())
	var reqBuf bytes.Buffer
	w, _ := e.NewChunkedRequestWriter(&reqBuf, c.rng)
	splitWrites(w, c.request, []int{20})
	w.Close()
	ereq := bytes.Clone(reqBuf.Bytes())
	r, _ := NewChunkedRequestReader(&reqBuf, c.key)
	io.ReadAll(r)
	var respBuf bytes.Buffer
	rw, _ := r.Context().NewChunkedResponseWriter(&respBuf, c.rng)
	splitWrites(rw, c.response, []int{20})
	rw.Close()
	eresp := respBuf.Bytes()

	sawNoFinal := false
	for cut := 0; cut < len(ereq); cut++ {
		pt, ok := readChunkedRequest(c.key, ereq[:cut])
		if ok {
			t.Fatalf("request cut at %d read as complete (%d bytes)", cut, len(pt))
		}
		r, err := NewChunkedRequestReader(bytes.NewReader(ereq[:cut]), c.key)
		if err == nil {
			_, err = io.ReadAll(r)
			sawNoFinal = sawNoFinal || errors.Is(err, ErrNoFinalChunk)
		}
	}
	if !sawNoFinal {
		t.Fatal("no cut was reported as ErrNoFinalChunk")
	}
	for cut := 0; cut < len(eresp); cut++ {
		rr, err := w.Context().NewChunkedResponseReader(bytes.NewReader(eresp[:cut]))
		if err != nil {
			continue
		}
		if _, err := io.ReadAll(rr); err == nil {
			t.Fatalf("response cut at %d read as complete", cut)
		}
	}
}

func TestChunkedMisuse(t *testing.T) {
	key := propKeys()[KEMX25519HKDFSHA256]
	rng := rand.NewChaCha8([32]byte{'m'})
	_, g, err := DecapsulateRequest(key, func() []byte {
		b, _, _ := EncapsulateRequest(rng, key.Config(), SymmetricSuite{1, 1}, []byte("x"))
		return b
	}())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.NewChunkedResponseWriter(io.Discard, rng); !errors.Is(err, ErrWrongFormat) {
		t.Fatalf("chunked response to a whole request: %v", err)
	}
	e, _ := NewEncapsulator(key.Config(), SymmetricSuite{1, 1})
	w, _ := e.NewChunkedRequestWriter(io.Discard, rng)
	if _, err := w.Context().DecapsulateResponse(make([]byte, 64)); !errors.Is(err, ErrWrongFormat) {
		t.Fatalf("whole response to a chunked request: %v", err)
	}
	w.Close()
	if _, err := w.Write([]byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	// A chunk length beyond the receive limit is refused before reading it.
	var b bytes.Buffer
	if _, err := e.NewChunkedRequestWriter(&b, rng); err != nil { // header and enc only
		t.Fatal(err)
	}
	b.Write(appendVarint(nil, MaxReceiveChunkSize+aeadOverhead+1))
	r, err := NewChunkedRequestReader(&b, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrChunkTooLarge) {
		t.Fatalf("oversized chunk: %v", err)
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, 1<<62 - 1} {
		b := appendVarint(nil, v)
		got, err := readVarint(bytes.NewReader(b))
		if err != nil || got != v {
			t.Fatalf("varint %d: %d, %v", v, got, err)
		}
	}
	// RFC 9000 §A.1's examples, including a non-minimal encoding.
	for in, want := range map[string]uint64{"c2197c5eff14e88c": 151288809941952652, "9d7f3e7d": 494878333, "7bbd": 15293, "25": 37, "4025": 37} {
		got, err := readVarint(bytes.NewReader(mustHex(in)))
		if err != nil || got != want {
			t.Fatalf("varint %s: %d, %v, want %d", in, got, err, want)
		}
	}
}
