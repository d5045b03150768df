package cachesim

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/cachekey"
	"github.com/edgelab/edgelab/cache/control"
	"github.com/edgelab/edgelab/cache/status"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

// The names the world gives its hosts.
const (
	siteHost   = "www.example"    // what clients ask for
	originHost = "origin.example" // the origin's DNS name
)

// controlKey is the deployment's control-envelope key in the world.
var controlKey = []byte("cachesim-deployment-control-key!")

// tracing is which tracer the new build carries.
type tracing int

const (
	tracingOff     tracing = iota // the new build has no tracer
	tracingExport                 // a tracer that redacts internal fields before export
	tracingHostile                // a tracer that tries to change everything it is handed
)

// build is one variant run of a plan.
type build struct {
	tracing tracing
	updated int // upper tiers rolled out (the plan's, or 0 for all old)
	bugs    cache.Bugs
}

// Response is what a client saw for one request.
type Response struct {
	Client, Seq int
	Path        string
	Status      int
	Body        string
	Age         string
	CacheStatus string
	ETag        string
	Err         string
	// Start and End are when the client sent the request and had the
	// answer, in the simulation's true time (no node's clock).
	Start, End time.Duration
	// Via is how the request went (ViaLowerHit, ...), with whether
	// the upper tier that fetched ran the new build then.
	Via string
	// Header is when the response's header arrived (true time).
	Header time.Duration
	// Variant is what the origin would tailor the response to: the
	// language for a key that varies on it, the client for a private one.
	Variant string
	// Trace is the request's W3C trace id.
	Trace string
}

// String is the response as compared across builds.
func (r Response) String() string {
	return fmt.Sprintf("c%d#%d %s %d age=%s etag=%s cs=[%s] err=%q body=%q", r.Client, r.Seq, r.Path, r.Status, r.Age, r.ETag, r.CacheStatus, r.Err, r.Body)
}

// OriginRequest is one request the origin received.
type OriginRequest struct {
	From   string // node name
	Method string
	Path   string
	Header string // canonical, without the tracer's own Traceparent
	// What the origin did (true time of its answer, status, ETag), for
	// whom (the variant) and in which trace.
	At          time.Duration
	Status      int
	ETag        string
	Variant     string
	Trace       string
	Conditional bool
}

// UpperRequest is one request an upper tier (or hub) received, and
// whether its control envelope was complete and authentic.
type UpperRequest struct {
	Tier, From, Path string
	ControlErr       string
}

// Run is one variant run's record.
type runRecord struct {
	responses []Response
	origin    []OriginRequest
	upper     []UpperRequest
	// state is every tier's stored objects at the end, rendered.
	state []string
	// storedControl lists stored objects that carry a control field.
	storedControl []string
	// lookups are the tiers' DNS lookups, in the order they ended.
	lookups []Lookup
	trace   *model.Trace
	report  *sim.Report

	// hops and fetches are every tier's answers and upstream exchanges
	// (record.go); bodies the origin's body for each path and ETag.
	hops    []*hop
	fetches []*fetch
	bodies  map[string]string
	// restarts are when each tier came back (cold); crashes when each
	// went down.
	restarts, crashes map[string][]time.Duration
	// switched are when each tier's process was replaced by the rollout
	// (the store is kept, flights in progress are not).
	switched map[string][]time.Duration
	// purged are the purges each tier applied; episodes the editor's
	// edit-and-purge rounds.
	purged   []tierPurge
	episodes []purgeEpisode
	// blocked are tier tasks still waiting when the run went quiet.
	blocked []string
	// stored are the 200s every tier holds at the end.
	stored []storedObject
}

// storedObject is one 200 a tier holds at the end of a run.
type storedObject struct {
	tier, path, etag, body string
}

type tierNode struct {
	name   string
	upper  bool
	index  int // 1-based among its kind
	cfg    cache.Config
	store  func() *cache.Tier
	cur    *cache.Tier
	isNew  bool
	parent []*url.URL
}

