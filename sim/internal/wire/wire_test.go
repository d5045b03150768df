package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
)

// The lean writers must write what net/http writes, byte for byte, for
// every message they accept; these tests compare the two.

// stdResponse is what serialize wrote before AppendResponse: the response
// as http.Response.Write writes it.
func stdResponse(t testing.TB, status int, h http.Header, method string, body []byte) []byte {
	resp := http.Response{
		StatusCode:    status,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Request:       &http.Request{Method: method},
		ContentLength: int64(len(body)),
	}
	if len(body) > 0 && method != http.MethodHead {
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	var out bytes.Buffer
	if err := resp.Write(&out); err != nil {
		t.Fatalf("Response.Write: %v", err)
	}
	return out.Bytes()
}

func checkResponse(t testing.TB, status int, h http.Header, method string, body []byte) {
	t.Helper()
	want := stdResponse(t, status, h, method, body)
	got := AppendResponse(status, h, method, body)
	if !bytes.Equal(got, want) {
		t.Fatalf("status %d method %q header %q body %q:\n got %q\nwant %q", status, method, h, body, got, want)
	}
}

// newWireRequest makes a request as http.NewRequest does, with body nil
// for none.
func newWireRequest(t testing.TB, method, rawURL string, h http.Header, body []byte) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatalf("NewRequest(%q, %q): %v", method, rawURL, err)
	}
	for k, vv := range h {
		req.Header[k] = vv
	}
	return req
}

// checkRequest writes req (made twice by mk) with net/http and with
// Request and compares bytes and errors. It reports whether the lean
// writer took the request.
func checkRequest(t testing.TB, mk func() *http.Request) (lean bool) {
	t.Helper()
	var want bytes.Buffer
	wantErr := mk().Write(&want)
	req := mk()
	got, ok, err := leanRequest(req)
	if !ok {
		// Untouched: the fallback writes it as net/http does.
		got, err = Request(req)
	}
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("lean=%v error %v, net/http error %v", ok, err, wantErr)
	case err != nil:
		if err.Error() != wantErr.Error() {
			t.Fatalf("lean=%v error %q, net/http error %q", ok, err, wantErr)
		}
	case !bytes.Equal(got, want.Bytes()):
		t.Fatalf("lean=%v:\n got %q\nwant %q", ok, got, want.Bytes())
	}
	return ok
}

var wireStatuses = []int{200, 201, 202, 204, 206, 299, 301, 302, 304, 400, 404, 405, 413, 422, 429, 499, 500, 502, 503, 504, 599, 600, 999, 1000, 100, 101, 103, 199}

var wireMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", ""}

var wireHeaders = []http.Header{
	nil,
	{},
	{"Content-Type": {"application/ohttp-req"}},
	{"Content-Type": {"message/ohttp-res"}, "Date": {"Mon, 02 Jan 2006 15:04:05 GMT"}, "Cache-Control": {"no-store"}},
	{"X-Multi": {"a", "b", "", "  c  "}, "X-Empty": {""}, "X-None": {}},
	{"Content-Length": {"99"}, "Transfer-Encoding": {"chunked"}, "Trailer": {"X-T"}, "Host": {"evil"}, "User-Agent": {"ua/1"}},
	{"User-Agent": {""}, "Cookie": {"session=10.0.0.4"}},
	{"User-Agent": {" spaced\tagent \r\n"}, "x-lower": {"v"}, "X-Crlf": {"a\r\nb", "\r\n", "\tx\n"}},
	{"bad key": {"v"}, "": {"empty"}, "Bad:Key": {"v"}, "Ünï": {"v"}, "Tok!#$%&'*+-.^_`|~9": {"v"}},
	{"Connection": {"keep-alive"}, "Content-Encoding": {"gzip"}, "Vary": {"Accept", "Accept-Encoding"}},
	{"Trailer:X": {"v"}, "Date": {}, "Set-Cookie": {"a=1", "b=2"}},
}

