// Package spam scores inbound mail: DNS blocklist lookups (RFC 5782) that
// refuse a listed client outright, and a score built from authentication
// results and a few content rules, compared with a configurable threshold.
package spam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/sim/env"
)

// QueryName is the RFC 5782 §2.1 name for ip under zone: the IPv4 octets
// reversed, or the IPv6 address's 32 nibbles reversed.
func QueryName(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.", a[3], a[2], a[1], a[0])
	} else {
		a := ip.As16()
		for i := 15; i >= 0; i-- {
			fmt.Fprintf(&b, "%x.%x.", a[i]&0xf, a[i]>>4)
		}
	}
	b.WriteString(strings.TrimSuffix(zone, "."))
	return b.String()
}

// Listing is a blocklist hit.
type Listing struct {
	Zone   string
	Answer netip.Addr
	Text   string
}

// CheckDNSBL asks each zone about ip. A listing is an A answer in
// 127.0.0.0/8 (RFC 5782 §2.1; anything else is a misconfigured list and is
// ignored); NXDOMAIN means not listed. A list that cannot be asked (any
// other lookup error) does not stop the next: the first listing is
// returned. With no listing, a failed lookup is returned as an error
// wrapping ErrTemporary, because the client may be listed there: the
// caller defers (4xx) rather than let a listed client through while the
// list's DNS is down.
func CheckDNSBL(ctx context.Context, r env.Resolver, ip netip.Addr, zones []string) (*Listing, error) {
	var failed error
	for _, z := range zones {
		name := QueryName(ip, z)
		addrs, err := r.LookupIPAddr(ctx, name)
		if err != nil {
			var de *net.DNSError
			if errors.As(err, &de) && de.IsNotFound {
				continue
			}
			if failed == nil {
				failed = fmt.Errorf("%w: %s: %v", ErrTemporary, z, err)
			}
			continue
		}
		for _, a := range addrs {
			ad, ok := netip.AddrFromSlice(a.IP)
			ad = ad.Unmap()
			if !ok || !ad.Is4() || ad.As4()[0] != 127 {
				continue
			}
			l := &Listing{Zone: z, Answer: ad}
			if txt, err := r.LookupTXT(ctx, name); err == nil && len(txt) > 0 {
				l.Text = txt[0]
			}
			return l, nil
		}
	}
	return nil, failed
}

// ErrTemporary marks a blocklist that could not be asked.
var ErrTemporary = errors.New("spam: blocklist lookup failed")

// Refusal is the 554 5.7.1 reply for a listed client.
func (l *Listing) Refusal() *reply.Reply {
	text := "client address listed by " + l.Zone
	if l.Text != "" {
		text += ": " + l.Text
	}
	return reply.New(554, "5.7.1", "%s", text)
}

// Auth is what the scorer knows of a message's authentication.
type Auth struct {
	SPF   string // spf.Result spelling: pass, fail, softfail, ...
	DKIM  string // best DKIM status: pass, fail, none, ...
	DMARC string // pass, fail, none, ...
}

// Scorer adds up points. The zero value uses DefaultWeights.
type Scorer struct {
	Weights   map[string]float64
	Threshold float64
}

// DefaultWeights are the points per finding.
var DefaultWeights = map[string]float64{
	"spf-fail": 3, "spf-softfail": 1.5, "spf-none": 0.5,
	"dkim-fail": 2, "dkim-none": 0.5,
	"dmarc-fail": 4,
	"no-subject": 1, "no-date": 0.5, "no-message-id": 0.5,
	"all-caps-subject": 1.5, "spam-phrase": 2.5,
}

// DefaultThreshold is the score at which a message is spam.
const DefaultThreshold = 5.0

var phrases = []string{"viagra", "wire transfer", "lottery winner", "claim your prize", "100% free"}

// Score is a message's score with the findings behind it.
type Score struct {
	Value     float64
	Threshold float64
	IsSpam    bool
	Findings  []string
}

// Header is the value for an X-Spam-Score field.
func (s Score) Header() string {
	f := "none"
	if len(s.Findings) > 0 {
		f = strings.Join(s.Findings, ",")
	}
	return fmt.Sprintf("%.1f/%.1f spam=%t (%s)", s.Value, s.Threshold, s.IsSpam, f)
}

// Score scores a message. header is its header section, body its body.
func (sc Scorer) Score(a Auth, header, body []byte) Score {
	w := sc.Weights
	if w == nil {
		w = DefaultWeights
	}
	th := sc.Threshold
	if th == 0 {
		th = DefaultThreshold
	}
	s := Score{Threshold: th}
	add := func(f string) {
		if p, ok := w[f]; ok && p != 0 {
			s.Value += p
			s.Findings = append(s.Findings, f)
		}
	}
	switch a.SPF {
	case "fail", "softfail", "none":
		add("spf-" + a.SPF)
	}
	switch a.DKIM {
	case "fail", "none":
		add("dkim-" + a.DKIM)
	}
	if a.DMARC == "fail" {
		add("dmarc-fail")
	}
	subject, hasSubject := field(header, "subject")
	if !hasSubject {
		add("no-subject")
	} else if letters(subject) >= 8 && strings.ToUpper(subject) == subject {
		add("all-caps-subject")
	}
	if _, ok := field(header, "date"); !ok {
		add("no-date")
	}
	if _, ok := field(header, "message-id"); !ok {
		add("no-message-id")
	}
	text := strings.ToLower(subject + "\n" + string(body))
	for _, p := range phrases {
		if strings.Contains(text, p) {
			add("spam-phrase")
			break
		}
	}
	s.IsSpam = s.Value >= th
	return s
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			n++
		}
	}
	return n
}

// field returns the unfolded value of the first header field called name.
func field(header []byte, name string) (string, bool) {
	lines := strings.Split(string(header), "\r\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		colon := strings.IndexByte(l, ':')
		if colon <= 0 || !strings.EqualFold(strings.TrimRight(l[:colon], " \t"), name) {
			continue
		}
		v := l[colon+1:]
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			v += lines[i]
		}
		return strings.TrimSpace(v), true
	}
	return "", false
}
