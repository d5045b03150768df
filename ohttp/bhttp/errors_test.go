package bhttp

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

// A valid known-length request prefix: GET https example.com /.
const reqHead = "00 03'GET' 05'https' 0b'example.com' 01'/'"

func TestParseRequestErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "", ErrTruncated},
		{"framing 4", "04", ErrUnknownFraming},
		{"framing 63", "3f", ErrUnknownFraming},
		{"non-minimal framing 4", "40 04", ErrUnknownFraming},
		{"truncated framing varint", "40", ErrTruncated},
		{"known-length response", "01 40 c8", ErrWrongKind},
		{"indeterminate-length response", "03 40 c8", ErrWrongKind},
		{"no control data", "00", ErrTruncated},
		{"truncated method", "00 03'GE'", ErrTruncated},
		{"method length 2^62-1", "00 ff ffffff ffffffff", ErrTruncated},
		{"missing path", "00 03'GET' 05'https' 0b'example.com'", ErrTruncated},
		{"truncated path varint", "00 03'GET' 05'https' 0b'example.com' 40", ErrTruncated},
		{"empty method", "00 00 05'https' 00 01'/'", ErrInvalidControlData},
		{"method with space", "00 04'G ET' 05'https' 00 01'/'", ErrInvalidControlData},
		{"method with NUL", "00 04'GET' 00 05'https' 00 01'/'", ErrInvalidControlData},
		{"scheme starting with digit", "00 03'GET' 05'1http' 00 01'/'", ErrInvalidControlData},
		{"scheme with colon", "00 03'GET' 06'https:' 00 01'/'", ErrInvalidControlData},
		{"authority with slash", "00 03'GET' 05'https' 03'a/b' 01'/'", ErrInvalidControlData},
		{"authority with space", "00 03'GET' 05'https' 03'a b' 01'/'", ErrInvalidControlData},
		{"path with space", "00 03'GET' 05'https' 00 03'/ x'", ErrInvalidControlData},
		{"path with LF", "00 03'GET' 05'https' 00 02'/' 0a", ErrInvalidControlData},
		{"path with non-ASCII", "00 03'GET' 05'https' 00 02'/' c3", ErrInvalidControlData},
		{"empty path with https", "00 03'GET' 05'https' 00 00", ErrInvalidControlData},
		{"empty path with HTTP", "00 03'GET' 04'HTTP' 00 00", ErrInvalidControlData},

		{"header length past end", reqHead + "05 01'a'", ErrTruncated},
		{"header length 2^62-1", reqHead + "ff ffffff ffffffff", ErrTruncated},
		{"field line past section", reqHead + "03 01'a' 05'b' 00 00", ErrTruncated},
		{"field value length missing", reqHead + "02 01'a' 00 00", ErrTruncated},
		{"empty name in known-length", reqHead + "02 00 00 00 00", ErrInvalidFieldName},
		{"pseudo-header", reqHead + "08 05':path' 01'/' 00 00", ErrPseudoHeader},
		{"pseudo-header :status", reqHead + "0a 07':status' 01'1' 00 00", ErrPseudoHeader},
		{"uppercase name", reqHead + "07 04'Host' 01'x' 00 00", ErrInvalidFieldName},
		{"name with space", reqHead + "05 03'a b' 00 00 00", ErrInvalidFieldName},
		{"name with colon", reqHead + "05 03'a:b' 00 00 00", ErrInvalidFieldName},
		{"name with DEL", reqHead + "04 02'a' 7f 00 00 00", ErrInvalidFieldName},
		{"value with CR", reqHead + "05 01'a' 02'x' 0d 00 00", ErrInvalidFieldValue},
		{"value with LF", reqHead + "05 01'a' 02'x' 0a 00 00", ErrInvalidFieldValue},
		{"value with NUL", reqHead + "05 01'a' 02'x' 00 00 00", ErrInvalidFieldValue},
		{"value with leading space", reqHead + "05 01'a' 02' x' 00 00", ErrInvalidFieldValue},
		{"value with trailing tab", reqHead + "05 01'a' 02'x' 09 00 00", ErrInvalidFieldValue},
		{"content length past end", reqHead + "00 05'abc'", ErrTruncated},
		{"content length 2^62-1", reqHead + "00 ff ffffff ffffffff", ErrTruncated},
		{"trailer length past end", reqHead + "00 00 04 01'a'", ErrTruncated},
		{"trailer pseudo-header", reqHead + "00 00 08 05':path' 01'/'", ErrPseudoHeader},
		{"trailer uppercase", reqHead + "00 00 04 01'A' 01'x'", ErrInvalidFieldName},
		{"non-zero padding", reqHead + "00 00 00 00 00 01", ErrNonZeroPadding},
		{"trailing garbage", reqHead + "00 00 00'junk'", ErrNonZeroPadding},

		{"indeterminate: header without terminator", "02 03'GET' 05'https' 00 01'/' 01'a' 01'b'", ErrTruncated},
		{"indeterminate: truncated field name", "02 03'GET' 05'https' 00 01'/' 05'ab'", ErrTruncated},
		{"indeterminate: truncated field value", "02 03'GET' 05'https' 00 01'/' 01'a' 05'b'", ErrTruncated},
		{"indeterminate: missing value length", "02 03'GET' 05'https' 00 01'/' 01'a'", ErrTruncated},
		{"indeterminate: content without terminator", "02 03'GET' 05'https' 00 01'/' 00 03'abc'", ErrTruncated},
		{"indeterminate: chunk past end", "02 03'GET' 05'https' 00 01'/' 00 05'abc'", ErrTruncated},
		{"indeterminate: chunk length 2^62-1", "02 03'GET' 05'https' 00 01'/' 00 ff ffffff ffffffff", ErrTruncated},
		{"indeterminate: trailer without terminator", "02 03'GET' 05'https' 00 01'/' 00 00 01'a' 00", ErrTruncated},
		{"indeterminate: uppercase trailer", "02 03'GET' 05'https' 00 01'/' 00 00 01'A' 00 00", ErrInvalidFieldName},
		{"indeterminate: non-zero padding", "02 03'GET' 05'https' 00 01'/' 00 00 00 00 07", ErrNonZeroPadding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(tc.input)
			r, err := ParseRequest(in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseRequest(%x) = %+v, %v; want %v", in, r, err, tc.want)
			}
			checkParseError(t, err, len(in))
		})
	}
}

func TestParseResponseErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "", ErrTruncated},
		{"framing 5", "05", ErrUnknownFraming},
		{"request", "00 03'GET' 05'https' 00 01'/'", ErrWrongKind},
		{"no status", "01", ErrTruncated},
		{"truncated status", "01 40", ErrTruncated},
		{"status 0", "01 00", ErrInvalidStatus},
		{"status 99", "01 40 63", ErrInvalidStatus},
		{"status 600", "01 42 58", ErrInvalidStatus},
		{"status 2^62-1", "01 ff ffffff ffffffff", ErrInvalidStatus},
		{"informational only", "01 40 64 00", ErrTruncated},
		{"informational without header", "01 40 64", ErrTruncated},
		{"informational header past end", "01 40 67 05 01'a'", ErrTruncated},
		{"informational pseudo-header", "01 40 67 08 05':path' 01'/' 40 c8", ErrPseudoHeader},
		{"informational bad status after", "01 40 67 00 40 5a", ErrInvalidStatus},
		{"indeterminate informational without terminator", "03 40 67 04'link' 01'x'", ErrTruncated},
		{"header pseudo-header", "01 40 c8 0a 07':status' 01'2' 00 00", ErrPseudoHeader},
		{"uppercase header", "01 40 c8 07 04'Date' 01'x' 00 00", ErrInvalidFieldName},
		{"value with LF", "01 40 c8 05 01'a' 02'x' 0a 00 00", ErrInvalidFieldValue},
		{"content past end", "01 40 c8 00 02'a'", ErrTruncated},
		{"non-zero padding", "01 40 c8 00 00 00 00 ff", ErrNonZeroPadding},
		{"indeterminate content without terminator", "03 40 c8 00 01'a'", ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(tc.input)
			r, err := ParseResponse(in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseResponse(%x) = %+v, %v; want %v", in, r, err, tc.want)
			}
			checkParseError(t, err, len(in))
		})
	}
}