func (tn *tierNode) ServeHTTP(w http.ResponseWriter, r *http.Request) { tn.cur.ServeHTTP(w, r) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// runOnce runs the plan once as build b.
func runOnce(seed uint64, plan *sim.Plan, cfg Config, b build) (*runRecord, error) {
	s := sim.New(sim.Config{Seed: seed, Limit: time.Hour})
	rec := &runRecord{bodies: map[string]string{}, restarts: map[string][]time.Duration{}, crashes: map[string][]time.Duration{}, switched: map[string][]time.Duration{}}
	addrName := map[string]string{}

	site := newSiteState(s, cfg)
	origin := s.AddNode("origin")
	nameAddrs(addrName, origin)
	origin.HostHTTP(80, originHandler(origin.Env(), cfg, rec, addrName, site, s.Now))

	// The origin's name lives in a zone served by a DNS node; tiers
	// resolve it with their Env's resolver over the simulated network.
	dnsNode := s.AddNode(dnsNodeName)
	records := []sim.Record{{Name: originHost + ".", Type: "A", TTL: 60, Value: origin.Addr4().String()}}
	if a6 := origin.Addr6(); a6.IsValid() {
		records = append(records, sim.Record{Name: originHost + ".", Type: "AAAA", TTL: 60, Value: a6.String()})
	}
	zone, err := sim.NewZone(records...)
	if err != nil {
		return nil, err
	}
	dnsNode.ServeDNS(zone)
	// Short per-query timeouts, so that a lost query is retried within
	// a tier's upstream timeout; a plan's resolver settings override.
	s.SetResolverConfig(sim.ResolverConfig{Timeout: 300 * time.Millisecond, Attempts: 2})

	var uppers, hubs, lowers []*tierNode
	var upperURLs []*url.URL
	for j := 1; j <= cfg.Upper; j++ {
		name := "upper-" + strconv.Itoa(j)
		uppers = append(uppers, &tierNode{name: name, upper: true, index: j})
		upperURLs = append(upperURLs, mustURL("http://"+name))
	}
	if cfg.Topology == Regional {
		hubs = append(hubs, &tierNode{name: "hub-1", upper: true, index: 1, parent: upperURLs})
	}
	for i := 1; i <= cfg.Lower; i++ {
		parents := upperURLs
		if cfg.Topology == Regional {
			parents = []*url.URL{mustURL("http://hub-1")}
		}
		if cfg.Topology == Smart {
			parents = upperURLs[:1]
		}
		lowers = append(lowers, &tierNode{name: "lower-" + strconv.Itoa(i), index: i, parent: parents})
	}
	all := append(append(append([]*tierNode{}, uppers...), hubs...), lowers...)
	byName := map[string]*tierNode{}
	for _, tn := range all {
		byName[tn.name] = tn
	}
	for _, tn := range all {
		n := s.AddNode(tn.name)
		nameAddrs(addrName, n)
		tn := tn
		te := &tierEnv{Env: n.Env(), tier: tn.name, s: s, rec: rec}
		te.transport = &recordingTransport{rt: n.Env().Transport(), e: te, cfg: cfg, names: addrName}
		boot := func() {
			tn.cfg = cache.Config{Name: tn.name, Env: te, Origin: mustURL("http://" + originHost),
				Parents: tn.parent, HashParents: cfg.Topology != Smart && len(tn.parent) > 1,
				Upper: tn.upper, ControlKey: controlKey, Zone: "zone-1", Route: "route-1",
				Timeout: 2 * time.Second}
			if !tn.upper {
				// Lower tiers keep their own gateway errors for a
				// second, so a failing parent is not hammered.
				tn.cfg.NegativeTTL = time.Second
			}
			// A seeded bug other than the outage's is in the build
			// every tier runs from the start; the outage's rides the
			// rollout (switchTo).
			tn.cfg.Bugs = b.bugs
			tn.cfg.Bugs.TraceClearsControl = false
			tn.isNew = false
			t, err := cache.New(tn.cfg)
			if err != nil {
				panic(err)
			}
			tn.cur = t
		}
		boot()
		// A crashed tier restarts cold, on the build it ran.
		n.OnCrash(func() { rec.crashes[tn.name] = append(rec.crashes[tn.name], s.Now()) })
		n.OnRestart(func() {
			rec.restarts[tn.name] = append(rec.restarts[tn.name], s.Now())
			wasNew := tn.isNew
			boot()
			if wasNew {
				tn.switchTo(b, true)
			}
		})
		if tn.upper {
			n.HostHTTP(80, watchUpper(tn, rec, addrName, watchHops(tn, te, tn)))
		} else {
			n.HostHTTP(80, watchHops(tn, te, tn))
		}
		n.HostHTTP(purgePort, &cache.PurgeAPI{Token: purgeToken, Targets: []cache.NamedPurger{{Name: tn.name, Purger: tierPurger{tn, rec, s}}}})
	}
	addEditor(s, cfg, b, rec, site, append(append(append([]*tierNode{}, uppers...), hubs...), lowers...))
	// The rollout: upper tiers switch to the new build one at a time.
	for j := 0; j < b.updated && j < len(uppers); j++ {
		tn := uppers[j]
		s.At(cfg.RolloutAt+time.Duration(j)*cfg.RolloutStep, func() {
			rec.switched[tn.name] = append(rec.switched[tn.name], s.Now())
			tn.switchTo(b, false)
		})
	}
	for i, lo := range lowers {
		n := s.AddNode("client-" + strconv.Itoa(i+1))
		lower := lo.name
		id := i + 1
		n.Start(func(e env.Env) { client(e, cfg, id, lower, rec, s.Now, byName) })
	}
	if err := plan.Apply(s); err != nil {
		return nil, err
	}
	rep, err := s.Run()
	if err != nil {
		return nil, err
	}
	rec.report = rep
	rec.trace = s.Trace()
	for _, bt := range rep.Blocked {
		// A waiter waits on a notifier; a paused tier's tasks wait for
		// the pause to end, which is the plan's doing.
		if byName[bt.Node] != nil && bt.On == "notifier" && !s.Node(bt.Node).Paused() {
			rec.blocked = append(rec.blocked, bt.String())
		}
	}
	for _, tn := range all {
		for k := 0; k < cfg.Keys; k++ {
			key := cachekey.URI("http", siteHost, keyPath(k))
			for _, o := range tn.cur.Store().Get(key) {
				if o.Status == http.StatusOK {
					rec.stored = append(rec.stored, storedObject{tier: tn.name, path: keyPath(k), etag: o.Header.Get("ETag"), body: string(o.Body)})
				}
				var fields []string
				for f := range o.Header {
					if control.IsInternal(f) {
						rec.storedControl = append(rec.storedControl, tn.name+" "+key+" "+f)
					}
					if f == "Date" || f == "Age" {
						continue // when, not what
					}
					fields = append(fields, f+": "+strings.Join(o.Header[f], ", "))
				}
				sort.Strings(fields)
				rec.state = append(rec.state, fmt.Sprintf("%s %s %d %s %q", tn.name, key, o.Status, strings.Join(fields, "|"), o.Body))
			}
		}
	}
	return rec, nil
}

// switchTo puts the tier on the new build: the same code with the
// variant's tracer and bugs. A rollout keeps the store (the process is
// replaced, the cache is not); a restart has already emptied it.
func (tn *tierNode) switchTo(b build, _ bool) {
	c := tn.cfg
	c.Store = tn.cur.Store()
	switch b.tracing {
	case tracingExport:
		c.Tracer = exportTracer{}
	case tracingHostile:
		c.Tracer = hostileTracer{}
	}
	c.Bugs = b.bugs
	t, err := cache.New(c)
	if err != nil {
		panic(err)
	}
	tn.cur, tn.isNew = t, true
}

// watchUpper records each request an upper tier receives and checks its
// control envelope before the tier sees it.
func watchUpper(tn *tierNode, rec *runRecord, addrName map[string]string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := UpperRequest{Tier: tn.name, From: nodeOf(r.RemoteAddr, addrName), Path: r.URL.Path}
		if _, err := control.Read(r.Header, controlKey, r.Method, r.URL.RequestURI()); err != nil {
			u.ControlErr = err.Error()
		}
		rec.upper = append(rec.upper, u)
		next.ServeHTTP(w, r)
	})
}

