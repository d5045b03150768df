package bhttp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// equateEmpty makes nil and empty slices equal, because a decoded message
// has nil where a hand-built one may have an empty slice.
var equateEmpty = cmpopts.EquateEmpty()

// readHex reads a testdata .hex file: hex digits, whitespace, and '#'
// comment lines.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(text)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// vector is the expected decoding of a .hex file, kept in a .json file
// beside it; fields are [name, value] pairs and content is text, so both
// can be checked by eye against the RFC.
type vector struct {
	Framing       string
	Method        string
	Scheme        string
	Authority     string
	Path          string
	Informational []struct {
		Status int
		Header [][2]string
	}
	Status  int
	Header  [][2]string
	Content string
	Trailer [][2]string
	Padding int
}

func readVector(t testing.TB, name string) vector {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func pairs(ps [][2]string) Fields {
	var fs Fields
	for _, p := range ps {
		fs = append(fs, Field{Name: p[0], Value: p[1]})
	}
	return fs
}

func (v vector) framing(t testing.TB) Framing {
	switch v.Framing {
	case "known-length":
		return KnownLength
	case "indeterminate-length":
		return IndeterminateLength
	}
	t.Fatalf("unknown framing %q", v.Framing)
	return 0
}

func (v vector) request(t testing.TB) *Request {
	return &Request{
		Framing: v.framing(t),
		Method:  v.Method, Scheme: v.Scheme, Authority: v.Authority, Path: v.Path,
		Header:  pairs(v.Header),
		Content: []byte(v.Content),
		Trailer: pairs(v.Trailer),
		Padding: v.Padding,
	}
}

func (v vector) response(t testing.TB) *Response {
	r := &Response{
		Framing: v.framing(t),
		Status:  v.Status,
		Header:  pairs(v.Header),
		Content: []byte(v.Content),
		Trailer: pairs(v.Trailer),
		Padding: v.Padding,
	}
	for _, info := range v.Informational {
		r.Informational = append(r.Informational, InformationalResponse{Status: info.Status, Header: pairs(info.Header)})
	}
	return r
}

var (
	requestVectors  = []string{"rfc9292-request-known-length", "rfc9292-request-indeterminate-length"}
	responseVectors = []string{"rfc9292-response-indeterminate-length", "rfc9292-response-known-length"}
)

func TestRFCRequestVectors(t *testing.T) {
	for _, name := range requestVectors {
		t.Run(name, func(t *testing.T) {
			wire := readHex(t, name+".hex")
			want := readVector(t, name+".json").request(t)
			got, err := ParseRequest(wire)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("ParseRequest mismatch (-want +got):\n%s", diff)
			}
			enc, err := want.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, wire) {
				t.Errorf("MarshalBinary:\n got %x\nwant %x", enc, wire)
			}
		})
	}
}

func TestRFCResponseVectors(t *testing.T) {
	for _, name := range responseVectors {
		t.Run(name, func(t *testing.T) {
			wire := readHex(t, name+".hex")
			want := readVector(t, name+".json").response(t)
			got, err := ParseResponse(wire)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("ParseResponse mismatch (-want +got):\n%s", diff)
			}
			enc, err := want.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, wire) {
				t.Errorf("MarshalBinary:\n got %x\nwant %x", enc, wire)
			}
		})
	}
}

// RFC 9292 §5.1: the known-length example's last two bytes (empty content
// and trailer) can each be removed, and up to 12 bytes of the
// indeterminate-length example (its 10 bytes of padding and the same two
// sections), without changing the message.
func TestRFCTruncationClaims(t *testing.T) {
	for _, tc := range []struct {
		name      string
		removable int
	}{
		{"rfc9292-request-known-length", 2},
		{"rfc9292-request-indeterminate-length", 12},
	} {
		wire := readHex(t, tc.name+".hex")
		want := readVector(t, tc.name+".json").request(t)
		for cut := 1; cut <= tc.removable; cut++ {
			got, err := ParseRequest(wire[:len(wire)-cut])
			if err != nil {
				t.Fatalf("%s without its last %d bytes: %v", tc.name, cut, err)
			}
			want.Padding = max(0, tc.removable-2-cut)
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("%s without its last %d bytes (-want +got):\n%s", tc.name, cut, diff)
			}
		}
		// One byte more cuts into the header section.
		_, err := ParseRequest(wire[:len(wire)-tc.removable-1])
		if !isErr(err, ErrTruncated) {
			t.Errorf("%s without its last %d bytes: got %v, want ErrTruncated", tc.name, tc.removable+1, err)
		}
	}
}
