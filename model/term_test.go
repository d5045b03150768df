package model

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestTermString(t *testing.T) {
	tests := []struct {
		term Term
		want string
	}{
		{NewFresh("k"), "~k"},
		{NewPub("A"), "$A"},
		{NewConst("ohttp"), "'ohttp'"},
		{Apply("senc", NewFresh("m"), NewFresh("k")), "senc(~m, ~k)"},
		{Pair(NewPub("A"), NewFresh("x"), NewConst("c")), "<$A, ~x, 'c'>"},
		{Apply("h"), "h()"},
		{Pair(Pair(NewPub("A"), NewPub("B")), NewPub("C")), "<<$A, $B>, $C>"},
	}
	for _, tt := range tests {
		if got := tt.term.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestTermEqualAndDigest(t *testing.T) {
	a := NewFresh("req").WithDigest([]byte("one"))
	b := NewFresh("req").WithDigest([]byte("two"))
	if a.Equal(b) {
		t.Error("terms with different digests compare equal")
	}
	if !a.Equal(NewFresh("req").WithDigest([]byte("one"))) {
		t.Error("identical terms compare unequal")
	}
	if a.Digest != sha256Hex([]byte("one")) {
		t.Errorf("digest = %s, want sha256 hex", a.Digest)
	}
	if Apply("f", NewPub("x")).Equal(Apply("f", NewPub("y"))) {
		t.Error("different arguments compare equal")
	}
}
