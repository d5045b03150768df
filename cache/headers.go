package cache

import (
	"net/http"
	"net/textproto"
	"strings"
)

// hopByHop are the connection-specific fields of RFC 9110 §7.6.1, which a
// proxy neither forwards nor stores.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// unkeyedInfluence are request fields some origins use to build URLs or
// pick content although no cache keys on them (X-Forwarded-Host and its
// kin, the classic unkeyed-header poisoning vectors). A tier never forwards
// them, so an origin cannot be steered by a field the key does not see.
var unkeyedInfluence = []string{
	"X-Forwarded-Host", "X-Forwarded-Server", "X-Forwarded-Scheme", "X-Forwarded-Proto",
	"X-Forwarded-Port", "X-Forwarded-Prefix", "X-Host", "X-Original-Url", "X-Rewrite-Url",
	"X-Original-Host", "Forwarded",
}

// methodOverride are the fields that let a GET act as another method at
// some origins (the HMO variant of cache-poisoned denial of service).
var methodOverride = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// removeHopByHop deletes the connection-specific fields and any the
// Connection field names.
func removeHopByHop(h http.Header) {
	for _, line := range h.Values("Connection") {
		for _, f := range strings.Split(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, f := range hopByHop {
		h.Del(f)
	}
}

func hasAny(h http.Header, names []string) bool {
	if len(h) == 0 {
		return false
	}
	for _, n := range names {
		if _, ok := h[n]; ok {
			return true
		}
	}
	return false
}

// firstValue is h.Get for a name already in canonical form: the hit path
// looks up a few fixed names per request and need not canonicalize them
// each time.
func firstValue(h http.Header, canonical string) string {
	if vs := h[canonical]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// headerBytes is the size of a header block as it would be sent.
func headerBytes(h http.Header) int {
	if len(h) == 0 {
		return 0 // not even a map iteration to start
	}
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// clipHeader returns a deep copy of h whose value slices are clipped
// (len == cap), so a later append to a served copy can never write into
// the stored one.
func clipHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	backing := make([]string, 0, n)
	for k, vs := range h {
		start := len(backing)
		backing = append(backing, vs...)
		out[k] = backing[start:len(backing):len(backing)]
	}
	return out
}

func canonical(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
