package ohttp

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/cloudflare/circl/hpke"
)

// vector is the shape of the files in testdata/ holding the worked examples
// of RFC 9458 Appendix A and the chunked draft's appendix.
type vector struct {
	KeyID                     uint8    `json:"key_id"`
	KEM                       KEMID    `json:"kem"`
	KDF                       KDFID    `json:"kdf"`
	AEAD                      AEADID   `json:"aead"`
	GatewayPrivateKey         hexBytes `json:"gateway_private_key"`
	KeyConfig                 hexBytes `json:"key_config"`
	Request                   hexBytes `json:"request"`
	EphemeralPrivateKey       hexBytes `json:"ephemeral_private_key"`
	EphemeralPublicKey        hexBytes `json:"ephemeral_public_key"`
	Info                      hexBytes `json:"info"`
	EncapsulatedRequest       hexBytes `json:"encapsulated_request"`
	EncapsulatedRequestParts  []string `json:"encapsulated_request_parts"`
	Response                  hexBytes `json:"response"`
	ExportSecret              hexBytes `json:"export_secret"`
	Salt                      hexBytes `json:"salt"`
	PRK                       hexBytes `json:"prk"`
	AEADKey                   hexBytes `json:"aead_key"`
	AEADNonce                 hexBytes `json:"aead_nonce"`
	ResponseNonce             hexBytes `json:"response_nonce"`
	EncapsulatedResponse      hexBytes `json:"encapsulated_response"`
	EncapsulatedResponseParts []string `json:"encapsulated_response_parts"`
	ChunkNonces               []string `json:"chunk_nonces"`
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

func loadVector(t *testing.T, name string) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// vectorKey loads the gateway key of v and checks it against the key
// configuration the document prints.
func vectorKey(t *testing.T, v vector) *PrivateKey {
	t.Helper()
	want, err := ParseKeyConfig(v.KeyConfig)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewPrivateKey(v.KeyID, v.KEM, want.Suites, v.GatewayPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Config().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, v.KeyConfig) {
		t.Fatalf("key config from private key:\n got %x\nwant %x", got, v.KeyConfig)
	}
	return k
}

// fixedReader returns its bytes and then fails, so a test notices if more
// randomness is drawn than the vector provides.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errExhausted
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

var errExhausted = errors.New("test reader exhausted")

// vectorSealer builds the HPKE sending context of DHKEM(X25519,
// HKDF-SHA256) for the ephemeral private key the documents print. circl
// cannot be handed that key: its Sender.Setup reads an encapsulation seed
// from the reader and derives the ephemeral pair from it with
// DeriveKeyPair, a one-way function, and the documents give the private key
// only, not a seed. So this does RFC 9180's Encap and KeySchedule (§4.1,
// §5.1) here, with the standard library's X25519 and HKDF, and hands the
// resulting context to circl through UnmarshalSealer.
func vectorSealer(t *testing.T, v vector, info []byte) ([]byte, hpke.Sealer) {
	t.Helper()
	if v.KEM != KEMX25519HKDFSHA256 || v.KDF != KDFHKDFSHA256 || v.AEAD != AEADAES128GCM {
		t.Fatal("vectorSealer handles X25519/HKDF-SHA256/AES-128-GCM only")
	}
	skE, err := ecdh.X25519().NewPrivateKey(v.EphemeralPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ParseKeyConfig(v.KeyConfig)
	pkR, err := ecdh.X25519().NewPublicKey(cfg.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dh, err := skE.ECDH(pkR)
	if err != nil {
		t.Fatal(err)
	}
	enc := skE.PublicKey().Bytes()
	if !bytes.Equal(enc, v.EphemeralPublicKey) {
		t.Fatalf("ephemeral public key %x, document says %x", enc, v.EphemeralPublicKey)
	}
	kemID := binary.BigEndian.AppendUint16([]byte("KEM"), uint16(v.KEM))
	hpkeID := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(
		binary.BigEndian.AppendUint16([]byte("HPKE"), uint16(v.KEM)), uint16(v.KDF)), uint16(v.AEAD))
	extract := func(suite []byte, salt []byte, label string, ikm []byte) []byte {
		in := append(append(append([]byte("HPKE-v1"), suite...), label...), ikm...)
		prk, err := hkdf.Extract(sha256.New, in, salt)
		if err != nil {
			t.Fatal(err)
		}
		return prk
	}
	expand := func(suite []byte, prk []byte, label string, info []byte, n int) []byte {
		in := binary.BigEndian.AppendUint16(nil, uint16(n))
		in = append(append(append(append(in, "HPKE-v1"...), suite...), label...), info...)
		out, err := hkdf.Expand(sha256.New, prk, string(in), n)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	eae := extract(kemID, nil, "eae_prk", dh)
	ss := expand(kemID, eae, "shared_secret", append(append([]byte{}, enc...), cfg.PublicKey...), 32)
	ksc := append([]byte{0}, extract(hpkeID, nil, "psk_id_hash", nil)...)
	ksc = append(ksc, extract(hpkeID, nil, "info_hash", info)...)
	secret := extract(hpkeID, ss, "secret", nil)
	key := expand(hpkeID, secret, "key", ksc, 16)
	baseNonce := expand(hpkeID, secret, "base_nonce", ksc, 12)
	exp := expand(hpkeID, secret, "exp", ksc, 32)

	// circl's serialized sealer: role 0, suite, then length-prefixed
	// exporter secret, key, base nonce and sequence number.
	raw := []byte{0}
	raw = binary.BigEndian.AppendUint16(raw, uint16(v.KEM))
	raw = binary.BigEndian.AppendUint16(raw, uint16(v.KDF))
	raw = binary.BigEndian.AppendUint16(raw, uint16(v.AEAD))
	for _, f := range [][]byte{exp, key, baseNonce, make([]byte, 12)} {
		raw = append(append(raw, byte(len(f))), f...)
	}
	s, err := hpke.UnmarshalSealer(raw)
	if err != nil {
		t.Fatal(err)
	}
	return enc, s
}

// TestRFC9458AppendixA checks both directions of RFC 9458's worked example.
func TestRFC9458AppendixA(t *testing.T) {
	v := loadVector(t, "rfc9458-appendix-a.json")
	key := vectorKey(t, v)
	hdr := RequestHeader{KeyID: v.KeyID, KEM: v.KEM, KDF: v.KDF, AEAD: v.AEAD}
	if got := hdr.info(bhttpLabels.request); !bytes.Equal(got, v.Info) {
		t.Fatalf("info %x, want %x", got, v.Info)
	}

	t.Run("gateway decapsulates the request", func(t *testing.T) {
		req, g, err := DecapsulateRequest(key, v.EncapsulatedRequest)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(req, v.Request) {
			t.Fatalf("request %x, want %x", req, v.Request)
		}
		if got := g.ctx.Export([]byte("message/bhttp response"), 16); !bytes.Equal(got, v.ExportSecret) {
			t.Fatalf("exported secret %x, want %x", got, v.ExportSecret)
		}
	})

	t.Run("gateway encapsulates the response with the given nonce", func(t *testing.T) {
		_, g, err := DecapsulateRequest(key, v.EncapsulatedRequest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.EncapsulateResponse(&fixedReader{bytes.Clone(v.ResponseNonce)}, v.Response)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v.EncapsulatedResponse) {
			t.Fatalf("encapsulated response\n got %x\nwant %x", got, v.EncapsulatedResponse)
		}
	})

	t.Run("response key schedule", func(t *testing.T) {
		_, g, err := DecapsulateRequest(key, v.EncapsulatedRequest)
		if err != nil {
			t.Fatal(err)
		}
		aead, nonce, err := responseAEAD(g.ctx, hdr, g.enc, v.ResponseNonce, bhttpLabels.response)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(nonce, v.AEADNonce) {
			t.Fatalf("aead nonce %x, want %x", nonce, v.AEADNonce)
		}
		ref, _ := hpke.AEAD(v.AEAD).New(v.AEADKey)
		if a, b := aead.Seal(nil, nonce, v.Response, nil), ref.Seal(nil, v.AEADNonce, v.Response, nil); !bytes.Equal(a, b) {
			t.Fatal("derived AEAD key differs from the document's")
		}
	})

	t.Run("client encapsulates with the given ephemeral key", func(t *testing.T) {
		enc, sealer := vectorSealer(t, v, v.Info)
		got, ctx, err := encapsulateWith(hdr, enc, sealer, v.Request)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v.EncapsulatedRequest) {
			t.Fatalf("encapsulated request\n got %x\nwant %x", got, v.EncapsulatedRequest)
		}
		resp, err := ctx.DecapsulateResponse(v.EncapsulatedResponse)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(resp, v.Response) {
			t.Fatalf("response %x, want %x", resp, v.Response)
		}
	})
}

// TestCirclEphemeralFromReader pins down how the rand reader becomes the
// ephemeral key, which is why the vector test above cannot simply feed the
// RFC's ephemeral private key through the reader: circl reads an
// EncapsulationSeedSize seed and runs DeriveKeyPair on it.
func TestCirclEphemeralFromReader(t *testing.T) {
	v := loadVector(t, "rfc9458-appendix-a.json")
	cfg, _ := ParseKeyConfig(v.KeyConfig)
	seed := bytes.Repeat([]byte{7}, 32)
	ereq, _, err := EncapsulateRequest(&fixedReader{bytes.Clone(seed)}, cfg, cfg.Suites[0], v.Request)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := hpke.KEM_X25519_HKDF_SHA256.Scheme().DeriveKeyPair(seed)
	want, _ := pk.MarshalBinary()
	if got := ereq[requestHeaderLen : requestHeaderLen+32]; !bytes.Equal(got, want) {
		t.Fatalf("enc %x, want DeriveKeyPair(seed) = %x", got, want)
	}
	again, _, _ := EncapsulateRequest(&fixedReader{bytes.Clone(seed)}, cfg, cfg.Suites[0], v.Request)
	if !bytes.Equal(ereq, again) {
		t.Fatal("same reader bytes gave different encapsulations")
	}
	// Feeding the RFC's ephemeral private key as the seed does not give
	// the RFC's ephemeral public key.
	pk2, _ := hpke.KEM_X25519_HKDF_SHA256.Scheme().DeriveKeyPair(v.EphemeralPrivateKey)
	b2, _ := pk2.MarshalBinary()
	if bytes.Equal(b2, v.EphemeralPublicKey) {
		t.Fatal("circl now uses the seed as the private key; the vector test can use the reader directly")
	}
}

// TestChunkedExample checks both directions of the chunked draft's example,
// including where it divides the messages into chunks.
func TestChunkedExample(t *testing.T) {
	v := loadVector(t, "chunked-ohttp-example.json")
	key := vectorKey(t, v)
	hdr := RequestHeader{KeyID: v.KeyID, KEM: v.KEM, KDF: v.KDF, AEAD: v.AEAD}
	if got := hdr.info(chunkedLabels.request); !bytes.Equal(got, v.Info) {
		t.Fatalf("info %x, want %x", got, v.Info)
	}

	t.Run("gateway", func(t *testing.T) {
		r, err := NewChunkedRequestReader(bytes.NewReader(v.EncapsulatedRequest), key)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		buf := make([]byte, 100)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
		}
		if !bytes.Equal(got, v.Request) {
			t.Fatalf("request %x, want %x", got, v.Request)
		}
		var out bytes.Buffer
		w, err := r.Context().NewChunkedResponseWriter(&out, &fixedReader{bytes.Clone(v.ResponseNonce)})
		if err != nil {
			t.Fatal(err)
		}
		// The document's chunks: one byte, two bytes, then an empty final.
		w.Write(v.Response[:1])
		w.Write(v.Response[1:])
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), v.EncapsulatedResponse) {
			t.Fatalf("encapsulated response\n got %x\nwant %x", out.Bytes(), v.EncapsulatedResponse)
		}
	})

	t.Run("client", func(t *testing.T) {
		enc, sealer := vectorSealer(t, v, v.Info)
		var out bytes.Buffer
		w, err := newChunkedRequestWriter(&out, hdr, enc, sealer)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(v.Request[:12])
		w.Write(v.Request[12:])
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), v.EncapsulatedRequest) {
			t.Fatalf("encapsulated request\n got %x\nwant %x", out.Bytes(), v.EncapsulatedRequest)
		}
		rr, err := w.Context().NewChunkedResponseReader(bytes.NewReader(v.EncapsulatedResponse))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 10)
		n, _ := rr.Read(got)
		if n != 1 || got[0] != v.Response[0] {
			t.Fatalf("first chunk %x", got[:n])
		}
		m, _ := rr.Read(got[1:])
		if n+m != 3 || !bytes.Equal(got[:3], v.Response) {
			t.Fatalf("response %x, want %x", got[:n+m], v.Response)
		}
		if _, err := rr.Read(got); err != io.EOF {
			t.Fatalf("after final chunk: %v, want EOF", err)
		}
	})
}