// checkParseError checks the error is a *ParseError with a sentinel, an
// offset inside the input, and a message that says where and what.
func checkParseError(t *testing.T, err error, inputLen int) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if !isSentinel(pe.Err) {
		t.Errorf("ParseError.Err = %v, not a sentinel", pe.Err)
	}
	if pe.Offset < 0 || pe.Offset > inputLen {
		t.Errorf("offset %d outside input of %d bytes", pe.Offset, inputLen)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "bhttp: "+pe.Section+" at offset ") || pe.Section == "" {
		t.Errorf("error message %q does not name section and offset", msg)
	}
}

var sentinels = []error{
	ErrTruncated, ErrUnknownFraming, ErrWrongKind, ErrInvalidControlData,
	ErrInvalidStatus, ErrPseudoHeader, ErrInvalidFieldName, ErrInvalidFieldValue,
	ErrNonZeroPadding, ErrNegativePadding, ErrTooLarge,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if err == s {
			return true
		}
	}
	return false
}

func TestParseErrorLocation(t *testing.T) {
	for _, tc := range []struct {
		input string
		want  string
	}{
		{"", "bhttp: framing indicator at offset 0: empty message"},
		{"07", "bhttp: framing indicator at offset 0: framing indicator 7 is not 0-3"},
		// The field line starts after 1+4+6+12+2 = 25 bytes and a 1-byte length.
		{reqHead + "04 01'a' 05'x' 00 00", "bhttp: header section at offset 26: field line runs past the end of the section"},
		{"02 03'GET' 05'https' 00 01'/' 01'a' 05'b'", "bhttp: header section at offset 14: truncated field line"},
		{reqHead + "07 04'Host' 01'x' 00 00", `bhttp: header section at offset 26: field name "Host" has uppercase letter 'H'`},
		{reqHead + "00 ff ffffff ffffffff", "bhttp: content at offset 26: content length 4611686018427387903 exceeds the 0 bytes left"},
		{reqHead + "00 00 00 00 07", "bhttp: padding at offset 29: byte 0x07 after the end of the message"},
		{"01 40 63", "bhttp: control data at offset 1: status 99 is neither informational (100-199) nor final (200-599)"},
	} {
		_, err := ParseRequest(unhex(tc.input))
		if strings.HasPrefix(tc.input, "01") {
			_, err = ParseResponse(unhex(tc.input))
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("parse %q:\n got %v\nwant %s", tc.input, err, tc.want)
		}
	}
}

