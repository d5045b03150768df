package bhttp

import (
	"bytes"
	"encoding"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are the RFC vectors plus a few shapes the vectors lack, so the
// fuzzer starts from every framing and from the error paths.
func fuzzSeeds(f *testing.F, vectors []string, extra ...string) {
	for _, name := range vectors {
		wire := readHex(f, name+".hex")
		f.Add(wire)
		f.Add(wire[:len(wire)-1])
	}
	for _, s := range extra {
		f.Add(unhex(s))
	}
}

func FuzzParseRequest(f *testing.F) {
	fuzzSeeds(f, requestVectors,
		"",
		reqHead,
		reqHead+"00 03'abc' 04 01'a' 01'b' 00 00 00",
		"02 04'POST' 05'https' 0b'example.com' 01'/' 01'a' 00 00 02'xy' 01'z' 00 01't' 01'v' 00",
		"40 02 40 03'GET' 05'https' 00 01'/' 00",
	)
	f.Fuzz(func(t *testing.T, b []byte) { checkReencode(t, b, ParseRequest) })
}

func FuzzParseResponse(f *testing.F) {
	fuzzSeeds(f, responseVectors,
		"",
		"01 40 c8",
		"01 40 64 00 40 67 06 04'link' 00 40 c8 00 01'x' 00 00 00",
		"03 40 67 01'a' 00 00 41 f4 01'b' 01'c' 00 01'x' 02'yz' 00 01't' 00 00 00",
		"01 40 65 00 40 c8",
	)
	f.Fuzz(func(t *testing.T, b []byte) { checkReencode(t, b, ParseResponse) })
}

// checkReencode parses b. What does not parse must fail with a
// well-formed *ParseError; what parses must re-encode, at most 8 times
// longer plus 16 bytes, to bytes that parse to the same message and encode
// the same again.
func checkReencode[M encoding.BinaryMarshaler](t *testing.T, b []byte, parse func([]byte) (M, error)) {
	t.Helper()
	r, err := parse(b)
	if err != nil {
		checkFuzzError(t, err, len(b))
		return
	}
	enc, err := r.MarshalBinary()
	if err != nil {
		t.Fatalf("decoded %+v but cannot encode it: %v", r, err)
	}
	r2, err := parse(enc)
	if err != nil {
		t.Fatalf("re-encoding %x does not parse: %v", enc, err)
	}
	if diff := cmp.Diff(r, r2); diff != "" {
		t.Fatalf("re-parse differs (-first +second):\n%s", diff)
	}
	if enc2, _ := r2.MarshalBinary(); !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding is not stable:\n%x\n%x", enc, enc2)
	}
	if len(enc) > 8*len(b)+16 {
		t.Fatalf("%d input bytes re-encode to %d", len(b), len(enc))
	}
}

func checkFuzzError(t *testing.T, err error, inputLen int) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || !isSentinel(pe.Err) {
		t.Fatalf("error %v (%T) is not a *ParseError with a sentinel", err, err)
	}
	if pe.Offset < 0 || pe.Offset > inputLen {
		t.Fatalf("error offset %d outside input of %d bytes: %v", pe.Offset, inputLen, err)
	}
}
