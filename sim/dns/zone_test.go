package dns

import (
	"errors"
	"strings"
	"testing"
)

func TestZoneValidation(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct {
		rec  Record
		want string
	}{
		{Record{Name: "example.com", Type: "A", Value: "192.0.2.1"}, "not fully qualified"},
		{Record{Name: "", Type: "A", Value: "192.0.2.1"}, "empty name"},
		{Record{Name: long + ".com.", Type: "A", Value: "192.0.2.1"}, "longer than 63"},
		{Record{Name: "bücher.example.", Type: "A", Value: "192.0.2.1"}, "A-labels"},
		{Record{Name: "a b.example.", Type: "A", Value: "192.0.2.1"}, "not allowed"},
		{Record{Name: "-a.example.", Type: "A", Value: "192.0.2.1"}, "'-'"},
		{Record{Name: "a.example.", Type: "SRV", Value: "x."}, "not one of"},
		{Record{Name: "a.example.", Type: "A", Value: "2001:db8::1"}, "not an IPv4"},
		{Record{Name: "a.example.", Type: "AAAA", Value: "192.0.2.1"}, "not an IPv6"},
		{Record{Name: "a.example.", Type: "A", Value: "nope"}, "not an IP"},
		{Record{Name: "a.example.", Type: "AAAA", Value: "fe80::1%eth0"}, "zone"},
		{Record{Name: "a.example.", Type: "MX", Value: "mx.example"}, "not fully qualified"},
		{Record{Name: "a.example.", Type: "A", Pref: 5, Value: "192.0.2.1"}, "pref is only for MX"},
		{Record{Name: "a.example.", Type: "A", TTL: 1 << 31, Value: "192.0.2.1"}, "RFC 2181"},
		{Record{Name: "a.example.", Type: "TXT", Strings: []string{strings.Repeat("x", 256)}}, "at most 255"},
		{Record{Name: "a.example.", Type: "TXT", Value: "v", Strings: []string{"v"}}, "not both"},
		{Record{Name: "a.example.", Type: "A", Strings: []string{"v"}}, "only for TXT"},
	} {
		_, err := NewZone(Record{Name: "ok.example.", Type: "A", Value: "192.0.2.9"}, tc.rec)
		var re *RecordError
		if !errors.As(err, &re) || re.Index != 1 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want a RecordError for record 1 saying %q", tc.rec, err, tc.want)
		}
	}
	for _, bad := range [][]Record{
		{{Name: "a.example.", Type: "CNAME", Value: "b.example."}, {Name: "a.example.", Type: "A", Value: "192.0.2.1"}},
		{{Name: "a.example.", Type: "A", Value: "192.0.2.1"}, {Name: "A.example.", Type: "CNAME", Value: "b.example."}},
		{{Name: "a.example.", Type: "CNAME", Value: "b.example."}, {Name: "a.example.", Type: "CNAME", Value: "c.example."}},
		{{Name: "a.example.", Type: "A", Value: "192.0.2.1"}, {Name: "a.example.", Type: "A", Value: "192.0.2.1"}},
	} {
		if _, err := NewZone(bad...); err == nil {
			t.Errorf("zone %v accepted", bad)
		}
	}
	if _, err := NewZone(Record{Name: "example.", Type: "MX", Value: "."}); err != nil {
		t.Errorf("null MX rejected: %v", err)
	}
}

func TestZoneJSON(t *testing.T) {
	z, err := LoadZone([]byte(`{"records":[
		{"name":"example.com.","type":"MX","ttl":300,"pref":10,"value":"mx.example.com."},
		{"name":"mx.example.com.","type":"A","ttl":60,"value":"192.0.2.25"},
		{"name":"example.com.","type":"TXT","ttl":60,"strings":["v=spf1 ","mx -all"]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(z.Records()); got != 3 {
		t.Fatalf("%d records", got)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"records":[{"name":"a.example.","type":"A","value":"192.0.2.1"}]}`, `record 0 (a.example. A): missing "ttl"`},
		{`{"records":[{"name":"a.example.","type":"MX","ttl":1,"value":"b.example."}]}`, `missing "pref"`},
		{`{"records":[{"name":"a.example.","type":"A","ttl":1,"pref":1,"value":"192.0.2.1"}]}`, `"pref" is only for MX`},
		{`{"records":[{"name":"a.example.","type":"A","ttl":1}]}`, `missing "value"`},
		{`{"records":[{"type":"A","ttl":1,"value":"192.0.2.1"}]}`, `record 0 ((no name) A): missing "name"`},
		{`{"records":[{"name":"a.example.","type":"A","ttl":1,"value":"192.0.2.1","color":"red"}]}`, `unknown field "color"`},
		{`{"records":[{"name":"a.example.","type":"A","ttl":-1,"value":"192.0.2.1"}]}`, `cannot unmarshal`},
		{`{"records":[]} {}`, `trailing data`},
		{`{}`, `missing "records"`},
		{`{"records":[{"name":"ok.example.","type":"A","ttl":1,"value":"192.0.2.1"},{"name":"b.example.","type":"A","ttl":1,"value":"300.1.1.1"}]}`, `record 1 (b.example. A): value "300.1.1.1" is not an IP address`},
	} {
		_, err := LoadZone([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadZone(%s) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestZoneFaultValidation(t *testing.T) {
	z, _ := NewZone(Record{Name: "a.example.", Type: "A", Value: "192.0.2.1"})
	for _, f := range []Fault{
		{Kind: "explode"},
		{Kind: Stale, Version: 1},
		{Kind: ServFail, Version: 1},
		{Kind: Timeout, Name: "a.example"},
		{Kind: NXDomain, Type: "SRV"},
	} {
		if err := z.SetFaults(f); err == nil {
			t.Errorf("fault %+v accepted", f)
		}
	}
	if err := z.SetFaults(Fault{Kind: Stale, Version: 0}); err != nil {
		t.Errorf("stale version 0 rejected: %v", err)
	}
}
