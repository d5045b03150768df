package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/edgelab/edgelab/mail/internal/hdr"
	"github.com/edgelab/edgelab/sim/env"
)

// Algorithm is a signing algorithm's a= name.
type Algorithm string

const (
	RSASHA256     Algorithm = "rsa-sha256"
	Ed25519SHA256 Algorithm = "ed25519-sha256"
)

// ErrUnsupportedKey is returned for keys that are neither RSA nor Ed25519.
var ErrUnsupportedKey = errors.New("dkim: unsupported key type")

// AlgorithmOf names the algorithm a private key signs with.
func AlgorithmOf(key crypto.Signer) (Algorithm, error) {
	switch key.Public().(type) {
	case *rsa.PublicKey:
		return RSASHA256, nil
	case ed25519.PublicKey:
		return Ed25519SHA256, nil
	}
	return "", ErrUnsupportedKey
}

// SignHash signs a SHA-256 digest. RSA uses PKCS #1 v1.5, which needs no
// randomness; Ed25519 signs the digest itself as its message (RFC 8463
// §3). Either way the signature is a function of key and digest alone.
func SignHash(key crypto.Signer, digest []byte) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest)
	case ed25519.PrivateKey:
		return ed25519.Sign(k, digest), nil
	}
	if _, err := AlgorithmOf(key); err != nil {
		return nil, err
	}
	// Another crypto.Signer (an HSM, say) with a supported public key.
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return key.Sign(nil, digest, crypto.Hash(0))
	}
	return key.Sign(nil, digest, crypto.SHA256)
}

// ErrBadSignature is returned by VerifyHash when a signature does not match.
var ErrBadSignature = errors.New("dkim: signature does not verify")

// VerifyHash checks a signature over a SHA-256 digest.
func VerifyHash(pub crypto.PublicKey, alg Algorithm, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg != RSASHA256 {
			return fmt.Errorf("dkim: key type rsa does not match algorithm %s", alg)
		}
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) != nil {
			return ErrBadSignature
		}
		return nil
	case ed25519.PublicKey:
		if alg != Ed25519SHA256 {
			return fmt.Errorf("dkim: key type ed25519 does not match algorithm %s", alg)
		}
		if !ed25519.Verify(k, digest, sig) {
			return ErrBadSignature
		}
		return nil
	}
	return ErrUnsupportedKey
}

// KeyRecord is the DNS TXT record publishing pub at
// <selector>._domainkey.<domain>.
func KeyRecord(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k), nil
	}
	return "", ErrUnsupportedKey
}

// KeyError says why a key record could not be used. Temporary is set when
// the lookup failed in a way that may pass (a timeout, SERVFAIL).
type KeyError struct {
	Name      string
	Reason    string
	Temporary bool
}

func (e *KeyError) Error() string { return "dkim: key " + e.Name + ": " + e.Reason }

// ParseKeyRecord reads a key record (RFC 6376 §3.6.1): k=rsa with a
// SubjectPublicKeyInfo or a bare PKCS #1 key, or k=ed25519 with the raw 32
// bytes. An empty p= means the key was revoked.
func ParseKeyRecord(txt string) (crypto.PublicKey, error) {
	tags, err := hdr.ParseTags(txt)
	if err != nil {
		return nil, err
	}
	if v, ok := tags.Get("v"); ok && v != "DKIM1" {
		return nil, fmt.Errorf("dkim: key record version %q", v)
	}
	p, ok := tags.Get("p")
	if !ok {
		return nil, errors.New("dkim: key record has no p=")
	}
	p = hdr.StripWS(p)
	if p == "" {
		return nil, errors.New("dkim: key revoked")
	}
	raw, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("dkim: key record p=: %w", err)
	}
	k, _ := tags.Get("k")
	switch strings.ToLower(k) {
	case "", "rsa":
		if pub, err := x509.ParsePKIXPublicKey(raw); err == nil {
			if rk, ok := pub.(*rsa.PublicKey); ok {
				return rk, nil
			}
			return nil, errors.New("dkim: k=rsa record holds another key type")
		}
		return x509.ParsePKCS1PublicKey(raw)
	case "ed25519":
		if len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("dkim: ed25519 key of %d bytes", len(raw))
		}
		return ed25519.PublicKey(raw), nil
	}
	return nil, fmt.Errorf("dkim: key type %q", k)
}

// LookupKey fetches and parses the key at <selector>._domainkey.<domain>.
func LookupKey(ctx context.Context, r env.Resolver, domain, selector string) (crypto.PublicKey, error) {
	name := selector + "._domainkey." + domain
	txts, err := r.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		temporary := errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary) ||
			errors.Is(err, context.DeadlineExceeded)
		return nil, &KeyError{Name: name, Reason: err.Error(), Temporary: temporary}
	}
	if len(txts) != 1 {
		return nil, &KeyError{Name: name, Reason: fmt.Sprintf("%d TXT records, want 1", len(txts))}
	}
	pub, err := ParseKeyRecord(txts[0])
	if err != nil {
		return nil, &KeyError{Name: name, Reason: err.Error()}
	}
	return pub, nil
}

// bodyHashB64 is the bh= value.
func bodyHashB64(body []byte, c hdr.Canon) string {
	return base64.StdEncoding.EncodeToString(hdr.BodyHash(body, c))
}
