package cachesim

// This file holds properties 5, 6, 7 and 9, judged on the main run's
// records (record.go): what the origin answered (its versions, their
// bodies, when it vouched for each), every tier's hops and fetches, and
// the editor's purges.

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/sim"
)

// vouchers are the true times the origin vouched for each version: a 200
// carrying its ETag or a 304 for it, by path, variant and ETag.
func (rec *runRecord) vouchers() map[string][]time.Duration {
	out := map[string][]time.Duration{}
	for _, o := range rec.origin {
		if o.Status == 200 || o.Status == 304 {
			k := o.Path + "|" + o.Variant + "|" + o.ETag
			out[k] = append(out[k], o.At)
		}
	}
	return out
}

// lastBefore is the latest time in ts at or before t, and whether one is.
func lastBefore(ts []time.Duration, t time.Duration) (time.Duration, bool) {
	best, ok := time.Duration(0), false
	for _, x := range ts {
		if x <= t && (!ok || x > best) {
			best, ok = x, true
		}
	}
	return best, ok
}

// backwardJumps is the most any tier's clock was stepped back in the plan:
// a tier counts the time an object spent in its store on its own clock,
// so a step back makes it count less than passed.
func backwardJumps(p *sim.Plan) time.Duration {
	if p == nil {
		return 0
	}
	per := map[string]time.Duration{}
	for name, n := range p.Nodes {
		if n != nil && n.Clock != nil {
			for _, j := range n.Clock.Jumps {
				if j.By < 0 {
					per[name] -= j.By.D()
				}
			}
		}
	}
	for _, f := range p.Faults {
		if f.Kind == "clock_jump" && f.By < 0 {
			per[f.Node] -= f.By.D()
		}
	}
	var most time.Duration
	for _, d := range per {
		most += d // several tiers on one path may each have stepped back
	}
	return most
}

// checkFreshness is property 5: every 200 a client got is a version the
// origin served for that request's variant, with the body the origin sent
// for it, no staler than the key's lifetime and stale window allow (plus
// a second per tier on the path, since Age counts whole seconds, and any
// step back of a tier's clock); every stored 200 is an origin version;
// and Age grows along the path: a tier's hit says at least the Age it got
// plus the time the object has spent in its store on its own clock, and a
// tier relaying an upstream answer says at least that answer's Age.
func (r *Result) checkFreshness() error {
	rec := r.Main
	v := rec.vouchers()
	slack := backwardJumps(r.plan) + 200*time.Millisecond
	// When the client's lower tier sent the answer: the network may hold
	// it back on its way to the client for any time.
	answered := map[string]time.Duration{}
	for _, h := range rec.hops {
		if k := h.trace + " " + h.etag; strings.HasPrefix(h.tier, "lower-") && h.header > 0 && h.status == 200 {
			if t, ok := answered[k]; !ok || h.header > t {
				answered[k] = h.header // a duplicated request is answered twice: take the later
			}
		}
	}
	for _, x := range rec.responses {
		if x.Status != 200 || x.Err != "" {
			continue
		}
		k := keyIndex(x.Path)
		body, ok := rec.bodies[x.Path+" "+x.ETag]
		if !ok {
			return fmt.Errorf("client-%d request %d %s: ETag %s is no version the origin served (body %.40q)", x.Client, x.Seq, x.Path, x.ETag, x.Body)
		}
		if body != x.Body {
			return fmt.Errorf("client-%d request %d %s: %d-byte body is not the %d bytes the origin sent for %s", x.Client, x.Seq, x.Path, len(x.Body), len(body), x.ETag)
		}
		sent, ok := answered[x.Trace+" "+x.ETag]
		if !ok || sent > x.Header {
			sent = x.Header
		}
		at, ok := lastBefore(v[x.Path+"|"+x.Variant+"|"+x.ETag], sent)
		if !ok {
			return fmt.Errorf("client-%d request %d %s: got %s, which the origin never served to variant %q", x.Client, x.Seq, x.Path, x.ETag, x.Variant)
		}
		ms, _ := status.Parse([]string{x.CacheStatus})
		limit := time.Duration(r.Config.MaxAge)*time.Second + staleWindow(k) + time.Duration(len(ms))*time.Second + slack
		if age := sent - at; age > limit {
			return fmt.Errorf("client-%d request %d %s: %s is %v past the origin's last word on it, over the %v allowed (Age %s, Cache-Status %s)",
				x.Client, x.Seq, x.Path, x.ETag, age.Round(time.Millisecond), limit, x.Age, x.CacheStatus)
		}
	}
	for _, o := range rec.stored {
		if body, ok := rec.bodies[o.path+" "+o.etag]; !ok || body != o.body {
			return fmt.Errorf("%s stores a %d-byte %s %s that is not what the origin sent", o.tier, len(o.body), o.path, o.etag)
		}
	}
	return r.checkAgePath()
}

