package ohttp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/kem"
)

// PrivateKey is a gateway key: the private half and the configuration that
// publishes the public half.
type PrivateKey struct {
	config KeyConfig
	sk     kem.PrivateKey
}

// ErrNoRandom is returned where randomness is needed but no reader was
// injected. The package never falls back to crypto/rand on its own: all
// randomness comes from the caller so runs can be replayed.
var ErrNoRandom = errors.New("ohttp: no source of randomness")

// ErrInvalidPrivateKey wraps errors decoding a private key.
var ErrInvalidPrivateKey = errors.New("ohttp: invalid private key")

// GenerateKey makes a key pair for kem from rand and wraps it in a key
// configuration with the given ID and suites. It reads the KEM's seed size
// from rand and derives the pair with the KEM's DeriveKeyPair (RFC 9180
// §7.1.3), so the same reader bytes always give the same key.
func GenerateKey(rand io.Reader, keyID uint8, kemID KEMID, suites []SymmetricSuite) (*PrivateKey, error) {
	if rand == nil {
		return nil, ErrNoRandom
	}
	if !kemID.Supported() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownKEM, kemID)
	}
	s := kemID.scheme()
	seed := make([]byte, s.SeedSize())
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("ohttp: reading key seed: %w", err)
	}
	pk, sk := s.DeriveKeyPair(seed)
	return newPrivateKey(keyID, kemID, suites, sk, pk)
}

// NewPrivateKey wraps an existing private key, in the KEM's
// SerializePrivateKey form (RFC 9180 §7.1.2), as a gateway key.
func NewPrivateKey(keyID uint8, kemID KEMID, suites []SymmetricSuite, private []byte) (*PrivateKey, error) {
	if !kemID.Supported() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownKEM, kemID)
	}
	sk, err := kemID.scheme().UnmarshalBinaryPrivateKey(private)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %v", ErrInvalidPrivateKey, kemID, err)
	}
	return newPrivateKey(keyID, kemID, suites, sk, sk.Public())
}

func newPrivateKey(keyID uint8, kemID KEMID, suites []SymmetricSuite, sk kem.PrivateKey, pk kem.PublicKey) (*PrivateKey, error) {
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPrivateKey, err)
	}
	c := KeyConfig{KeyID: keyID, KEM: kemID, PublicKey: pkb, Suites: append([]SymmetricSuite(nil), suites...)}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &PrivateKey{config: c, sk: sk}, nil
}

// Config returns the key configuration to publish for k.
func (k *PrivateKey) Config() KeyConfig {
	c := k.config
	c.PublicKey = bytes.Clone(c.PublicKey)
	c.Suites = append([]SymmetricSuite(nil), c.Suites...)
	return c
}

// KeyID is the configuration's key identifier.
func (k *PrivateKey) KeyID() uint8 { return k.config.KeyID }

// keyFileFormat names the file format so a file of another kind or version
// is refused rather than misread.
const keyFileFormat = "edgelab-ohttp-keys/v1"

// keyFile is the on-disk form written by MarshalKeys:
//
//	{
//	  "format": "edgelab-ohttp-keys/v1",
//	  "keys": [
//	    {"key_id": 1, "kem": 32, "suites": [{"kdf": 1, "aead": 1}],
//	     "private_key": "<hex SerializePrivateKey>", "public_key": "<hex>"}
//	  ]
//	}
//
// Identifiers are the IANA HPKE codepoints in decimal. The public key is
// stored as well as the private one so that loading can check the pair
// matches: a file edited by hand or cut short fails loudly. The first key in
// the list is the one a keyring publishes as current. The file holds
// secrets; callers write it with mode 0600.
type keyFile struct {
	Format string        `json:"format"`
	Keys   []keyFileItem `json:"keys"`
}

type keyFileItem struct {
	KeyID      uint8          `json:"key_id"`
	KEM        KEMID          `json:"kem"`
	Suites     []keyFileSuite `json:"suites"`
	PrivateKey string         `json:"private_key"`
	PublicKey  string         `json:"public_key"`
}

type keyFileSuite struct {
	KDF  KDFID  `json:"kdf"`
	AEAD AEADID `json:"aead"`
}

// ErrKeyFile wraps every error loading a key file.
var ErrKeyFile = errors.New("ohttp: bad key file")

// MarshalKeys encodes keys in the key file format described at keyFile.
func MarshalKeys(keys []*PrivateKey) ([]byte, error) {
	f := keyFile{Format: keyFileFormat}
	for _, k := range keys {
		raw, err := k.sk.MarshalBinary()
		if err != nil {
			return nil, err
		}
		it := keyFileItem{
			KeyID:      k.config.KeyID,
			KEM:        k.config.KEM,
			PrivateKey: hex.EncodeToString(raw),
			PublicKey:  hex.EncodeToString(k.config.PublicKey),
		}
		for _, s := range k.config.Suites {
			it.Suites = append(it.Suites, keyFileSuite(s))
		}
		f.Keys = append(f.Keys, it)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// UnmarshalKeys decodes a key file written by MarshalKeys.
func UnmarshalKeys(b []byte) ([]*PrivateKey, error) {
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if f.Format != keyFileFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrKeyFile, f.Format, keyFileFormat)
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrKeyFile)
	}
	seen := map[uint8]bool{}
	var out []*PrivateKey
	for i, it := range f.Keys {
		if seen[it.KeyID] {
			return nil, fmt.Errorf("%w: key %d: duplicate key id %d", ErrKeyFile, i, it.KeyID)
		}
		seen[it.KeyID] = true
		raw, err := hex.DecodeString(it.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: private_key: %v", ErrKeyFile, i, err)
		}
		pub, err := hex.DecodeString(it.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: public_key: %v", ErrKeyFile, i, err)
		}
		var suites []SymmetricSuite
		for _, s := range it.Suites {
			suites = append(suites, SymmetricSuite(s))
		}
		k, err := NewPrivateKey(it.KeyID, it.KEM, suites, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrKeyFile, i, err)
		}
		if !bytes.Equal(k.config.PublicKey, pub) {
			return nil, fmt.Errorf("%w: key %d: public_key does not match private_key", ErrKeyFile, i)
		}
		out = append(out, k)
	}
	return out, nil
}
