// Package bhttp encodes and decodes Binary HTTP messages (RFC 9292), the
// message/bhttp format that Oblivious HTTP (RFC 9458) encrypts: a whole
// HTTP request or response as one self-delimiting byte string, so it can be
// sealed, relayed and replayed outside of any HTTP connection.
//
// Request and Response hold a message; MarshalBinary, AppendBinary,
// ParseRequest and ParseResponse convert between them and the wire form in
// both framings (known-length and indeterminate-length). FromHTTPRequest,
// Request.HTTPRequest, FromHTTPResponse and Response.HTTPResponse convert to
// and from net/http.
//
// Decoding is strict: it rejects what RFC 9292 (and the HTTP/2 field rules
// it adopts, RFC 9113 §8.2.1) makes invalid, and accepts what the RFC lets an
// encoder vary: integers need not use their shortest encoding (RFC 9292 §3),
// empty trailing sections may be left out, and any number of zero bytes may
// follow the message (§3.8). Encoding refuses anything decoding would reject,
// so every message this package produces parses back to itself.
//
// Decoding allocates in proportion to the input, never to what a length
// prefix claims: every length is checked against the bytes actually present
// before anything is allocated, so a prefix claiming 2^62 bytes fails at
// once with ErrTruncated. A decoded message does not alias the input.
//
// Errors wrap the Err* sentinels (use errors.Is); decoding errors are
// *ParseError values that say where in the input the problem is. Padding
// is always checked, although RFC 9292 §3.8 lets a decoder skip that: a
// non-zero byte there more likely means two messages run together.
//
// Deliberate strictness beyond the letter of RFC 9292, each to keep a
// message from meaning something different once it is turned back into
// HTTP/1.1 or HTTP/2:
//   - no pseudo-header fields at all in header or trailer sections, although
//     RFC 9292 §3.6 lets extensions define some;
//   - a field value may hold no control character but tab, and no DEL
//     (RFC 9110 §5.5), where RFC 9113 §8.2.1 refuses only NUL, CR and LF;
//   - method must be a token, scheme must match RFC 3986 syntax in
//     lowercase (its canonical form, the only one net/http sends), authority
//     must use only RFC 3986 authority characters, and path only visible
//     ASCII; path must not be empty when scheme is http or https
//     (RFC 9113 §8.3.1).
//
// Status 101 is accepted as an informational status: RFC 9292 allows the
// whole 100–199 range, even though HTTP/2 cannot carry 101.
package bhttp
