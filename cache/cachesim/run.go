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
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
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
func runOnce(seed uint64, p *plan.Plan, cfg Config, b build) (*runRecord, error) {
	s := sim.New(sim.Config{Seed: seed, Limit: time.Hour})
	rec := &runRecord{}
	addrName := map[string]string{}

	origin := s.AddNode("origin")
	nameAddrs(addrName, origin)
	origin.HostHTTP(80, originHandler(origin.Env(), cfg, rec, addrName))

	// The origin's name lives in a zone served by a DNS node; tiers
	// resolve it with their Env's resolver over the simulated network.
	dnsNode := s.AddNode(dnsNodeName)
	records := []dns.Record{{Name: originHost + ".", Type: "A", TTL: 60, Value: origin.Addr4().String()}}
	if a6 := origin.Addr6(); a6.IsValid() {
		records = append(records, dns.Record{Name: originHost + ".", Type: "AAAA", TTL: 60, Value: a6.String()})
	}
	zone, err := dns.NewZone(records...)
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
		boot := func() {
			tn.cfg = cache.Config{Name: tn.name, Env: te, Origin: mustURL("http://" + originHost),
				Parents: tn.parent, HashParents: cfg.Topology != Smart && len(tn.parent) > 1,
				Upper: tn.upper, ControlKey: controlKey, Zone: "zone-1", Route: "route-1",
				Timeout: 2 * time.Second}
			tn.isNew = false
			t, err := cache.New(tn.cfg)
			if err != nil {
				panic(err)
			}
			tn.cur = t
		}
		boot()
		// A crashed tier restarts cold, on the build it ran.
		n.OnRestart(func() {
			wasNew := tn.isNew
			boot()
			if wasNew {
				tn.switchTo(b, true)
			}
		})
		if tn.upper && tn.name != "hub-1" {
			n.HostHTTP(80, watchUpper(tn, rec, addrName))
		} else if tn.upper {
			n.HostHTTP(80, watchUpper(tn, rec, addrName))
		} else {
			n.HostHTTP(80, tn)
		}
	}
	// The rollout: upper tiers switch to the new build one at a time.
	for j := 0; j < b.updated && j < len(uppers); j++ {
		tn := uppers[j]
		s.At(cfg.RolloutAt+time.Duration(j)*cfg.RolloutStep, func() { tn.switchTo(b, false) })
	}
	for i, lo := range lowers {
		n := s.AddNode("client-" + strconv.Itoa(i+1))
		lower := lo.name
		id := i + 1
		n.Start(func(e env.Env) { client(e, cfg, id, lower, rec, s.Now, byName) })
	}
	if err := s.Apply(p); err != nil {
		return nil, err
	}
	rep, err := s.Run()
	if err != nil {
		return nil, err
	}
	rec.report = rep
	rec.trace = s.Trace()
	for _, tn := range all {
		for k := 0; k < cfg.Keys; k++ {
			key := cachekey.URI("http", siteHost, keyPath(k))
			for _, o := range tn.cur.Store().Get(key) {
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
func watchUpper(tn *tierNode, rec *runRecord, addrName map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__") {
			tn.ServeHTTP(w, r)
			return
		}
		u := UpperRequest{Tier: tn.name, From: nodeOf(r.RemoteAddr, addrName), Path: r.URL.Path}
		if _, err := control.Read(r.Header, controlKey, r.Method, r.URL.RequestURI()); err != nil {
			u.ControlErr = err.Error()
		}
		rec.upper = append(rec.upper, u)
		tn.ServeHTTP(w, r)
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

// originHandler serves versioned content: the version of a key is the
// number of VersionTicks passed on the origin's clock, its ETag names it,
// and a matching If-None-Match gets 304. Odd keys may be served stale while
// revalidating for a second. Every fourth key is a large body (BigKB),
// streamed across the network in segments; the origin may answer late
// (up to OriginDelay) and cut a large body half-way (OriginCut per mille).
func originHandler(e env.Env, cfg Config, rec *runRecord, addrName map[string]string) http.Handler {
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
		rec.origin = append(rec.origin, OriginRequest{From: nodeOf(r.RemoteAddr, addrName), Method: r.Method, Path: r.URL.Path, Header: b.String()})
		if d := draw(uint64(cfg.OriginDelay / time.Millisecond)); d > 0 {
			e.Sleep(time.Duration(d) * time.Millisecond)
		}
		cut := draw(1000) < uint64(cfg.OriginCut)
		version := int(e.Now().Sub(start) / cfg.VersionTick)
		etag := `"v` + strconv.Itoa(version) + `"`
		k, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/obj/"))
		cc := "max-age=" + strconv.Itoa(cfg.MaxAge)
		if k%2 == 1 {
			cc += ", stale-while-revalidate=1"
		}
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "text/plain")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := r.URL.Path + " version " + strconv.Itoa(version) + "\n"
		if k%4 != 3 || cfg.BigKB == 0 {
			io.WriteString(w, body)
			return
		}
		big := []byte(body + strings.Repeat("0123456789abcde\n", cfg.BigKB*64))
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
// popularity (key k with weight 1/(k+1)), at jittered intervals.
func client(e env.Env, cfg Config, id int, lower string, rec *runRecord, now func() time.Duration, tiers map[string]*tierNode) {
	hc := &http.Client{Transport: e.Transport()}
	var weights []float64
	total := 0.0
	for k := 0; k < cfg.Keys; k++ {
		w := 1 / float64(k+1)
		weights = append(weights, w)
		total += w
	}
	var buf [8]byte
	draw := func() uint64 { io.ReadFull(e.Rand(), buf[:]); return binary.LittleEndian.Uint64(buf[:]) }
	for seq := 0; seq < cfg.Requests; seq++ {
		e.Sleep(cfg.Interval/2 + time.Duration(draw()%uint64(cfg.Interval)))
		x := float64(draw()>>11) / float64(1<<53) * total
		k := 0
		for ; k < len(weights)-1 && x >= weights[k]; k++ {
			x -= weights[k]
		}
		resp := Response{Client: id, Seq: seq, Path: keyPath(k), Start: now()}
		fetchOnce(e, hc, lower, &resp)
		resp.End, resp.Via = now(), via(resp.CacheStatus, tiers)
		rec.responses = append(rec.responses, resp)
		e.Record("CacheSimResponse", model.NewPub("client-"+strconv.Itoa(id)), model.NewConst(resp.Path), model.NewConst(strconv.Itoa(resp.Status)))
	}
}

func fetchOnce(e env.Env, hc *http.Client, lower string, resp *Response) {
	ctx, cancel := e.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+lower+resp.Path, nil)
	if err != nil {
		resp.Err = err.Error()
		return
	}
	req.Host = siteHost
	r, err := hc.Do(req)
	if err != nil {
		resp.Err = "transport error"
		return
	}
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