var wireBodies = [][]byte{nil, {}, []byte("x"), []byte("hello, world"), []byte("<html><body>hi</body></html>"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 700)}

func TestAppendResponseMatchesNetHTTP(t *testing.T) {
	for _, status := range wireStatuses {
		for _, m := range wireMethods {
			for _, h := range wireHeaders {
				for _, body := range wireBodies {
					checkResponse(t, status, h, m, body)
				}
			}
		}
	}
}

func TestLeanRequestMatchesNetHTTP(t *testing.T) {
	urls := []string{
		"http://relay/", "http://gateway/.well-known/ohttp-gateway", "http://10.0.0.3/echo?x=1&y=%20z",
		"http://10.0.0.3:8080/a/b", "http://[fd00::3]:80/p", "http://[fd00::3%25eth0]:80/p", "https://Host.Example:443",
		"http://h/π", "http://xn--nxasmq6b/", "http://ünicode.example/", "http://h/a%0Ab", "http://h_u/", "http://h/?",
		"http://h", "http://h/#frag", "http://user:pw@h/p",
	}
	leanCount := 0
	for _, u := range urls {
		for _, m := range wireMethods {
			for _, h := range wireHeaders {
				for _, body := range wireBodies {
					if checkRequest(t, func() *http.Request { return newWireRequest(t, m, u, h, body) }) {
						leanCount++
					}
				}
			}
		}
	}
	if leanCount == 0 {
		t.Fatal("the lean writer took no request")
	}
}

// errReader fails after giving its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// closeErrBody reports an error on Close.
type closeErrBody struct{ io.Reader }

func (closeErrBody) Close() error { return errors.New("close failed") }

func TestLeanRequestOddCases(t *testing.T) {
	base := func() *http.Request {
		return newWireRequest(t, "POST", "http://relay/", http.Header{"Content-Type": {"message/ohttp-req"}}, []byte("abcdef"))
	}
	cases := map[string]func() *http.Request{
		"plain":          base,
		"short body":     func() *http.Request { r := base(); r.ContentLength = 10; return r },
		"long body":      func() *http.Request { r := base(); r.ContentLength = 3; return r },
		"unknown length": func() *http.Request { r := base(); r.ContentLength = 0; return r },
		"unknown length -1": func() *http.Request {
			r := base()
			r.ContentLength = -1
			return r
		},
		"NoBody with length":   func() *http.Request { r := base(); r.Body = http.NoBody; return r },
		"nil body with length": func() *http.Request { r := base(); r.Body = nil; return r },
		"NoBody":               func() *http.Request { r := base(); r.Body, r.ContentLength = http.NoBody, 0; return r },
		"close":                func() *http.Request { r := base(); r.Close = true; return r },
		"close with header": func() *http.Request {
			r := base()
			r.Close = true
			r.Header.Set("Connection", "close")
			return r
		},
		"chunked": func() *http.Request { r := base(); r.TransferEncoding = []string{"chunked"}; return r },
		"trailer": func() *http.Request {
			r := base()
			r.TransferEncoding = []string{"chunked"}
			r.Trailer = http.Header{"X-T": {"1"}}
			return r
		},
		"expect":     func() *http.Request { r := base(); r.Header.Set("Expect", "100-continue"); return r },
		"host field": func() *http.Request { r := base(); r.Host = "other:81"; return r },
		"bad host":   func() *http.Request { r := base(); r.Host = "bad host/x"; return r },
		"empty host": func() *http.Request {
			r := base()
			r.Host, r.URL = "", &url.URL{Path: "/x"}
			return r
		},
		"opaque": func() *http.Request {
			r := base()
			r.URL = &url.URL{Scheme: "http", Host: "h", Opaque: "//h/raw%2Fpath"}
			return r
		},
		"connect": func() *http.Request {
			r := base()
			r.Method = "CONNECT"
			r.URL = &url.URL{Host: "h:443"}
			return r
		},
		"ctl in url": func() *http.Request {
			r := base()
			r.URL = &url.URL{Scheme: "http", Host: "h", Path: "/a\x01b"}
			return r
		},
		"read error": func() *http.Request {
			r := base()
			r.Body = io.NopCloser(&errReader{data: []byte("abc"), err: errors.New("boom")})
			return r
		},
		"close error": func() *http.Request {
			r := base()
			r.Body = closeErrBody{bytes.NewReader([]byte("abcdef"))}
			return r
		},
		"close error no body": func() *http.Request {
			r := base()
			r.Body, r.ContentLength = closeErrBody{bytes.NewReader(nil)}, 0
			return r
		},
		"trace": func() *http.Request {
			r := base()
			return r.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{}))
		},
		"huge length": func() *http.Request { r := base(); r.ContentLength = maxLeanBody + 1; return r },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) { checkRequest(t, mk) })
	}
}

