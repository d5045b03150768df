package spf

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	blitiri "blitiri.com.ar/go/spf"

	"github.com/edgelab/edgelab/sim/env"
)

// This file evaluates the exp= modifier (RFC 7208 §6.2), which the library
// ignores: for a fail, the explanation the failing domain publishes, its
// macros (§7) expanded by us.

// maxRedirects bounds the redirect chain followed to find the record that
// failed (the lookup limit would stop a longer one anyway).
const maxRedirects = 10

// errMacro is a syntax error in a macro-string.
var errMacro = errors.New("spf: macro syntax error")

// macroEnv is what macros expand to.
type macroEnv struct {
	sender, local, senderDomain string
	domain                      string // %{d}, the record's domain
	ip                          net.IP
	helo                        string
	receiver                    string // %{r}
	now                         time.Time
	// validated finds %{p}; nil means "unknown".
	validated func(domain string) string
}

// explain returns the explanation for a fail, or "" when the failing
// domain gives none or any step errs (the RFC's "no explanation").
func explain(ctx context.Context, r env.Resolver, ip net.IP, helo, sender string, o options) string {
	m := macroEnv{ip: ip, helo: helo, receiver: o.receiver, now: o.now,
		validated: func(d string) string { return validatedName(ctx, r, ip, d) }}
	m.sender = sender
	if m.sender == "" {
		m.sender = "postmaster@" + helo
	}
	m.local, m.senderDomain, _ = cut(m.sender)
	if m.local == "" {
		m.local = "postmaster"
		m.sender = "postmaster@" + m.senderDomain
	}
	domain := m.senderDomain
	var overlay *overlayResolver
	for range maxRedirects {
		rec, ok := spfRecord(ctx, r, domain)
		if !ok {
			return ""
		}
		redirect, exp, hasAll, stripped := terms(rec)
		if redirect != "" && !hasAll {
			// Did this record's own mechanisms fail the client, or did
			// the redirect? Evaluate it with the redirect removed.
			overlay = &overlayResolver{Resolver: r, name: domain, txt: stripped}
			res, _ := blitiri.CheckHostWithSender(ip, helo, sender,
				blitiri.WithContext(ctx), blitiri.WithResolver(overlay))
			if res != blitiri.Fail {
				m.domain = domain
				next, err := expand(redirect, m, false)
				if err != nil {
					return ""
				}
				domain = truncateDomain(next)
				continue
			}
		}
		if exp == "" {
			return ""
		}
		m.domain = domain
		target, err := expand(exp, m, false)
		if err != nil || target == "" {
			return ""
		}
		txts, err := r.LookupTXT(ctx, truncateDomain(target))
		if err != nil || len(txts) != 1 {
			return ""
		}
		text, err := expand(txts[0], m, true)
		if err != nil || !isASCII(text) {
			return ""
		}
		return text
	}
	return ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// spfRecord is a domain's one SPF record.
func spfRecord(ctx context.Context, r env.Resolver, domain string) (string, bool) {
	txts, err := r.LookupTXT(ctx, domain)
	if err != nil {
		return "", false
	}
	var found []string
	for _, t := range txts {
		if l := strings.ToLower(t); l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ") {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// terms reads a record's redirect= and exp= (empty if absent or given
// twice, which the library already judged), whether it has an "all"
// mechanism (which makes redirect void, §6.1), and the record without its
// modifiers.
func terms(rec string) (redirect, exp string, hasAll bool, stripped string) {
	fields := strings.Fields(rec)
	keep := fields[:1]
	for _, f := range fields[1:] {
		l := strings.ToLower(f)
		switch {
		case strings.HasPrefix(l, "redirect="):
			redirect = f[len("redirect="):]
		case strings.HasPrefix(l, "exp="):
			exp = f[len("exp="):]
		default:
			if strings.TrimLeft(l, "+-~?") == "all" {
				hasAll = true
			}
			keep = append(keep, f)
		}
	}
	return redirect, exp, hasAll, strings.Join(keep, " ")
}

// overlayResolver answers one name's TXT with a given record.
type overlayResolver struct {
	env.Resolver
	name, txt string
}

func (o *overlayResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if strings.EqualFold(strings.TrimSuffix(name, "."), o.name) {
		return []string{o.txt}, nil
	}
	return o.Resolver.LookupTXT(ctx, name)
}

// truncateDomain drops leading labels until the name fits in 253 octets
// (§7.3).
func truncateDomain(d string) string {
	d = strings.TrimSuffix(d, ".")
	for len(d) > 253 {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return d
		}
		d = d[i+1:]
	}
	return d
}

// expand expands a macro-string (§7.1). explain allows the c, r and t
// letters, which only explanations may use.
func expand(s string, m macroEnv, explain bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if c < 0x21 && !(explain && c == ' ') || c == 0x7f {
				return "", errMacro
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", errMacro
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errMacro
			}
			v, err := macro(s[i+1:i+end], m, explain)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", errMacro
		}
	}
	return b.String(), nil
}

