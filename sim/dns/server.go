package dns

import (
	"golang.org/x/net/dns/dnsmessage"
)

// maxCNAMEChain bounds CNAME chasing; longer chains answer SERVFAIL, as
// recursive resolvers do.
const maxCNAMEChain = 16

// ednsPayload is the UDP payload size advertised back to EDNS clients, the
// 2020 DNS flag day value that net.Resolver also uses.
const ednsPayload = 1232

// Answer serves one DNS query in wire format, as the recursive resolver a
// node's stub resolver talks to. It returns the wire-format response, or
// ok=false when the query is dropped: a timeout fault, a message too short
// to have an ID to answer to, or a message that is itself a response
// (answering those invites loops). Malformed queries get FORMERR, opcodes
// other than QUERY get NOTIMP, classes other than IN get REFUSED; it never
// panics and every answer it returns parses with dnsmessage.
//
// Answers are never truncated: the kernel carries them whole, as over TCP.
func (z *Zone) Answer(query []byte) (answer []byte, ok bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return nil, false
	}
	resp := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		OpCode:             h.OpCode,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
	}
	if h.OpCode != 0 {
		return bare(resp, dnsmessage.RCodeNotImplemented), true
	}
	q, err := p.Question()
	if err != nil {
		return bare(resp, dnsmessage.RCodeFormatError), true
	}
	if _, err := p.Question(); err != dnsmessage.ErrSectionDone {
		return bare(resp, dnsmessage.RCodeFormatError), true // not exactly one question
	}
	edns, err := queryEDNS(&p)
	if err != nil {
		return bare(resp, dnsmessage.RCodeFormatError), true
	}
	if q.Class != dnsmessage.ClassINET {
		return respond(resp, dnsmessage.RCodeRefused, q, nil, edns), true
	}

	qname := foldName(q.Name.String())
	data := z.current()
	if f, hit := z.faultFor(qname, q.Type); hit {
		switch f.Kind {
		case Timeout:
			return nil, false
		case ServFail:
			return respond(resp, dnsmessage.RCodeServerFailure, q, nil, edns), true
		case NXDomain:
			return respond(resp, dnsmessage.RCodeNameError, q, nil, edns), true
		case Stale:
			data = z.versions[f.Version]
		}
	}
	rcode, records := data.resolve(qname, q.Type)
	return respond(resp, rcode, q, records, edns), true
}

// resolve looks qname up, chasing CNAMEs within the zone. It returns
// NOERROR with the records (possibly none: NODATA), or NXDOMAIN with the
// CNAME chain that led to a missing name (RFC 6604), or SERVFAIL for a
// CNAME loop or an over-long chain.
func (z *zoneData) resolve(qname string, qtype dnsmessage.Type) (dnsmessage.RCode, []rr) {
	var out []rr
	name := qname
	for range maxCNAMEChain {
		rrs := z.byName[name]
		if qtype == dnsmessage.TypeALL && len(rrs) > 0 {
			return dnsmessage.RCodeSuccess, append(out, rrs...)
		}
		var cname *rr
		found := false
		for i := range rrs {
			switch rrs[i].typ {
			case qtype:
				out = append(out, rrs[i])
				found = true
			case dnsmessage.TypeCNAME:
				cname = &rrs[i]
			}
		}
		switch {
		case found:
			return dnsmessage.RCodeSuccess, out
		case cname != nil:
			out = append(out, *cname)
			name = cname.host
		case z.exists[name]:
			return dnsmessage.RCodeSuccess, out
		default:
			return dnsmessage.RCodeNameError, out
		}
	}
	return dnsmessage.RCodeServerFailure, nil
}

// queryEDNS reports whether the query carries an EDNS OPT record, checking
// that the rest of the message parses.
func queryEDNS(p *dnsmessage.Parser) (bool, error) {
	if err := p.SkipAllAnswers(); err != nil {
		return false, err
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return false, err
	}
	edns := false
	for {
		h, err := p.AdditionalHeader()
		if err == dnsmessage.ErrSectionDone {
			return edns, nil
		}
		if err != nil {
			return false, err
		}
		if h.Type == dnsmessage.TypeOPT {
			edns = true
		}
		if err := p.SkipAdditional(); err != nil {
			return false, err
		}
	}
}

// respond builds a response echoing the question. Should building fail
// (it cannot for validated zone data and a parsed question, but the server
// must not be the thing that breaks), it answers SERVFAIL without one.
func respond(h dnsmessage.Header, rcode dnsmessage.RCode, q dnsmessage.Question, records []rr, edns bool) []byte {
	h.RCode = rcode
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), h)
	b.EnableCompression()
	if msg, err := build(&b, q, records, edns); err == nil {
		return msg
	}
	return bare(h, dnsmessage.RCodeServerFailure)
}

func build(b *dnsmessage.Builder, q dnsmessage.Question, records []rr, edns bool) ([]byte, error) {
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, r := range records {
		if err := addRecord(b, r); err != nil {
			return nil, err
		}
	}
	if edns {
		if err := addEDNS0(b); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

func addRecord(b *dnsmessage.Builder, r rr) error {
	name, err := dnsmessage.NewName(r.name)
	if err != nil {
		return err
	}
	h := dnsmessage.ResourceHeader{Name: name, Type: r.typ, Class: dnsmessage.ClassINET, TTL: r.ttl}
	switch r.typ {
	case dnsmessage.TypeA:
		return b.AResource(h, dnsmessage.AResource{A: r.addr.As4()})
	case dnsmessage.TypeAAAA:
		return b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: r.addr.As16()})
	case dnsmessage.TypeTXT:
		return b.TXTResource(h, dnsmessage.TXTResource{TXT: r.texts})
	}
	target, err := dnsmessage.NewName(r.host)
	if err != nil {
		return err
	}
	switch r.typ {
	case dnsmessage.TypeMX:
		return b.MXResource(h, dnsmessage.MXResource{Pref: r.pref, MX: target})
	case dnsmessage.TypeCNAME:
		return b.CNAMEResource(h, dnsmessage.CNAMEResource{CNAME: target})
	default:
		return b.PTRResource(h, dnsmessage.PTRResource{PTR: target})
	}
}

// bare is a header-only response, for queries too broken to echo.
func bare(h dnsmessage.Header, rcode dnsmessage.RCode) []byte {
	h.RCode = rcode
	b := dnsmessage.NewBuilder(make([]byte, 0, 12), h)
	msg, _ := b.Finish() // a bare header always builds
	return msg
}
