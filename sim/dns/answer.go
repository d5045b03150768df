package dns

import (
	"cmp"
	"net"
	"slices"

	"golang.org/x/net/dns/dnsmessage"
)

// The error texts of net.Resolver, so that code matching on them (or a
// human reading a trace) sees the same thing in the simulator.
const (
	errTextNoSuchHost   = "no such host"
	errTextMisbehaving  = "server misbehaving"
	errTextUnmarshal    = "cannot unmarshal DNS message"
	errTextMarshal      = "cannot marshal DNS message"
	errTextInvalidResp  = "invalid DNS response"
	errTextLameReferral = "lame referral"
	errTextMalformed    = "DNS response contained records which contain invalid names"
)

// BuildQuery returns a recursive query for name (made fully qualified) and
// qtype in wire format, with an EDNS0 OPT record as net.Resolver sends.
func BuildQuery(id uint16, name string, qtype dnsmessage.Type) ([]byte, error) {
	n, err := dnsmessage.NewName(absName(name))
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: qtype, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	if err := addEDNS0(&b); err != nil {
		return nil, err
	}
	return b.Finish()
}

// addEDNS0 adds the additional section with the EDNS0 OPT record that
// net.Resolver sends and the simulated servers answer with.
func addEDNS0(b *dnsmessage.Builder) error {
	if err := b.StartAdditionals(); err != nil {
		return err
	}
	var opt dnsmessage.ResourceHeader
	if err := opt.SetEDNS0(ednsPayload, dnsmessage.RCodeSuccess, false); err != nil {
		return err
	}
	return b.OPTResource(opt, dnsmessage.OPTResource{})
}

// Answer is a response that ParseAnswer accepted: the answer records
// from the first one of the queried type on, which is what net.Resolver
// reads (CNAMEs leading up to it are skipped; a CNAME query stops at the
// first CNAME).
type Answer struct {
	Type    dnsmessage.Type
	Records []dnsmessage.Resource
}

// ParseAnswer checks answer against the query it answers and applies
// net.Resolver's rules (Go's resolver, dnsclient_unix.go): a response that
// does not parse, or answers another ID or question, is "cannot unmarshal
// DNS message" or "invalid DNS response"; NXDOMAIN, and NOERROR without a
// record of the queried type (NODATA), are "no such host" with IsNotFound;
// SERVFAIL is "server misbehaving" with IsTemporary; any other RCODE is
// "server misbehaving". Errors are *net.DNSError naming the queried name.
func ParseAnswer(query, answer []byte) (Answer, error) {
	var qp dnsmessage.Parser
	qh, err := qp.Start(query)
	if err != nil {
		return Answer{}, &net.DNSError{Err: errTextMarshal}
	}
	q, err := qp.Question()
	if err != nil {
		return Answer{}, &net.DNSError{Err: errTextMarshal}
	}
	name := q.Name.String()
	fail := func(text string) error { return &net.DNSError{Err: text, Name: name} }

	var p dnsmessage.Parser
	h, err := p.Start(answer)
	if err != nil {
		return Answer{}, fail(errTextUnmarshal)
	}
	rq, err := p.Question()
	if err != nil {
		return Answer{}, fail(errTextUnmarshal)
	}
	if !h.Response || h.ID != qh.ID || rq.Type != q.Type || rq.Class != q.Class || foldName(rq.Name.String()) != foldName(name) {
		return Answer{}, fail(errTextInvalidResp)
	}
	if err := p.SkipQuestion(); err != dnsmessage.ErrSectionDone {
		return Answer{}, fail(errTextInvalidResp)
	}

	// checkHeader
	rcode, hasAdd := extendedRCode(p, h)
	if rcode == dnsmessage.RCodeNameError {
		return Answer{}, NotFound(name)
	}
	_, err = p.AnswerHeader()
	if err != nil && err != dnsmessage.ErrSectionDone {
		return Answer{}, fail(errTextUnmarshal)
	}
	if rcode == dnsmessage.RCodeSuccess && !h.Authoritative && !h.RecursionAvailable && err == dnsmessage.ErrSectionDone && !hasAdd {
		return Answer{}, fail(errTextLameReferral)
	}
	if rcode != dnsmessage.RCodeSuccess {
		e := &net.DNSError{Err: errTextMisbehaving, Name: name}
		e.IsTemporary = rcode == dnsmessage.RCodeServerFailure
		return Answer{}, e
	}

	// skipToAnswer, then read the rest of the section.
	out := Answer{Type: q.Type}
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return Answer{}, fail(errTextUnmarshal)
		}
		if len(out.Records) == 0 && rh.Type != q.Type {
			if err := p.SkipAnswer(); err != nil {
				return Answer{}, fail(errTextUnmarshal)
			}
			continue
		}
		r, err := p.Answer()
		if err != nil {
			return Answer{}, fail(errTextUnmarshal)
		}
		out.Records = append(out.Records, r)
	}
	if len(out.Records) == 0 {
		return Answer{}, NotFound(name)
	}
	return out, nil
}

