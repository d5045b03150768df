package hdr

import (
	"crypto/sha256"
	"strings"
)

// HeaderHash is the SHA-256 of the signed fields (already chosen, in
// order), each canonicalized, followed by the signature's own field with its
// b= value emptied and without its final CRLF (RFC 6376 §3.7).
func HeaderHash(signed []Field, sig Field, c Canon) []byte {
	h := sha256.New()
	for _, f := range signed {
		h.Write([]byte(CanonHeader(f, c)))
	}
	h.Write([]byte(strings.TrimSuffix(CanonHeader(ClearTag(sig, "b"), c), "\r\n")))
	return h.Sum(nil)
}

// BodyHash is the SHA-256 of the canonicalized body (the bh= value).
func BodyHash(body []byte, c Canon) []byte {
	sum := sha256.Sum256(CanonBody(body, c))
	return sum[:]
}

// SplitList reads a colon-separated list (h=), trimming white space.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p = trimFWS(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
