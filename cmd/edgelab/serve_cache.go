package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/store"
	"github.com/edgelab/edgelab/sim/env"
)

// runServeCache is `edgelab serve cache`: two lower tiers and one upper
// tier on loopback in front of --origin, or with --single one tier as a
// plain reverse-proxy cache.
func runServeCache(args []string, stdout, stderr io.Writer) int {
	const cmd = "serve cache"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var cfg cacheServeConfig
	fs.BoolVar(&cfg.single, "single", false, "run one tier as a plain reverse-proxy cache")
	fs.StringVar(&cfg.origin, "origin", "", "origin URL (default: an embedded demo origin)")
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:0", "listen address of the (first) tier")
	fs.Int64Var(&cfg.capacity, "capacity", 64<<20, "bytes of memory per tier")
	fs.DurationVar(&cfg.staleIfDisconnected, "stale-if-disconnected", defaultStaleIfDisconnected,
		"how stale a stored response may be served when upstream does not answer (0: none)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, cmd, err)
	}
	if cfg.staleIfDisconnected == 0 {
		cfg.staleIfDisconnected = -1 // none, told apart from "not set"
	}
	if len(pos) != 0 {
		return fail(stderr, cmd, exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if err := checkOrigin(cfg.origin); err != nil {
		return fail(stderr, cmd, exitUsage, err)
	}
	s, err := startCache(cfg)
	if err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	defer s.Close()
	if s.demoURL != "" {
		fmt.Fprintf(stdout, "origin  %s (demo)\n", s.demoURL)
	} else {
		fmt.Fprintf(stdout, "origin  %s\n", cfg.origin)
	}
	for _, t := range s.tiers {
		fmt.Fprintf(stdout, "%-7s %s\n", t.name, t.url)
	}
	if s.purgeURL != "" {
		fmt.Fprintf(stdout, "purge   %s (Authorization: Bearer %s)\n", s.purgeURL, s.token)
	}
	fmt.Fprintf(stdout, "try: curl -si %s\n", s.tiers[len(s.tiers)-1].url+"demo")
	ctx, stop := interrupted()
	defer stop()
	<-ctx.Done()
	return exitOK
}

type cacheServeConfig struct {
	single   bool
	origin   string
	listen   string
	capacity int64
	// staleIfDisconnected is each tier's StaleIfDisconnected; zero takes
	// the default, a negative value means none.
	staleIfDisconnected time.Duration
}

// defaultStaleIfDisconnected: a tier whose upstream does not answer keeps
// serving what it has for an hour past its freshness where the response
// and request allow it (RFC 9111 §4.2.4), as CDNs commonly do.
const defaultStaleIfDisconnected = time.Hour

type runningTier struct {
	name, url, purgeURL string
	tier                *cache.Tier
}

// cacheServers is a running cache deployment and its demo origin.
type cacheServers struct {
	tiers    []runningTier
	demoURL  string
	purgeURL string // the deployment's purge API ("" for --single)
	token    string // its bearer token
	servers  []*http.Server
	done     chan error
}

func startCache(cfg cacheServeConfig) (*cacheServers, error) {
	s := &cacheServers{done: make(chan error, 16)}
	origin := cfg.origin
	if origin == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.demoURL = "http://" + l.Addr().String() + "/"
		origin = s.demoURL
		s.serve(l, newDemoOrigin())
	}
	if err := checkOrigin(origin); err != nil {
		s.Close()
		return nil, err
	}
	u, _ := url.Parse(origin)
	if cfg.capacity <= 0 {
		cfg.capacity = 64 << 20
	}
	switch {
	case cfg.staleIfDisconnected == 0:
		cfg.staleIfDisconnected = defaultStaleIfDisconnected
	case cfg.staleIfDisconnected < 0:
		cfg.staleIfDisconnected = 0
	}
	sid := cfg.staleIfDisconnected
	transport := &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64}
	newEnv := func(node string) env.Env {
		return env.NewReal(env.RealConfig{Node: node, Transport: transport})
	}
	if cfg.single {
		t, err := cache.New(cache.Config{Name: "edgelab", Env: newEnv("edge"), Origin: u, Store: store.New(cfg.capacity),
			StaleIfDisconnected: sid})
		if err != nil {
			s.Close()
			return nil, err
		}
		if err := s.addTier("edge", loopbackDefault(cfg.listen), t); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	// Two lower tiers and one upper tier: the lower tiers know the zone's
	// origin and tell the upper tier through the control context.
	key := make([]byte, 32)
	token := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	rand.Read(token)
	s.token = hex.EncodeToString(token)
	upper, err := cache.New(cache.Config{Name: "upper", Env: newEnv("upper"), Upper: true, ControlKey: key, Store: store.New(cfg.capacity),
		StaleIfDisconnected: sid})
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.addTier("upper", "127.0.0.1:0", upper); err != nil {
		s.Close()
		return nil, err
	}
	upperURL, _ := url.Parse(s.tiers[0].url)
	for i, name := range []string{"lower-1", "lower-2"} {
		addr := "127.0.0.1:0"
		if i == 0 {
			addr = loopbackDefault(cfg.listen)
		}
		t, err := cache.New(cache.Config{Name: name, Env: newEnv(name), Origin: u, Parents: []*url.URL{upperURL},
			ControlKey: key, Zone: "demo", Route: "route-1", Store: store.New(cfg.capacity), StaleIfDisconnected: sid})
		if err != nil {
			s.Close()
			return nil, err
		}
		if err := s.addTier(name, addr, t); err != nil {
			s.Close()
			return nil, err
		}
	}
	// The purge API fans out to every tier's own purge endpoint, the upper
	// tier first.
	api := &cache.PurgeAPI{Token: s.token}
	for _, rt := range s.tiers {
		api.Targets = append(api.Targets, cache.NamedPurger{Name: rt.name,
			Purger: cache.RemotePurger{URL: rt.purgeURL, Token: s.token, Env: newEnv("purge")}})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.purgeURL = "http://" + l.Addr().String() + "/purge"
	s.serve(l, api)
	return s, nil
}

// addTier serves t on addr and its own purge endpoint on another port.
func (s *cacheServers) addTier(name, addr string, t *cache.Tier) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.serve(l, t)
	rt := runningTier{name: name, url: "http://" + l.Addr().String() + "/", tier: t}
	if s.token != "" {
		al, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		rt.purgeURL = "http://" + al.Addr().String() + "/purge"
		s.serve(al, &cache.PurgeAPI{Token: s.token, Targets: []cache.NamedPurger{{Name: name, Purger: t}}})
	}
	s.tiers = append(s.tiers, rt)
	return nil
}

// checkOrigin accepts "" (the demo origin) or an http(s) URL with a host.
func checkOrigin(origin string) error {
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--origin %q: want an http or https URL", origin)
	}
	return nil
}

