package ohttp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	stdhpke "crypto/hpke"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// stdSupports reports whether Go's crypto/hpke implements the suite; it has
// no X448.
func stdSupports(s Suite) bool { return s.KEM != KEMX448HKDFSHA512 }

func stdSuite(t *testing.T, s Suite) (stdhpke.KEM, stdhpke.KDF, stdhpke.AEAD) {
	t.Helper()
	k, err := stdhpke.NewKEM(uint16(s.KEM))
	if err != nil {
		t.Fatal(err)
	}
	f, err := stdhpke.NewKDF(uint16(s.KDF))
	if err != nil {
		t.Fatal(err)
	}
	a, err := stdhpke.NewAEAD(uint16(s.AEAD))
	if err != nil {
		t.Fatal(err)
	}
	return k, f, a
}

// stdResponseAEAD is RFC 9458 §4.4's response key schedule written against
// the standard library only, from a secret crypto/hpke exported.
func stdResponseAEAD(t *testing.T, s Suite, secret, enc, nonce []byte) (cipher.AEAD, []byte) {
	t.Helper()
	var h func() hash.Hash
	switch s.KDF {
	case KDFHKDFSHA256:
		h = sha256.New
	case KDFHKDFSHA384:
		h = sha512.New384
	case KDFHKDFSHA512:
		h = sha512.New
	}
	prk, err := hkdf.Extract(h, secret, append(bytes.Clone(enc), nonce...))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hkdf.Expand(h, prk, "key", s.AEAD.KeySize())
	n, _ := hkdf.Expand(h, prk, "nonce", s.AEAD.NonceSize())
	var a cipher.AEAD
	if s.AEAD == AEADChaCha20Poly1305 {
		a, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		b, err = aes.NewCipher(key)
		if err == nil {
			a, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, n
}

// TestDifferentialStdHPKE runs every suite that both circl and Go's
// crypto/hpke implement in both directions: what one seals the other opens,
// the exported response secrets agree, and responses encapsulated by one
// side open on the other.
func TestDifferentialStdHPKE(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{'d', 'i', 'f', 'f'})
	request := []byte("\x00\x03GET\x05https\x0bexample.com\x01/")
	response := []byte("\x01\x40\xc8")
	for _, s := range AllSuites() {
		if !stdSupports(s) {
			continue
		}
		t.Run(s.String(), func(t *testing.T) {
			sym := SymmetricSuite{s.KDF, s.AEAD}
			key, err := GenerateKey(rng, 5, s.KEM, []SymmetricSuite{sym})
			if err != nil {
				t.Fatal(err)
			}
			kem, kdf, aead := stdSuite(t, s)
			raw, _ := key.sk.MarshalBinary()
			stdSK, err := kem.NewPrivateKey(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stdSK.PublicKey().Bytes(), key.config.PublicKey) {
				t.Fatal("the two libraries derive different public keys from one private key")
			}
			hdr := RequestHeader{5, s.KEM, s.KDF, s.AEAD}
			info := hdr.info(bhttpLabels.request)
			nenc := s.KEM.EncapsulatedKeySize()
			nlen := s.AEAD.responseNonceSize()

			t.Run("circl seals, std opens", func(t *testing.T) {
				ereq, cctx, err := EncapsulateRequest(rng, key.Config(), sym, request)
				if err != nil {
					t.Fatal(err)
				}
				enc := ereq[requestHeaderLen : requestHeaderLen+nenc]
				r, err := stdhpke.NewRecipient(enc, stdSK, kdf, aead, info)
				if err != nil {
					t.Fatal(err)
				}
				pt, err := r.Open(nil, ereq[requestHeaderLen+nenc:])
				if err != nil || !bytes.Equal(pt, request) {
					t.Fatalf("std Open: %x, %v", pt, err)
				}
				secret, err := r.Export("message/bhttp response", nlen)
				if err != nil {
					t.Fatal(err)
				}
				if want := cctx.ctx.Export([]byte("message/bhttp response"), uint(nlen)); !bytes.Equal(secret, want) {
					t.Fatalf("export: std %x, circl %x", secret, want)
				}
				// The std side answers; our client opens it.
				nonce := make([]byte, nlen)
				rng.Read(nonce)
				a, n := stdResponseAEAD(t, s, secret, enc, nonce)
				eresp := a.Seal(bytes.Clone(nonce), n, response, nil)
				got, err := cctx.DecapsulateResponse(eresp)
				if err != nil || !bytes.Equal(got, response) {
					t.Fatalf("our client opened the std response as %x, %v", got, err)
				}
			})

			t.Run("std seals, circl opens", func(t *testing.T) {
				enc, snd, err := stdhpke.NewSender(stdSK.PublicKey(), kdf, aead, info)
				if err != nil {
					t.Fatal(err)
				}
				ct, err := snd.Seal(nil, request)
				if err != nil {
					t.Fatal(err)
				}
				ereq := append(append(hdr.appendTo(nil), enc...), ct...)
				pt, g, err := DecapsulateRequest(key, ereq)
				if err != nil || !bytes.Equal(pt, request) {
					t.Fatalf("our gateway opened %x, %v", pt, err)
				}
				secret, err := snd.Export("message/bhttp response", nlen)
				if err != nil {
					t.Fatal(err)
				}
				if want := g.ctx.Export([]byte("message/bhttp response"), uint(nlen)); !bytes.Equal(secret, want) {
					t.Fatalf("export: std %x, circl %x", secret, want)
				}
				eresp, err := g.EncapsulateResponse(rng, response)
				if err != nil {
					t.Fatal(err)
				}
				a, n := stdResponseAEAD(t, s, secret, enc, eresp[:nlen])
				got, err := a.Open(nil, n, eresp[nlen:], nil)
				if err != nil || !bytes.Equal(got, response) {
					t.Fatalf("std side opened our response as %x, %v", got, err)
				}
			})
		})
	}
}
