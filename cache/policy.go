package cache

import (
	"net/http"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache/cachecontrol"
	"github.com/edgelab/edgelab/cache/freshness"
)

// DefaultTargets are the targeted cache-control fields a tier obeys, most
// specific first (RFC 9213 §2.2): the product's own, then the CDN one.
var DefaultTargets = []string{"Edgelab-CDN-Cache-Control", "CDN-Cache-Control"}

// policy is what a response says about its own caching, as this tier reads
// it.
type policy struct {
	cc       cachecontrol.Directives
	targeted string // the targeted field that ruled, or ""
}

// readPolicy picks the first targeted field with a valid, non-empty value,
// then Surrogate-Control if a max-age or no-store in it applies to this
// cache; when one rules, Cache-Control and Expires are ignored (RFC 9213
// §2.1, and the Edge Architecture Note for Surrogate-Control).
func readPolicy(h http.Header, targets []string) policy {
	for _, t := range targets {
		if d, ok := cachecontrol.ParseTargeted(h.Values(t)); ok {
			return policy{cc: d, targeted: t}
		}
	}
	if d, ok := cachecontrol.ParseSurrogate(h["Surrogate-Control"], SurrogateDevice); ok {
		return policy{cc: d, targeted: "Surrogate-Control"}
	}
	return policy{cc: cachecontrol.Parse(h.Values("Cache-Control"))}
}

// SurrogateDevice is the device token every tier announces upstream in
// Surrogate-Capability and answers to in Surrogate-Control's targeted
// directives ("max-age=60;edgelab").
const SurrogateDevice = "edgelab"

// surrogateCapability is what a tier announces: Surrogate/1.0, the
// Note's base capability (Surrogate-Control understood), and no ESI.
const surrogateCapability = SurrogateDevice + `="Surrogate/1.0"`

// understood are the status codes this cache implements caching for
// (must-understand, RFC 9111 §5.2.2.3).
var understood = map[int]bool{
	200: true, 203: true, 204: true, 300: true, 301: true, 302: true, 303: true,
	307: true, 308: true, 404: true, 405: true, 410: true, 414: true, 501: true,
}

// uncacheable returns why a response to a GET may not be stored (RFC 9111
// §3), or "" if it may.
func (p policy) uncacheable(req *http.Request, status int, h http.Header, star bool) string {
	cc := p.cc
	switch {
	case status < 200 || status == 206 || status == 304:
		return "status"
	case cc.MustUnderstand && !understood[status]:
		return "must-understand"
	case cc.NoStore && !(cc.MustUnderstand && understood[status]):
		return "no-store"
	case cc.Private:
		return "private"
	case star:
		return "vary-star"
	case req.Header.Get("Authorization") != "" && !(cc.Public || cc.MustRevalidate || cc.SMaxAge.Set):
		return "authorization"
	}
	if freshness.HasExplicit(h, cc, p.targeted != "") || cc.Public || freshness.HeuristicallyCacheable(status) || cc.NoCache {
		return ""
	}
	return "no-freshness"
}

// fill sets the stored policy fields of an object from its response.
func (p policy) fill(lifetime *time.Duration, noCache, mustRevalidate *bool, swr, sie *time.Duration, h http.Header, status int) {
	cc := p.cc
	*lifetime, _ = freshness.Lifetime(h, cc, status, p.targeted != "")
	*noCache = cc.NoCache
	// s-maxage carries proxy-revalidate's semantics for a shared cache
	// (§5.2.2.10).
	*mustRevalidate = cc.MustRevalidate || cc.ProxyRevalidate || cc.SMaxAge.Set
	if cc.StaleWhileRevalidate.Set {
		*swr = time.Duration(cc.StaleWhileRevalidate.Seconds) * time.Second
	}
	if cc.StaleIfError.Set {
		*sie = time.Duration(cc.StaleIfError.Seconds) * time.Second
	}
}

// storedHeader is what a tier keeps of a response's header: no
// hop-by-hop fields, no Cache-Status (the upstream's members describe one
// past forwarding), no internal control fields, none of the fields
// no-cache="..." or private="..." name (§5.2.2.4, §5.2.2.7).
func storedHeader(h http.Header, p policy, internal func(string) bool) http.Header {
	out := h.Clone()
	removeHopByHop(out)
	out.Del("Cache-Status")
	for k := range out {
		if internal(k) {
			delete(out, k)
		}
	}
	for _, f := range p.cc.NoCacheFields {
		out.Del(f)
	}
	for _, f := range p.cc.PrivateFields {
		out.Del(f)
	}
	return clipHeader(out)
}

// describesContent are the fields that describe the stored bytes
// themselves; a 304 carries no bytes, so it cannot change them (§3.2
// names Content-Length; the others are of the same kind).
var describesContent = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Content-Range": true,
	"Content-Md5": true, "Content-Digest": true, "Digest": true,
}

// updateHeader is §3.2's update of a stored header with a 304's: each field
// of the 304 replaces the stored one, except the fields describing the
// stored bytes, hop-by-hop and internal fields, and Cache-Status.
func updateHeader(stored, fresh http.Header, internal func(string) bool) http.Header {
	out := stored.Clone()
	fresh = fresh.Clone()
	removeHopByHop(fresh)
	for k, vs := range fresh {
		if describesContent[k] || k == "Cache-Status" || internal(k) {
			continue
		}
		out[k] = vs
	}
	return clipHeader(out)
}

// tags are the purge tags a response carries: Cache-Tag (comma-separated)
// and Surrogate-Key (space-separated).
func tags(h http.Header) []string {
	var out []string
	for _, l := range h.Values("Cache-Tag") {
		for _, t := range strings.Split(l, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	for _, l := range h.Values("Surrogate-Key") {
		out = append(out, strings.Fields(l)...)
	}
	return out
}