func (s *cacheServers) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { s.done <- srv.Serve(l) }()
}

// Close stops every server.
func (s *cacheServers) Close() error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Close())
	}
	for range s.servers {
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	s.servers = nil
	return errors.Join(errs...)
}

// newDemoOrigin is a small origin to try the cache against: /demo is fresh
// for 60 seconds with an ETag, /tagged carries a Cache-Tag, /revalidate is
// stale at once, /private is private, and every response counts how often
// the origin was asked. A request carrying a control field is refused:
// tiers must never let one through.
func newDemoOrigin() http.Handler {
	var hits atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k := range r.Header {
			if cache.IsControlField(k) {
				http.Error(w, "a control field reached the origin: "+k, http.StatusInternalServerError)
				return
			}
		}
		n := hits.Add(1)
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Origin-Requests", strconv.FormatInt(n, 10))
		etag := `"demo-v1"`
		switch r.URL.Path {
		case "/private":
			h.Set("Cache-Control", "private, max-age=60")
		case "/revalidate":
			h.Set("Cache-Control", "max-age=0")
		case "/tagged":
			h.Set("Cache-Control", "max-age=300")
			h.Set("Cache-Tag", "demo, tagged")
		default:
			h.Set("Cache-Control", "max-age=60")
		}
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprintf(w, "hello from the edgelab demo origin: %s %s\n", r.Method, r.URL.RequestURI())
	})
}
