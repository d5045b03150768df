package ohttp

import (
	"bytes"
	"testing"
)

// FuzzUnmarshalKeys: a key file that loads marshals back to a file that
// loads to the same keys; anything else is refused.
func FuzzUnmarshalKeys(f *testing.F) {
	k, err := GenerateKey(bytes.NewReader(make([]byte, 64)), 1, KEMX25519HKDFSHA256, []SymmetricSuite{{KDFHKDFSHA256, AEADAES128GCM}})
	if err != nil {
		f.Fatal(err)
	}
	b, err := MarshalKeys([]*PrivateKey{k})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"edgelab-ohttp-keys/v1","keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := UnmarshalKeys(data)
		if err != nil {
			return
		}
		out, err := MarshalKeys(keys)
		if err != nil {
			t.Fatalf("loaded keys do not marshal: %v", err)
		}
		again, err := UnmarshalKeys(out)
		if err != nil || len(again) != len(keys) {
			t.Fatalf("round trip: %d keys, %v", len(again), err)
		}
		for i := range keys {
			if !keys[i].Config().Equal(again[i].Config()) {
				t.Fatalf("key %d changed across a round trip", i)
			}
		}
	})
}
