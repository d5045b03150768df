package bhttp

import (
	"bytes"
	"encoding"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestRequestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkRoundTrip(t, genRequest(true).Draw(t, "request"), ParseRequest)
	})
}

func TestResponseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkRoundTrip(t, genResponse(true).Draw(t, "response"), ParseResponse)
	})
}

// checkRoundTrip encodes want, parses it back, and checks that
// AppendBinary writes the same encoding after a prefix it leaves alone.
func checkRoundTrip[M interface {
	encoding.BinaryMarshaler
	encoding.BinaryAppender
}](t *rapid.T, want M, parse func([]byte) (M, error)) {
	enc, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(enc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	prefix := []byte{0xff, 0xee}
	app, err := want.AppendBinary(prefix)
	if err != nil || !bytes.Equal(app[:2], prefix) || !bytes.Equal(app[2:], enc) {
		t.Fatalf("AppendBinary(prefix) = %x, %v; want prefix then %x", app, err, enc)
	}
}

func TestRequestTruncation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		full := genRequest(false).Draw(t, "request")
		checkPrefixes(t, full, ParseRequest, func(level, padding int) *Request {
			r := *full
			empty(&r.Header, &r.Content, &r.Trailer, level)
			r.Padding = padding
			return &r
		})
	})
}

func TestResponseTruncation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		full := genResponse(false).Draw(t, "response")
		checkPrefixes(t, full, ParseResponse, func(level, padding int) *Response {
			r := *full
			empty(&r.Header, &r.Content, &r.Trailer, level)
			r.Padding = padding
			return &r
		})
	})
}

// checkPrefixes parses every proper prefix of full's encoding. RFC 9292
// §3.8 fixes what each must give: a cut where the trailer, the content, or
// the header section would start leaves those sections (and the ones after)
// empty; a cut inside the padding leaves less padding; any other cut is
// ErrTruncated. shorten(level, padding) is full with its last level
// sections emptied and the given padding.
func checkPrefixes[M interface{ MarshalBinary() ([]byte, error) }](
	t *rapid.T, full M, parse func([]byte) (M, error), shorten func(level, padding int) M,
) {
	enc := mustMarshal(t, full)
	unpadded := len(mustMarshal(t, shorten(0, 0)))
	want := map[int]M{}
	for level := 3; level >= 1; level-- {
		// Each emptied section still costs one byte, a zero length or a
		// terminator, which the cut leaves out.
		want[len(mustMarshal(t, shorten(level, 0)))-level] = shorten(level, 0)
	}
	for cut := unpadded; cut < len(enc); cut++ {
		want[cut] = shorten(0, cut-unpadded)
	}
	for cut := range len(enc) {
		got, err := parse(enc[:cut])
		w, ok := want[cut]
		switch {
		case ok && err != nil:
			t.Fatalf("prefix of %d/%d bytes ends at a section boundary but fails: %v", cut, len(enc), err)
		case ok && !cmp.Equal(w, got, equateEmpty):
			t.Fatalf("prefix of %d/%d bytes (-want +got):\n%s", cut, len(enc), cmp.Diff(w, got, equateEmpty))
		case !ok && !errors.Is(err, ErrTruncated):
			t.Fatalf("prefix of %d/%d bytes: got %+v, %v; want ErrTruncated", cut, len(enc), got, err)
		}
	}
}

