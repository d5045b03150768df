package sim

import (
	"bytes"
	"testing"
)

// FuzzParseSegment: a stream port parses whatever datagram arrives.
func FuzzParseSegment(f *testing.F) {
	f.Add(encodeSegment(flagSYN, 1, 0, 65535, nil))
	f.Add(encodeSegment(flagACK, 9, 3, 1024, []byte("hello")))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSegment(b)
		if err != nil {
			return
		}
		if again := encodeSegment(s.flags, s.seq, s.ack, s.wnd, s.data); !bytes.Equal(again, b) {
			t.Fatalf("segment does not re-encode to its bytes: %x vs %x", again, b)
		}
	})
}
