package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim/env"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run real servers on loopback until interrupted (serve ohttp)",
		run:     runServe,
	})
}

func runServe(args []string, stdout, stderr io.Writer) int {
	return dispatch("serve", "ohttp|cache [flags]",
		map[string]runFunc{"ohttp": runServeOHTTP, "cache": runServeCache, "mail": runServeMail}, args, stdout, stderr)
}

// interrupted returns a context that ends when the process is asked to
// stop. Tests replace it to stop a server at once.
var interrupted = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runServeOHTTP(args []string, stdout, stderr io.Writer) int {
	const cmd = "serve ohttp"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var cfg ohttpServeConfig
	fs.StringVar(&cfg.relay, "relay", "127.0.0.1:0", "relay listen address")
	fs.StringVar(&cfg.gateway, "gateway", "127.0.0.1:0", "gateway listen address")
	fs.StringVar(&cfg.target, "target", "127.0.0.1:0", "demo target listen address")
	fs.StringVar(&cfg.keys, "keys", "", "gateway key file: loaded if it exists, else generated and written there")
	fs.StringVar(&cfg.kem, "kem", "x25519", "KEM for generated keys: "+strings.Join(kemNames(), ", "))
	fs.IntVar(&cfg.limits.MaxInFlight, "max-inflight", 128, "request bodies the relay and the gateway each serve at once (more get 503)")
	fs.DurationVar(&cfg.limits.BodyTimeout, "body-timeout", 10*time.Second, "how long a request body may take to arrive (then 408)")
	fs.IntVar(&cfg.mix.Batch, "batch", 1, "the relay holds requests until this many are queued, then releases them in a random order (1: no batching)")
	fs.DurationVar(&cfg.mix.BatchTimeout, "batch-timeout", time.Second, "the longest a request waits for its batch to fill")
	fs.DurationVar(&cfg.mix.Delay, "delay", 0, "the relay delays each request by a uniform random time below this")
	fs.DurationVar(&cfg.rotate, "rotate", 0, "the gateway replaces its key this often (0: never)")
	fs.DurationVar(&cfg.grace, "grace", 10*time.Minute, "how long a replaced key keeps decrypting")
	logRequests := fs.Bool("log", false, "log every request each server receives (role, method, path, peer, status) on stdout")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, cmd, err)
	}
	if len(pos) != 0 {
		return fail(stderr, cmd, exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if cfg.limits.MaxInFlight <= 0 || cfg.limits.BodyTimeout <= 0 {
		return fail(stderr, cmd, exitUsage, errors.New("--max-inflight and --body-timeout must be positive"))
	}
	if cfg.mix.Batch < 1 || cfg.mix.BatchTimeout <= 0 || cfg.mix.Delay < 0 || cfg.rotate < 0 || cfg.grace < 0 {
		return fail(stderr, cmd, exitUsage, errors.New("--batch must be at least 1, --batch-timeout positive, --delay, --rotate and --grace not negative"))
	}
	if *logRequests {
		cfg.log = &lockedWriter{w: stdout}
	}
	if _, ok := kemByName[cfg.kem]; !ok {
		return fail(stderr, cmd, exitUsage, fmt.Errorf("unknown KEM %q (want one of %s)", cfg.kem, strings.Join(kemNames(), ", ")))
	}
	s, err := startOHTTP(cfg)
	if err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	defer s.Close()
	fmt.Fprintf(stdout, "relay   %s\n", s.RelayURL)
	fmt.Fprintf(stdout, "gateway %s\n", s.GatewayURL)
	fmt.Fprintf(stdout, "keys    %s (the gateway's, through the relay)\n", s.KeysURL)
	fmt.Fprintf(stdout, "target  %s\n", s.TargetURL)
	fmt.Fprintf(stdout, "try: edgelab ohttp get --relay %s --keys %s %s\n", s.RelayURL, s.KeysURL, s.TargetURL+"hello")
	ctx, stop := interrupted()
	defer stop()
	<-ctx.Done()
	return exitOK
}

// kemByName maps --kem values to KEMs.
var kemByName = map[string]ohttp.KEMID{
	"x25519": ohttp.KEMX25519HKDFSHA256,
	"x448":   ohttp.KEMX448HKDFSHA512,
	"p256":   ohttp.KEMP256HKDFSHA256,
	"p384":   ohttp.KEMP384HKDFSHA384,
	"p521":   ohttp.KEMP521HKDFSHA512,
	"xwing":  ohttp.KEMXWing,
}

func kemNames() []string {
	return []string{"x25519", "x448", "p256", "p384", "p521", "xwing"}
}

type ohttpServeConfig struct {
	relay, gateway, target string // listen addresses
	keys                   string // key file, or "" for keys in memory only
	kem                    string // KEM for generated keys
	// limits bound slow clients at the relay and at the gateway; zero
	// fields take ohttp's defaults.
	limits ohttp.BodyLimits
	// mix is the relay's mixing; rotate and grace the gateway's key
	// schedule (rotate 0: never).
	mix           ohttp.MixConfig
	rotate, grace time.Duration
	// log, if set, receives one line per request each server receives.
	log io.Writer
	// listened, if set, sees each listener ("target", "gateway",
	// "relay") before it serves, and may wrap it (tests count
	// connections so).
	listened func(role string, l net.Listener) net.Listener
}

// serviceTransport is the HTTP client of a relay or a gateway. net/http's
// default keeps two idle connections per host: a relay, which sends every
// request to one gateway, and a gateway under load would then open and
// close a connection for nearly every request (thousands of sockets in
// TIME_WAIT per thousand requests). Keeping as many idle connections per
// host as requests may be in flight lets every connection be reused.
func serviceTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error), inFlight int) *http.Transport {
	if inFlight <= 0 {
		inFlight = 128
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		DisableCompression:  true,
		MaxIdleConns:        4 * inFlight,
		MaxIdleConnsPerHost: inFlight,
		IdleConnTimeout:     90 * time.Second,
	}
}