// A length prefix claiming 2^62-1 bytes must be refused before anything of
// that size is allocated.
func TestHugeLengthDoesNotAllocate(t *testing.T) {
	inputs := [][]byte{
		unhex("00 ff ffffff ffffffff"),
		unhex(reqHead + "ff ffffff ffffffff"),
		unhex(reqHead + "00 ff ffffff ffffffff"),
		unhex("02 03'GET' 05'https' 00 01'/' 00 ff ffffff ffffffff"),
		unhex("02 03'GET' 05'https' 00 01'/' 7f ff ffffff ffffffff"),
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, in := range inputs {
		if _, err := ParseRequest(in); !isErr(err, ErrTruncated) {
			t.Errorf("ParseRequest(%x) = %v, want ErrTruncated", in, err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<16 {
		t.Errorf("parsing %d tiny inputs allocated %d bytes", len(inputs), n)
	}
}

func TestNonMinimalVarintsAccepted(t *testing.T) {
	// The known-length RFC request with every integer stretched to 8 bytes.
	long := func(n int) string {
		return "c0 000000 " + strings.Repeat("0", 6) + " " + string("0123456789abcdef"[n>>4]) + string("0123456789abcdef"[n&15])
	}
	in := unhex(long(0) + long(3) + "'GET'" + long(5) + "'https'" + long(0) + long(1) + "'/'" +
		long(0x12) + long(1) + "'a'" + long(1) + "'b'" + long(0) + long(0))
	r, err := ParseRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "GET" || r.Path != "/" || len(r.Header) != 1 || r.Header[0] != (Field{"a", "b"}) {
		t.Errorf("got %+v", r)
	}
	resp, err := ParseResponse(unhex("40 01 80 0000c8 00"))
	if err != nil || resp.Status != 200 || resp.Framing != KnownLength {
		t.Errorf("ParseResponse with 2- and 4-byte integers = %+v, %v", resp, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	valid := func() *Request {
		return &Request{Method: "GET", Scheme: "https", Authority: "example.com", Path: "/"}
	}
	for _, tc := range []struct {
		name   string
		modify func(*Request)
		want   error
	}{
		{"framing 2", func(r *Request) { r.Framing = 2 }, ErrUnknownFraming},
		{"empty method", func(r *Request) { r.Method = "" }, ErrInvalidControlData},
		{"method with space", func(r *Request) { r.Method = "G T" }, ErrInvalidControlData},
		{"bad scheme", func(r *Request) { r.Scheme = "ht tp" }, ErrInvalidControlData},
		{"bad authority", func(r *Request) { r.Authority = "a\r\nb" }, ErrInvalidControlData},
		{"empty path", func(r *Request) { r.Path = "" }, ErrInvalidControlData},
		{"path with CR", func(r *Request) { r.Path = "/\r" }, ErrInvalidControlData},
		{"empty name", func(r *Request) { r.Header = Fields{{"", "x"}} }, ErrInvalidFieldName},
		{"uppercase name", func(r *Request) { r.Header = Fields{{"Accept", "x"}} }, ErrInvalidFieldName},
		{"pseudo-header", func(r *Request) { r.Header = Fields{{":authority", "x"}} }, ErrPseudoHeader},
		{"trailer pseudo-header", func(r *Request) { r.Trailer = Fields{{":path", "/"}} }, ErrPseudoHeader},
		{"value with LF", func(r *Request) { r.Header = Fields{{"a", "x\ny"}} }, ErrInvalidFieldValue},
		{"trailer value with NUL", func(r *Request) { r.Trailer = Fields{{"a", "\x00"}} }, ErrInvalidFieldValue},
		{"value with trailing space", func(r *Request) { r.Header = Fields{{"a", "x "}} }, ErrInvalidFieldValue},
		{"negative padding", func(r *Request) { r.Padding = -1 }, ErrNegativePadding},
		{"padding overflow", func(r *Request) { r.Padding = math.MaxInt }, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.modify(r)
			if _, err := r.MarshalBinary(); !errors.Is(err, tc.want) {
				t.Errorf("MarshalBinary() error = %v, want %v", err, tc.want)
			}
			prefix := []byte("prefix")
			out, err := r.AppendBinary(prefix)
			if !errors.Is(err, tc.want) || string(out) != "prefix" {
				t.Errorf("AppendBinary() = %q, %v; want prefix unchanged and %v", out, err, tc.want)
			}
			// Padding plays no part in net/http, so only its sign is checked there.
			if _, err := r.HTTPRequest(); tc.want != ErrTooLarge && !errors.Is(err, tc.want) {
				t.Errorf("HTTPRequest() error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeResponseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Response
		want error
	}{
		{"status 0", Response{}, ErrInvalidStatus},
		{"status 199", Response{Status: 199}, ErrInvalidStatus},
		{"status 600", Response{Status: 600}, ErrInvalidStatus},
		{"informational 200", Response{Status: 200, Informational: []InformationalResponse{{Status: 200}}}, ErrInvalidStatus},
		{"informational 99", Response{Status: 200, Informational: []InformationalResponse{{Status: 99}}}, ErrInvalidStatus},
		{"informational pseudo-header", Response{Status: 200, Informational: []InformationalResponse{{Status: 103, Header: Fields{{":status", "103"}}}}}, ErrPseudoHeader},
		{"framing 7", Response{Status: 200, Framing: 7}, ErrUnknownFraming},
		{"uppercase trailer", Response{Status: 200, Trailer: Fields{{"X", "y"}}}, ErrInvalidFieldName},
		{"negative padding", Response{Status: 200, Padding: -5}, ErrNegativePadding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.r.MarshalBinary(); !errors.Is(err, tc.want) {
				t.Errorf("MarshalBinary() error = %v, want %v", err, tc.want)
			}
			if _, err := tc.r.HTTPResponse(); !errors.Is(err, tc.want) {
				t.Errorf("HTTPResponse() error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeErrorMessage(t *testing.T) {
	r := &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{"Accept", "x"}}}
	_, err := r.MarshalBinary()
	want := `bhttp: cannot encode header section: field name "Accept" has uppercase letter 'A'`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
