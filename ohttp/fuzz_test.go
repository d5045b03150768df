package ohttp

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"
)

// FuzzParseKeyConfigs: any input either fails with a *KeyConfigError or
// parses to a list that encodes back to exactly the input.
func FuzzParseKeyConfigs(f *testing.F) {
	f.Add(append([]byte{0, byte(len(rfcConfig))}, rfcConfig...))
	rng := rand.NewChaCha8([32]byte{'f'})
	var cs []KeyConfig
	for i, k := range KEMs {
		key, _ := GenerateKey(rng, uint8(i), k, []SymmetricSuite{{1, 1}, {3, 3}})
		cs = append(cs, key.Config())
	}
	all, _ := MarshalKeyConfigs(cs)
	f.Add(all)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 1, 0, 0x20})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseKeyConfigList(b)
		cs := l.Configs
		if err != nil {
			var kce *KeyConfigError
			if !errors.As(err, &kce) || cs != nil {
				t.Fatalf("error %v (%T) with %d configs", err, err, len(cs))
			}
			return
		}
		for _, s := range l.Skipped {
			if !errors.Is(s, ErrUnknownKEM) && !errors.Is(s, ErrUnknownKDF) && !errors.Is(s, ErrUnknownAEAD) {
				t.Fatalf("skipped for a reason that is not an unknown algorithm: %v", s)
			}
		}
		back, err := MarshalKeyConfigs(cs)
		if err != nil {
			t.Fatalf("parsed list does not re-encode: %v", err)
		}
		if len(l.Skipped) == 0 && !bytes.Equal(back, b) {
			t.Fatalf("re-encoded %x, input %x", back, b)
		}
		// Each element also parses alone.
		for _, c := range cs {
			one, _ := c.MarshalBinary()
			if d, err := ParseKeyConfig(one); err != nil || !d.Equal(c) {
				t.Fatalf("single config: %v", err)
			}
		}
	})
}

// fuzzKeys is a keyring with one key per KEM, IDs 0x40.., every suite.
var fuzzKeys = sync.OnceValue(func() *Keyring {
	var keys []*PrivateKey
	for _, k := range propKeys() {
		keys = append(keys, k)
	}
	ring, err := NewKeyring(KeyringConfig{Now: func() time.Time { return time.Unix(0, 0) }}, keys...)
	if err != nil {
		panic(err)
	}
	return ring
})

func fuzzSeeds(f *testing.F) {
	rng := rand.NewChaCha8([32]byte{'s'})
	for _, s := range []Suite{
		{KEMX25519HKDFSHA256, KDFHKDFSHA256, AEADAES128GCM},
		{KEMP256HKDFSHA256, KDFHKDFSHA384, AEADAES256GCM},
		{KEMXWing, KDFHKDFSHA256, AEADChaCha20Poly1305},
		{KEMX448HKDFSHA512, KDFHKDFSHA512, AEADAES128GCM},
	} {
		key := propKeys()[s.KEM]
		sym := SymmetricSuite{s.KDF, s.AEAD}
		ereq, _, _ := EncapsulateRequest(rng, key.Config(), sym, []byte("\x00\x03GET\x05https\x0bexample.com\x01/"))
		f.Add(ereq)
		e, _ := NewEncapsulator(key.Config(), sym)
		var buf bytes.Buffer
		w, _ := e.NewChunkedRequestWriter(&buf, rng)
		w.Write([]byte("\x02\x03GET"))
		w.Write([]byte("\x05https"))
		w.Close()
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0x40, 0, 0x20, 0, 1, 0, 1})
	f.Add([]byte{})
}