// ohttpServers is a running relay, gateway and demo target.
type ohttpServers struct {
	RelayURL, GatewayURL, KeysURL, TargetURL string
	Key                                      ohttp.KeyConfig
	servers                                  []*http.Server
	done                                     chan error
	// stopRotation ends the gateway's rotation loop.
	stopRotation context.CancelFunc
}

// startOHTTP starts the three servers and returns once they accept
// connections. Close stops them.
func startOHTTP(cfg ohttpServeConfig) (*ohttpServers, error) {
	if cfg.kem == "" {
		cfg.kem = "x25519"
	}
	key, err := loadOrGenerateKeys(cfg.keys, kemByName[cfg.kem])
	if err != nil {
		return nil, err
	}
	s := &ohttpServers{done: make(chan error, 3)}
	lis := make([]net.Listener, 0, 3)
	closeAll := func() {
		for _, l := range lis {
			l.Close()
		}
	}
	for i, addr := range []string{cfg.target, cfg.gateway, cfg.relay} {
		l, err := net.Listen("tcp", loopbackDefault(addr))
		if err != nil {
			closeAll()
			return nil, err
		}
		if cfg.listened != nil {
			l = cfg.listened([]string{"target", "gateway", "relay"}[i], l)
		}
		lis = append(lis, l)
	}
	targetAddr := lis[0].Addr().(*net.TCPAddr).AddrPort()
	s.TargetURL = "http://" + targetAddr.String() + "/"
	s.GatewayURL = "http://" + lis[1].Addr().String() + ohttp.WellKnownPath
	s.RelayURL = "http://" + lis[2].Addr().String() + "/"
	// Clients fetch the gateway's keys through the relay's key proxy
	// (RFC 9540 §6), so the gateway never sees a client's address.
	s.KeysURL = "http://" + lis[2].Addr().String() + ohttp.WellKnownPath
	s.Key = key[0].Config()

	genv, renv := env.Real("gateway"), env.Real("relay")
	ring, err := ohttp.NewKeyring(ohttp.KeyringConfig{Now: genv.Now, Grace: cfg.grace, RotateEvery: cfg.rotate, Gateway: "gateway"}, key...)
	if err != nil {
		closeAll()
		return nil, err
	}
	// The gateway may reach the demo target and nothing else: the target
	// is on loopback, so its one address is allowed explicitly, and the
	// dialer re-checks every address actually dialed.
	policy := &ohttp.TargetPolicy{
		Allow:           []string{targetAddr.String()},
		Schemes:         []string{"http"},
		AllowedPrefixes: []netip.Prefix{netip.PrefixFrom(targetAddr.Addr(), targetAddr.Addr().BitLen())},
		Resolver:        net.DefaultResolver,
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, ControlContext: policy.DialControl}
	gateway := &ohttp.Gateway{
		Name:          "gateway",
		Keys:          ring,
		Transport:     serviceTransport(dialer.DialContext, cfg.limits.MaxInFlight),
		Rand:          rand.Reader,
		Policy:        policy,
		TargetTimeout: 30 * time.Second,
		WithTimeout:   context.WithTimeout,
	}
	relayTransport := serviceTransport((&net.Dialer{Timeout: 10 * time.Second}).DialContext, cfg.limits.MaxInFlight)
	relay := &ohttp.Relay{
		GatewayURL:  s.GatewayURL,
		GatewayName: "gateway",
		Transport:   relayTransport,
	}
	// The relay, its mixer, its key proxy and the gateway with its
	// rotation loop are the code the OHTTP world runs, inside the same
	// body limits.
	relayMux := http.NewServeMux()
	relayMux.Handle("GET "+ohttp.WellKnownPath, &ohttp.KeyProxy{Env: renv, GatewayKeysURL: s.GatewayURL, Transport: relayTransport, Timeout: 10 * time.Second})
	relayMux.Handle("/", ohttp.LimitBodies(renv, cfg.limits, ohttp.NewMixer(renv, cfg.mix).Wrap(relay)))
	handlers := []http.Handler{
		http.HandlerFunc(demoTarget),
		ohttp.LimitBodies(genv, cfg.limits, gateway),
		relayMux,
	}
	rotation, stop := context.WithCancel(context.Background())
	s.stopRotation = stop
	genv.Go("rotation", func() { ohttp.RunRotation(rotation, genv, ring, time.Time{}, nil) })
	for i, h := range handlers {
		if cfg.log != nil {
			h = logRequests(cfg.log, []string{"target", "gateway", "relay"}[i], h)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		s.servers = append(s.servers, srv)
		go func(l net.Listener) { s.done <- srv.Serve(l) }(lis[i])
	}
	return s, nil
}

// Close stops the servers.
func (s *ohttpServers) Close() error {
	if s.stopRotation != nil {
		s.stopRotation()
	}
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

// loopbackDefault puts a bare ":port" on loopback, so nothing is exposed
// beyond the machine unless a host is named.
func loopbackDefault(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// demoTarget is the target resource: it says hello and echoes what it was
// asked, so a user can see the request arrived intact.
func demoTarget(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Edgelab-Target", "demo")
	fmt.Fprintf(w, "hello from the edgelab demo target\n%s %s\n", r.Method, r.URL.RequestURI())
	if len(body) > 0 {
		fmt.Fprintf(w, "body: %s\n", body)
	}
}

// loadOrGenerateKeys reads the key file at path, or if there is none,
// generates a key and writes it there (mode 0600, it is secret). With no
// path the key lives in memory only.
func loadOrGenerateKeys(path string, kem ohttp.KEMID) ([]*ohttp.PrivateKey, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			return ohttp.UnmarshalKeys(b)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	suites := []ohttp.SymmetricSuite{
		{KDF: ohttp.KDFHKDFSHA256, AEAD: ohttp.AEADAES128GCM},
		{KDF: ohttp.KDFHKDFSHA256, AEAD: ohttp.AEADChaCha20Poly1305},
	}
	key, err := ohttp.GenerateKey(rand.Reader, 1, kem, suites)
	if err != nil {
		return nil, err
	}
	keys := []*ohttp.PrivateKey{key}
	if path != "" {
		b, err := ohttp.MarshalKeys(keys)
		if err != nil {
			return nil, err
		}
		if err := writeFileMode(path, 0o600, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// logRequests writes one line per request h serves: the role, the method,
// the path, the peer's address and the status.
func logRequests(w io.Writer, role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		fmt.Fprintf(w, "%-7s %s %s from %s: %d\n", role, r.Method, r.URL.Path, r.RemoteAddr, sw.status)
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush passes a handler's flush through (chunked responses stream).
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// lockedWriter serializes writes from the servers' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