// nameAddrs maps n's addresses, both families, to its name.
func nameAddrs(m map[string]string, n *sim.Node) {
	m[n.Addr4().String()] = n.Name()
	if a := n.Addr6(); a.IsValid() {
		m[a.String()] = n.Name()
	}
}

func nodeOf(remote string, addrName map[string]string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if n, ok := addrName[host]; ok {
		return n
	}
	return host
}

func keyPath(k int) string { return "/obj/" + strconv.Itoa(k) }

// The kinds of key, by number: every key is versioned; odd keys may be
// served stale while revalidating for a second, even keys stale on an
// error for a second; keys 1, 4, 7... vary on Accept-Language; keys 2, 7,
// 12... are private to the client (its session cookie); keys 3, 7, 11...
// are large bodies when BigKB is set.
func keyIndex(path string) int {
	k, err := strconv.Atoi(strings.TrimPrefix(path, "/obj/"))
	if err != nil {
		return -1
	}
	return k
}

func variesOnLanguage(k int) bool { return k%3 == 1 }
func private(k int) bool          { return k%5 == 2 }

// staleWindow is how long past its lifetime the origin lets a key be
// served: stale-while-revalidate (odd) or stale-if-error (even).
func staleWindow(k int) time.Duration { return time.Second }

// language is the variant the origin serves for an Accept-Language.
func language(h http.Header) string {
	if strings.TrimSpace(h.Get("Accept-Language")) == "fr" {
		return "fr"
	}
	return "en"
}