func (r *Result) checkAgePath() error {
	rec := r.Main
	seen := map[string]int{} // tier|trace: a duplicated request is answered twice
	for _, h := range rec.hops {
		seen[h.tier+"|"+h.trace]++
	}
	for _, h := range rec.hops {
		if h.status != 200 || h.age < 0 || !h.ownOK {
			continue
		}
		if h.own.Hit {
			// Which of the tier's answers with this ETag it stored is
			// not known (a refresh racing another may be lost), so the
			// least Age any of them implies is the bound.
			var least *fetch
			want, resident := 0, time.Duration(0)
			for _, f := range rec.fetches {
				if f.tier != h.tier || f.path != h.path || f.etag != h.etag || f.err || (f.status != 200 && f.status != 304) || f.header > h.start {
					continue
				}
				res := max(h.clock.Sub(f.clockHeader), 0)
				if w := max(f.age, 0) + int(res/time.Second); least == nil || w < want {
					least, want, resident = f, w, res
				}
			}
			if least != nil && h.age < want {
				return fmt.Errorf("%s hit on %s %s says Age %d, but it got Age %d and has held it %v on its own clock", h.tier, h.path, h.etag, h.age, max(least.age, 0), resident.Round(time.Millisecond))
			}
			continue
		}
		if h.trace == "" || seen[h.tier+"|"+h.trace] > 1 {
			continue
		}
		// A relay: the answer of the last upstream hop of this trace.
		var up *hop
		for _, f := range rec.fetches {
			if f.tier != h.tier || f.trace != h.trace || f.path != h.path || f.err || f.start < h.start || f.header > h.header {
				continue
			}
			for _, u := range rec.hops {
				if u.tier == f.to && u.trace == h.trace && u.path == h.path && u.header > 0 && u.header <= f.header && (up == nil || u.header > up.header) {
					up = u
				}
			}
		}
		if up != nil && up.status == 200 && up.age >= 0 && up.etag == h.etag && h.age < up.age {
			return fmt.Errorf("%s relayed %s from %s with Age %d, less than the %d it got", h.tier, h.path, up.tier, h.age, up.age)
		}
	}
	return nil
}

// owner is the upper tier that owns key (the rendezvous-hash winner), as
// the deployment defines it.
func (r *Result) owner(path string) string {
	if r.Config.Topology == Smart {
		return "upper-1"
	}
	var ps []*url.URL
	for j := 1; j <= r.Config.Upper; j++ {
		ps = append(ps, &url.URL{Scheme: "http", Host: "upper-" + strconv.Itoa(j)})
	}
	return cache.RankOwners(ps, "http://"+siteHost+path)[0].Host
}