// FuzzGatewayDecapsulate: decapsulation of any input returns an error or a
// plaintext, never panics, and the gateway handler answers every input with
// one of the statuses RFC 9458 allows before decryption.
func FuzzGatewayDecapsulate(f *testing.F) {
	fuzzSeeds(f)
	ring := fuzzKeys()
	g := &Gateway{Name: "G", Keys: ring, Transport: &handlerTransport{}, Rand: rand.NewChaCha8([32]byte{}), MaxRequestSize: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, ctx, err := DecapsulateRequest(ring, b)
		if err == nil {
			// Only an authentic request opens; it must then be able to
			// answer.
			if ctx == nil {
				t.Fatal("success without a context")
			}
			if _, err := ctx.EncapsulateResponse(rand.NewChaCha8([32]byte{}), pt); err != nil {
				t.Fatal(err)
			}
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, WellKnownPath, bytes.NewReader(b))
		r.Header.Set("Content-Type", MediaTypeRequest)
		g.ServeHTTP(rec, r)
		switch rec.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("gateway answered %d", rec.Code)
		}
	})
}

// FuzzChunkedDecode: the streaming readers of chunked requests (gateway
// side) and responses (client side) never panic and stay within their
// chunk limits on any input. Responses are read with a context no input
// was made for, so none may read as complete.
func FuzzChunkedDecode(f *testing.F) {
	fuzzSeeds(f)
	ring := fuzzKeys()
	key := propKeys()[KEMX25519HKDFSHA256]
	e, _ := NewEncapsulator(key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM})
	w, _ := e.NewChunkedRequestWriter(io.Discard, rand.NewChaCha8([32]byte{'r'}))
	cctx := w.Context()
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := NewChunkedRequestReader(bytes.NewReader(b), ring); err == nil {
			drain(r)
		}
		if r, err := cctx.NewChunkedResponseReader(bytes.NewReader(b)); err == nil {
			if drain(r) == io.EOF {
				t.Fatal("input forged a complete chunked response")
			}
		}
	})
}

// drain reads r to its end in small pieces and returns the final error.
func drain(r io.Reader) error {
	buf := make([]byte, 7)
	for {
		if _, err := r.Read(buf); err != nil {
			return err
		}
	}
}

// allocated returns the bytes f allocates, averaged over runs.
func allocated(runs int, f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&b)
	return (b.TotalAlloc - a.TotalAlloc) / uint64(runs)
}

// TestDecodersAllocationBounded: inputs that claim large lengths but are
// short cost memory in proportion to what arrived, not to the claim.
func TestDecodersAllocationBounded(t *testing.T) {
	key := propKeys()[KEMX25519HKDFSHA256]
	e, _ := NewEncapsulator(key.Config(), SymmetricSuite{KDFHKDFSHA256, AEADAES128GCM})
	var head bytes.Buffer
	e.NewChunkedRequestWriter(&head, rand.NewChaCha8([32]byte{}))
	// A chunk claiming the largest allowed length, with 10 bytes present.
	claim := append(bytes.Clone(head.Bytes()), appendVarint(nil, MaxReceiveChunkSize+aeadOverhead)...)
	claim = append(claim, make([]byte, 10)...)
	ring := fuzzKeys()
	if n := allocated(50, func() {
		if r, err := NewChunkedRequestReader(bytes.NewReader(claim), ring); err == nil {
			drain(r)
		}
	}); n > 16<<10 {
		t.Errorf("short chunk claiming %d bytes allocated %d bytes", MaxReceiveChunkSize, n)
	}
	// A key configuration list element claiming 65535 bytes.
	list := []byte{0xff, 0xff, 1, 0, 0x20}
	if n := allocated(50, func() { ParseKeyConfigs(list) }); n > 1<<10 {
		t.Errorf("short key config list allocated %d bytes", n)
	}
	// A request header naming X-Wing (1120-byte enc) with nothing after.
	xw := propKeys()[KEMXWing].KeyID()
	short := []byte{xw, 0x64, 0x7a, 0, 1, 0, 1}
	if n := allocated(50, func() { DecapsulateRequest(ring, short) }); n > 1<<10 {
		t.Errorf("short X-Wing request allocated %d bytes", n)
	}
}
