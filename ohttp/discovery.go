package ohttp

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Media types of Oblivious HTTP (RFC 9458 §9, chunked draft §8).
const (
	MediaTypeKeys       = "application/ohttp-keys"
	MediaTypeRequest    = "message/ohttp-req"
	MediaTypeResponse   = "message/ohttp-res"
	MediaTypeChunkedReq = "message/ohttp-chunked-req"
	MediaTypeChunkedRes = "message/ohttp-chunked-res"
)

// WellKnownPath is where a target's gateway lives and publishes its key
// configurations (RFC 9540 §3–4).
const WellKnownPath = "/.well-known/ohttp-gateway"

// serveKeys answers a key configuration fetch (RFC 9540 §4): the published
// configurations as application/ohttp-keys, cacheable until the next
// scheduled rotation so clients refetch when the key changes.
func serveKeys(w http.ResponseWriter, r *http.Request, ring *Keyring) {
	if !acceptable(r.Header.Values("Accept"), MediaTypeKeys) {
		writeProblem(w, http.StatusNotAcceptable, "", "not acceptable", "this resource serves "+MediaTypeKeys)
		return
	}
	cs := ring.Published()
	b, err := MarshalKeyConfigs(cs)
	if err != nil {
		writeProblem(w, http.StatusServiceUnavailable, "", "no key published", err.Error())
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "max-age="+strconv.FormatInt(int64(ring.MaxAge()/time.Second), 10))
	h.Add("Vary", "Accept")
	writeKeys(w, r, b)
}

// writeKeys answers 200 with b, encoded key configurations, as
// application/ohttp-keys (the body left out for HEAD).
func writeKeys(w http.ResponseWriter, r *http.Request, b []byte) {
	h := w.Header()
	h.Set("Content-Type", MediaTypeKeys)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// acceptable reports whether the Accept field values allow mediaType
// (RFC 9110 §12.5.1): no Accept field allows anything; otherwise the most
// specific matching range decides, and q=0 refuses.
func acceptable(accept []string, mediaType string) bool {
	if len(accept) == 0 {
		return true
	}
	typ, _, _ := strings.Cut(mediaType, "/")
	best, bestQ := -1, 0.0
	for _, line := range accept {
		for part := range strings.SplitSeq(line, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			spec := -1
			switch {
			case mt == mediaType:
				spec = 2
			case mt == typ+"/*":
				spec = 1
			case mt == "*/*":
				spec = 0
			}
			if spec < best || spec < 0 {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v <= 1 {
					q = v
				}
			}
			if spec > best {
				best, bestQ = spec, q
			} else {
				bestQ = max(bestQ, q)
			}
		}
	}
	return best >= 0 && bestQ > 0
}
