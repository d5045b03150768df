package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzParsePlan: a plan either parses to one that re-encodes and parses
// again to the same JSON, or is refused with a *PlanError; never a panic.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(`{"world":"ping","seed":1,"knobs":{"pings":3},"faults":[{"at":"1s","kind":"partition","from":["a"],"to":["b"],"for":"2s"}]}`))
	f.Add([]byte(`{"world":"ping","network":{"default":{"latency":{"dist":"lognormal","min":"1ms","median":"4ms","sigma":0.5},"loss":0.01}}}`))
	f.Add([]byte(`{"world":"x","nodes":{"dns":{"zone":[{"name":"a.example.","type":"A","ttl":60,"value":"10.0.0.1"}]}},"heal_at":"3s"}`))
	f.Add([]byte(`{"faults":[{"at":"-1s","kind":"crash"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted plan does not encode: %v", err)
		}
		p2, err := ParsePlan(out)
		if err != nil {
			t.Fatalf("re-encoded plan refused: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(p2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("plan not stable across a round trip:\n%s\n%s", out, out2)
		}
	})
}

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

// FuzzParseSegment: a stream port parses whatever datagram arrives.
func FuzzParseSegment(f *testing.F) {
	f.Add(encodeSegment(flagSYN, 1, 0, 65535, nil))
	f.Add(encodeSegment(flagACK, 9, 3, 1024, []byte("hello")))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSegment(b)
		if err != nil {
			return
		}
		if again := encodeSegment(s.flags, s.seq, s.ack, s.wnd, s.data); !bytes.Equal(again, b) {
			t.Fatalf("segment does not re-encode to its bytes: %x vs %x", again, b)
		}
	})
}
