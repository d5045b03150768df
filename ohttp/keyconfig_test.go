package ohttp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// rfcConfig is RFC 9458 Appendix A's key configuration.
var rfcConfig = mustHex("01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003")

func TestParseKeyConfigRFC(t *testing.T) {
	c, err := ParseKeyConfig(rfcConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyID != 1 || c.KEM != KEMX25519HKDFSHA256 || len(c.PublicKey) != 32 {
		t.Fatalf("parsed %+v", c)
	}
	want := []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}, {KDFHKDFSHA256, AEADChaCha20Poly1305}}
	if len(c.Suites) != 2 || c.Suites[0] != want[0] || c.Suites[1] != want[1] {
		t.Fatalf("suites %v, want %v", c.Suites, want)
	}
	b, err := c.MarshalBinary()
	if err != nil || !bytes.Equal(b, rfcConfig) {
		t.Fatalf("re-encoded %x, %v", b, err)
	}
}

func TestKeyConfigListRoundTrip(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	var cs []KeyConfig
	for i, k := range KEMs {
		key, err := GenerateKey(rng, uint8(i), k, []SymmetricSuite{{KDFHKDFSHA384, AEADAES256GCM}, {KDFHKDFSHA512, AEADChaCha20Poly1305}})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, key.Config())
	}
	b, err := MarshalKeyConfigs(cs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKeyConfigs(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cs) {
		t.Fatalf("%d configs, want %d", len(got), len(cs))
	}
	for i := range cs {
		if !got[i].Equal(cs[i]) {
			t.Fatalf("config %d differs", i)
		}
	}
}

// TestParseKeyConfigErrors checks each way a configuration can be wrong
// gives its own typed error, and that one bad configuration rejects the
// whole list.
func TestParseKeyConfigErrors(t *testing.T) {
	good := rfcConfig
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	p256 := func() []byte { // a P-256 config whose key is 65 bytes
		key, _ := GenerateKey(rand.NewChaCha8([32]byte{2}), 9, KEMP256HKDFSHA256, []SymmetricSuite{{1, 1}})
		b, _ := key.Config().MarshalBinary()
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"header only", good[:3], ErrTruncated},
		{"unknown KEM", with(func(b []byte) []byte { b[2] = 0x99; return b }), ErrUnknownKEM},
		{"short public key", good[:20], ErrTruncated},
		{"public key too short for its KEM (X25519 key under P-256)", with(func(b []byte) []byte { b[2] = 0x10; return b }), ErrPublicKeyLength},
		{"invalid P-256 point", func() []byte { b := p256(); b[3] = 0x05; return b }(), ErrInvalidPublicKey},
		{"no suites", append(bytes.Clone(good[:35]), 0, 0), ErrNoSuites},
		{"suites length not a multiple of 4", append(bytes.Clone(good[:35]), 0, 3, 0, 1, 0), ErrSuitesLength},
		{"suites truncated", good[:len(good)-1], ErrTruncated},
		{"unknown KDF", with(func(b []byte) []byte { b[38] = 9; return b }), ErrUnknownKDF},
		{"unknown AEAD", with(func(b []byte) []byte { b[40] = 0xff; b[39] = 0xff; return b }), ErrUnknownAEAD},
		{"trailing byte", append(bytes.Clone(good), 0), ErrTrailingData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseKeyConfig(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("ParseKeyConfig: %v, want %v", err, c.want)
			}
			var kce *KeyConfigError
			if !errors.As(err, &kce) {
				t.Fatalf("%T is not a *KeyConfigError", err)
			}
			// The same configuration as the second element of a list:
			// an encoding error rejects the whole list, naming element
			// 1; an algorithm we lack only skips what names it, and
			// the report says so.
			list := append([]byte{0, byte(len(good))}, good...)
			list = append(list, byte(len(c.in)>>8), byte(len(c.in)))
			list = append(list, c.in...)
			l, err := ParseKeyConfigList(list)
			if unsupportedAlgorithm(c.want) {
				if err != nil || len(l.Skipped) != 1 || l.Skipped[0].Index != 1 || !errors.Is(l.Skipped[0], c.want) {
					t.Fatalf("list with an unsupported algorithm in element 1: %v, skipped %v", err, l.Skipped)
				}
				for _, k := range l.Configs {
					if k.Validate() != nil {
						t.Fatalf("kept configuration %v does not validate", k)
					}
				}
				return
			}
			if l.Configs != nil || err == nil {
				t.Fatalf("ParseKeyConfigList accepted a list with a bad element: %v", l.Configs)
			}
			if !errors.As(err, &kce) || kce.Index != 1 {
				t.Fatalf("list error %v does not name element 1", err)
			}
		})
	}
}