// clientOf is the client a session cookie names, or "anonymous".
func clientOf(h http.Header) string {
	for _, c := range (&http.Request{Header: h}).Cookies() {
		if c.Name == "id" {
			return c.Value
		}
	}
	return "anonymous"
}

// variantOf is what the origin tailors path's answer to for a request
// with header h: "" for a key everyone shares.
func variantOf(path string, h http.Header) string {
	k := keyIndex(path)
	var parts []string
	if k >= 0 && variesOnLanguage(k) {
		parts = append(parts, language(h))
	}
	if k >= 0 && private(k) {
		parts = append(parts, clientOf(h))
	}
	return strings.Join(parts, " ")
}

// siteState is what the site's editor changes: an edit count per key
// (each edit makes a new version the old one's purge must remove), and
// the seconds of the run in which the origin browns out.
type siteState struct {
	edits    []int
	brownout []bool
}

func newSiteState(s *sim.Sim, cfg Config) *siteState {
	st := &siteState{edits: make([]int, cfg.Keys)}
	if cfg.OriginErrors > 0 {
		// Drawn up front from a stream of its own, so the schedule of
		// requests does not change which seconds fail.
		r := s.Rand("cachesim/brownout")
		n := int((time.Duration(cfg.Requests)*cfg.Interval*2)/time.Second) + 120
		st.brownout = make([]bool, n)
		for i := range st.brownout {
			st.brownout[i] = r.IntN(1000) < cfg.OriginErrors
		}
	}
	return st
}

