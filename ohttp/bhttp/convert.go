package bhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// FromHTTPRequest converts r to a known-length binary request.
//
// It reads r.Body to the end and replaces it with a reader over the same
// bytes, so r can still be sent or served. Control data comes from:
//   - Method: r.Method, or GET when empty, as net/http reads it;
//   - Scheme: r.URL.Scheme if set, else "https" — OHTTP targets are
//     https resources, and a server-side request carries no scheme at all
//     (r.TLS is not consulted);
//   - Authority: r.Host if set, else r.URL.Host;
//   - Path: r.URL.RequestURI().
//
// A CONNECT request has an empty scheme and path, as in HTTP/2.
//
// Header and trailer names are lowercased and sorted, so the encoding does
// not depend on map order; the values of one name keep their order.
// Connection-specific fields (Connection, the fields it lists, and the
// rest of connectionFields) are dropped as RFC 9292 §3.6 recommends, and
// so is a Host entry in r.Header, which net/http ignores in favour of
// r.Host.
func FromHTTPRequest(r *http.Request) (*Request, error) {
	if r.URL == nil {
		return nil, &encodeError{"control data", faultf(ErrInvalidControlData, "request has no URL")}
	}
	content, err := readBody(&r.Body, r.ContentLength)
	if err != nil {
		return nil, fmt.Errorf("bhttp: reading request body: %w", err)
	}
	br := &Request{
		Method:    r.Method,
		Scheme:    r.URL.Scheme,
		Authority: r.Host,
		Path:      r.URL.RequestURI(),
		Header:    fieldsFromHTTP(r.Header, "host"),
		Content:   content,
		Trailer:   fieldsFromHTTP(r.Trailer),
	}
	if br.Method == "" {
		br.Method = http.MethodGet
	}
	if br.Authority == "" {
		br.Authority = r.URL.Host
	}
	if br.Scheme == "" {
		br.Scheme = "https"
	}
	if br.Method == http.MethodConnect {
		br.Scheme, br.Path = "", ""
	}
	if err := br.check(); err != nil {
		return nil, err
	}
	return br, nil
}