func mustMarshal(t *rapid.T, m interface{ MarshalBinary() ([]byte, error) }) []byte {
	enc, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// empty clears the last level sections: the trailer, then the content,
// then the header.
func empty(header *Fields, content *[]byte, trailer *Fields, level int) {
	if level >= 1 {
		*trailer = nil
	}
	if level >= 2 {
		*content = nil
	}
	if level >= 3 {
		*header = nil
	}
}

// bhttp → net/http → bhttp keeps everything but field order across names
// (net/http keeps fields in a map) and framing and padding.
func TestRequestThroughNetHTTP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		orig := genHTTPRequest().Draw(t, "request")
		hr, err := orig.HTTPRequest()
		if err != nil {
			t.Fatal(err)
		}
		if hr.Host != orig.Authority || hr.URL.Host != orig.Authority || hr.URL.RequestURI() != orig.Path {
			t.Fatalf("HTTPRequest: Host %q, URL %v; from authority %q, path %q", hr.Host, hr.URL, orig.Authority, orig.Path)
		}
		back, err := FromHTTPRequest(hr)
		if err != nil {
			t.Fatal(err)
		}
		want := *orig
		want.Header, want.Trailer = sortedByName(orig.Header), sortedByName(orig.Trailer)
		if diff := cmp.Diff(&want, back, equateEmpty); diff != "" {
			t.Fatalf("through net/http (-want +got):\n%s", diff)
		}
		// The body FromHTTPRequest read was put back.
		if body, err := io.ReadAll(hr.Body); err != nil || !bytes.Equal(body, orig.Content) {
			t.Fatalf("body after FromHTTPRequest = %q, %v; want %q", body, err, orig.Content)
		}
	})
}

// net/http → bhttp → net/http keeps method, URL, header, body and trailer.
func TestNetHTTPRequestThroughBHTTP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genHTTPRequest().Draw(t, "parts")
		orig, err := http.NewRequest(g.Method, g.Scheme+"://"+g.Authority+g.Path, bytes.NewReader(g.Content))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range g.Header {
			orig.Header.Add(f.Name, f.Value)
		}
		if len(g.Trailer) > 0 {
			orig.Trailer = http.Header{}
			for _, f := range g.Trailer {
				orig.Trailer.Add(f.Name, f.Value)
			}
		}
		br, err := FromHTTPRequest(orig)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := br.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := ParseRequest(enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dec.HTTPRequest()
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != orig.Method || got.URL.String() != orig.URL.String() || got.Host != orig.Host {
			t.Fatalf("got %s %v host %q; want %s %v host %q", got.Method, got.URL, got.Host, orig.Method, orig.URL, orig.Host)
		}
		if diff := cmp.Diff(orig.Header, got.Header, equateEmpty); diff != "" {
			t.Fatalf("header (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(orig.Trailer, got.Trailer, equateEmpty); diff != "" {
			t.Fatalf("trailer (-want +got):\n%s", diff)
		}
		gotBody, _ := io.ReadAll(got.Body)
		origBody, _ := io.ReadAll(orig.Body)
		if !bytes.Equal(gotBody, g.Content) || !bytes.Equal(origBody, g.Content) {
			t.Fatalf("bodies %q (converted) and %q (original, restored); want %q", gotBody, origBody, g.Content)
		}
	})
}

func TestResponseThroughNetHTTP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		orig := &Response{
			Status:  rapid.IntRange(200, 599).Draw(t, "status"),
			Header:  genFields(httpName(), 6).Draw(t, "header"),
			Content: genContent(false).Draw(t, "content"),
			Trailer: genFields(httpName(), 3).Draw(t, "trailer"),
		}
		hr, err := orig.HTTPResponse()
		if err != nil {
			t.Fatal(err)
		}
		if hr.StatusCode != orig.Status || hr.ContentLength != int64(len(orig.Content)) || hr.Body == nil {
			t.Fatalf("HTTPResponse: status %d, length %d, body %v", hr.StatusCode, hr.ContentLength, hr.Body)
		}
		back, err := FromHTTPResponse(hr)
		if err != nil {
			t.Fatal(err)
		}
		want := *orig
		want.Header, want.Trailer = sortedByName(orig.Header), sortedByName(orig.Trailer)
		if diff := cmp.Diff(&want, back, equateEmpty); diff != "" {
			t.Fatalf("through net/http (-want +got):\n%s", diff)
		}
		if body, _ := io.ReadAll(hr.Body); !bytes.Equal(body, orig.Content) {
			t.Fatalf("body after FromHTTPResponse = %q, want %q", body, orig.Content)
		}
	})
}