// originHandler serves versioned content: the version of a key is the
// number of VersionTicks passed on the origin's clock with the key's edit
// count, its ETag names both (and the variant), and a matching
// If-None-Match gets 304. Every fourth key is a large body (BigKB),
// streamed across the network in segments; the origin may answer late
// (up to OriginDelay), cut a large body half-way (OriginCut per mille),
// and answer 503 through a brownout second (OriginErrors).
func originHandler(e env.Env, cfg Config, rec *runRecord, addrName map[string]string, site *siteState, now func() time.Duration) http.Handler {
	start := e.Now()
	var buf [8]byte
	draw := func(n uint64) uint64 {
		if n == 0 {
			return 0
		}
		io.ReadFull(e.Rand(), buf[:])
		return binary.LittleEndian.Uint64(buf[:]) % n
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		delete(h, "Traceparent")
		var b strings.Builder
		h.Write(&b)
		rec.origin = append(rec.origin, OriginRequest{From: nodeOf(r.RemoteAddr, addrName), Method: r.Method, Path: r.URL.Path, Header: b.String(),
			Variant: variantOf(r.URL.Path, r.Header), Trace: traceOf(r.Header), Conditional: r.Header.Get("If-None-Match") != ""})
		idx := len(rec.origin) - 1
		if d := draw(uint64(cfg.OriginDelay / time.Millisecond)); d > 0 {
			e.Sleep(time.Duration(d) * time.Millisecond)
		}
		o := &rec.origin[idx] // after the sleep: the slice may have grown meanwhile
		o.At = now()
		cut := draw(1000) < uint64(cfg.OriginCut)
		elapsed := e.Now().Sub(start)
		if slot := int(elapsed / time.Second); slot >= 0 && slot < len(site.brownout) && site.brownout[slot] {
			o.Status = http.StatusServiceUnavailable
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "origin unavailable\n")
			return
		}
		k := keyIndex(r.URL.Path)
		edit := 0
		if k >= 0 && k < len(site.edits) {
			edit = site.edits[k]
		}
		version := strconv.Itoa(int(elapsed/cfg.VersionTick)) + "." + strconv.Itoa(edit)
		tag := "v" + version
		body := r.URL.Path + " version " + version
		cc := "max-age=" + strconv.Itoa(cfg.MaxAge)
		if k%2 == 1 {
			cc += ", stale-while-revalidate=1"
		} else {
			cc += ", stale-if-error=1"
		}
		if variesOnLanguage(k) {
			lang := language(r.Header)
			w.Header().Set("Vary", "Accept-Language")
			tag += "-" + lang
			body += " " + lang
		}
		if private(k) {
			who := clientOf(r.Header)
			cc = "private, " + cc
			tag += "-" + who
			body += " for " + who
		}
		etag := `"` + tag + `"`
		body += "\n"
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "text/plain")
		o.ETag = etag
		if r.Header.Get("If-None-Match") == etag {
			o.Status = http.StatusNotModified
			w.WriteHeader(http.StatusNotModified)
			return
		}
		o.Status = http.StatusOK
		if k%4 != 3 || cfg.BigKB == 0 {
			rec.bodies[r.URL.Path+" "+etag] = body
			io.WriteString(w, body)
			return
		}
		big := []byte(body + strings.Repeat("0123456789abcde\n", cfg.BigKB*64))
		rec.bodies[r.URL.Path+" "+etag] = string(big)
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		half := len(big) / 2
		w.Write(big[:half])
		http.NewResponseController(w).Flush()
		if cut {
			panic(http.ErrAbortHandler) // the body stops short of its length
		}
		w.Write(big[half:])
	})
}

// The ways a request went, from its Cache-Status chain.
const (
	ViaLowerHit      = "lower hit"
	ViaHubHit        = "hub hit"
	ViaUpperHit      = "upper hit"
	ViaMissOldUpper  = "double miss, old upper"
	ViaMissNewUpper  = "double miss, new upper"
	ViaNoUpperAnswer = "no upper answer"
)