func TestParseKeyConfigsFraming(t *testing.T) {
	one := append([]byte{0, byte(len(rfcConfig))}, rfcConfig...)
	for name, in := range map[string][]byte{
		"empty":               nil,
		"half a length":       {0},
		"length past the end": one[:len(one)-1],
		"length short of config (trailing inside element)": append([]byte{0, byte(len(rfcConfig) + 1)}, append(bytes.Clone(rfcConfig), 0)...),
		"dangling byte after a good element":               append(bytes.Clone(one), 0),
	} {
		if cs, err := ParseKeyConfigs(in); err == nil {
			t.Errorf("%s: accepted %v", name, cs)
		}
	}
	if cs, err := ParseKeyConfigs(append(bytes.Clone(one), one...)); err != nil || len(cs) != 2 {
		t.Fatalf("two good elements: %v, %v", cs, err)
	}
}

func TestMarshalKeyConfigRejectsInvalid(t *testing.T) {
	c, _ := ParseKeyConfig(rfcConfig)
	bad := []struct {
		name string
		mod  func(*KeyConfig)
		want error
	}{
		{"unknown KEM", func(c *KeyConfig) { c.KEM = 0x41 }, ErrUnknownKEM},
		{"wrong key length", func(c *KeyConfig) { c.PublicKey = c.PublicKey[:31] }, ErrPublicKeyLength},
		{"no suites", func(c *KeyConfig) { c.Suites = nil }, ErrNoSuites},
		{"unknown AEAD", func(c *KeyConfig) { c.Suites = []SymmetricSuite{{1, 0xffff}} }, ErrUnknownAEAD},
	}
	for _, b := range bad {
		d := c
		d.PublicKey = bytes.Clone(c.PublicKey)
		b.mod(&d)
		if _, err := d.MarshalBinary(); !errors.Is(err, b.want) {
			t.Errorf("%s: %v, want %v", b.name, err, b.want)
		}
		if _, err := MarshalKeyConfigs([]KeyConfig{c, d}); !errors.Is(err, b.want) {
			t.Errorf("%s in a list: %v, want %v", b.name, err, b.want)
		}
	}
}

