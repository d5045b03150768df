package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
)

// zoneClient is a dns.Client whose exchange is a direct call of z.Answer;
// a dropped query is the timeout error a socket read would give.
func zoneClient(z *dns.Zone) *dns.Client {
	return &dns.Client{
		Server: "192.0.2.53:53",
		Exchange: func(ctx context.Context, q []byte) ([]byte, error) {
			if a, ok := z.Answer(q); ok {
				return a, nil
			}
			return nil, &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}
		},
	}
}

// testZone is the zone the resolver tests serve (the same as the dns
// package's tests use).
func testZone(t *testing.T) *dns.Zone {
	t.Helper()
	z, err := dns.NewZone(
		dns.Record{Name: "example.test.", Type: "A", TTL: 300, Value: "192.0.2.1"},
		dns.Record{Name: "example.test.", Type: "AAAA", TTL: 300, Value: "2001:db8::1"},
		dns.Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 20, Value: "mx2.example.test."},
		dns.Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 10, Value: "mx1.example.test."},
		dns.Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 20, Value: "mx3.example.test."},
		dns.Record{Name: "example.test.", Type: "TXT", TTL: 60, Strings: []string{"v=spf1 ", "mx -all"}},
		dns.Record{Name: "www.example.test.", Type: "CNAME", TTL: 30, Value: "web.example.test."},
		dns.Record{Name: "web.example.test.", Type: "CNAME", TTL: 30, Value: "example.test."},
		dns.Record{Name: "loop1.example.test.", Type: "CNAME", TTL: 30, Value: "loop2.example.test."},
		dns.Record{Name: "loop2.example.test.", Type: "CNAME", TTL: 30, Value: "loop1.example.test."},
		dns.Record{Name: "dangling.example.test.", Type: "CNAME", TTL: 30, Value: "gone.example.test."},
		dns.Record{Name: "deep.sub.example.test.", Type: "A", TTL: 30, Value: "192.0.2.7"},
		dns.Record{Name: "1.2.0.192.in-addr.arpa.", Type: "PTR", TTL: 30, Value: "example.test."},
	)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// lookupAll runs every Resolver method on a set of names that covers
// answers, CNAME chains and loops, NODATA, NXDOMAIN and reverse lookups,
// and renders each result (or error, without the server, which differs
// between a direct exchange and the simulated network) as one line.
func lookupAll(ctx context.Context, r env.Resolver) []string {
	var out []string
	show := func(what string, v any, err error) {
		if err != nil {
			var de *net.DNSError
			if errors.As(err, &de) {
				out = append(out, fmt.Sprintf("%s: error %q name=%s notfound=%v temporary=%v timeout=%v", what, de.Err, de.Name, de.IsNotFound, de.IsTemporary, de.IsTimeout))
				return
			}
			out = append(out, fmt.Sprintf("%s: error %v", what, err))
			return
		}
		out = append(out, fmt.Sprintf("%s: %v", what, v))
	}
	for _, h := range []string{"example.test", "www.example.test.", "deep.sub.example.test", "sub.example.test", "nope.example.test", "loop1.example.test", "dangling.example.test"} {
		v, err := r.LookupHost(ctx, h)
		show("host "+h, v, err)
		c, err := r.LookupCNAME(ctx, h)
		show("cname "+h, c, err)
	}
	mx, err := r.LookupMX(ctx, "example.test")
	var mxs []string
	for _, m := range mx {
		mxs = append(mxs, fmt.Sprintf("%d %s", m.Pref, m.Host))
	}
	slices.Sort(mxs) // ties are shuffled, as net.Resolver does
	show("mx", mxs, err)
	txt, err := r.LookupTXT(ctx, "example.test")
	show("txt", txt, err)
	ptr, err := r.LookupAddr(ctx, "192.0.2.1")
	show("ptr", ptr, err)
	ip, err := r.LookupIPAddr(ctx, "example.test")
	show("ip", ip, err)
	return out
}

