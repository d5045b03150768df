package bhttp

import (
	"bytes"
	"encoding/hex"
	"testing"

	"pgregory.net/rapid"
)

func TestVarint(t *testing.T) {
	for _, tc := range []struct {
		v   uint64
		hex string
	}{
		// RFC 9000 Appendix A.1.
		{151288809941952652, "c2197c5eff14e88c"},
		{494878333, "9d7f3e7d"},
		{15293, "7bbd"},
		{37, "25"},
		// Both sides of every size boundary.
		{0, "00"},
		{63, "3f"},
		{64, "4040"},
		{16383, "7fff"},
		{16384, "80004000"},
		{1<<30 - 1, "bfffffff"},
		{1 << 30, "c000000040000000"},
		{maxVarint, "ffffffffffffffff"},
	} {
		want, _ := hex.DecodeString(tc.hex)
		if got := appendVarint(nil, tc.v); !bytes.Equal(got, want) {
			t.Errorf("appendVarint(%d) = %x, want %s", tc.v, got, tc.hex)
		}
		if n := varintLen(tc.v); n != len(want) {
			t.Errorf("varintLen(%d) = %d, want %d", tc.v, n, len(want))
		}
		if v, n := readVarint(append(want, 0xaa)); v != tc.v || n != len(want) {
			t.Errorf("readVarint(%s) = %d, %d; want %d, %d", tc.hex, v, n, tc.v, len(want))
		}
		if _, n := readVarint(want[:len(want)-1]); n != 0 {
			t.Errorf("readVarint(%x) read %d bytes of a cut-off integer", want[:len(want)-1], n)
		}
	}
	// RFC 9000 Appendix A.1: 0x4025 is a longer-than-needed 37, and valid.
	if v, n := readVarint([]byte{0x40, 0x25}); v != 37 || n != 2 {
		t.Errorf("readVarint(4025) = %d, %d; want 37, 2", v, n)
	}
}

func TestVarintRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.Uint64Max(maxVarint).Draw(t, "v")
		enc := appendVarint(nil, v)
		if got, n := readVarint(enc); got != v || n != len(enc) || n != varintLen(v) {
			t.Fatalf("%d encodes to %x, which decodes to %d in %d bytes", v, enc, got, n)
		}
	})
}
