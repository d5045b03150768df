package bhttp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The RFC example request has an empty authority and a host field; net/http
// wants the host in Request.Host.
func TestRFCRequestToHTTP(t *testing.T) {
	r, err := ParseRequest(readHex(t, "rfc9292-request-known-length.hex"))
	if err != nil {
		t.Fatal(err)
	}
	hr, err := r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if hr.Method != "GET" || hr.URL.String() != "https://www.example.com/hello.txt" || hr.Host != "www.example.com" {
		t.Errorf("got %s %v host %q", hr.Method, hr.URL, hr.Host)
	}
	want := http.Header{
		"User-Agent":      {"curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"},
		"Accept-Language": {"en, mi"},
	}
	if diff := cmp.Diff(want, hr.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(r.Header) != 3 {
		t.Errorf("HTTPRequest changed the message's header: %v", r.Header)
	}
	if hr.Body != http.NoBody || hr.ContentLength != 0 {
		t.Errorf("body %v, length %d; want NoBody, 0", hr.Body, hr.ContentLength)
	}
}

func TestFromHTTPRequestDefaultsAndDrops(t *testing.T) {
	// As a server sees it: no scheme, no method spelled out, host in Host.
	hr := &http.Request{
		URL:  mustParseRequestURI(t, "/a/b?c=d"),
		Host: "example.com",
		Header: http.Header{
			"Connection":        {"keep-alive, X-Hop"},
			"X-Hop":             {"1"},
			"Keep-Alive":        {"timeout=5"},
			"Proxy-Connection":  {"keep-alive"},
			"Transfer-Encoding": {"chunked"},
			"Upgrade":           {"h2c"},
			"Host":              {"ignored.example"},
			"Accept":            {"a", "b"},
			"accept":            {"c"}, // not canonical: merged after "Accept"
			"Empty":             {},
			"X-End":             {"z"},
		},
	}
	got, err := FromHTTPRequest(hr)
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{
		Method: "GET", Scheme: "https", Authority: "example.com", Path: "/a/b?c=d",
		Header: Fields{{"accept", "a"}, {"accept", "b"}, {"accept", "c"}, {"x-end", "z"}},
	}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if hr.Body != nil {
		t.Errorf("nil body replaced with %v", hr.Body)
	}
}

func TestConnectRequest(t *testing.T) {
	hr, err := http.NewRequest("CONNECT", "https://proxy.example:443", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromHTTPRequest(hr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scheme != "" || r.Path != "" || r.Authority != "proxy.example:443" {
		t.Errorf("CONNECT converted to scheme %q authority %q path %q", r.Scheme, r.Authority, r.Path)
	}
	back, err := r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if back.Method != "CONNECT" || back.Host != "proxy.example:443" || back.URL.Host != "proxy.example:443" {
		t.Errorf("back to net/http: %s %v host %q", back.Method, back.URL, back.Host)
	}
}

func TestAsteriskPath(t *testing.T) {
	r := &Request{Method: "OPTIONS", Scheme: "https", Authority: "example.com", Path: "*"}
	hr, err := r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if hr.URL.RequestURI() != "*" {
		t.Errorf("RequestURI() = %q, want *", hr.URL.RequestURI())
	}
}

func TestHTTPRequestRejectsUnparsablePath(t *testing.T) {
	r := &Request{Method: "GET", Scheme: "https", Authority: "example.com", Path: "relative"}
	if _, err := r.HTTPRequest(); !errors.Is(err, ErrInvalidControlData) {
		t.Errorf("HTTPRequest() error = %v, want ErrInvalidControlData", err)
	}
}

func TestHTTPRequestRejectsBadHostField(t *testing.T) {
	r := &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{"host", "evil.example/x?y"}}}
	if _, err := r.HTTPRequest(); !errors.Is(err, ErrInvalidControlData) {
		t.Errorf("HTTPRequest() with a host field that is no authority: %v, want ErrInvalidControlData", err)
	}
}

func TestFromHTTPRejectsInvalid(t *testing.T) {
	hr := httptest.NewRequest("GET", "https://example.com/", nil)
	hr.Header["X-Bad"] = []string{"a\r\nInjected: yes"}
	if _, err := FromHTTPRequest(hr); !errors.Is(err, ErrInvalidFieldValue) {
		t.Errorf("FromHTTPRequest with CRLF in a value: %v, want ErrInvalidFieldValue", err)
	}
	for _, status := range []int{0, 101, 103, 600} {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody}
		if _, err := FromHTTPResponse(resp); !errors.Is(err, ErrInvalidStatus) {
			t.Errorf("FromHTTPResponse with status %d: %v, want ErrInvalidStatus", status, err)
		}
	}
}

