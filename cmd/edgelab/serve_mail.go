package main

// serve mail: the email router on loopback — the SMTP listener, the rules
// API and the delivery queue — configured by a JSON file, with an embedded
// default so that the command alone runs.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/api"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spam"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/sim/env"
)

//go:embed serve_mail_default.json
var defaultMailConfig []byte

// mailConfig is the --config file.
type mailConfig struct {
	Hostname string `json:"hostname"`
	SMTP     string `json:"smtp"` // listen address
	API      string `json:"api"`  // listen address
	Mode     string `json:"mode"` // "store" or "relay"
	// APIToken is the bearer token; empty means one is generated and
	// printed.
	APIToken string `json:"api_token,omitempty"`
	// Dir holds the spool and the API state; empty means a new temporary
	// directory.
	Dir string `json:"dir,omitempty"`
	// ActivityLog is the JSON-lines file (default: activity.jsonl in Dir).
	ActivityLog string       `json:"activity_log,omitempty"`
	Rules       rules.Config `json:"rules"`
	// SRSSecret signs SRS addresses (default: random per run).
	SRSSecret string `json:"srs_secret,omitempty"`
	// DKIMSelector and DKIMSeed (hex, 32 bytes) make the Ed25519 key the
	// forwarding domain signs with; without a seed a key is generated.
	DKIMSelector         string   `json:"dkim_selector,omitempty"`
	DKIMSeed             string   `json:"dkim_seed,omitempty"`
	DNSBL                []string `json:"dnsbl,omitempty"`
	SpamThreshold        float64  `json:"spam_threshold,omitempty"`
	KeepSpam             bool     `json:"keep_spam,omitempty"`
	AllowUnauthenticated bool     `json:"allow_unauthenticated,omitempty"`
	// DeliveryPort is the port deliveries go to (25).
	DeliveryPort int `json:"delivery_port,omitempty"`
	// GiveUp is how long the queue retries before bouncing ("120h").
	GiveUp string `json:"give_up,omitempty"`
	// Zone answers DNS for the names it lists (a loopback lab has no
	// real DNS for its domains); ZoneOnly answers every other name "no
	// such host" instead of asking the system resolver.
	Zone     *staticZone `json:"zone,omitempty"`
	ZoneOnly bool        `json:"zone_only,omitempty"`
}

