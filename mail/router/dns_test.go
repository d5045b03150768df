package router_test

import (
	"context"
	"crypto/ed25519"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/sim/env"
)

func enhanced(err error) gosmtp.EnhancedCode {
	if se, ok := err.(*gosmtp.SMTPError); ok {
		return se.EnhancedCode
	}
	return gosmtp.EnhancedCode{}
}

// TestDNSFaultsDeferNeverRefuse: a SERVFAIL or timeout while deciding SPF,
// DKIM or DMARC gives 451, so the sender tries again, never a 550 that
// bounces mail a healthy DNS would have passed, nor an accept that
// forwards what a p=reject policy the router could not read forbids; and
// once DNS heals, the same message goes through (or is refused for what
// the records say).
func TestDNSFaultsDeferNeverRefuse(t *testing.T) {
	w := newWorld(t, router.Relay, nil)
	signer := &dkim.Signer{Domain: "keys.example", Selector: "k", Key: ed25519.NewKeyFromSeed(make([]byte, 32))}
	signed := func(from string) string {
		m := strings.Replace(msgText, "s@sender.example", from, 1)
		sig, err := signer.Sign([]byte(m), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return sig + m
	}
	// The key is never published: only its lookup's fault matters.
	cases := []struct {
		name       string
		fault      string // the name whose every query fails
		from, data string
		enh        gosmtp.EnhancedCode
		healed     int // the answer once DNS heals (0: accepted)
	}{
		// The policy record of a p=reject domain is unreadable; only SPF
		// of the (unaligned) envelope domain passes.
		{"dmarc temperror, p=reject", "_dmarc.strict.example", "s@sender.example",
			strings.Replace(msgText, "From: Sender <s@sender.example>", "From: <x@strict.example>", 1), gosmtp.EnhancedCode{4, 7, 1}, 550},
		// SPF of the envelope domain cannot be evaluated; nothing else
		// authenticates the message.
		{"spf temperror", "sender.example", "s@sender.example", msgText, gosmtp.EnhancedCode{4, 7, 24}, 0},
		// SPF fails, the only DKIM signature's key lookup times out.
		{"dkim temperror", "k._domainkey.keys.example", "x@nospf.example", signed("x@nospf.example"), gosmtp.EnhancedCode{4, 7, 24}, 550},
		// DMARC fails with p=reject because SPF could not be evaluated.
		{"spf temperror under p=reject", "strict.example", "x@strict.example",
			strings.Replace(msgText, "s@sender.example", "x@strict.example", 1), gosmtp.EnhancedCode{4, 7, 1}, 550},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.sink.Messages())
			fault := zonedns.ServFail(c.fault)
			if strings.Contains(c.fault, "_domainkey") {
				fault = zonedns.Timeout(c.fault)
			}
			w.zone.Fail(c.fault, fault)
			err := w.send(t, c.from, []string{"alice@ours.example"}, c.data)
			w.zone.Fail(c.fault, nil)
			if code(err) != 451 || enhanced(err) != c.enh {
				t.Errorf("under a DNS fault: %v, want 451 %v", err, c.enh)
			}
			if n := len(w.sink.Messages()); n != before {
				t.Errorf("deferred mail was forwarded")
			}
			err = w.send(t, c.from, []string{"alice@ours.example"}, c.data)
			if code(err) != c.healed {
				t.Errorf("after healing: %v, want %d", err, c.healed)
			}
		})
	}
	n := 0
	for _, rec := range w.log.Find(activity.Query{Status: activity.Rejected}) {
		if strings.HasPrefix(rec.Detail, "451 ") {
			n++
		}
	}
	if n != len(cases) {
		t.Errorf("activity has %d deferrals, want %d", n, len(cases))
	}
}

// TestDMARCTempErrorWithStrictlyAlignedPass: a message whose SPF passes
// for the From domain itself is aligned whatever the unreadable record
// says, so DMARC cannot fail it and it is forwarded.
func TestDMARCTempErrorWithStrictlyAlignedPass(t *testing.T) {
	w := newWorld(t, router.Relay, nil)
	w.zone.Fail("_dmarc.sender.example", zonedns.ServFail("_dmarc.sender.example"))
	if err := w.send(t, "s@sender.example", []string{"alice@ours.example"}, msgText); err != nil {
		t.Fatal(err)
	}
	if len(w.sink.Messages()) != 1 {
		t.Fatal("not forwarded")
	}
}

// TestMXFaultInRelayDefers: the destination domain's MX lookup fails;
// the relayed message is answered 451 4.4.3.
func TestMXFaultInRelayDefers(t *testing.T) {
	w := newWorld(t, router.Relay, nil)
	w.zone.Fail("mailbox.example", zonedns.ServFail("mailbox.example"))
	err := w.send(t, "s@sender.example", []string{"alice@ours.example"}, msgText)
	if code(err) != 451 || enhanced(err) != (gosmtp.EnhancedCode{4, 4, 3}) {
		t.Fatalf("MX SERVFAIL: %v, want 451 4.4.3", err)
	}
}

// TestDNSBLFaultDefersAtMail: a blocklist that cannot be asked defers
// MAIL with 451 4.4.3 (the client may be listed there), and the next MAIL
// asks again.
func TestDNSBLFaultDefersAtMail(t *testing.T) {
	z := zonedns.New()
	name := "5.2.0.192.bl.example"
	z.Err[name] = zonedns.Timeout(name)
	e := env.NewReal(env.RealConfig{Node: "mx", Resolver: z})
	tab, _ := rules.Compile(rules.Config{})
	r := router.New(e, router.Config{DNSBL: []string{"bl.example"}}, router.Parts{Table: tab})
	from := smtp.Path{Local: "s", Domain: "sender.example"}
	s := &smtp.SessionInfo{ID: "a", ClientIP: netip.MustParseAddr("192.0.2.5")}
	if rp := r.Mail(context.Background(), s, from, smtp.MailParams{}); rp.Code != 451 || rp.Enhanced != (smtp.EnhancedCode{4, 4, 3}) {
		t.Fatalf("blocklist timeout: %v, want 451 4.4.3", rp)
	}
	delete(z.Err, name)
	z.IP[name] = []net.IP{net.ParseIP("127.0.0.2")}
	if rp := r.Mail(context.Background(), s, from, smtp.MailParams{}); rp.Code != 554 {
		t.Fatalf("listed once the list answers: %v, want 554", rp)
	}
}