// TestWireRandom compares random messages: random header names (valid and
// not, canonical and not), values with spaces, tabs, CR and LF, random
// methods, statuses and bodies.
func TestWireRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcXYZ-_09 \t\r\n:;!~é\x00\x7f"
	str := func(max int) string {
		var b strings.Builder
		for n := rng.IntN(max + 1); n > 0; n-- {
			if rng.IntN(4) == 0 {
				b.WriteByte(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteByte("abcdefghKLMN-"[rng.IntN(13)])
			}
		}
		return b.String()
	}
	names := []string{"Content-Type", "Content-Length", "Date", "User-Agent", "Host", "Trailer", "Transfer-Encoding", "Cookie", "X-A", "x-a", "Expect"}
	for i := 0; i < 3000; i++ {
		h := http.Header{}
		for n := rng.IntN(8); n > 0; n-- {
			k := names[rng.IntN(len(names))]
			if rng.IntN(2) == 0 {
				k = str(10)
			}
			var vv []string
			for m := rng.IntN(4); m > 0; m-- {
				vv = append(vv, str(12))
			}
			h[k] = vv
		}
		var body []byte
		if rng.IntN(3) > 0 {
			body = []byte(str(40))
		}
		m := wireMethods[rng.IntN(len(wireMethods))]
		checkResponse(t, wireStatuses[rng.IntN(len(wireStatuses))], h, m, body)
		if m == "" || !validFieldName(m) {
			continue
		}
		u := "http://n" + str(3) + "/" + url.PathEscape(str(10))
		if _, err := url.Parse(u); err != nil {
			continue
		}
		checkRequest(t, func() *http.Request { return newWireRequest(t, m, u, h, body) })
	}
}

// FuzzWire compares the lean writers with net/http on fuzzed messages. The
// header is given as lines "key: value" (a line without ": " is a key with
// an empty value).
func FuzzWire(f *testing.F) {
	f.Add("POST", "/", "Content-Type: message/ohttp-req", []byte("enc"), 200)
	f.Add("GET", "/echo?x=1", "User-Agent: \nX-A: 1\nX-A: 2", []byte(nil), 204)
	f.Add("HEAD", "/", "Date: Mon, 02 Jan 2006 15:04:05 GMT\nContent-Length: 5", []byte("hello"), 304)
	f.Fuzz(func(t *testing.T, method, path, fields string, body []byte, status int) {
		if status < 100 || status > 9999 {
			return
		}
		h := http.Header{}
		for _, line := range strings.Split(fields, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			h[k] = append(h[k], v)
		}
		checkResponse(t, status, h, method, body)
		if method == "" || !validFieldName(method) || strings.ContainsAny(path, "#?") {
			return
		}
		u := &url.URL{Scheme: "http", Host: "node", Path: "/" + path}
		checkRequest(t, func() *http.Request {
			var r io.Reader
			if body != nil {
				r = bytes.NewReader(body)
			}
			req, err := http.NewRequest(method, u.String(), r)
			if err != nil {
				t.Skip()
			}
			for k, vv := range h {
				req.Header[k] = vv
			}
			return req
		})
	})
}