// checkCollapsing is property 6. Origin fetches per key stay within what
// the upper tiers owning it need: a traced origin fetch comes from the
// key's owner unless the request failed over on its way; an upper tier
// never fetches a key unconditionally while another unconditional fetch
// of it is under way (collapsing) or once it holds a complete copy (until
// it restarts or purges the key), except for a waiter the collapse sent
// off alone. Revalidations are not counted: the cache does not collapse
// them. And no waiter waits forever: no tier task is still blocked when
// the run has nothing left to do.
func (r *Result) checkCollapsing() error {
	rec := r.Main
	if len(rec.blocked) > 0 && rec.report.Quiescent {
		return fmt.Errorf("tier tasks still waiting at the end: %s", strings.Join(rec.blocked, "; "))
	}
	failedOver := map[string]bool{}
	for _, f := range rec.fetches {
		if f.err && f.trace != "" {
			failedOver[f.trace] = true
		}
	}
	// A waiter the collapse sent off alone fetches outside any flight.
	// Its member says so unless an error detail replaced it, so a fetch
	// also counts as a released waiter's when a fetch of the same key, or
	// a failed lookup of the origin, by the same tier ended while its
	// request waited (a leader fails either way).
	start := map[string]time.Duration{} // tier|trace: when the tier got the request
	declined := map[string]bool{}
	for _, h := range rec.hops {
		if _, ok := start[h.tier+"|"+h.trace]; !ok {
			start[h.tier+"|"+h.trace] = h.start
		}
		if h.ownOK && h.own.Detail == "collapse-declined" {
			declined[h.tier+"|"+h.trace] = true
		}
	}
	released := func(f *fetch) bool {
		if f.trace == "" || declined[f.tier+"|"+f.trace] {
			return true
		}
		s, ok := start[f.tier+"|"+f.trace]
		if !ok {
			return true
		}
		for _, g := range rec.fetches {
			if g != f && g.tier == f.tier && g.path == f.path && g.end != 0 && g.end >= s && g.end <= f.start {
				return true
			}
		}
		for _, l := range rec.lookups {
			if l.Tier == f.tier && l.Err != "" && l.End >= s && l.End <= f.start {
				return true
			}
		}
		return false
	}
	for _, o := range rec.origin {
		if o.Trace == "" || !strings.HasPrefix(o.From, "upper-") || failedOver[o.Trace] {
			continue
		}
		if own := r.owner(o.Path); o.From != own {
			return fmt.Errorf("origin got %s from %s, which does not own it (%s does), with no fail-over on the way", o.Path, o.From, own)
		}
	}
	type group struct{ tier, path, variant string }
	byGroup := map[group][]*fetch{}
	for _, f := range rec.fetches {
		if f.to != "origin" || f.conditional || !strings.HasPrefix(f.tier, "upper-") || private(keyIndex(f.path)) {
			continue
		}
		g := group{f.tier, f.path, f.variant}
		byGroup[g] = append(byGroup[g], f)
	}
	for g, fs := range byGroup {
		for i, f2 := range fs {
			if released(f2) {
				continue
			}
			for _, f1 := range fs[:i] {
				if r.lostStore(g.tier, g.path, f1.start, f2.start) {
					continue
				}
				if f1.end == 0 || f2.start < f1.end {
					if !released(f1) && f1.end != 0 && !r.replaced(g.tier, min(f1.start, start[f1.tier+"|"+f1.trace], start[f2.tier+"|"+f2.trace]), f2.start) {
						return fmt.Errorf("%s fetched %s (%s) from the origin twice at once (from %v and %v)", g.tier, g.path, g.variant, f1.start, f2.start)
					}
					continue
				}
				if f1.complete && f1.status == 200 && !r.lostStore(g.tier, g.path, f1.end, f2.start) {
					return fmt.Errorf("%s fetched %s (%s) from the origin at %v without a validator although it stored a complete copy at %v", g.tier, g.path, g.variant, f2.start, f1.end)
				}
			}
		}
	}
	return nil
}

// lostStore reports whether tier lost path's stored copies between a and
// b: it crashed or restarted (cold), or purged the key.
func (r *Result) lostStore(tier, path string, a, b time.Duration) bool {
	rec := r.Main
	for _, ts := range [][]time.Duration{rec.restarts[tier], rec.crashes[tier]} {
		for _, t := range ts {
			if t >= a && t <= b {
				return true
			}
		}
	}
	for _, p := range rec.purged {
		if p.tier == tier && p.at >= a && p.at <= b {
			return true
		}
	}
	return false
}