// macro expands the inside of one %{...}: a letter, transformers (a count
// of rightmost parts, "r" to reverse) and delimiters.
func macro(spec string, m macroEnv, explain bool) (string, error) {
	if spec == "" {
		return "", errMacro
	}
	letter := spec[0]
	upper := letter >= 'A' && letter <= 'Z'
	if upper {
		letter += 'a' - 'A'
	}
	var v string
	switch letter {
	case 's':
		v = m.sender
	case 'l':
		v = m.local
	case 'o':
		v = m.senderDomain
	case 'd':
		v = m.domain
	case 'i':
		v = dottedIP(m.ip)
	case 'p':
		v = "unknown"
		if m.validated != nil {
			v = m.validated(m.domain)
		}
	case 'v':
		v = "ip6"
		if m.ip.To4() != nil {
			v = "in-addr"
		}
	case 'h':
		v = m.helo
	case 'c', 'r', 't':
		if !explain {
			return "", errMacro
		}
		switch letter {
		case 'c':
			v = m.ip.String()
		case 'r':
			v = m.receiver
			if v == "" {
				v = "unknown"
			}
		case 't':
			if m.now.IsZero() {
				return "", errMacro // no clock of our own to read
			}
			v = strconv.FormatInt(m.now.Unix(), 10)
		}
	default:
		return "", errMacro
	}
	rest := spec[1:]
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	keep := 0
	if digits > 0 {
		n, err := strconv.Atoi(rest[:digits])
		if err != nil || n == 0 {
			return "", errMacro
		}
		keep = n
	}
	rest = rest[digits:]
	reverse := false
	if rest != "" && (rest[0] == 'r' || rest[0] == 'R') {
		reverse = true
		rest = rest[1:]
	}
	delims := "."
	if rest != "" {
		if strings.Trim(rest, ".-+,/_=") != "" {
			return "", errMacro
		}
		delims = rest
	}
	// Split at the delimiters, reverse, keep the rightmost parts, and
	// rejoin with "." whatever the delimiters were (§7.3).
	var parts []string
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	parts = append(parts, v[start:])
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if keep > 0 && keep < len(parts) {
		parts = parts[len(parts)-keep:]
	}
	v = strings.Join(parts, ".")
	if upper {
		v = escapeUnreserved(v)
	}
	return v, nil
}

// escapeUnreserved percent-encodes all but RFC 3986's unreserved
// characters, as an upper-case macro letter asks.
func escapeUnreserved(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// dottedIP is %{i}: dotted quad, or for IPv6 the 32 nibbles dotted.
func dottedIP(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i, x := range ip.To16() {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteByte(hex[x>>4])
		b.WriteByte('.')
		b.WriteByte(hex[x&15])
	}
	return b.String()
}

// validatedName is %{p} (§7.3): of the names the address's PTR records
// give (at most 10), one whose A or AAAA records include the address,
// preferring the domain itself, then a subdomain of it; "unknown" if none.
func validatedName(ctx context.Context, r env.Resolver, ip net.IP, domain string) string {
	names, err := r.LookupAddr(ctx, ip.String())
	if err != nil {
		return "unknown"
	}
	if len(names) > 10 {
		names = names[:10]
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	best, rank := "unknown", 0
	for _, n := range names {
		n = strings.TrimSuffix(n, ".")
		addrs, err := r.LookupIPAddr(ctx, n)
		if err != nil {
			continue
		}
		ok := false
		for _, a := range addrs {
			ok = ok || a.IP.Equal(ip)
		}
		if !ok {
			continue
		}
		l := strings.ToLower(n)
		switch {
		case l == domain:
			return n
		case strings.HasSuffix(l, "."+domain) && rank < 2:
			best, rank = n, 2
		case rank < 1:
			best, rank = n, 1
		}
	}
	return best
}