func TestGenerateKeyDeterministic(t *testing.T) {
	for _, k := range KEMs {
		a, err := GenerateKey(rand.NewChaCha8([32]byte{3}), 1, k, []SymmetricSuite{{1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := GenerateKey(rand.NewChaCha8([32]byte{3}), 1, k, []SymmetricSuite{{1, 1}})
		c, _ := GenerateKey(rand.NewChaCha8([32]byte{4}), 1, k, []SymmetricSuite{{1, 1}})
		if !a.Config().Equal(b.Config()) {
			t.Errorf("%v: same reader, different keys", k)
		}
		if a.Config().Equal(c.Config()) {
			t.Errorf("%v: different readers, same key", k)
		}
	}
	if _, err := GenerateKey(nil, 1, KEMX25519HKDFSHA256, []SymmetricSuite{{1, 1}}); !errors.Is(err, ErrNoRandom) {
		t.Fatalf("nil reader: %v", err)
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{5})
	var keys []*PrivateKey
	for i, k := range KEMs {
		key, err := GenerateKey(rng, uint8(10+i), k, []SymmetricSuite{{1, 1}, {3, 3}})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	b, err := MarshalKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if !got[i].Config().Equal(keys[i].Config()) {
			t.Fatalf("key %d differs after the file round trip", i)
		}
		// The loaded key opens what the original's config seals.
		ereq, _, err := EncapsulateRequest(rng, keys[i].Config(), SymmetricSuite{3, 3}, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := DecapsulateRequest(got[i], ereq); err != nil {
			t.Fatalf("loaded key %d: %v", i, err)
		}
	}
	// A public key that does not match the private key is refused.
	tampered := bytes.Replace(b, []byte(hex.EncodeToString(keys[0].config.PublicKey[:4])), []byte("00000000"), 1)
	if _, err := UnmarshalKeys(tampered); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("mismatched public key: %v", err)
	}
	for name, in := range map[string]string{
		"not JSON":       "nope",
		"other format":   `{"format":"x","keys":[]}`,
		"no keys":        `{"format":"edgelab-ohttp-keys/v1","keys":[]}`,
		"unknown field":  `{"format":"edgelab-ohttp-keys/v1","keys":[],"x":1}`,
		"bad hex":        `{"format":"edgelab-ohttp-keys/v1","keys":[{"key_id":1,"kem":32,"suites":[{"kdf":1,"aead":1}],"private_key":"zz","public_key":""}]}`,
		"short key":      `{"format":"edgelab-ohttp-keys/v1","keys":[{"key_id":1,"kem":32,"suites":[{"kdf":1,"aead":1}],"private_key":"00","public_key":""}]}`,
		"duplicate ids":  `{"format":"edgelab-ohttp-keys/v1","keys":[{"key_id":1,"kem":32},{"key_id":1,"kem":32}]}`,
		"unknown kem id": `{"format":"edgelab-ohttp-keys/v1","keys":[{"key_id":1,"kem":7,"suites":[{"kdf":1,"aead":1}],"private_key":"00","public_key":""}]}`,
	} {
		if _, err := UnmarshalKeys([]byte(in)); !errors.Is(err, ErrKeyFile) {
			t.Errorf("%s: %v, want ErrKeyFile", name, err)
		}
	}
}

func unsupportedAlgorithm(err error) bool {
	return errors.Is(err, ErrUnknownKEM) || errors.Is(err, ErrUnknownKDF) || errors.Is(err, ErrUnknownAEAD)
}

// A published list whose first configuration uses the pre-standard KEM
// 0x0030 and whose second is X25519: the first is skipped and reported,
// the second used.
func TestParseKeyConfigListSkipsUnknownKEM(t *testing.T) {
	x25519, err := ParseKeyConfig(rfcConfig)
	if err != nil {
		t.Fatal(err)
	}
	// KEM 0x0030 with a 65-byte key and one suite: well encoded, but of
	// a KEM whose key size this package does not know.
	pre := []byte{0x07, 0x00, 0x30}
	pre = append(pre, bytes.Repeat([]byte{0x04}, 65)...)
	pre = append(pre, 0, 4, 0, 1, 0, 1)
	list := append([]byte{byte(len(pre) >> 8), byte(len(pre))}, pre...)
	list = append(list, 0, byte(len(rfcConfig)))
	list = append(list, rfcConfig...)

	l, err := ParseKeyConfigList(list)
	if err != nil {
		t.Fatalf("ParseKeyConfigList: %v", err)
	}
	if len(l.Configs) != 1 || !l.Configs[0].Equal(x25519) {
		t.Fatalf("configs %v, want the X25519 one", l.Configs)
	}
	if len(l.Skipped) != 1 || l.Skipped[0].Index != 0 || l.Skipped[0].Offset != 3 || !errors.Is(l.Skipped[0], ErrUnknownKEM) {
		t.Fatalf("skipped %v, want configuration 0 for its KEM", l.Skipped)
	}
	if !strings.Contains(l.Skipped[0].Error(), "0x0030") {
		t.Fatalf("report %q does not name the KEM", l.Skipped[0])
	}
	if cs, err := ParseKeyConfigs(list); err != nil || len(cs) != 1 {
		t.Fatalf("ParseKeyConfigs: %v, %v", cs, err)
	}

	// The unsupported entry alone leaves nothing to use.
	alone := list[:2+len(pre)]
	l, err = ParseKeyConfigList(alone)
	if !errors.Is(err, ErrNoKeyConfig) || len(l.Skipped) != 1 {
		t.Fatalf("list of only KEM 0x0030: %v, skipped %v", err, l.Skipped)
	}

	// Its length prefix one byte short is an encoding error, and that
	// still rejects the whole list.
	bad := bytes.Clone(list)
	bad[1]--
	if _, err := ParseKeyConfigList(bad); err == nil {
		t.Fatal("a list with a misframed unsupported entry was accepted")
	}
}
