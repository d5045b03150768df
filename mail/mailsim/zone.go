package mailsim

// This file is the world's domains, their keys and the DNS zone generated
// from them.

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/spam"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/dns"
)

// The world's domains.
const (
	OurDomain      = "ours.example"          // the router's domain
	IDNDomain      = "bücher.example"        // a second routed domain, IDN
	IDNDomainASCII = "xn--bcher-kva.example" // its A-label
	StrictDomain   = "strict.example"        // p=reject, sends nothing itself
	AttackerDomain = "attacker.example"      // SPF-authorizes the attacker
	SpamDomain     = "spam.example"          // SPF-authorizes the blocklisted spammer
	Blocklist      = "bl.example"            // the DNSBL zone
	Selector       = "s1"
)

// SenderDomain is the domain of sending MTA i; MailboxDomain that of
// destination mailbox domain j (1 or 2; with one destination MTA it hosts
// both).
func SenderDomain(i int) string  { return "sender-" + strconv.Itoa(i) + ".example" }
func MailboxDomain(j int) string { return "mbox" + strconv.Itoa(j) + ".example" }

// key is the deterministic Ed25519 key of a signing domain in a run.
func key(seed uint64, domain string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte(fmt.Sprintf("mailsim key %d %s", seed, domain)))
	return ed25519.NewKeyFromSeed(h[:])
}

// zoneRecords generates the zone: for each host an A and an AAAA record,
// MX records for every domain that receives mail, SPF for every domain
// that sends, DKIM keys for the signers, DMARC policies and the DNSBL's
// listing of the spammer (both address families).
func (w *run) zoneRecords() ([]dns.Record, error) {
	var rs []dns.Record
	fq := func(n string) string { return n + "." }
	host := func(name string, n *sim.Node) {
		rs = append(rs, dns.Record{Name: fq(name), Type: "A", TTL: 300, Value: n.Addr4().String()},
			dns.Record{Name: fq(name), Type: "AAAA", TTL: 300, Value: n.Addr6().String()})
	}
	mx := func(domain, hostname string) {
		rs = append(rs, dns.Record{Name: fq(domain), Type: "MX", TTL: 300, Pref: 10, Value: fq(hostname)})
	}
	spf := func(domain string, n *sim.Node) {
		rs = append(rs, dns.Record{Name: fq(domain), Type: "TXT", TTL: 300,
			Value: "v=spf1 ip4:" + n.Addr4().String() + " ip6:" + n.Addr6().String() + " -all"})
	}
	dkimKey := func(domain string) error {
		rec, err := dkim.KeyRecord(key(w.seed, domain).Public())
		if err != nil {
			return err
		}
		rs = append(rs, dns.Record{Name: fq(Selector + "._domainkey." + domain), Type: "TXT", TTL: 300, Value: rec})
		return nil
	}
	dmarc := func(domain, policy string) {
		rs = append(rs, dns.Record{Name: fq("_dmarc." + domain), Type: "TXT", TTL: 300, Value: "v=DMARC1; p=" + policy})
	}
	router := w.s.Node(RouterNode)
	host("mx."+OurDomain, router)
	mx(OurDomain, "mx."+OurDomain)
	mx(IDNDomainASCII, "mx."+OurDomain)
	spf(OurDomain, router)
	if err := dkimKey(OurDomain); err != nil {
		return nil, err
	}
	// mbox2's mail host is IPv6-only, as more and more are.
	d1 := w.s.Node(DestNode(1))
	host("mx."+MailboxDomain(1), d1)
	d2 := w.s.Node(DestNode(min(2, w.cfg.Dests)))
	rs = append(rs, dns.Record{Name: fq("mx." + MailboxDomain(2)), Type: "AAAA", TTL: 300, Value: d2.Addr6().String()})
	for j := 1; j <= 2; j++ {
		mx(MailboxDomain(j), "mx."+MailboxDomain(j))
	}
	for i := 1; i <= w.cfg.Senders; i++ {
		n := w.s.Node(SenderNode(i))
		d := SenderDomain(i)
		host("mx."+d, n)
		mx(d, "mx."+d)
		spf(d, n)
		if err := dkimKey(d); err != nil {
			return nil, err
		}
		dmarc(d, "reject")
	}
	rs = append(rs, dns.Record{Name: fq(StrictDomain), Type: "TXT", TTL: 300, Value: "v=spf1 -all"})
	dmarc(StrictDomain, "reject")
	spf(AttackerDomain, w.s.Node(AttackerNode))
	spammer := w.s.Node(SpammerNode)
	spf(SpamDomain, spammer)
	for _, a := range []netip.Addr{spammer.Addr4(), spammer.Addr6()} {
		name := spam.QueryName(a, Blocklist)
		rs = append(rs, dns.Record{Name: fq(name), Type: "A", TTL: 300, Value: "127.0.0.2"},
			dns.Record{Name: fq(name), Type: "TXT", TTL: 300, Value: "listed: a spam source"})
	}
	return rs, nil
}
