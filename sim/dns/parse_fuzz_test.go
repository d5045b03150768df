package dns

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzLoadZone: zone JSON is validated, never trusted.
func FuzzLoadZone(f *testing.F) {
	f.Add([]byte(`{"records":[{"name":"example.com.","type":"MX","ttl":300,"pref":10,"value":"mx.example.com."}]}`))
	f.Add([]byte(`[{"name":"a.example.","type":"CNAME","ttl":1,"value":"b.example."},{"name":"b.example.","type":"TXT","ttl":1,"strings":["v=spf1 -all"]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := LoadZone(data)
		if err != nil {
			return
		}
		q, err := BuildQuery(1, "example.com.", dnsmessage.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		if ans, ok := z.Answer(q); ok {
			if _, err := ParseAnswer(q, ans); err != nil {
				// A well-formed NXDOMAIN or SERVFAIL is an error result,
				// but it must be one of net's DNS errors, not a parse failure.
				var dnsErr *net.DNSError
				if !errors.As(err, &dnsErr) {
					t.Fatalf("zone answer does not parse: %v", err)
				}
			}
		}
	})
}

// FuzzParseAnswer: a resolver reads whatever bytes come back from the
// network; garbage is an error, never a panic.
func FuzzParseAnswer(f *testing.F) {
	q, _ := BuildQuery(7, "example.com.", dnsmessage.TypeMX)
	z, _ := NewZone(Record{Name: "example.com.", Type: "MX", TTL: 60, Pref: 10, Value: "mx.example.com."})
	a, _ := z.Answer(q)
	f.Add(q, a)
	f.Add(q, []byte{0, 7, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, query, answer []byte) {
		ParseAnswer(query, answer)
	})
}