type failingBody struct{ io.Reader }

func (failingBody) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
func (failingBody) Close() error             { return nil }

func TestFromHTTPRequestBodyError(t *testing.T) {
	hr := httptest.NewRequest("POST", "https://example.com/", nil)
	hr.Body = failingBody{}
	_, err := FromHTTPRequest(hr)
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("FromHTTPRequest with a failing body: %v", err)
	}
}

func TestHTTPResponse(t *testing.T) {
	r := &Response{
		Informational: []InformationalResponse{{Status: 103, Header: Fields{{"link", "</a.css>; rel=preload"}}}},
		Status:        404,
		Header:        Fields{{"content-type", "text/plain"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}},
	}
	hr, err := r.HTTPResponse()
	if err != nil {
		t.Fatal(err)
	}
	if hr.Status != "404 Not Found" || hr.StatusCode != 404 || hr.Body != http.NoBody || hr.ContentLength != 0 {
		t.Errorf("got status %q code %d body %v length %d", hr.Status, hr.StatusCode, hr.Body, hr.ContentLength)
	}
	if got := hr.Header["Set-Cookie"]; !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie = %q", got)
	}
	r.Status = 599 // no status text
	if hr, _ := r.HTTPResponse(); hr.Status != "599" {
		t.Errorf("status 599: Status = %q", hr.Status)
	}
}

// End to end through a real client and server: the request's trailers only
// arrive if HTTPRequest marks the body as chunked, and the server's view of
// the request converts back to the same message.
func TestHTTPRoundTripOverTheWire(t *testing.T) {
	t.Run("content", func(t *testing.T) { overTheWire(t, []byte(`{"hello":"world"}`)) })
	// With no content, net/http sends the trailers only if told the
	// length is unknown.
	t.Run("no content", func(t *testing.T) { overTheWire(t, nil) })
}

func overTheWire(t *testing.T, content []byte) {
	sent := &Request{
		Method: "POST", Scheme: "http", Path: "/submit?x=1",
		Header:  Fields{{"content-type", "application/json"}, {"x-trace", "abc"}},
		Content: content,
		Trailer: Fields{{"x-checksum", "1234"}},
	}
	var received *Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if received, err = FromHTTPRequest(r); err != nil {
			t.Error(err)
		}
		w.Header().Set("Trailer", "X-Digest")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
		w.Header().Set("X-Digest", "d1")
	}))
	defer srv.Close()
	sent.Authority = strings.TrimPrefix(srv.URL, "http://")

	hr, err := sent.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if hr.ContentLength != -1 {
		t.Errorf("ContentLength = %d with trailers, want -1", hr.ContentLength)
	}
	resp, err := srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromHTTPResponse(resp)
	if err != nil {
		t.Fatal(err)
	}

	if received == nil {
		t.Fatal("handler did not run")
	}
	// The server side has no scheme, so FromHTTPRequest says https; the
	// client adds fields of its own.
	if received.Method != sent.Method || received.Authority != sent.Authority || received.Path != sent.Path ||
		!bytes.Equal(received.Content, sent.Content) {
		t.Errorf("server received %+v", received)
	}
	for _, f := range sent.Header {
		if !slices.Contains(received.Header, f) {
			t.Errorf("server's header %v lacks %v", received.Header, f)
		}
	}
	if diff := cmp.Diff(sent.Trailer, received.Trailer); diff != "" {
		t.Errorf("request trailer (-sent +received):\n%s", diff)
	}

	if got.Status != 200 || string(got.Content) != "ok" {
		t.Errorf("response %d %q", got.Status, got.Content)
	}
	if diff := cmp.Diff(Fields{{"x-digest", "d1"}}, got.Trailer); diff != "" {
		t.Errorf("response trailer (-want +got):\n%s", diff)
	}
	if !slices.Contains(got.Header, Field{"content-type", "text/plain"}) {
		t.Errorf("response header %v lacks content-type", got.Header)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "ok" {
		t.Errorf("response body after FromHTTPResponse = %q", body)
	}
}

func mustParseRequestURI(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.ParseRequestURI(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
