package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/cache/control"
)

// Where a tier sends what it cannot answer, by topology:
//
//   - no Parents: the origin (Config.Origin, or for an upper tier the
//     origin named in the authenticated control context);
//   - smart: one parent, the upper tier near the origin;
//   - generic: several parents, the owner of a key chosen by rendezvous
//     hashing of the cache key, so every lower tier with the same parent
//     list picks the same owner, and the next-ranked owner on failure;
//   - regional: a lower tier's parent is a regional hub, itself an upper
//     tier (it reads the control context) with the upper tier as parent.
//
// When every parent is unreachable a tier goes to the origin itself only if
// DirectToOrigin says so.

// errOriginDNS is an origin name that does not resolve.
type errOriginDNS struct {
	host string
	err  error
}

func (e *errOriginDNS) Error() string {
	return fmt.Sprintf("origin %q does not resolve: %v", e.host, e.err)
}

// send routes req (whose URL holds only path and query) upstream for key.
// in is the control context this tier received (upper tiers), or nil.
func (t *Tier) send(req *http.Request, key string, in *control.Context) (*http.Response, error) {
	if len(t.cfg.Parents) > 0 {
		ctx := t.outgoingContext(in)
		var errs []error
		for _, p := range t.rankParents(key) {
			attempt := req.Clone(req.Context())
			attempt.URL = joinURL(p, req.URL)
			control.Attach(attempt.Header, ctx, t.cfg.ControlKey, attempt.Method, attempt.URL.RequestURI())
			resp, err := t.cfg.Transport.RoundTrip(attempt)
			if err == nil {
				return resp, nil
			}
			errs = append(errs, fmt.Errorf("parent %s: %w", p.Host, err))
			t.env.Record(FactCacheFailover, tierTerm(t.name), keyTerm(key), pubTerm(p.Host))
			if req.Body != nil && req.Body != http.NoBody {
				break // a body cannot be sent twice
			}
			if req.Context().Err() != nil {
				break
			}
		}
		if !t.cfg.DirectToOrigin {
			return nil, errors.Join(errs...)
		}
	}
	return t.sendToOrigin(req, in)
}

// sendToOrigin sends req to the origin: the configured one, or the one the
// control context names, resolved here with the Env's resolver (so a
// simulated tier resolves in the simulated DNS, and a name that does not
// resolve is told apart from an origin that does not answer).
func (t *Tier) sendToOrigin(req *http.Request, in *control.Context) (*http.Response, error) {
	req = req.Clone(req.Context())
	control.Strip(req.Header)
	if in == nil {
		c := t.outgoingContext(nil)
		in = &c
	}
	if t.cfg.Bugs.ControlToOrigin {
		control.Attach(req.Header, t.outgoingContext(in), t.cfg.ControlKey, req.Method, req.URL.RequestURI())
	}
	if in.Scheme == "https" {
		// The transport resolves and verifies the name itself.
		req.URL = joinURL(&url.URL{Scheme: "https", Host: in.OriginHost}, req.URL)
		return t.cfg.Transport.RoundTrip(req)
	}
	host, port, err := net.SplitHostPort(in.OriginHost)
	if err != nil {
		host, port = in.OriginHost, ""
	}
	addr := host
	if net.ParseIP(host) == nil {
		addrs, err := t.env.Resolver().LookupHost(req.Context(), host)
		if err != nil || len(addrs) == 0 {
			if err == nil {
				err = errors.New("no addresses")
			}
			return nil, &errOriginDNS{host: host, err: err}
		}
		addr = addrs[0]
	}
	if port != "" {
		addr = net.JoinHostPort(addr, port)
	} else if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	req.URL = joinURL(&url.URL{Scheme: in.Scheme, Host: addr}, req.URL)
	return t.cfg.Transport.RoundTrip(req)
}

// outgoingContext is the control context this tier attaches for its
// parents: a lower tier builds it from its zone's configuration; a hub
// passes on what it received, one hop further.
func (t *Tier) outgoingContext(in *control.Context) control.Context {
	if in != nil {
		return in.Next(t.name)
	}
	return control.Context{OriginHost: t.cfg.Origin.Host, Scheme: t.cfg.Origin.Scheme,
		Zone: t.cfg.Zone, Route: t.cfg.Route, Hops: 1, Path: []string{t.name}}
}

// rankParents orders the parents for key: as configured, or by rendezvous
// hashing when HashParents (the generic topology).
func (t *Tier) rankParents(key string) []*url.URL {
	if !t.cfg.HashParents || len(t.cfg.Parents) < 2 {
		return t.cfg.Parents
	}
	if t.cfg.Bugs.HashOwnerDiffers {
		return rankSalted(t.name, t.cfg.Parents, key)
	}
	return RankOwners(t.cfg.Parents, key)
}

// RankOwners orders parents by their rendezvous-hash weight for key,
// highest first: the first is the key's owner, the rest its fail-over
// order. Every tier computes the same order from the same list.
func RankOwners(parents []*url.URL, key string) []*url.URL {
	type ranked struct {
		u *url.URL
		w uint64
	}
	rs := make([]ranked, len(parents))
	for i, p := range parents {
		h := sha256.Sum256([]byte(p.Host + "\x00" + key))
		rs[i] = ranked{p, binary.BigEndian.Uint64(h[:8])}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].w > rs[j].w })
	out := make([]*url.URL, len(rs))
	for i, r := range rs {
		out[i] = r.u
	}
	return out
}

// joinURL puts ref's path and query under base.
func joinURL(base, ref *url.URL) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + ref.Path
	u.RawPath = ""
	if ref.RawPath != "" {
		u.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + ref.RawPath
	}
	u.RawQuery = ref.RawQuery
	return &u
}
