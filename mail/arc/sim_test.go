package arc

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/authres"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/dmarc"
	"github.com/edgelab/edgelab/mail/spf"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/env"
)

// authOutcome is what one receiving node concluded.
type authOutcome struct {
	spf   spf.Result
	dkim  []dkim.Status
	dmarc dmarc.Result
	arc   Status
	seal  string
}

// runAuthWorld runs the authentication packages on a simulated node: every
// DNS answer crosses the simulated network from the DNS node, time is the
// node's clock and pct draws from the node's seeded randomness.
func runAuthWorld(t *testing.T, seed uint64, faults ...dns.Fault) (authOutcome, string) {
	t.Helper()
	hop1, hop2, _, recs := sealers(t)
	signer := &dkim.Signer{Domain: "hop1.example", Selector: "s1", Key: hop1.Key}
	records := []dns.Record{
		{Name: "hop1.example.", Type: "TXT", TTL: 60, Value: "v=spf1 ip4:192.0.2.0/24 -all"},
		{Name: "_dmarc.hop1.example.", Type: "TXT", TTL: 60, Value: "v=DMARC1; p=reject; pct=50"},
	}
	for name, rec := range recs {
		records = append(records, dns.Record{Name: name + ".", Type: "TXT", TTL: 60, Value: rec})
	}
	z, err := dns.NewZone(records...)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.SetFaults(faults...); err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Config{Seed: seed, Limit: time.Hour})
	s.AddNode("dns").ServeDNS(z)
	mx := s.AddNode("mx")
	var out authOutcome
	mx.Start(func(e env.Env) {
		ctx := context.Background()
		r := e.Resolver()
		msg := strings.Replace(original, "d1.example", "hop1.example", -1)
		f, err := signer.Sign([]byte(msg), e.Now())
		if err != nil {
			t.Error(err)
			return
		}
		signed := []byte(f + msg)
		sv := spf.Check(ctx, r, net.ParseIP("192.0.2.10"), "mail.hop1.example", "jqd@hop1.example")
		out.spf = sv.Result
		ar := authres.Header{ServID: hop2.AuthServID, Results: []authres.Result{sv.AuthResult()}}
		res, err := dkim.Verify(ctx, r, signed, e.Now())
		if err != nil {
			t.Error(err)
		}
		var ids []dmarc.Identity
		for _, v := range res {
			out.dkim = append(out.dkim, v.Status)
			ids = append(ids, dmarc.Identity{Domain: v.Domain, Pass: v.Status == dkim.StatusPass})
			ar.Results = append(ar.Results, v.AuthResult())
		}
		ev := &dmarc.Evaluator{Resolver: r}
		dv := ev.Evaluate(ctx, dmarc.Input{From: "hop1.example", DKIM: ids}, e.Rand())
		out.dmarc = dv.Result
		ar.Results = append(ar.Results, dv.AuthResult())
		// What the receiver saw goes into its Authentication-Results and,
		// through it, into the AAR of its seal.
		signed = append([]byte(ar.Field()), signed...)
		seal, cv, err := hop2.Seal(ctx, r, signed, e.Now())
		if err != nil {
			t.Error(err)
		}
		out.seal = seal
		if cv != None {
			t.Errorf("first seal cv=%s", cv)
		}
		out.arc = Verify(ctx, r, append([]byte(seal), signed...)).Status
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return out, s.Trace().HashHex()
}

func TestAuthenticationOnASimulatedNode(t *testing.T) {
	a, hashA := runAuthWorld(t, 11)
	if a.spf != spf.Pass || len(a.dkim) != 1 || a.dkim[0] != dkim.StatusPass || a.dmarc != dmarc.ResultPass || a.arc != Pass {
		t.Fatalf("healthy DNS: %+v", a)
	}
	for _, want := range []string{"i=1; hop2.example;", "spf=pass smtp.mailfrom=jqd@hop1.example", "dkim=pass header.d=hop1.example", "dmarc=pass header.from=hop1.example"} {
		if !strings.Contains(a.seal, want) {
			t.Errorf("the AAR lacks %q:\n%s", want, a.seal)
		}
	}
	b, hashB := runAuthWorld(t, 11)
	if hashA != hashB || a.seal != b.seal {
		t.Fatalf("same seed, different runs: trace %s vs %s", hashA, hashB)
	}
	// A DNS timeout for the DKIM key is a temporary error, and DMARC,
	// with no passing identity, fails.
	c, _ := runAuthWorld(t, 11, dns.Fault{Kind: dns.Timeout, Name: "s1._domainkey.hop1.example."})
	if len(c.dkim) != 1 || c.dkim[0] != dkim.StatusTempError || c.dmarc != dmarc.ResultFail {
		t.Fatalf("key lookup timing out: %+v", c)
	}
	d, _ := runAuthWorld(t, 11, dns.Fault{Kind: dns.ServFail, Name: "hop1.example.", Type: "TXT"})
	if d.spf != spf.TempError {
		t.Fatalf("SPF record SERVFAIL: %+v", d)
	}
}