// via classifies a response's chain: which tier answered from its store,
// or, for a miss at every tier, whether the upper tier ran the new build.
func via(chain string, tiers map[string]*tierNode) string {
	ms, err := status.Parse([]string{chain})
	if err != nil {
		return ViaNoUpperAnswer
	}
	upper := ""
	for _, m := range ms {
		switch {
		case m.Hit && strings.HasPrefix(m.Cache, "lower-"):
			return ViaLowerHit
		case m.Hit && strings.HasPrefix(m.Cache, "hub-"):
			return ViaHubHit
		case m.Hit && strings.HasPrefix(m.Cache, "upper-"):
			return ViaUpperHit
		case strings.HasPrefix(m.Cache, "upper-") && upper == "":
			upper = m.Cache
		}
	}
	if tn := tiers[upper]; tn != nil {
		if tn.isNew {
			return ViaMissNewUpper
		}
		return ViaMissOldUpper
	}
	return ViaNoUpperAnswer
}

// client sends cfg.Requests GETs to its lower tier, keys drawn by a Zipf
// popularity (key k with weight 1/(k+1)), at jittered intervals, in
// English or French, with its session cookie and a trace of its own.
func client(e env.Env, cfg Config, id int, lower string, rec *runRecord, now func() time.Duration, tiers map[string]*tierNode) {
	hc := &http.Client{Transport: e.Transport()}
	var buf [8]byte
	draw := func() uint64 { io.ReadFull(e.Rand(), buf[:]); return binary.LittleEndian.Uint64(buf[:]) }
	for seq := 0; seq < cfg.Requests; seq++ {
		e.Sleep(cfg.Interval/2 + time.Duration(draw()%uint64(cfg.Interval)))
		k := zipfKey(cfg.Keys, draw())
		lang := [2]string{"en", "fr"}[draw()%2]
		resp := Response{Client: id, Seq: seq, Path: keyPath(k), Start: now(),
			Trace: fmt.Sprintf("%016x%016x", 0xc11e47000000+uint64(id), uint64(seq)+1)}
		h := http.Header{"Accept-Language": {lang}, "Cookie": {"id=client-" + strconv.Itoa(id)},
			"Traceparent": {"00-" + resp.Trace + "-" + fmt.Sprintf("%016x", uint64(id)<<32|uint64(seq)+1) + "-00"}}
		resp.Variant = variantOf(resp.Path, h)
		fetchOnce(e, hc, lower, h, &resp, now)
		resp.End, resp.Via = now(), via(resp.CacheStatus, tiers)
		rec.responses = append(rec.responses, resp)
		e.Record("CacheSimResponse", model.NewPub("client-"+strconv.Itoa(id)), model.NewConst(resp.Path), model.NewConst(strconv.Itoa(resp.Status)))
	}
}

// zipfKey maps a uniform draw to a key of Zipf popularity among n.
func zipfKey(n int, u uint64) int {
	total := 0.0
	for k := 0; k < n; k++ {
		total += 1 / float64(k+1)
	}
	x := float64(u>>11) / float64(1<<53) * total
	k := 0
	for ; k < n-1 && x >= 1/float64(k+1); k++ {
		x -= 1 / float64(k+1)
	}
	return k
}

func fetchOnce(e env.Env, hc *http.Client, lower string, h http.Header, resp *Response, now func() time.Duration) {
	ctx, cancel := e.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+lower+resp.Path, nil)
	if err != nil {
		resp.Err = err.Error()
		return
	}
	req.Host = siteHost
	req.Header = h
	r, err := hc.Do(req)
	if err != nil {
		resp.Err = "transport error"
		return
	}
	resp.Header = now()
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		resp.Err = "body cut"
	}
	resp.Status, resp.Body = r.StatusCode, string(body)
	resp.Age, resp.ETag, resp.CacheStatus = r.Header.Get("Age"), r.Header.Get("ETag"), strings.Join(r.Header.Values("Cache-Status"), ", ")
	for f := range r.Header {
		if control.IsInternal(f) {
			resp.Err += " control field " + f + " reached the client"
		}
	}
}