// NotFound is net.Resolver's error for a name that does not exist.
func NotFound(name string) *net.DNSError {
	return &net.DNSError{Err: errTextNoSuchHost, Name: name, IsNotFound: true}
}

// extendedRCode is the RCODE including EDNS extended bits, and whether the
// additional section is non-empty (net's extractExtendedRCode).
func extendedRCode(p dnsmessage.Parser, h dnsmessage.Header) (dnsmessage.RCode, bool) {
	p.SkipAllAnswers()
	p.SkipAllAuthorities()
	hasAdd := false
	for {
		ah, err := p.AdditionalHeader()
		if err != nil {
			return h.RCode, hasAdd
		}
		hasAdd = true
		if ah.Type == dnsmessage.TypeOPT {
			return ah.ExtendedRCode(h.RCode), hasAdd
		}
		if err := p.SkipAdditional(); err != nil {
			return h.RCode, hasAdd
		}
	}
}

// IPAddrs returns the A and AAAA addresses, in answer order.
func (a Answer) IPAddrs() []net.IPAddr {
	var out []net.IPAddr
	for _, r := range a.Records {
		switch b := r.Body.(type) {
		case *dnsmessage.AResource:
			out = append(out, net.IPAddr{IP: net.IP(b.A[:]).To16()})
		case *dnsmessage.AAAAResource:
			out = append(out, net.IPAddr{IP: net.IP(b.AAAA[:])})
		}
	}
	return out
}

// CanonicalName is what net.Resolver takes as the canonical name from
// this answer: the owner of the first address record, or the target of the
// first CNAME; "" if neither.
func (a Answer) CanonicalName() string {
	for _, r := range a.Records {
		switch b := r.Body.(type) {
		case *dnsmessage.AResource, *dnsmessage.AAAAResource:
			return r.Header.Name.String()
		case *dnsmessage.CNAMEResource:
			return b.CNAME.String()
		}
	}
	return ""
}

// MX returns the MX records sorted by preference; records of equal
// preference keep their answer order, so the result is deterministic
// (net.Resolver shuffles them; Client can, from its own rand stream).
func (a Answer) MX() []*net.MX {
	var out []*net.MX
	for _, r := range a.Records {
		if b, ok := r.Body.(*dnsmessage.MXResource); ok {
			out = append(out, &net.MX{Host: b.MX.String(), Pref: b.Pref})
		}
	}
	slices.SortStableFunc(out, func(x, y *net.MX) int { return cmp.Compare(x.Pref, y.Pref) })
	return out
}

// TXT returns one string per TXT record, its character-strings joined
// without separator as net.Resolver does.
func (a Answer) TXT() []string {
	var out []string
	for _, r := range a.Records {
		if b, ok := r.Body.(*dnsmessage.TXTResource); ok {
			n := 0
			for _, s := range b.TXT {
				n += len(s)
			}
			joined := make([]byte, 0, n)
			for _, s := range b.TXT {
				joined = append(joined, s...)
			}
			out = append(out, string(joined))
		}
	}
	return out
}

// PTR returns the names of the PTR records.
func (a Answer) PTR() []string {
	var out []string
	for _, r := range a.Records {
		if b, ok := r.Body.(*dnsmessage.PTRResource); ok {
			out = append(out, b.PTR.String())
		}
	}
	return out
}