// TestResolverAnswersMatchZone: a node's Env.Resolver, whose queries cross
// the simulated network to the DNS node, answers exactly what a client
// calling Zone.Answer directly gets.
func TestResolverAnswersMatchZone(t *testing.T) {
	s := New(Config{Seed: 3})
	z := testZone(t)
	s.AddNode("dns").ServeDNS(z)
	cl := s.AddNode("client")
	var got []string
	cl.Go("lookups", func() { got = lookupAll(context.Background(), cl.Env().Resolver()) })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := lookupAll(context.Background(), zoneClient(z))
	if !slices.Equal(got, want) {
		t.Fatalf("through the network:\n%s\ndirect:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := count(s.Trace(), model.Deliver, ""); n < 2*len(want) {
		t.Fatalf("only %d deliveries: the lookups did not cross the network", n)
	}
}

// dnsPlan is a run with a DNS node serving example.test and the given
// resolver settings and faults.
func dnsPlan(t testing.TB, resolver, faults string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(`{
	  "nodes": {"dns": {"zone": {"records": [
	    {"name": "example.test.", "type": "A", "ttl": 60, "value": "10.0.0.1"},
	    {"name": "example.test.", "type": "MX", "ttl": 60, "pref": 10, "value": "mx.example.test."},
	    {"name": "mx.example.test.", "type": "A", "ttl": 60, "value": "10.0.0.2"},
	    {"name": "example.test.", "type": "TXT", "ttl": 60, "value": "v=spf1 mx -all"},
	    {"name": "www.example.test.", "type": "CNAME", "ttl": 60, "value": "example.test."}
	  ]}}},
	  "resolver": ` + resolver + `,
	  "faults": [` + faults + `]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lookupAt runs LookupHost(host) on node n at virtual time at and reports
// the answer, the error and how long the lookup took.
type lookupResult struct {
	addrs []string
	err   error
	took  time.Duration
}

func lookupAt(s *Sim, n *Node, at time.Duration, host string, out *lookupResult) {
	n.Go("lookup "+host, func() {
		env := n.Env()
		env.Sleep(at)
		start := s.Now()
		out.addrs, out.err = env.Resolver().LookupHost(context.Background(), host)
		out.took = s.Now() - start
	})
}

func dnsErr(t *testing.T, err error) *net.DNSError {
	t.Helper()
	var de *net.DNSError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *net.DNSError", err)
	}
	return de
}

func TestResolverFaultsFromThePlan(t *testing.T) {
	p := dnsPlan(t, `{"timeout": "300ms", "attempts": 2}`, `
	  {"at": "1s", "kind": "dns", "dns": {"kind": "servfail", "name": "example.test."}, "for": "1s"},
	  {"at": "3s", "kind": "dns", "dns": {"kind": "nxdomain"}, "for": "1s"},
	  {"at": "5s", "kind": "zone", "zone": [{"name": "example.test.", "type": "A", "ttl": 60, "value": "10.0.0.9"}]},
	  {"at": "5s", "kind": "dns", "dns": {"kind": "stale", "version": 0, "type": "A"}, "for": "1s"},
	  {"at": "7s", "kind": "dns", "dns": {"kind": "timeout", "name": "example.test."}, "for": "2s"}`)
	s := New(Config{Seed: 1})
	cl := s.AddNode("client")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	var ok, servfail, nx, stale, fresh, timeout, after lookupResult
	lookupAt(s, cl, 500*ms, "example.test", &ok)
	lookupAt(s, cl, 1500*ms, "example.test", &servfail)
	lookupAt(s, cl, 3500*ms, "example.test", &nx)
	lookupAt(s, cl, 5500*ms, "example.test", &stale)
	lookupAt(s, cl, 6500*ms, "example.test", &fresh)
	lookupAt(s, cl, 7500*ms, "example.test", &timeout)
	lookupAt(s, cl, 9500*ms, "example.test", &after)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if ok.err != nil || !slices.Equal(ok.addrs, []string{"10.0.0.1"}) {
		t.Errorf("before the faults: %v %v", ok.addrs, ok.err)
	}
	if de := dnsErr(t, servfail.err); de.Err != "server misbehaving" || !de.IsTemporary || de.IsNotFound {
		t.Errorf("servfail: %+v", de)
	}
	if de := dnsErr(t, nx.err); de.Err != "no such host" || !de.IsNotFound {
		t.Errorf("nxdomain: %+v", de)
	}
	if stale.err != nil || !slices.Equal(stale.addrs, []string{"10.0.0.1"}) {
		t.Errorf("stale: %v %v, want the version-0 address", stale.addrs, stale.err)
	}
	if fresh.err != nil || !slices.Equal(fresh.addrs, []string{"10.0.0.9"}) {
		t.Errorf("after the stale fault: %v %v, want the updated address", fresh.addrs, fresh.err)
	}
	// A then AAAA, two attempts each, 300ms per attempt.
	if de := dnsErr(t, timeout.err); !de.IsTimeout || timeout.took != 4*300*ms {
		t.Errorf("timeout: %+v after %v, want IsTimeout after 1.2s", de, timeout.took)
	}
	if after.err != nil || !slices.Equal(after.addrs, []string{"10.0.0.9"}) {
		t.Errorf("after the timeout fault: %v %v", after.addrs, after.err)
	}
	var names []string
	for _, e := range s.Trace().Events {
		if e.Kind == model.Fault && strings.HasPrefix(e.Name, "dns") || e.Name == "zone-update" {
			names = append(names, e.Name+":"+e.Attrs["kind"])
		}
	}
	want := "dns-fault:servfail dns-fault-end:servfail dns-fault:nxdomain dns-fault-end:nxdomain zone-update: dns-fault:stale dns-fault-end:stale dns-fault:timeout dns-fault-end:timeout"
	if g := strings.Join(names, " "); g != want {
		t.Errorf("trace:\n got %s\nwant %s", g, want)
	}
}

// TestResolverContextDeadlineCutsTheWait: the caller's deadline ends a
// lookup that the resolver timeout would let wait longer.
func TestResolverContextDeadlineCutsTheWait(t *testing.T) {
	p := dnsPlan(t, `{"timeout": "5s"}`, `{"at": "0s", "kind": "dns", "dns": {"kind": "timeout"}}`)
	s := New(Config{Seed: 1})
	cl := s.AddNode("client")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	var err error
	var took time.Duration
	cl.Go("lookup", func() {
		env := cl.Env()
		env.Sleep(time.Millisecond)
		ctx, cancel := env.WithTimeout(context.Background(), 700*time.Millisecond)
		defer cancel()
		_, err = env.Resolver().LookupMX(ctx, "example.test")
		took = s.Now() - time.Millisecond
	})
	if _, e := s.Run(); e != nil {
		t.Fatal(e)
	}
	if de := dnsErr(t, err); !de.IsTimeout || took != 700*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%+v after %v", de, took)
	}
}

// TestResolverCrossesTheNetwork: a partition between client and DNS
// server is a timeout, like any lost traffic.
func TestResolverCrossesTheNetwork(t *testing.T) {
	p := dnsPlan(t, `{"timeout": "100ms", "attempts": 1}`, `{"at": "0s", "kind": "partition", "from": ["client"], "to": ["dns"]}`)
	s := New(Config{Seed: 1})
	cl := s.AddNode("client")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	var r lookupResult
	lookupAt(s, cl, time.Millisecond, "example.test", &r)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if de := dnsErr(t, r.err); !de.IsTimeout || r.took != 200*time.Millisecond {
		t.Fatalf("%+v after %v", de, r.took)
	}
	if count(s.Trace(), model.Drop, ReasonPartition) != 2 {
		t.Fatal("the queries were not dropped by the partition")
	}
}

// TestHTTPHostResolvedByDNS: a URL host that is neither a node nor an IP
// literal is looked up in the zone.
func TestHTTPHostResolvedByDNS(t *testing.T) {
	p := dnsPlan(t, `{}`, ``)
	s := New(Config{Seed: 1})
	web := s.AddNode("web") // 10.0.0.1, example.test's A record
	cl := s.AddNode("client")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	web.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.Host)
	}))
	var body string
	var errs []error
	cl.Go("get", func() {
		hc := &http.Client{Transport: cl.Env().Transport()}
		resp, err := hc.Get("http://www.example.test/")
		if err != nil {
			errs = append(errs, err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		_, err = hc.Get("http://nope.example.test/")
		errs = append(errs, err)
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if body != "hello from www.example.test" {
		t.Fatalf("body %q, errors %v", body, errs)
	}
	var he *HostError
	var de *net.DNSError
	if len(errs) != 1 || !errors.As(errs[0], &he) || !errors.As(errs[0], &de) || !de.IsNotFound {
		t.Fatalf("unknown host: %v", errs)
	}
}

// spfResolver is the resolver interface of blitiri.com.ar/go/spf
// (DNSResolver): code written against *net.Resolver's methods.
type spfResolver interface {
	LookupTXT(ctx context.Context, domain string) ([]string, error)
	LookupMX(ctx context.Context, domain string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ spfResolver = net.DefaultResolver

// miniSPF evaluates the "v=spf1 mx -all" subset of SPF the way a library
// holding only an spfResolver does.
func miniSPF(ctx context.Context, r spfResolver, ip net.IP, domain string) (string, error) {
	txts, err := r.LookupTXT(ctx, domain)
	if err != nil {
		return "temperror", err
	}
	for _, txt := range txts {
		if !strings.HasPrefix(txt, "v=spf1 ") {
			continue
		}
		for _, term := range strings.Fields(txt)[1:] {
			switch term {
			case "mx":
				mxs, err := r.LookupMX(ctx, domain)
				if err != nil {
					return "temperror", err
				}
				for _, mx := range mxs {
					addrs, err := r.LookupIPAddr(ctx, mx.Host)
					if err != nil {
						return "temperror", err
					}
					for _, a := range addrs {
						if a.IP.Equal(ip) {
							return "pass", nil
						}
					}
				}
			case "-all":
				return "fail", nil
			}
		}
	}
	return "none", nil
}

func TestResolverServesCodeWrittenForNetResolver(t *testing.T) {
	p := dnsPlan(t, `{}`, `{"at": "2s", "kind": "dns", "dns": {"kind": "servfail", "type": "MX"}}`)
	s := New(Config{Seed: 1})
	cl := s.AddNode("client")
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	var results []string
	cl.Go("spf", func() {
		env := cl.Env()
		var r spfResolver = env.Resolver()
		for _, ip := range []string{"10.0.0.2", "10.0.0.7"} {
			res, _ := miniSPF(context.Background(), r, net.ParseIP(ip), "example.test")
			results = append(results, ip+"="+res)
		}
		env.Sleep(3 * time.Second)
		res, err := miniSPF(context.Background(), r, net.ParseIP("10.0.0.2"), "example.test")
		var de *net.DNSError
		if errors.As(err, &de) && de.IsTemporary {
			res += "(temporary)"
		}
		results = append(results, "servfail="+res)
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if g, w := strings.Join(results, " "), "10.0.0.2=pass 10.0.0.7=fail servfail=temperror(temporary)"; g != w {
		t.Fatalf("got %s, want %s", g, w)
	}
}

// TestResolverWithoutDNS: without a zone, lookups say so instead of
// reaching the real network.
func TestResolverWithoutDNS(t *testing.T) {
	s := New(Config{Seed: 1})
	env := s.AddNode("a").Env()
	var de *net.DNSError
	if _, err := env.Resolver().LookupTXT(context.Background(), "example.test"); !errors.Is(err, ErrNoDNS) || !errors.As(err, &de) {
		t.Fatalf("got %v", err)
	}
}
