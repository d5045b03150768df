package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
	"pgregory.net/rapid"
)

var (
	propNames = []string{"a.test.", "b.test.", "x.a.test.", "mail.test.", "c.b.test.", "1.2.0.192.in-addr.arpa."}
	propTypes = []string{"A", "AAAA", "MX", "TXT", "CNAME", "PTR"}
)

// drawZone draws a valid set of records over a few names: each name either
// holds one CNAME or a mix of other records.
func drawZone(t *rapid.T, label string) []Record {
	var recs []Record
	seen := map[string]bool{}
	for _, name := range propNames {
		if rapid.IntRange(0, 3).Draw(t, label+" cname?") == 0 {
			target := rapid.SampledFrom(append(propNames, "gone.test.")).Draw(t, label+" target")
			recs = append(recs, Record{Name: name, Type: "CNAME", TTL: 60, Value: target})
			continue
		}
		for range rapid.IntRange(0, 4).Draw(t, label+" records") {
			r := Record{Name: name, TTL: rapid.Uint32Range(0, 86400).Draw(t, "ttl")}
			r.Type = rapid.SampledFrom([]string{"A", "AAAA", "MX", "TXT", "PTR"}).Draw(t, "type")
			n := rapid.IntRange(0, 5).Draw(t, "n")
			switch r.Type {
			case "A":
				r.Value = fmt.Sprintf("192.0.2.%d", n)
			case "AAAA":
				r.Value = fmt.Sprintf("2001:db8::%d", n)
			case "MX":
				r.Pref = uint16(rapid.IntRange(0, 3).Draw(t, "pref") * 10)
				r.Value = rapid.SampledFrom(propNames).Draw(t, "mx")
			case "TXT":
				r.Value = strings.Repeat(fmt.Sprintf("t%d ", n), rapid.IntRange(0, 100).Draw(t, "len"))
			case "PTR":
				r.Value = rapid.SampledFrom(propNames).Draw(t, "ptr")
			}
			k := fmt.Sprint(r.Name, r.Type, r.Pref, r.Value) // TTL aside: same data is a duplicate
			if !seen[k] {
				seen[k] = true
				recs = append(recs, r)
			}
		}
	}
	return recs
}

// modelAnswer is the reference: what a resolver should answer for name and
// qtype from records, by linear scans, with no shared code.
func modelAnswer(recs []Record, qname, qtype string) (dnsmessage.RCode, []Record) {
	name := strings.ToLower(qname)
	var chain []Record
	for range 16 {
		var match []Record
		var cname *Record
		exists := false
		for i, r := range recs {
			owner := strings.ToLower(r.Name)
			if owner == name || strings.HasSuffix(owner, "."+name) {
				exists = true
			}
			if owner != name {
				continue
			}
			if r.Type == qtype {
				match = append(match, r)
			} else if r.Type == "CNAME" {
				cname = &recs[i]
			}
		}
		switch {
		case len(match) > 0:
			return dnsmessage.RCodeSuccess, append(chain, match...)
		case cname != nil:
			chain = append(chain, *cname)
			name = strings.ToLower(cname.Value)
		case exists:
			return dnsmessage.RCodeSuccess, chain
		default:
			return dnsmessage.RCodeNameError, chain
		}
	}
	return dnsmessage.RCodeServerFailure, nil
}

// wireRecord renders a record from an answer in the zone's terms.
func wireRecord(r dnsmessage.Resource) Record {
	out := Record{Name: r.Header.Name.String(), TTL: r.Header.TTL}
	switch b := r.Body.(type) {
	case *dnsmessage.AResource:
		out.Type, out.Value = "A", netip.AddrFrom4(b.A).String()
	case *dnsmessage.AAAAResource:
		out.Type, out.Value = "AAAA", netip.AddrFrom16(b.AAAA).String()
	case *dnsmessage.MXResource:
		out.Type, out.Pref, out.Value = "MX", b.Pref, b.MX.String()
	case *dnsmessage.CNAMEResource:
		out.Type, out.Value = "CNAME", b.CNAME.String()
	case *dnsmessage.PTRResource:
		out.Type, out.Value = "PTR", b.PTR.String()
	case *dnsmessage.TXTResource:
		out.Type, out.Value = "TXT", strings.Join(b.TXT, "")
	default:
		out.Type = r.Header.Type.String()
	}
	return out
}

