// Package wire writes the HTTP/1.1 messages the simulator sends: the same
// bytes as net/http's (*Request).Write and (*Response).Write, built in one
// exact-size slice without the standard library's formatting, sorting pool
// and transfer-writer allocations. Only the plain cases are written here —
// a request with no body or a body of known length, no trailers, no
// Transfer-Encoding, no Connection: close, no Expect, no client trace, an
// ASCII Host — and everything else goes to net/http. wire_test.go compares
// the two over tables, random messages and a fuzz target.
//
// The house rule is that the standard library writes the simulator's HTTP
// bytes. This writer departs from the letter of that rule, not its aim:
// the bytes are net/http's, pinned by those differential tests (a Go
// release that changes net/http's output fails them), and parsing stays
// with http.ReadRequest and http.ReadResponse. It is here because writing
// was the largest single cost of the simulated wire: without it the OHTTP
// world adds 26-29% over its handlers called in-process, with it 19-22%
// (go test ./ohttp/ohttpsim -run '^$' -bench WorldVsDirect -benchtime 20x).
package wire

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// Request returns req's wire bytes: those (*http.Request).Write writes,
// built here for the plain cases, else written by Write itself.
func Request(req *http.Request) ([]byte, error) {
	if data, ok, err := leanRequest(req); ok {
		return data, err
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// wireField is one header field to write: its key and values as given.
type wireField struct {
	key  string
	vals []string
}

// maxLeanBody bounds the request bodies written here: a larger declared
// length goes to net/http, which does not allocate it up front.
const maxLeanBody = 16 << 20

// leanRequest returns req's wire bytes as req.Write would write them, and
// ok; or ok false, having touched nothing, when req is not a plain case.
func leanRequest(req *http.Request) (data []byte, ok bool, err error) {
	if req.URL == nil || req.Close || len(req.TransferEncoding) > 0 || req.Trailer != nil ||
		req.Method == http.MethodConnect {
		return nil, false, nil
	}
	if _, expect := req.Header["Expect"]; expect {
		return nil, false, nil
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !leanHost(host) {
		return nil, false, nil
	}
	var cl int64
	noBody := req.Body == nil || req.Body == http.NoBody
	switch {
	case noBody && req.ContentLength == 0:
	case !noBody && req.ContentLength > 0 && req.ContentLength <= maxLeanBody:
		cl = req.ContentLength
	default:
		return nil, false, nil
	}
	if httptrace.ContextClientTrace(req.Context()) != nil {
		return nil, false, nil
	}
	ruri := req.URL.RequestURI()
	for i := 0; i < len(ruri); i++ {
		if b := ruri[i]; b < ' ' || b == 0x7f {
			return nil, false, nil
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ua := "Go-http-client/1.1"
	if _, has := req.Header["User-Agent"]; has {
		ua = ""
		if v := req.Header["User-Agent"]; len(v) > 0 {
			ua = v[0]
		}
	}
	sendUA := ua != "" // tested before trimming, as net/http does
	ua = fieldValue(ua)
	sendCL := cl > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch

	var stack [16]wireField
	fields := sortedFields(stack[:0], req.Header, reqExcluded)
	var clBuf [20]byte
	clStr := strconv.AppendInt(clBuf[:0], cl, 10)

	n := len(method) + 1 + len(ruri) + len(" HTTP/1.1\r\n") + len("Host: \r\n") + len(host) + 2
	if sendUA {
		n += len("User-Agent: \r\n") + len(ua)
	}
	if sendCL {
		n += len("Content-Length: \r\n") + len(clStr)
	}
	n += fieldsLen(fields)
	hdr := n
	out := make([]byte, 0, n+int(cl))
	out = append(out, method...)
	out = append(out, ' ')
	out = append(out, ruri...)
	out = append(out, " HTTP/1.1\r\nHost: "...)
	out = append(out, host...)
	out = append(out, "\r\n"...)
	if sendUA {
		out = append(out, "User-Agent: "...)
		out = append(out, ua...)
		out = append(out, "\r\n"...)
	}
	if sendCL {
		out = append(out, "Content-Length: "...)
		out = append(out, clStr...)
		out = append(out, "\r\n"...)
	}
	out = appendFields(out, fields)
	out = append(out, "\r\n"...)
	if len(out) != hdr {
		panic("sim: request header length miscounted")
	}
	if noBody {
		if req.Body != nil {
			if err := req.Body.Close(); err != nil {
				return nil, true, err
			}
		}
		return out, true, nil
	}
	// As net/http does: copy at most cl bytes, read the rest to count it,
	// close the body, then insist that the lengths agree.
	out = out[:hdr+int(cl)]
	body := out[hdr:]
	var got int64
	for got < cl {
		m, rerr := req.Body.Read(body[got:])
		got += int64(m)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			req.Body.Close()
			return nil, true, rerr
		}
	}
	extra, err := io.Copy(io.Discard, req.Body)
	got += extra
	if err != nil {
		req.Body.Close()
		return nil, true, err
	}
	if err := req.Body.Close(); err != nil {
		return nil, true, err
	}
	if got != cl {
		return nil, true, fmt.Errorf("http: ContentLength=%d with Body length %d", cl, got)
	}
	return out, true, nil
}

// AppendResponse returns the bytes (*http.Response).Write writes for an
// HTTP/1.1 response with the given status, header and body, answering a
// request with the given method, whose Body is set only when there is a
// body and the method is not HEAD, with ContentLength the body's length,
// and no Status text, Close, Transfer-Encoding or Trailer of its own.
func AppendResponse(status int, h http.Header, method string, body []byte) []byte {
	withBody := len(body) > 0 && method != http.MethodHead
	room := 0
	if withBody {
		room = len(body)
	}
	out := ResponseHead(status, h, method, int64(len(body)), room)
	if withBody {
		out = append(out, body...)
	}
	return out
}

// ResponseHead returns the status line and header fields that
// (*http.Response).Write writes before the body of the response
// AppendResponse describes, with ContentLength cl; a negative cl stands
// for a body of unknown length sent with Transfer-Encoding: chunked (the
// Response's TransferEncoding set to chunked). The slice has room for
// room more bytes.
func ResponseHead(status int, h http.Header, method string, cl int64, room int) []byte {
	text := http.StatusText(status)
	if text == "" {
		text = "status code " + strconv.Itoa(status)
	}
	var codeBuf [24]byte
	code := strconv.AppendInt(codeBuf[:0], int64(status), 10)
	for len(code) < 3 {
		code = append([]byte{'0'}, code...)
	}
	chunked := cl < 0
	// The transfer writer's Content-Length (or Transfer-Encoding) goes
	// before the header fields (for an empty body, only when answering
	// POST, PUT or PATCH); an empty body otherwise gets "Content-Length: 0"
	// after them, when its status allows a body.
	clFirst := !chunked && (cl > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch)
	clLast := cl == 0 && !clFirst && !(status >= 100 && status <= 199) && status != 204 && status != 304
	var clBuf [20]byte
	clStr := strconv.AppendInt(clBuf[:0], cl, 10)
	var stack [16]wireField
	fields := sortedFields(stack[:0], h, respExcluded)

	n := len("HTTP/1.1 ") + len(code) + 1 + len(text) + 2
	switch {
	case chunked:
		n += len("Transfer-Encoding: chunked\r\n")
	case clFirst:
		n += len("Content-Length: \r\n") + len(clStr)
	}
	n += fieldsLen(fields)
	if clLast {
		n += len("Content-Length: 0\r\n")
	}
	n += 2
	out := make([]byte, 0, n+room)
	out = append(out, "HTTP/1.1 "...)
	out = append(out, code...)
	out = append(out, ' ')
	out = append(out, text...)
	out = append(out, "\r\n"...)
	switch {
	case chunked:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	case clFirst:
		out = append(out, "Content-Length: "...)
		out = append(out, clStr...)
		out = append(out, "\r\n"...)
	}
	out = appendFields(out, fields)
	if clLast {
		out = append(out, "Content-Length: 0\r\n"...)
	}
	out = append(out, "\r\n"...)
	if len(out) != n {
		panic("sim: response length miscounted")
	}
	return out
}

func reqExcluded(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

func respExcluded(k string) bool {
	switch k {
	case "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// sortedFields appends h's fields with a valid name that exclude does not
// match (by exact key, as net/http's exclude maps do), sorted by key.
func sortedFields(dst []wireField, h http.Header, exclude func(string) bool) []wireField {
	for k, vv := range h {
		if exclude(k) || !validFieldName(k) {
			continue
		}
		dst = append(dst, wireField{k, vv})
	}
	slices.SortFunc(dst, func(a, b wireField) int { return strings.Compare(a.key, b.key) })
	return dst
}

func fieldsLen(fields []wireField) int {
	n := 0
	for _, f := range fields {
		for _, v := range f.vals {
			n += len(f.key) + 2 + len(fieldValue(v)) + 2
		}
	}
	return n
}

func appendFields(out []byte, fields []wireField) []byte {
	for _, f := range fields {
		for _, v := range f.vals {
			out = append(out, f.key...)
			out = append(out, ": "...)
			out = append(out, fieldValue(v)...)
			out = append(out, "\r\n"...)
		}
	}
	return out
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// fieldValue is v as net/http writes it: CR and LF become spaces, and
// leading and trailing spaces and tabs go.
func fieldValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v)
	}
	return textproto.TrimString(v)
}

// validFieldName reports whether k is an RFC 7230 token, as
// httpguts.ValidHeaderFieldName does.
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isTokenByte(k[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// leanHost reports whether host is written unchanged by net/http (ASCII,
// a valid Host header, no IPv6 zone) and is not empty.
func leanHost(host string) bool {
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		switch b := host[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '.' || b == '-' || b == ':' || b == '[' || b == ']' || b == '_':
		default:
			return false
		}
	}
	return true
}
