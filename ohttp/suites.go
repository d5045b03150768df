package ohttp

import (
	"fmt"

	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
)

// KEMID is an HPKE KEM identifier (RFC 9180 §7.1 and the IANA registry).
type KEMID uint16

// KDFID is an HPKE KDF identifier (RFC 9180 §7.2).
type KDFID uint16

// AEADID is an HPKE AEAD identifier (RFC 9180 §7.3).
type AEADID uint16

// The KEMs this package speaks: every one circl implements that Oblivious
// HTTP can use. circl's X25519+Kyber768 draft hybrid is left out on purpose:
// it is a pre-standard codepoint that X-Wing replaces.
const (
	KEMP256HKDFSHA256   KEMID = 0x0010
	KEMP384HKDFSHA384   KEMID = 0x0011
	KEMP521HKDFSHA512   KEMID = 0x0012
	KEMX25519HKDFSHA256 KEMID = 0x0020
	KEMX448HKDFSHA512   KEMID = 0x0021
	// KEMXWing is the post-quantum hybrid X-Wing (ML-KEM-768 + X25519),
	// the codepoint Go's crypto/hpke calls MLKEM768-X25519.
	KEMXWing KEMID = 0x647a
)

// The KDFs.
const (
	KDFHKDFSHA256 KDFID = 0x0001
	KDFHKDFSHA384 KDFID = 0x0002
	KDFHKDFSHA512 KDFID = 0x0003
)

// The AEADs. The export-only AEAD (0xFFFF) is not listed: Oblivious HTTP
// needs to seal, so a key configuration offering it is useless.
const (
	AEADAES128GCM        AEADID = 0x0001
	AEADAES256GCM        AEADID = 0x0002
	AEADChaCha20Poly1305 AEADID = 0x0003
)

// KEMs, KDFs and AEADs list the supported identifiers in a fixed order, so
// tests and callers can range over every combination deterministically.
var (
	KEMs  = []KEMID{KEMX25519HKDFSHA256, KEMX448HKDFSHA512, KEMP256HKDFSHA256, KEMP384HKDFSHA384, KEMP521HKDFSHA512, KEMXWing}
	KDFs  = []KDFID{KDFHKDFSHA256, KDFHKDFSHA384, KDFHKDFSHA512}
	AEADs = []AEADID{AEADAES128GCM, AEADAES256GCM, AEADChaCha20Poly1305}
)

// Supported reports whether this package implements the KEM.
func (k KEMID) Supported() bool {
	switch k {
	case KEMP256HKDFSHA256, KEMP384HKDFSHA384, KEMP521HKDFSHA512,
		KEMX25519HKDFSHA256, KEMX448HKDFSHA512, KEMXWing:
		return true
	}
	return false
}

// Supported reports whether this package implements the KDF.
func (k KDFID) Supported() bool {
	return k >= KDFHKDFSHA256 && k <= KDFHKDFSHA512
}

// Supported reports whether this package implements the AEAD.
func (a AEADID) Supported() bool {
	return a >= AEADAES128GCM && a <= AEADChaCha20Poly1305
}

func (k KEMID) String() string {
	switch k {
	case KEMP256HKDFSHA256:
		return "DHKEM(P-256, HKDF-SHA256)"
	case KEMP384HKDFSHA384:
		return "DHKEM(P-384, HKDF-SHA384)"
	case KEMP521HKDFSHA512:
		return "DHKEM(P-521, HKDF-SHA512)"
	case KEMX25519HKDFSHA256:
		return "DHKEM(X25519, HKDF-SHA256)"
	case KEMX448HKDFSHA512:
		return "DHKEM(X448, HKDF-SHA512)"
	case KEMXWing:
		return "X-Wing"
	}
	return fmt.Sprintf("KEM(0x%04x)", uint16(k))
}

func (k KDFID) String() string {
	switch k {
	case KDFHKDFSHA256:
		return "HKDF-SHA256"
	case KDFHKDFSHA384:
		return "HKDF-SHA384"
	case KDFHKDFSHA512:
		return "HKDF-SHA512"
	}
	return fmt.Sprintf("KDF(0x%04x)", uint16(k))
}

func (a AEADID) String() string {
	switch a {
	case AEADAES128GCM:
		return "AES-128-GCM"
	case AEADAES256GCM:
		return "AES-256-GCM"
	case AEADChaCha20Poly1305:
		return "ChaCha20-Poly1305"
	}
	return fmt.Sprintf("AEAD(0x%04x)", uint16(a))
}

// scheme returns circl's implementation of a supported KEM.
func (k KEMID) scheme() kem.Scheme { return hpke.KEM(k).Scheme() }

// PublicKeySize is Npk, the length of an encoded public key; 0 if the KEM is
// not supported.
func (k KEMID) PublicKeySize() int {
	if !k.Supported() {
		return 0
	}
	return k.scheme().PublicKeySize()
}

// EncapsulatedKeySize is Nenc, the length of the encapsulated key that
// follows the header of an encapsulated request.
func (k KEMID) EncapsulatedKeySize() int {
	if !k.Supported() {
		return 0
	}
	return k.scheme().CiphertextSize()
}

// KeySize is Nk, the AEAD key length.
func (a AEADID) KeySize() int {
	if !a.Supported() {
		return 0
	}
	return int(hpke.AEAD(a).KeySize())
}

// NonceSize is Nn, the AEAD nonce length. All three AEADs use 12 bytes.
func (a AEADID) NonceSize() int {
	if !a.Supported() {
		return 0
	}
	return 12
}

// responseNonceSize is max(Nn, Nk) (RFC 9458 §4.2).
func (a AEADID) responseNonceSize() int { return max(a.KeySize(), a.NonceSize()) }

// aeadOverhead is the tag length of every supported AEAD.
const aeadOverhead = 16

// SymmetricSuite is one "HPKE Symmetric Algorithms" entry of a key
// configuration: a KDF and an AEAD the gateway accepts with the key.
type SymmetricSuite struct {
	KDF  KDFID
	AEAD AEADID
}

func (s SymmetricSuite) String() string { return s.KDF.String() + "/" + s.AEAD.String() }

// Suite is a complete HPKE cipher suite.
type Suite struct {
	KEM  KEMID
	KDF  KDFID
	AEAD AEADID
}

func (s Suite) String() string {
	return s.KEM.String() + "/" + s.KDF.String() + "/" + s.AEAD.String()
}

func (s Suite) supported() bool { return s.KEM.Supported() && s.KDF.Supported() && s.AEAD.Supported() }

func (s Suite) circl() hpke.Suite {
	return hpke.NewSuite(hpke.KEM(s.KEM), hpke.KDF(s.KDF), hpke.AEAD(s.AEAD))
}

// AllSuites returns every supported KEM×KDF×AEAD combination in a fixed
// order.
func AllSuites() []Suite {
	var out []Suite
	for _, k := range KEMs {
		for _, f := range KDFs {
			for _, a := range AEADs {
				out = append(out, Suite{k, f, a})
			}
		}
	}
	return out
}
