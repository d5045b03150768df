package ohttp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeyConfig is one key configuration (RFC 9458 §3.1): what a client needs
// to encapsulate a request for a gateway key.
type KeyConfig struct {
	KeyID     uint8
	KEM       KEMID
	PublicKey []byte
	Suites    []SymmetricSuite
}

// Sentinel errors for key configurations. Every decoding error is a
// *KeyConfigError that wraps one of these, so callers can tell what was
// wrong with errors.Is and where with errors.As.
var (
	ErrTruncated        = errors.New("ohttp: truncated")
	ErrTrailingData     = errors.New("ohttp: trailing data")
	ErrEmptyList        = errors.New("ohttp: empty key configuration list")
	ErrUnknownKEM       = errors.New("ohttp: unknown or unsupported KEM")
	ErrUnknownKDF       = errors.New("ohttp: unknown or unsupported KDF")
	ErrUnknownAEAD      = errors.New("ohttp: unknown or unsupported AEAD")
	ErrPublicKeyLength  = errors.New("ohttp: public key has the wrong length for its KEM")
	ErrInvalidPublicKey = errors.New("ohttp: public key is not a valid key for its KEM")
	ErrNoSuites         = errors.New("ohttp: key configuration offers no symmetric algorithms")
	ErrSuitesLength     = errors.New("ohttp: symmetric algorithms length is not a multiple of 4")
	ErrConfigTooLarge   = errors.New("ohttp: key configuration too large for its length prefix")
)

// KeyConfigError says which configuration of a list (Index, -1 for a
// single configuration) failed, at which byte offset of the input, and why.
type KeyConfigError struct {
	Index  int
	Offset int
	Err    error
}

