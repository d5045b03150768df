package dmarc

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

func zone() *zonedns.Zone {
	z := zonedns.New()
	z.TXT["_dmarc.example.com"] = []string{"v=DMARC1; p=reject; sp=quarantine; np=reject"}
	z.TXT["_dmarc.strict.example"] = []string{"v=DMARC1; p=reject; adkim=s; aspf=s"}
	z.TXT["_dmarc.monitor.example"] = []string{"v=DMARC1; p=none"}
	z.TXT["_dmarc.half.example"] = []string{"v=DMARC1; p=reject; pct=50"}
	z.TXT["_dmarc.zero.example"] = []string{"v=DMARC1; p=quarantine; pct=0"}
	z.TXT["_dmarc.two.example"] = []string{"v=DMARC1; p=reject", "v=DMARC1; p=none"}
	z.TXT["_dmarc.broken.example"] = []string{"v=DMARC1; p=bogus"}
	z.Err["_dmarc.flaky.example"] = zonedns.Timeout("_dmarc.flaky.example")
	z.IP["mail.example.com"] = []net.IP{net.ParseIP("192.0.2.1")}
	// DMARCbis: a PSD with psd=y above an organization with its own
	// record several labels down.
	z.TXT["_dmarc.psd.example"] = []string{"v=DMARC1; p=reject; psd=y"}
	z.TXT["_dmarc.org.psd.example"] = []string{"v=DMARC1; p=quarantine; psd=n"}
	z.TXT["_dmarc.testing.example"] = []string{"v=DMARC1; p=reject; t=y"}
	return z
}

func TestEvaluate(t *testing.T) {
	pass := func(d string) Identity { return Identity{Domain: d, Pass: true} }
	fail := func(d string) Identity { return Identity{Domain: d} }
	for _, c := range []struct {
		name     string
		treeWalk bool
		in       Input
		result   Result
		disp     Disposition
		policy   string // where the record was found
		org      string
	}{
		{"dkim aligned exactly", false, Input{From: "example.com", DKIM: []Identity{pass("example.com")}}, ResultPass, DispositionNone, "example.com", "example.com"},
		{"spf relaxed alignment", false, Input{From: "example.com", SPF: pass("bounce.example.com")}, ResultPass, DispositionNone, "example.com", "example.com"},
		{"dkim of another org", false, Input{From: "example.com", DKIM: []Identity{pass("example.net")}}, ResultFail, DispositionReject, "example.com", "example.com"},
		{"failed identities do not align", false, Input{From: "example.com", SPF: fail("example.com"), DKIM: []Identity{fail("example.com")}}, ResultFail, DispositionReject, "example.com", "example.com"},
		{"sp for an existing subdomain", false, Input{From: "mail.example.com"}, ResultFail, DispositionQuarantine, "example.com", "example.com"},
		{"np for a non-existent subdomain", false, Input{From: "nope.example.com"}, ResultFail, DispositionReject, "example.com", "example.com"},
		{"strict dkim refuses a subdomain", false, Input{From: "strict.example", DKIM: []Identity{pass("mail.strict.example")}}, ResultFail, DispositionReject, "strict.example", "strict.example"},
		{"strict spf refuses a subdomain", false, Input{From: "strict.example", SPF: pass("bounce.strict.example")}, ResultFail, DispositionReject, "strict.example", "strict.example"},
		{"strict exact passes", false, Input{From: "strict.example", SPF: pass("STRICT.example.")}, ResultPass, DispositionNone, "strict.example", "strict.example"},
		{"p=none", false, Input{From: "monitor.example"}, ResultFail, DispositionNone, "monitor.example", "monitor.example"},
		{"no record", false, Input{From: "unknown.example", DKIM: []Identity{pass("unknown.example")}}, ResultNone, DispositionNone, "", "unknown.example"},
		{"two records are none", false, Input{From: "two.example"}, ResultNone, DispositionNone, "", "two.example"},
		{"invalid record is none", false, Input{From: "broken.example"}, ResultNone, DispositionNone, "", "broken.example"},
		{"dns timeout", false, Input{From: "flaky.example"}, ResultTempError, DispositionNone, "", "flaky.example"},
		{"pct=0 lowers quarantine to none", false, Input{From: "zero.example"}, ResultFail, DispositionNone, "zero.example", "zero.example"},
		{"public suffix org domain", false, Input{From: "a.b.example.co.uk"}, ResultNone, DispositionNone, "", "example.co.uk"},
		// RFC 7489 asks only the From domain and its PSL org domain
		// (psd.example): the org's own record three labels down is not
		// consulted for x.y.org.psd.example.
		{"rfc7489 stops at the psl org", false, Input{From: "x.y.org.psd.example"}, ResultFail, DispositionReject, "psd.example", "psd.example"},
		{"tree walk finds the org record", true, Input{From: "x.y.org.psd.example", DKIM: []Identity{pass("org.psd.example")}}, ResultPass, DispositionNone, "org.psd.example", "org.psd.example"},
		{"tree walk uses the org's sp/p", true, Input{From: "x.y.org.psd.example", DKIM: []Identity{pass("other.psd.example")}}, ResultFail, DispositionQuarantine, "org.psd.example", "org.psd.example"},
		{"t=y asks DMARCbis for the weaker policy", true, Input{From: "testing.example"}, ResultFail, DispositionQuarantine, "testing.example", "testing.example"},
		{"t=y means nothing to RFC 7489", false, Input{From: "testing.example"}, ResultFail, DispositionReject, "testing.example", "testing.example"},
		{"tree walk psd=y gives the child", true, Input{From: "shop.psd.example"}, ResultFail, DispositionReject, "psd.example", "shop.psd.example"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &Evaluator{Resolver: zone(), TreeWalk: c.treeWalk}
			v := e.Evaluate(context.Background(), c.in, nil)
			if v.Result != c.result || v.Disposition != c.disp || v.PolicyDomain != c.policy || v.OrgDomain != c.org {
				t.Errorf("got result=%s disposition=%s policy at %q org %q (err %v); want %s %s %q %q",
					v.Result, v.Disposition, v.PolicyDomain, v.OrgDomain, v.Err, c.result, c.disp, c.policy, c.org)
			}
		})
	}
}

// pct=50 applies reject to about half the messages and quarantine to the
// rest, the same ones for the same random stream.
func TestPercentSampling(t *testing.T) {
	e := &Evaluator{Resolver: zone()}
	run := func(seed uint64) []Disposition {
		r := rand.New(rand.NewPCG(seed, 1))
		src := readerFunc(func(p []byte) (int, error) {
			for i := range p {
				p[i] = byte(r.Uint32())
			}
			return len(p), nil
		})
		var out []Disposition
		for range 1000 {
			out = append(out, e.Evaluate(context.Background(), Input{From: "half.example"}, src).Disposition)
		}
		return out
	}
	a, b := run(7), run(7)
	rejects := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("message %d: %s then %s from the same stream", i, a[i], b[i])
		}
		switch a[i] {
		case DispositionReject:
			rejects++
		case DispositionQuarantine:
		default:
			t.Fatalf("message %d: disposition %s under p=reject pct=50", i, a[i])
		}
	}
	if rejects < 430 || rejects > 570 {
		t.Errorf("%d of 1000 rejected at pct=50", rejects)
	}
	// Without pct, no randomness is read.
	v := e.Evaluate(context.Background(), Input{From: "example.com"}, bytes.NewReader(nil))
	if v.Disposition != DispositionReject || v.Err != nil {
		t.Errorf("pct absent: %s %v", v.Disposition, v.Err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