// replaced reports whether tier's process was replaced (rollout or
// restart) between a and b, which ends the flights it had.
func (r *Result) replaced(tier string, a, b time.Duration) bool {
	for _, ts := range [][]time.Duration{r.Main.switched[tier], r.Main.restarts[tier]} {
		for _, t := range ts {
			if t >= a && t <= b {
				return true
			}
		}
	}
	return false
}

// level is a tier's place on a path from the origin: uppers, hub, lowers.
func level(tier string) int {
	switch {
	case strings.HasPrefix(tier, "upper-"):
		return 0
	case strings.HasPrefix(tier, "hub-"):
		return 1
	case strings.HasPrefix(tier, "lower-"):
		return 2
	}
	return -1
}

// checkCacheStatus is property 7: every Cache-Status a client got is a
// well-formed chain from the origin side to the client's own lower tier,
// each tier once and in order, a hit only where the chain starts; and
// each tier's member agrees with what it did: a member with a forwarded
// status got that status from upstream in that request, a hit or
// collapsed member sent nothing upstream, a 5xx served from a store is
// an error the tier once generated itself, and no tier says it stored a
// private answer or an upstream 5xx that came without a lifetime.
func (r *Result) checkCacheStatus() error {
	rec := r.Main
	for _, x := range rec.responses {
		if x.Err != "" || x.Status == 0 {
			continue
		}
		ms, err := status.Parse([]string{x.CacheStatus})
		if err != nil || len(ms) == 0 {
			return fmt.Errorf("client-%d request %d: Cache-Status %q does not parse", x.Client, x.Seq, x.CacheStatus)
		}
		if last := ms[len(ms)-1].Cache; last != "lower-"+strconv.Itoa(x.Client) {
			return fmt.Errorf("client-%d request %d: Cache-Status %q ends at %s, not the client's lower tier", x.Client, x.Seq, x.CacheStatus, last)
		}
		for i, m := range ms {
			if level(m.Cache) < 0 || (i > 0 && level(m.Cache) <= level(ms[i-1].Cache)) {
				return fmt.Errorf("client-%d request %d: Cache-Status %q is not a path from the origin side", x.Client, x.Seq, x.CacheStatus)
			}
			if m.Hit && i > 0 {
				return fmt.Errorf("client-%d request %d: Cache-Status %q has a hit below another tier", x.Client, x.Seq, x.CacheStatus)
			}
			if m.Hit && (m.Fwd != "" || m.Collapsed) {
				return fmt.Errorf("client-%d request %d: Cache-Status %q: a hit that was also forwarded or collapsed", x.Client, x.Seq, x.CacheStatus)
			}
		}
	}
	ownErrors := map[string]bool{} // tier|path|status: errors a tier generated and stored
	seen := map[string]int{}       // tier|trace: a duplicated request is answered twice
	for _, h := range rec.hops {
		seen[h.tier+"|"+h.trace]++
	}
	for _, h := range rec.hops {
		if !h.ownOK || h.header == 0 {
			continue
		}
		if h.own.Cache != h.tier {
			return fmt.Errorf("%s answered %s with Cache-Status %q, whose last member is not its own", h.tier, h.path, h.cs)
		}
		m := h.own
		if h.status >= 500 && m.Stored && m.FwdStatus == 0 {
			ownErrors[h.tier+"|"+h.path+"|"+strconv.Itoa(h.status)] = true
		}
		if h.status >= 500 && m.Hit && !ownErrors[h.tier+"|"+h.path+"|"+strconv.Itoa(h.status)] {
			return fmt.Errorf("%s served a stored %d for %s that it did not generate (Cache-Status %s)", h.tier, h.status, h.path, h.cs)
		}
		if h.trace == "" || seen[h.tier+"|"+h.trace] > 1 {
			continue
		}
		var sent []*fetch
		for _, f := range rec.fetches {
			if f.tier == h.tier && f.trace == h.trace && f.path == h.path && f.start >= h.start && f.start <= h.header {
				sent = append(sent, f)
			}
		}
		switch {
		case (m.Hit || m.Collapsed) && len(sent) > 0:
			return fmt.Errorf("%s says %q for %s but fetched it upstream", h.tier, h.cs, h.path)
		case m.FwdStatus != 0 && !m.Collapsed:
			if m.Stored && slices.ContainsFunc(sent, func(f *fetch) bool {
				return f.status == m.FwdStatus && strings.Contains(f.cc, "private")
			}) {
				return fmt.Errorf("%s says it stored %s, which came private (Cache-Status %s)", h.tier, h.path, h.cs)
			}
			if !slices.ContainsFunc(sent, func(f *fetch) bool { return !f.err && f.status == m.FwdStatus }) {
				return fmt.Errorf("%s says fwd-status=%d for %s but got no such answer upstream", h.tier, m.FwdStatus, h.path)
			}
			// No answer in this world gives a 5xx a lifetime: a tier
			// that stored one made the lifetime up.
			if m.Stored && m.FwdStatus >= 500 && slices.ContainsFunc(sent, func(f *fetch) bool {
				return f.status == m.FwdStatus && !strings.Contains(f.cc, "max-age")
			}) {
				return fmt.Errorf("%s stored its upstream's %d for %s, which came without a lifetime (Cache-Status %s)", h.tier, m.FwdStatus, h.path, h.cs)
			}
		}
	}
	return nil
}

