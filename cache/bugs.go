package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net/url"
	"slices"
	"sort"

	"github.com/edgelab/edgelab/cache/control"
	"github.com/edgelab/edgelab/cache/store"
)

// Bugs are seeded mistakes, each off unless set, for the simulated cache
// world (cache/cachesim) to prove that its properties catch them. Every
// site is one check of a field here, so the correct code path is the one
// that runs when the field is false.
type Bugs struct {
	// TraceClearsControl is the October 2022 change: an upper tier traces
	// its upstream fetch by handing the tracer the live request header
	// (not a copy), then takes the origin from that header's control
	// fields. A tracer that redacts internal fields before exporting them
	// then erases the origin, and the tier resolves an empty name: 530,
	// only on misses, only where the new build runs.
	TraceClearsControl bool
	// VaryIgnored: when no stored variant matches the request's Vary
	// fields, the tier serves the newest variant anyway, as if the key
	// were the URL alone.
	VaryIgnored bool
	// PrivateStored: Cache-Control: private is read as a hint for
	// browsers, and a shared tier stores the response.
	PrivateStored bool
	// AgeNotAdded: a fresh hit sends the age the response had when it
	// arrived, not adding the time it has spent in this tier's store.
	AgeNotAdded bool
	// StaleBeyondSIE: stale-if-error is checked for presence only, so a
	// stored response is served on an upstream error however stale it is.
	StaleBeyondSIE bool
	// WaiterNotReleased: a collapse leader whose fetch got no response at
	// all returns without ending its flight; waiters that arrived before
	// it failed wait for a header that never comes.
	WaiterNotReleased bool
	// ControlToOrigin: an upper tier signs and attaches its control
	// context to every upstream request, the origin's included.
	ControlToOrigin bool
	// LowerStores5xx: a lower tier's negative cache (NegativeTTL), meant
	// for the errors it generates itself, also takes the 5xx answers of
	// its upstream, which it then serves to everyone for NegativeTTL.
	LowerStores5xx bool
	// PurgeLowerFirst: the purge API fans out from the edge inwards
	// (the reverse of its target list), so a lower tier purged first can
	// refill from an upper tier that still holds the object.
	PurgeLowerFirst bool
	// HashOwnerDiffers: the rendezvous hash that picks a key's parent is
	// salted with the hashing tier's own name, so lower tiers disagree on
	// which upper tier owns a key.
	HashOwnerDiffers bool
	// Merge304DropsETag: updating a stored header from a 304 counts ETag
	// among the fields that describe the stored bytes and drops it.
	Merge304DropsETag bool
	// CutBodyStored: a body whose connection was cut before its end is
	// read as complete, and stored.
	CutBodyStored bool
}

// traceFetchLive is TraceClearsControl's code path: the span shares the
// request's header map, and the origin is re-read from it after the
// tracer returns.
func (x *exchange) traceFetchLive() *control.Context {
	if x.ctl == nil || x.t.cfg.Tracer == nil {
		return x.ctl
	}
	x.t.cfg.Tracer.Span(Span{Tier: x.t.name, Method: x.r.Method, URL: x.key, RequestHeader: x.r.Header})
	c := *x.ctl
	c.OriginHost = x.r.Header.Get(control.FieldHost)
	return &c
}

// newestVariant is VaryIgnored's choice: the newest stored response for
// the URL, whatever it varies on.
func newestVariant(variants []*store.Object) *store.Object {
	var best *store.Object
	for _, v := range variants {
		if best == nil || v.ResponseTime.After(best.ResponseTime) {
			best = v
		}
	}
	return best
}

// cutIsEnd is CutBodyStored's reader: any read error ends the body as if
// it had ended there.
type cutIsEnd struct{ io.ReadCloser }

func (c cutIsEnd) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = io.EOF
	}
	return n, err
}

// rankSalted is HashOwnerDiffers's ranking: the tier's own name goes into
// every weight.
func rankSalted(self string, parents []*url.URL, key string) []*url.URL {
	type ranked struct {
		u *url.URL
		w uint64
	}
	rs := make([]ranked, len(parents))
	for i, p := range parents {
		h := sha256.Sum256([]byte(self + "\x00" + p.Host + "\x00" + key))
		rs[i] = ranked{p, binary.BigEndian.Uint64(h[:8])}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].w > rs[j].w })
	out := make([]*url.URL, len(rs))
	for i, r := range rs {
		out[i] = r.u
	}
	return out
}

// reversedTargets is PurgeLowerFirst's order.
func reversedTargets(ts []NamedPurger) []NamedPurger {
	out := slices.Clone(ts)
	slices.Reverse(out)
	return out
}
