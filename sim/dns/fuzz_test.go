package dns

import (
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzZoneAnswer feeds arbitrary bytes to Zone.Answer as a query: it must
// never panic, and whatever it answers must parse with dnsmessage, be a
// response, and carry the query's ID. The client's parser must not panic
// on the pair either.
func FuzzZoneAnswer(f *testing.F) {
	z, err := NewZone(
		Record{Name: "example.test.", Type: "A", TTL: 300, Value: "192.0.2.1"},
		Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 10, Value: "mx.example.test."},
		Record{Name: "example.test.", Type: "TXT", TTL: 300, Value: string(make([]byte, 600))},
		Record{Name: "www.example.test.", Type: "CNAME", TTL: 60, Value: "example.test."},
		Record{Name: "loop.example.test.", Type: "CNAME", TTL: 60, Value: "loop.example.test."},
		Record{Name: "1.2.0.192.in-addr.arpa.", Type: "PTR", TTL: 60, Value: "example.test."},
	)
	if err != nil {
		f.Fatal(err)
	}
	if err := z.SetFaults(Fault{Kind: ServFail, Name: "fail.example.test."}, Fault{Kind: Timeout, Type: "AAAA"}); err != nil {
		f.Fatal(err)
	}
	for _, q := range []struct {
		name  string
		qtype dnsmessage.Type
	}{
		{"example.test.", dnsmessage.TypeA},
		{"www.EXAMPLE.test.", dnsmessage.TypeMX},
		{"loop.example.test.", dnsmessage.TypeTXT},
		{"fail.example.test.", dnsmessage.TypeA},
		{"1.2.0.192.in-addr.arpa.", dnsmessage.TypePTR},
		{"example.test.", dnsmessage.TypeALL},
	} {
		msg, err := BuildQuery(0x1234, q.name, q.qtype)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01})

	f.Fuzz(func(t *testing.T, query []byte) {
		answer, ok := z.Answer(query)
		if !ok {
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(answer); err != nil {
			t.Fatalf("answer does not parse: %v\nquery  %x\nanswer %x", err, query, answer)
		}
		var p dnsmessage.Parser
		h, err := p.Start(query)
		if err != nil {
			t.Fatalf("answered a query without a header: %x", query)
		}
		if !m.Header.Response || m.Header.ID != h.ID {
			t.Fatalf("answer header %+v for query id %d", m.Header, h.ID)
		}
		ParseAnswer(query, answer) // must not panic
	})
}
