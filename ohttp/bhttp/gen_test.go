package bhttp

import (
	"bytes"
	"slices"
	"strings"

	"pgregory.net/rapid"
)

// Generators for valid messages. They aim at the edges of the format:
// repeated names, empty values, lengths on both sides of the 1/2/4-byte
// integer boundaries, every framing, padding, and informational responses.

var commonNames = []string{"accept", "cookie", "content-type", "date", "link", "set-cookie", "x"}

func genName() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom(commonNames),
		rapid.StringMatching("[a-z0-9!#$%&'*+.^_`|~-]{1,70}"),
	)
}

// valueBytes are the bytes a field value may hold anywhere: visible
// ASCII, space, tab and obs-text (0x80-0xff).
var valueBytes = func() (bs []byte) {
	for c := range 256 {
		if c >= ' ' && c != 0x7f || c == '\t' {
			bs = append(bs, byte(c))
		}
	}
	return bs
}()

func genValue() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		b := rapid.SliceOfN(rapid.SampledFrom(valueBytes), 0, 80).Draw(t, "value")
		return strings.Trim(string(b), " \t")
	})
}

func genFields(name *rapid.Generator[string], maxLen int) *rapid.Generator[Fields] {
	return rapid.Custom(func(t *rapid.T) Fields {
		n := rapid.IntRange(0, maxLen).Draw(t, "fields")
		var fs Fields
		for range n {
			fs = append(fs, Field{Name: name.Draw(t, "name"), Value: genValue().Draw(t, "value")})
		}
		return fs
	})
}

// genContent is nil when empty, as decoding returns it. Sometimes it is
// large enough to need a 4-byte length, built cheaply by repetition.
func genContent(allowLarge bool) *rapid.Generator[[]byte] {
	return rapid.Custom(func(t *rapid.T) []byte {
		var c []byte
		if allowLarge && rapid.IntRange(0, 9).Draw(t, "large") == 0 {
			c = bytes.Repeat([]byte{rapid.Byte().Draw(t, "fill")}, rapid.IntRange(16380, 16390).Draw(t, "size"))
		} else {
			c = rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "content")
		}
		if len(c) == 0 {
			return nil
		}
		return c
	})
}

func genFraming() *rapid.Generator[Framing] {
	return rapid.SampledFrom([]Framing{KnownLength, IndeterminateLength})
}

func genRequest(allowLarge bool) *rapid.Generator[*Request] {
	return rapid.Custom(func(t *rapid.T) *Request {
		r := &Request{
			Framing:   genFraming().Draw(t, "framing"),
			Method:    rapid.StringMatching("[A-Z]{1,8}|[a-z0-9!#$%&'*+.^_`|~-]{1,8}").Draw(t, "method"),
			Scheme:    rapid.StringMatching("https?|[a-z][a-z0-9+.-]{0,8}|").Draw(t, "scheme"),
			Authority: rapid.StringMatching(`([a-z0-9.-]{1,70}(:[0-9]{1,5})?|\[::1\](:443)?)?`).Draw(t, "authority"),
			Path:      rapid.StringMatching(`(/[!-~]{0,100}|\*)?`).Draw(t, "path"),
			Header:    genFields(genName(), 6).Draw(t, "header"),
			Content:   genContent(allowLarge).Draw(t, "content"),
			Trailer:   genFields(genName(), 3).Draw(t, "trailer"),
			Padding:   rapid.IntRange(0, 20).Draw(t, "padding"),
		}
		if r.Path == "" && (equalFold(r.Scheme, "http") || equalFold(r.Scheme, "https")) {
			r.Path = "/"
		}
		return r
	})
}

func genResponse(allowLarge bool) *rapid.Generator[*Response] {
	return rapid.Custom(func(t *rapid.T) *Response {
		r := &Response{
			Framing: genFraming().Draw(t, "framing"),
			Status:  rapid.IntRange(200, 599).Draw(t, "status"),
			Header:  genFields(genName(), 6).Draw(t, "header"),
			Content: genContent(allowLarge).Draw(t, "content"),
			Trailer: genFields(genName(), 3).Draw(t, "trailer"),
			Padding: rapid.IntRange(0, 20).Draw(t, "padding"),
		}
		for range rapid.IntRange(0, 3).Draw(t, "informational") {
			r.Informational = append(r.Informational, InformationalResponse{
				Status: rapid.IntRange(100, 199).Draw(t, "info status"),
				Header: genFields(genName(), 3).Draw(t, "info header"),
			})
		}
		return r
	})
}

// httpNames leaves out the names that conversion to net/http deliberately
// moves or drops (host, and connection-specific fields).
func httpName() *rapid.Generator[string] {
	return genName().Filter(func(name string) bool {
		return name != "host" && !slices.Contains(connectionFields, name)
	})
}

// httpPath is an origin-form request target that net/url parses and
// prints back unchanged: segments of unreserved characters, sub-delims and
// valid percent-escapes, and an optional query.
func httpPath() *rapid.Generator[string] {
	return rapid.StringMatching(`(/([a-zA-Z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2}){0,8}){1,4}(\?[a-zA-Z0-9=&/?:@._~%-]{0,20})?`).
		Filter(func(p string) bool { return !strings.Contains(p, "?") || validQuery(p) })
}

// validQuery rejects a query with a broken percent-escape, which net/url
// keeps verbatim but url.Values would reject; keeping them out keeps the
// property about what bhttp does, not net/url.
func validQuery(p string) bool {
	q := p[strings.Index(p, "?")+1:]
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && (i+2 >= len(q) || !isHex(q[i+1]) || !isHex(q[i+2])) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// genHTTPRequest is a request whose every part survives net/http.
func genHTTPRequest() *rapid.Generator[*Request] {
	return rapid.Custom(func(t *rapid.T) *Request {
		return &Request{
			Method:    rapid.SampledFrom([]string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "QUERY"}).Draw(t, "method"),
			Scheme:    rapid.SampledFrom([]string{"http", "https"}).Draw(t, "scheme"),
			Authority: rapid.StringMatching(`[a-z0-9]([a-z0-9.-]{0,20})(:[0-9]{1,5})?|\[::1\]:8443`).Draw(t, "authority"),
			Path:      httpPath().Draw(t, "path"),
			Header:    genFields(httpName(), 6).Draw(t, "header"),
			Content:   genContent(false).Draw(t, "content"),
			Trailer:   genFields(httpName(), 3).Draw(t, "trailer"),
		}
	})
}

// sortedByName is what converting through net/http does to field order:
// names sorted, the values of each name in their original order.
func sortedByName(fs Fields) Fields {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}