// HTTPRequest converts r to an *http.Request suitable for an http.Client or
// a handler. The URL is built from Scheme, TargetAuthority and Path; a host
// field that stands in for an empty Authority is removed from Header,
// where net/http would ignore it. Header and Trailer keys are
// canonicalized, and connection-specific fields are dropped as in
// FromHTTPRequest: this is the direction in which a gateway forwards. ContentLength is len(Content), except that it is -1 when
// there are trailers, because net/http only sends trailers on a chunked
// body. The result has no context; use WithContext to give it one.
func (r *Request) HTTPRequest() (*http.Request, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	host, hostField, err := r.target()
	if err != nil {
		return nil, err
	}
	header := r.Header
	if hostField >= 0 {
		// net/http would ignore it in Header, in favour of Host.
		header = slices.Delete(slices.Clone(header), hostField, hostField+1)
	}
	u := &url.URL{}
	if plainPath(r.Path) {
		// The common origin-form path needs no general URI parser.
		u.Path, u.RawQuery, _ = strings.Cut(r.Path, "?")
	} else if r.Path != "" {
		var err error
		if u, err = url.ParseRequestURI(r.Path); err != nil {
			return nil, &encodeError{"control data", faultf(ErrInvalidControlData, "path %q: %v", clip(r.Path), err)}
		}
	}
	u.Scheme, u.Host = r.Scheme, host
	req := &http.Request{
		Method:     r.Method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     fieldsToHTTP(header),
		Host:       host,
		Trailer:    fieldsToHTTP(r.Trailer, r.Header),
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Body, req.GetBody, req.ContentLength = bodyOf(r.Content)
	if req.Trailer != nil {
		req.ContentLength = -1
		if req.Body == http.NoBody {
			// NoBody would make net/http skip the body and the trailers.
			req.Body, req.GetBody = reader(nil)
		}
	}
	return req, nil
}

// TargetAuthority is the authority r is for: Authority, or, when that is
// empty (RFC 9292 §3.4 allows it), the value of the host field. Anything
// that decides on the target, such as an allow-list, must look at this,
// since it is what HTTPRequest sends to. It fails if the host field does
// not pass as an authority, or if there is more than one.
func (r *Request) TargetAuthority() (string, error) {
	host, _, err := r.target()
	return host, err
}

// target is TargetAuthority, with the index in Header of the host field
// it came from (-1 if none).
func (r *Request) target() (string, int, error) {
	if r.Authority != "" {
		return r.Authority, -1, nil
	}
	i := slices.IndexFunc(r.Header, func(f Field) bool { return f.Name == "host" })
	if i < 0 {
		return "", -1, nil
	}
	if slices.ContainsFunc(r.Header[i+1:], func(f Field) bool { return f.Name == "host" }) {
		return "", -1, &encodeError{"host field", faultf(ErrInvalidControlData, "more than one host field and no authority")}
	}
	host := r.Header[i].Value
	// Now the target, so it must pass as an authority would.
	if bad := checkAuthority(host); bad != nil {
		return "", -1, &encodeError{"host field", bad}
	}
	return host, i, nil
}

// plainPath reports whether p is an origin-form path that url.URL stores
// and prints back unchanged: unreserved characters in the path (url.URL
// escapes some sub-delimiters there), a query of safe characters, no
// escapes and no fragment.
func plainPath(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(p, "?")
	if hasQuery && query == "" {
		return false // "/?" needs url.URL's ForceQuery
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; !isAlnum(c) && strings.IndexByte("/-._~", c) < 0 {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; !isAlnum(c) && strings.IndexByte("/-._~!$&'()*+,;=:@?", c) < 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// FromHTTPResponse converts r to a known-length binary response, reading
// r.Body to the end and replacing it with a reader over the same bytes.
// Fields are treated as in FromHTTPRequest. net/http does not keep
// informational responses, so there are none.
func FromHTTPResponse(r *http.Response) (*Response, error) {
	content, err := readBody(&r.Body, r.ContentLength)
	if err != nil {
		return nil, fmt.Errorf("bhttp: reading response body: %w", err)
	}
	br := &Response{
		Status:  r.StatusCode,
		Header:  fieldsFromHTTP(r.Header),
		Content: content,
		Trailer: fieldsFromHTTP(r.Trailer),
	}
	if err := br.check(); err != nil {
		return nil, err
	}
	return br, nil
}

// HTTPResponse converts r to an *http.Response with the final status;
// informational responses are left out, as net/http has no place for them.
// Header and Trailer keys are canonicalized, and Body is never nil.
func (r *Response) HTTPResponse() (*http.Response, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	status := strconv.Itoa(r.Status)
	if text := http.StatusText(r.Status); text != "" {
		status += " " + text
	}
	resp := &http.Response{
		Status:     status,
		StatusCode: r.Status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     fieldsToHTTP(r.Header),
		Trailer:    fieldsToHTTP(r.Trailer, r.Header),
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Body, _, resp.ContentLength = bodyOf(r.Content)
	return resp, nil
}

// readBody reads *body to the end, closes it and puts back a reader over
// the same bytes. Empty content is nil. A declared length sizes the buffer
// up front (capped, since the header is the peer's claim, not a promise).
func readBody(body *io.ReadCloser, declared int64) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(min(declared, maxPrealloc)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(*body)
	data := buf.Bytes()
	closeErr := (*body).Close()
	*body = io.NopCloser(bytes.NewReader(data))
	if err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

// maxPrealloc bounds how much a declared Content-Length may reserve before
// any byte of the body has arrived.
const maxPrealloc = 1 << 20

func bodyOf(c []byte) (io.ReadCloser, func() (io.ReadCloser, error), int64) {
	if len(c) == 0 {
		return http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }, 0
	}
	body, get := reader(c)
	return body, get, int64(len(c))
}

func reader(c []byte) (io.ReadCloser, func() (io.ReadCloser, error)) {
	get := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(c)), nil }
	body, _ := get()
	return body, get
}

// connectionFields describe one HTTP/1.1 hop and mean nothing in a
// standalone message (RFC 9292 §3.6), so an intermediary drops them
// (RFC 9110 §7.6.1): Connection, the names it lists, and the fields that
// are connection-specific whether listed or not. Proxy-Authorization and
// Proxy-Authenticate are a proxy's own (RFC 9110 §11.7). TE is one too,
// except that "TE: trailers" says something about the whole exchange and
// HTTP/2 keeps it (RFC 9113 §8.2.2). Every conversion, to net/http and
// from it, in requests and responses, applies this one list.
var connectionFields = []string{
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
	"proxy-connection", "te", "transfer-encoding", "upgrade",
}

// connectionSpecific reports whether a field with the lowercase name and
// value is one of connectionFields (TE only when it asks for more than
// trailers).
func connectionSpecific(lower, value string) bool {
	switch lower {
	case "te":
		return !strings.EqualFold(strings.TrimSpace(value), "trailers")
	case "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
		"proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// listedInConnection returns the lowercase names that values of a
// Connection field list.
func listedInConnection(listed []string, values ...string) []string {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				listed = append(listed, strings.ToLower(name))
			}
		}
	}
	return listed
}

// fieldsFromHTTP flattens h into lowercase fields sorted by name, leaving out
// connection-specific fields and the names in skip. Keys that differ only in
// case are merged, in the order of their original spelling.
func fieldsFromHTTP(h http.Header, skip ...string) Fields {
	// Connection rarely names other fields, so the common case needs no
	// set of dropped names at all.
	var listed []string
	for key, values := range h {
		if strings.EqualFold(key, "connection") {
			listed = listedInConnection(listed, values...)
		}
	}
	keys := make([]string, 0, len(h))
	n := 0
	for key, values := range h {
		if len(values) == 0 {
			continue
		}
		lower := strings.ToLower(key)
		if slices.Contains(skip, lower) || slices.Contains(listed, lower) {
			continue
		}
		kept := 0
		for _, v := range values {
			if !connectionSpecific(lower, v) {
				kept++
			}
		}
		if kept > 0 {
			keys = append(keys, key)
			n += kept
		}
	}
	if n == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	fs := make(Fields, 0, n)
	for _, key := range keys {
		name := strings.ToLower(key)
		for _, v := range h[key] {
			if !connectionSpecific(name, v) {
				fs = append(fs, Field{Name: name, Value: v})
			}
		}
	}
	return fs
}

// fieldsToHTTP builds an http.Header with canonical keys, nil if nothing
// is left, leaving out connection-specific fields: those of
// connectionFields and the names the Connection fields of fs and of
// related (the header, when fs is a trailer section) list.
func fieldsToHTTP(fs Fields, related ...Fields) http.Header {
	if len(fs) == 0 {
		return nil
	}
	var listed []string
	for _, section := range append(related, fs) {
		for _, f := range section {
			if f.Name == "connection" {
				listed = listedInConnection(listed, f.Value)
			}
		}
	}
	h := make(http.Header, len(fs))
	for _, f := range fs {
		if connectionSpecific(f.Name, f.Value) || listed != nil && slices.Contains(listed, f.Name) {
			continue
		}
		key := http.CanonicalHeaderKey(f.Name)
		h[key] = append(h[key], f.Value)
	}
	if len(h) == 0 {
		return nil
	}
	return h
}
