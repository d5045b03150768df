package bhttp

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"testing"
)

// One rule for field values, in the decoder, the encoder and
// ValidFieldValue: no control character but tab, no DEL.
func TestFieldValueRule(t *testing.T) {
	for c := range 256 {
		v := "a" + string([]byte{byte(c)}) + "b"
		want := c >= ' ' && c != 0x7f || c == '\t'
		if got := ValidFieldValue(v); got != want {
			t.Errorf("ValidFieldValue(%q) = %v", v, got)
		}
		r := &Request{Method: "GET", Scheme: "https", Authority: "a.example", Path: "/", Header: Fields{{"x", v}}}
		b, err := r.MarshalBinary()
		if (err == nil) != want || err != nil && !errors.Is(err, ErrInvalidFieldValue) {
			t.Errorf("byte 0x%02x: encode %v", c, err)
		}
		if !want {
			continue
		}
		if _, err := ParseRequest(b); err != nil {
			t.Errorf("byte 0x%02x: decode %v", c, err)
		}
	}
	for _, v := range []string{" a", "a\t", "\x01", "\x7f"} {
		if ValidFieldValue(v) {
			t.Errorf("ValidFieldValue(%q) = true", v)
		}
	}
}

func TestSchemeRule(t *testing.T) {
	for s, want := range map[string]bool{"http": true, "https": true, "coap+tcp": true, "a1.-": true,
		"HTTP": false, "Https": false, "": false, "1a": false, "ht tp": false} {
		if got := ValidScheme(s); got != want {
			t.Errorf("ValidScheme(%q) = %v", s, got)
		}
	}
	r := &Request{Method: "GET", Scheme: "HTTP", Authority: "a.example", Path: "/"}
	if _, err := r.MarshalBinary(); !errors.Is(err, ErrInvalidControlData) {
		t.Fatalf("encoding scheme HTTP: %v", err)
	}
}

// Hop-by-hop fields go in neither direction, in requests and responses,
// headers and trailers; TE: trailers stays.
func TestConnectionSpecificFieldsDroppedBothWays(t *testing.T) {
	hop := Fields{
		{"connection", "x-hop, close"}, {"x-hop", "1"}, {"keep-alive", "timeout=5"},
		{"proxy-connection", "keep-alive"}, {"proxy-authorization", "Basic x"},
		{"proxy-authenticate", "Basic"}, {"transfer-encoding", "chunked"},
		{"upgrade", "h2c"}, {"te", "gzip"}, {"te", "trailers"}, {"x-end", "z"},
	}
	req := &Request{Method: "POST", Scheme: "https", Authority: "a.example", Path: "/", Header: hop,
		Trailer: Fields{{"x-hop", "t"}, {"x-sum", "s"}}}
	hr, err := req.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := http.Header{"Te": {"trailers"}, "X-End": {"z"}}
	if !equalHeader(hr.Header, wantHeader) {
		t.Errorf("HTTPRequest header %v, want %v", hr.Header, wantHeader)
	}
	if !equalHeader(hr.Trailer, http.Header{"X-Sum": {"s"}}) {
		t.Errorf("HTTPRequest trailer %v: the header's Connection names x-hop", hr.Trailer)
	}
	resp := &Response{Status: 200, Header: hop}
	hresp, err := resp.HTTPResponse()
	if err != nil {
		t.Fatal(err)
	}
	if !equalHeader(hresp.Header, wantHeader) {
		t.Errorf("HTTPResponse header %v", hresp.Header)
	}

	// From net/http: the same list.
	h := http.Header{}
	for _, f := range hop {
		h.Add(f.Name, f.Value)
	}
	back, err := FromHTTPResponse(&http.Response{StatusCode: 200, Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Fields{{"te", "trailers"}, {"x-end", "z"}}); !equalFields(back.Header, want) {
		t.Errorf("FromHTTPResponse header %v, want %v", back.Header, want)
	}
	hr2, _ := http.NewRequest("GET", "https://a.example/", nil)
	hr2.Header = h
	breq, err := FromHTTPRequest(hr2)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Fields{{"te", "trailers"}, {"x-end", "z"}}); !equalFields(breq.Header, want) {
		t.Errorf("FromHTTPRequest header %v, want %v", breq.Header, want)
	}
}

// TargetAuthority falls back to the host field only when the authority
// is empty, and refuses an ambiguous or malformed one.
func TestTargetAuthority(t *testing.T) {
	for _, c := range []struct {
		auth   string
		header Fields
		want   string
		ok     bool
	}{
		{"a.example", Fields{{"host", "b.example"}}, "a.example", true},
		{"", Fields{{"host", "b.example:8443"}}, "b.example:8443", true},
		{"", nil, "", true},
		{"", Fields{{"host", "b.example"}, {"host", "c.example"}}, "", false},
		{"", Fields{{"host", "b example"}}, "", false},
	} {
		r := &Request{Method: "GET", Scheme: "https", Authority: c.auth, Path: "/", Header: c.header}
		got, err := r.TargetAuthority()
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("%q %v: %q, %v", c.auth, c.header, got, err)
		}
	}
}

func equalHeader(a, b http.Header) bool { return maps.EqualFunc(a, b, slices.Equal[[]string]) }

func equalFields(a, b Fields) bool { return slices.Equal(a, b) }