// checkPurge is property 9: once a purge has completed at every tier, no
// client request sent after it gets the purged content (any version from
// before the edit); and no tier, once it has purged the key, takes the
// purged content in again from upstream. A fill that was under way at a
// tier when that tier purged may still land old content (the cache has no
// purge epochs); such an episode is not judged.
func (r *Result) checkPurge() error {
	rec := r.Main
	for _, ep := range rec.episodes {
		if !ep.ok || r.fillCrossedPurge(ep) {
			continue
		}
		for _, p := range rec.purged {
			if p.at < ep.start || p.at > ep.end {
				continue
			}
			for _, f := range rec.fetches {
				if f.tier != p.tier || f.path != ep.path || f.start <= p.at || f.err || (f.status != 200 && f.status != 304) {
					continue
				}
				if e, ok := editOf(f.etag); ok && e < ep.edit {
					return fmt.Errorf("%s purged %s at %v, then took its purged content %s in again from %s at %v", p.tier, ep.path, p.at, f.etag, f.to, f.header)
				}
			}
		}
		for _, x := range rec.responses {
			if x.Path != ep.path || x.Start <= ep.end || x.Status != 200 || x.Err != "" {
				continue
			}
			if e, ok := editOf(x.ETag); ok && e < ep.edit {
				return fmt.Errorf("client-%d request %d at %v got %s %s, purged by %v", x.Client, x.Seq, x.Start, x.Path, x.ETag, ep.end)
			}
		}
	}
	return nil
}

// fillCrossedPurge reports whether a tier had an upstream exchange for the
// episode's key with content from before the edit under way when it
// purged it.
func (r *Result) fillCrossedPurge(ep purgeEpisode) bool {
	rec := r.Main
	for _, p := range rec.purged {
		if p.at < ep.start || p.at > ep.end {
			continue
		}
		for _, f := range rec.fetches {
			if f.tier != p.tier || f.path != ep.path || f.start > p.at || (f.end != 0 && f.end < p.at) {
				continue
			}
			if e, ok := editOf(f.etag); ok && e < ep.edit {
				return true
			}
		}
	}
	return false
}

// editOf reads the edit count from an origin ETag ("v3.1-fr").
func editOf(etag string) (int, bool) {
	t := strings.Trim(etag, `"`)
	_, rest, ok := strings.Cut(t, ".")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, "-")
	n, err := strconv.Atoi(rest)
	return n, err == nil
}