func runServeMail(args []string, stdout, stderr io.Writer) int {
	const cmd = "serve mail"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	configFile := fs.String("config", "", "JSON configuration file (default: the embedded one)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagError(stdout, stderr, cmd, err)
	}
	if len(pos) != 0 {
		return fail(stderr, cmd, exitUsage, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	raw := defaultMailConfig
	if *configFile != "" {
		if raw, err = os.ReadFile(*configFile); err != nil {
			return fail(stderr, cmd, exitUsage, err)
		}
	}
	cfg, err := parseMailConfig(raw)
	if err != nil {
		return fail(stderr, cmd, exitUsage, err)
	}
	s, err := startMail(cfg)
	if err != nil {
		return fail(stderr, cmd, exitEnv, err)
	}
	defer s.Close()
	fmt.Fprintf(stdout, "smtp     %s\n", s.SMTPAddr)
	fmt.Fprintf(stdout, "api      %s (bearer token %s)\n", s.APIURL, s.Token)
	fmt.Fprintf(stdout, "activity %s\n", s.ActivityPath)
	fmt.Fprintf(stdout, "dkim     %s._domainkey.<domain> TXT %q\n", s.DKIMSelector, s.DKIMRecord)
	fmt.Fprintf(stdout, "try: curl -s -H 'Authorization: Bearer %s' %s/v1/domains\n", s.Token, s.APIURL)
	ctx, stop := interrupted()
	defer stop()
	<-ctx.Done()
	return 0
}

func parseMailConfig(raw []byte) (mailConfig, error) {
	var cfg mailConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("mail config: %w", err)
	}
	if cfg.Mode == "" {
		cfg.Mode = string(router.Store)
	}
	if cfg.Mode != string(router.Store) && cfg.Mode != string(router.Relay) {
		return cfg, fmt.Errorf("mail config: mode %q (want store or relay)", cfg.Mode)
	}
	for _, a := range []*string{&cfg.SMTP, &cfg.API} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.DKIMSelector == "" {
		cfg.DKIMSelector = "edgelab"
	}
	if _, err := rules.Compile(cfg.Rules); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// mailServers is a running router.
type mailServers struct {
	SMTPAddr, APIURL, Token, ActivityPath string
	DKIMSelector, DKIMRecord              string
	Log                                   *activity.Log
	Queue                                 *queue.Queue
	close                                 []func()
}

// Close stops the servers and the queue.
func (s *mailServers) Close() {
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func startMail(cfg mailConfig) (_ *mailServers, err error) {
	s := &mailServers{DKIMSelector: cfg.DKIMSelector}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	dir := cfg.Dir
	if dir == "" {
		// A run without a directory keeps nothing: its spool goes with it.
		if dir, err = os.MkdirTemp("", "edgelab-mail-"); err != nil {
			return nil, err
		}
		s.close = append(s.close, func() { os.RemoveAll(dir) })
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s.ActivityPath = cfg.ActivityLog
	if s.ActivityPath == "" {
		s.ActivityPath = filepath.Join(dir, "activity.jsonl")
	}
	logFile, err := os.OpenFile(s.ActivityPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s.close = append(s.close, func() { logFile.Close() })
	s.Log = activity.New(logFile, 0)

	var resolver env.Resolver = net.DefaultResolver
	if cfg.Zone != nil {
		resolver = &zoneResolver{zone: cfg.Zone, only: cfg.ZoneOnly}
	}
	e := env.NewReal(env.RealConfig{Node: cfg.Hostname, Disk: env.RealDisk(dir), Resolver: resolver})

	seed := make([]byte, ed25519.SeedSize)
	if cfg.DKIMSeed != "" {
		if seed, err = hex.DecodeString(cfg.DKIMSeed); err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("mail config: dkim_seed must be 64 hex digits")
		}
	} else {
		rand.Read(seed)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if s.DKIMRecord, err = dkim.KeyRecord(key.Public()); err != nil {
		return nil, err
	}
	secret := cfg.SRSSecret
	if secret == "" {
		secret = randomHex(16)
	}
	firstDomain := cfg.Hostname
	if len(cfg.Rules.Domains) > 0 {
		firstDomain = cfg.Rules.Domains[0].Name
	}

	sp, stored, _, err := spool.Open(e, "spool", spool.Options{})
	if err != nil {
		return nil, err
	}
	s.close = append(s.close, func() { sp.Close() })
	dlv := &deliver.Deliverer{Env: e, Port: cfg.DeliveryPort,
		Open: deliver.SMTP(e, smtp.ClientConfig{Hostname: cfg.Hostname})}
	rewriter := &srs.Rewriter{Domain: firstDomain, Secrets: [][]byte{[]byte(secret)}}
	qcfg := queue.Config{Hostname: cfg.Hostname, SRS: rewriter}
	if cfg.GiveUp != "" {
		if qcfg.GiveUp, err = time.ParseDuration(cfg.GiveUp); err != nil {
			return nil, fmt.Errorf("mail config: give_up: %w", err)
		}
	}
	q := queue.New(e, sp, dlv, s.Log, qcfg)
	for _, st := range stored {
		q.Add(st.Msg, st.Pending)
	}
	s.Queue = q

	s.Token = cfg.APIToken
	if s.Token == "" {
		s.Token = randomHex(16)
	}
	var rt *router.Router
	mgmt, err := api.Open(e, cfg.Rules, api.Options{Token: s.Token, Log: s.Log, Hostname: cfg.Hostname,
		OnChange: func(t *rules.Table) { rt.SetTable(t) },
		Mailer: func(ctx context.Context, to string, data []byte) error {
			m := &spool.Message{ID: "verify-" + randomHex(8), From: "postmaster@" + cfg.Hostname, To: []string{to},
				Received: e.Now(), Data: data}
			if err := sp.Put(ctx, m); err != nil {
				return err
			}
			q.Add(m, []int{0})
			return nil
		}})
	if err != nil {
		return nil, err
	}
	rt = router.New(e, router.Config{
		Hostname: cfg.Hostname, Mode: router.Mode(cfg.Mode), DNSBL: cfg.DNSBL,
		Spam: spam.Scorer{Threshold: cfg.SpamThreshold}, KeepSpam: cfg.KeepSpam,
		AllowUnauthenticated: cfg.AllowUnauthenticated,
		SRS:                  rewriter,
		DKIM:                 &dkim.Signer{Domain: firstDomain, Selector: cfg.DKIMSelector, Key: key},
	}, router.Parts{Table: mgmt.Table(), Spool: sp, Queue: q, Deliverer: dlv, Log: s.Log})

	ctx, cancel := context.WithCancel(context.Background())
	queueDone := make(chan struct{})
	e.Go("queue", func() { q.Run(ctx); close(queueDone) })
	s.close = append(s.close, func() { cancel(); <-queueDone })

	sl, err := e.Listen("tcp", cfg.SMTP)
	if err != nil {
		return nil, err
	}
	srv := &smtp.Server{Env: e, Backend: rt, Config: smtp.ServerConfig{Hostname: cfg.Hostname}}
	smtpDone := make(chan struct{})
	e.Go("smtp", func() { srv.Serve(sl); close(smtpDone) })
	s.close = append(s.close, func() { srv.Close(); <-smtpDone })
	s.SMTPAddr = sl.Addr().String()

	al, err := e.Listen("tcp", cfg.API)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: mgmt, ReadHeaderTimeout: 10 * time.Second}
	apiDone := make(chan struct{})
	e.Go("api", func() { hs.Serve(al); close(apiDone) })
	s.close = append(s.close, func() { hs.Close(); <-apiDone })
	s.APIURL = "http://" + al.Addr().String()
	return s, nil
}

// staticZone is DNS data in the config file.
type staticZone struct {
	IP map[string][]string `json:"ip,omitempty"`
	MX map[string][]struct {
		Host string `json:"host"`
		Pref uint16 `json:"pref"`
	} `json:"mx,omitempty"`
	TXT map[string][]string `json:"txt,omitempty"`
}

// zoneResolver answers from a staticZone, falling back to the system
// resolver for names it does not list unless only is set.
type zoneResolver struct {
	zone *staticZone
	only bool
}

func zname(n string) string { return strings.TrimSuffix(strings.ToLower(n), ".") }

func (z *zoneResolver) known(n string) bool {
	n = zname(n)
	_, a := z.zone.IP[n]
	_, b := z.zone.MX[n]
	_, c := z.zone.TXT[n]
	return a || b || c
}

func notFound(n string) error { return &net.DNSError{Err: "no such host", Name: n, IsNotFound: true} }

func (z *zoneResolver) fallback(n string) bool { return !z.only && !z.known(n) }

func (z *zoneResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if z.fallback(host) {
		return net.DefaultResolver.LookupIPAddr(ctx, host)
	}
	var out []net.IPAddr
	for _, s := range z.zone.IP[zname(host)] {
		if ip := net.ParseIP(s); ip != nil {
			out = append(out, net.IPAddr{IP: ip})
		}
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

func (z *zoneResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	ips, err := z.LookupIPAddr(ctx, host)
	var out []string
	for _, ip := range ips {
		out = append(out, ip.IP.String())
	}
	return out, err
}

func (z *zoneResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if z.fallback(name) {
		return net.DefaultResolver.LookupMX(ctx, name)
	}
	var out []*net.MX
	for _, m := range z.zone.MX[zname(name)] {
		out = append(out, &net.MX{Host: m.Host, Pref: m.Pref})
	}
	if len(out) == 0 {
		return nil, notFound(name)
	}
	return out, nil
}

func (z *zoneResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if z.fallback(name) {
		return net.DefaultResolver.LookupTXT(ctx, name)
	}
	if t := z.zone.TXT[zname(name)]; len(t) > 0 {
		return t, nil
	}
	return nil, notFound(name)
}

func (z *zoneResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	if z.only {
		return nil, notFound(addr)
	}
	return net.DefaultResolver.LookupAddr(ctx, addr)
}

func (z *zoneResolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	if z.fallback(host) {
		return net.DefaultResolver.LookupCNAME(ctx, host)
	}
	return zname(host) + ".", nil
}