func (e *KeyConfigError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("key configuration: at byte %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("key configuration %d: at byte %d: %v", e.Index, e.Offset, e.Err)
}

func (e *KeyConfigError) Unwrap() error { return e.Err }

// Validate checks what MarshalBinary relies on and a client needs: known
// algorithms, a well-formed public key, at least one suite.
func (c KeyConfig) Validate() error {
	if _, err := c.validate(); err != nil {
		return &KeyConfigError{Index: -1, Err: err}
	}
	return nil
}

func (c KeyConfig) validate() (int, error) {
	if !c.KEM.Supported() {
		return 1, fmt.Errorf("%w: %v", ErrUnknownKEM, c.KEM)
	}
	if n := c.KEM.PublicKeySize(); len(c.PublicKey) != n {
		return 3, fmt.Errorf("%w: %v wants %d bytes, got %d", ErrPublicKeyLength, c.KEM, n, len(c.PublicKey))
	}
	if _, err := c.KEM.scheme().UnmarshalBinaryPublicKey(c.PublicKey); err != nil {
		return 3, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	if len(c.Suites) == 0 {
		return 3 + len(c.PublicKey), ErrNoSuites
	}
	if 4*len(c.Suites) > 65532 {
		return 3 + len(c.PublicKey), ErrConfigTooLarge
	}
	for i, s := range c.Suites {
		off := 5 + len(c.PublicKey) + 4*i
		if !s.KDF.Supported() {
			return off, fmt.Errorf("%w: %v", ErrUnknownKDF, s.KDF)
		}
		if !s.AEAD.Supported() {
			return off + 2, fmt.Errorf("%w: %v", ErrUnknownAEAD, s.AEAD)
		}
	}
	return 0, nil
}

// MarshalBinary encodes c as a single key configuration.
func (c KeyConfig) MarshalBinary() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c.appendTo(make([]byte, 0, c.encodedLen())), nil
}

func (c KeyConfig) encodedLen() int { return 5 + len(c.PublicKey) + 4*len(c.Suites) }

func (c KeyConfig) appendTo(b []byte) []byte {
	b = append(b, c.KeyID)
	b = binary.BigEndian.AppendUint16(b, uint16(c.KEM))
	b = append(b, c.PublicKey...)
	b = binary.BigEndian.AppendUint16(b, uint16(4*len(c.Suites)))
	for _, s := range c.Suites {
		b = binary.BigEndian.AppendUint16(b, uint16(s.KDF))
		b = binary.BigEndian.AppendUint16(b, uint16(s.AEAD))
	}
	return b
}

// ParseKeyConfig decodes exactly one key configuration; bytes after it are
// an error, and so is any algorithm this package does not implement: a
// single configuration that cannot be used is of no use to the caller.
func ParseKeyConfig(b []byte) (KeyConfig, error) {
	c, n, err := parseKeyConfig(b, nil)
	if err != nil {
		return KeyConfig{}, &KeyConfigError{Index: -1, Offset: n, Err: err}
	}
	if n != len(b) {
		return KeyConfig{}, &KeyConfigError{Index: -1, Offset: n, Err: ErrTrailingData}
	}
	return c, nil
}

// UnmarshalBinary decodes exactly one key configuration into c.
func (c *KeyConfig) UnmarshalBinary(b []byte) error {
	d, err := ParseKeyConfig(b)
	if err != nil {
		return err
	}
	*c = d
	return nil
}

// unsupported is the list parser's record of algorithms it passed over in
// one configuration: offsets (within the configuration) and reasons. A nil
// *unsupported makes every unknown algorithm an error.
type unsupported struct {
	offsets []int
	errs    []error
}

func (u *unsupported) skip(off int, err error) bool {
	if u == nil {
		return false
	}
	u.offsets, u.errs = append(u.offsets, off), append(u.errs, err)
	return true
}

// parseKeyConfig decodes one configuration from the front of b and returns
// how many bytes it used, or on error the offset of the problem. The KEM must
// be known before anything else: it alone says how long the public key is.
// With skipped non-nil, an unknown KEM ends the configuration (the caller
// knows its length from the list's prefix) and unknown suites are dropped
// and noted; without it they are errors.
func parseKeyConfig(b []byte, skipped *unsupported) (KeyConfig, int, error) {
	var c KeyConfig
	if len(b) < 3 {
		return c, len(b), ErrTruncated
	}
	c.KeyID = b[0]
	c.KEM = KEMID(binary.BigEndian.Uint16(b[1:3]))
	if !c.KEM.Supported() {
		err := fmt.Errorf("%w: %v", ErrUnknownKEM, c.KEM)
		if skipped.skip(1, err) {
			return c, len(b), nil
		}
		return c, 1, err
	}
	npk := c.KEM.PublicKeySize()
	if len(b) < 3+npk+2 {
		// Either the input was cut short or its public key is shorter
		// than the KEM's; the two cannot be told apart, so say both.
		return c, len(b), fmt.Errorf("%w: %w: %v needs %d bytes of public key, %d bytes remain",
			ErrTruncated, ErrPublicKeyLength, c.KEM, npk, len(b)-3)
	}
	pk := b[3 : 3+npk]
	if _, err := c.KEM.scheme().UnmarshalBinaryPublicKey(pk); err != nil {
		return c, 3, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	off := 3 + npk
	slen := int(binary.BigEndian.Uint16(b[off:]))
	if slen == 0 {
		return c, off, ErrNoSuites
	}
	if slen%4 != 0 {
		return c, off, ErrSuitesLength
	}
	off += 2
	if len(b)-off < slen {
		return c, len(b), ErrTruncated
	}
	c.PublicKey = bytes.Clone(pk)
	c.Suites = make([]SymmetricSuite, 0, slen/4)
	for end := off + slen; off < end; off += 4 {
		s := SymmetricSuite{
			KDF:  KDFID(binary.BigEndian.Uint16(b[off:])),
			AEAD: AEADID(binary.BigEndian.Uint16(b[off+2:])),
		}
		if !s.KDF.Supported() {
			if err := fmt.Errorf("%w: %v", ErrUnknownKDF, s.KDF); !skipped.skip(off, err) {
				return KeyConfig{}, off, err
			}
			continue
		}
		if !s.AEAD.Supported() {
			if err := fmt.Errorf("%w: %v", ErrUnknownAEAD, s.AEAD); !skipped.skip(off+2, err) {
				return KeyConfig{}, off + 2, err
			}
			continue
		}
		c.Suites = append(c.Suites, s)
	}
	return c, off, nil
}

// MarshalKeyConfigs encodes an application/ohttp-keys list (RFC 9458 §3.2):
// each configuration prefixed by its 2-byte length.
func MarshalKeyConfigs(cs []KeyConfig) ([]byte, error) {
	if len(cs) == 0 {
		return nil, &KeyConfigError{Index: -1, Err: ErrEmptyList}
	}
	n := 0
	for i, c := range cs {
		if _, err := c.validate(); err != nil {
			return nil, &KeyConfigError{Index: i, Err: err}
		}
		if c.encodedLen() > 0xffff {
			return nil, &KeyConfigError{Index: i, Err: ErrConfigTooLarge}
		}
		n += 2 + c.encodedLen()
	}
	b := make([]byte, 0, n)
	for _, c := range cs {
		b = binary.BigEndian.AppendUint16(b, uint16(c.encodedLen()))
		b = c.appendTo(b)
	}
	return b, nil
}

// KeyConfigList is a decoded application/ohttp-keys list: the
// configurations this package can use, in list order, and what it passed
// over.
type KeyConfigList struct {
	Configs []KeyConfig
	// Skipped reports each algorithm of a well-encoded configuration that
	// this package does not implement, in list order: a whole
	// configuration (its KEM is unknown, or none of its suites is known;
	// Err wraps ErrUnknownKEM, ErrUnknownKDF or ErrUnknownAEAD) or one
	// suite dropped from a configuration that is kept.
	Skipped []*KeyConfigError
}

// ParseKeyConfigList decodes an application/ohttp-keys list (RFC 9458
// §3.2), keeping the configurations this package can use.
//
// Two kinds of problem are told apart. An encoding error (a length running
// past its end, bytes left over inside an element, a public key of the
// wrong size or not on its curve, an empty or ragged suite list) rejects
// the whole list: RFC 9458 §3.2 has clients discard a badly encoded
// collection rather than salvage parts of it, because clients salvaging
// differently could be told apart by what they then send. A well-encoded
// configuration naming an algorithm we do not implement is no such error:
// the list's length prefixes delimit it exactly, every client skips it the
// same way, and the RFC has clients ignore configurations they do not
// support. Published lists do put a pre-standard KEM (0x0030) before an
// X25519 one, and refusing the list would refuse the gateway. So such a
// configuration, or an unknown suite within one, is skipped and reported
// in Skipped. A list left with no usable configuration is an error
// wrapping ErrNoKeyConfig, returned with Skipped filled in.
func ParseKeyConfigList(b []byte) (KeyConfigList, error) {
	var l KeyConfigList
	if len(b) == 0 {
		return l, &KeyConfigError{Index: -1, Err: ErrEmptyList}
	}
	for off, i := 0, 0; off < len(b); i++ {
		if len(b)-off < 2 {
			return KeyConfigList{}, &KeyConfigError{Index: i, Offset: len(b), Err: ErrTruncated}
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if len(b)-off < n {
			return KeyConfigList{}, &KeyConfigError{Index: i, Offset: len(b), Err: ErrTruncated}
		}
		var skipped unsupported
		c, used, err := parseKeyConfig(b[off:off+n], &skipped)
		if err != nil {
			return KeyConfigList{}, &KeyConfigError{Index: i, Offset: off + used, Err: err}
		}
		if used != n {
			return KeyConfigList{}, &KeyConfigError{Index: i, Offset: off + used, Err: ErrTrailingData}
		}
		for j, e := range skipped.errs {
			l.Skipped = append(l.Skipped, &KeyConfigError{Index: i, Offset: off + skipped.offsets[j], Err: e})
		}
		if c.KEM.Supported() && len(c.Suites) > 0 {
			l.Configs = append(l.Configs, c)
		}
		off += n
	}
	if len(l.Configs) == 0 {
		return l, &KeyConfigError{Index: -1, Err: fmt.Errorf("%w: %d unsupported algorithms skipped, the first: %v",
			ErrNoKeyConfig, len(l.Skipped), l.Skipped[0])}
	}
	return l, nil
}

// ParseKeyConfigs is ParseKeyConfigList without the report of what was
// skipped.
func ParseKeyConfigs(b []byte) ([]KeyConfig, error) {
	l, err := ParseKeyConfigList(b)
	if err != nil {
		return nil, err
	}
	return l.Configs, nil
}

// Equal reports whether c and d are the same configuration, suites in the
// same order.
func (c KeyConfig) Equal(d KeyConfig) bool {
	if c.KeyID != d.KeyID || c.KEM != d.KEM || !bytes.Equal(c.PublicKey, d.PublicKey) || len(c.Suites) != len(d.Suites) {
		return false
	}
	for i := range c.Suites {
		if c.Suites[i] != d.Suites[i] {
			return false
		}
	}
	return true
}

// Offers reports whether c lists the symmetric suite s.
func (c KeyConfig) Offers(s SymmetricSuite) bool {
	for _, t := range c.Suites {
		if t == s {
			return true
		}
	}
	return false
}