// TestDNSAnswersMatchZone: for random zones (with a second version) and
// random faults, every query round-trips through the wire format and the
// answer is what the zone says, unless a fault says otherwise.
func TestDNSAnswersMatchZone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v0, v1 := drawZone(t, "v0"), drawZone(t, "v1")
		z, err := NewZone(v0...)
		if err != nil {
			t.Fatalf("drawn zone rejected: %v", err)
		}
		if err := z.Update(v1...); err != nil {
			t.Fatalf("drawn zone rejected: %v", err)
		}
		var faults []Fault
		for range rapid.IntRange(0, 2).Draw(t, "faults") {
			f := Fault{Kind: rapid.SampledFrom([]FaultKind{ServFail, Timeout, NXDomain, Stale}).Draw(t, "kind")}
			if rapid.Bool().Draw(t, "per-name") {
				f.Name = rapid.SampledFrom(propNames).Draw(t, "fault name")
			}
			if rapid.Bool().Draw(t, "per-type") {
				f.Type = rapid.SampledFrom(propTypes).Draw(t, "fault type")
			}
			faults = append(faults, f)
		}
		if err := z.SetFaults(faults...); err != nil {
			t.Fatal(err)
		}

		for range 10 {
			qname := rapid.SampledFrom(append(propNames, "gone.test.", "test.")).Draw(t, "qname")
			if rapid.Bool().Draw(t, "upper") {
				qname = strings.ToUpper(qname) // names compare case-insensitively
			}
			qtype := rapid.SampledFrom(propTypes).Draw(t, "qtype")
			id := rapid.Uint16().Draw(t, "id")
			query, err := BuildQuery(id, qname, recordTypes[qtype])
			if err != nil {
				t.Fatal(err)
			}
			answer, ok := z.Answer(query)

			// Which fault applies: the first that matches.
			data, wantRcode := v1, dnsmessage.RCode(0)
			var fault *Fault
			for i, f := range faults {
				if (f.Name == "" || strings.EqualFold(f.Name, qname)) && (f.Type == "" || f.Type == qtype) {
					fault = &faults[i]
					break
				}
			}
			var want []Record
			switch {
			case fault != nil && fault.Kind == Timeout:
				if ok {
					t.Fatalf("%s %s: answered despite a timeout fault", qname, qtype)
				}
				continue
			case fault != nil && fault.Kind == ServFail:
				wantRcode = dnsmessage.RCodeServerFailure
			case fault != nil && fault.Kind == NXDomain:
				wantRcode = dnsmessage.RCodeNameError
			default:
				if fault != nil { // stale
					data = v0
				}
				wantRcode, want = modelAnswer(data, qname, qtype)
			}
			if !ok {
				t.Fatalf("%s %s: dropped without a timeout fault", qname, qtype)
			}
			var m dnsmessage.Message
			if err := m.Unpack(answer); err != nil {
				t.Fatalf("%s %s: answer does not parse: %v", qname, qtype, err)
			}
			if m.Header.ID != id || m.Header.RCode != wantRcode || len(m.Questions) != 1 || m.Questions[0].Name.String() != qname {
				t.Fatalf("%s %s: header %+v question %v, want id %d rcode %v", qname, qtype, m.Header, m.Questions, id, wantRcode)
			}
			got := make([]Record, len(m.Answers))
			for i, r := range m.Answers {
				got[i] = wireRecord(r)
			}
			for i := range want {
				want[i].Name, want[i].Strings = strings.ToLower(want[i].Name), nil
				switch want[i].Type {
				case "A", "AAAA":
					want[i].Value = netip.MustParseAddr(want[i].Value).String()
				case "TXT":
				default:
					want[i].Value = strings.ToLower(want[i].Value)
				}
			}
			if !slices.EqualFunc(got, want, func(a, b Record) bool { return a.String() == b.String() }) {
				t.Fatalf("%s %s:\n got  %v\n want %v", qname, qtype, got, want)
			}

			// The client side reads the same answer into net's terms.
			ans, err := ParseAnswer(query, answer)
			hasType := slices.ContainsFunc(want, func(r Record) bool { return r.Type == qtype })
			switch {
			case wantRcode == dnsmessage.RCodeSuccess && hasType:
				if err != nil || len(ans.Records) == 0 {
					t.Fatalf("%s %s: ParseAnswer = %v", qname, qtype, err)
				}
			case wantRcode == dnsmessage.RCodeSuccess, wantRcode == dnsmessage.RCodeNameError:
				wantDNSErrorT(t, err, "no such host", true, false)
			default:
				wantDNSErrorT(t, err, "server misbehaving", false, true)
			}
		}
	})
}

func wantDNSErrorT(t *rapid.T, err error, text string, notFound, temporary bool) {
	t.Helper()
	var e *net.DNSError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *net.DNSError %q", err, text)
	}
	if e.Err != text || e.IsNotFound != notFound || e.IsTemporary != temporary {
		t.Fatalf("got %+v, want %q notFound %v temporary %v", *e, text, notFound, temporary)
	}
}
