package dns

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// zoneClient is a Client whose exchange is a direct call of z.Answer;
// a dropped query is the timeout error a socket read would give.
func zoneClient(z *Zone) *Client {
	return &Client{
		Server: "192.0.2.53:53",
		Exchange: func(ctx context.Context, q []byte) ([]byte, error) {
			if a, ok := z.Answer(q); ok {
				return a, nil
			}
			return nil, &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}
		},
	}
}

func testZone(t *testing.T) *Zone {
	t.Helper()
	z, err := NewZone(
		Record{Name: "example.test.", Type: "A", TTL: 300, Value: "192.0.2.1"},
		Record{Name: "example.test.", Type: "AAAA", TTL: 300, Value: "2001:db8::1"},
		Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 20, Value: "mx2.example.test."},
		Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 10, Value: "mx1.example.test."},
		Record{Name: "example.test.", Type: "MX", TTL: 300, Pref: 20, Value: "mx3.example.test."},
		Record{Name: "example.test.", Type: "TXT", TTL: 60, Strings: []string{"v=spf1 ", "mx -all"}},
		Record{Name: "www.example.test.", Type: "CNAME", TTL: 30, Value: "web.example.test."},
		Record{Name: "web.example.test.", Type: "CNAME", TTL: 30, Value: "example.test."},
		Record{Name: "loop1.example.test.", Type: "CNAME", TTL: 30, Value: "loop2.example.test."},
		Record{Name: "loop2.example.test.", Type: "CNAME", TTL: 30, Value: "loop1.example.test."},
		Record{Name: "dangling.example.test.", Type: "CNAME", TTL: 30, Value: "gone.example.test."},
		Record{Name: "deep.sub.example.test.", Type: "A", TTL: 30, Value: "192.0.2.7"},
		Record{Name: "1.2.0.192.in-addr.arpa.", Type: "PTR", TTL: 30, Value: "example.test."},
	)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func answerOf(t *testing.T, z *Zone, name string, qtype dnsmessage.Type) (dnsmessage.Header, []dnsmessage.Resource) {
	t.Helper()
	q, err := BuildQuery(7, name, qtype)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := z.Answer(q)
	if !ok {
		t.Fatalf("%s %v: dropped", name, qtype)
	}
	var m dnsmessage.Message
	if err := m.Unpack(a); err != nil {
		t.Fatalf("%s %v: answer does not parse: %v", name, qtype, err)
	}
	return m.Header, m.Answers
}

func TestDNSRCodes(t *testing.T) {
	z := testZone(t)
	for _, tc := range []struct {
		name    string
		qtype   dnsmessage.Type
		rcode   dnsmessage.RCode
		answers int
	}{
		{"example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, 1},
		{"EXAMPLE.test.", dnsmessage.TypeMX, dnsmessage.RCodeSuccess, 3},
		{"example.test.", dnsmessage.TypePTR, dnsmessage.RCodeSuccess, 0},   // NODATA
		{"sub.example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, 0}, // empty non-terminal
		{"nope.example.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, 0},
		{"www.example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, 3},     // two CNAMEs + A
		{"www.example.test.", dnsmessage.TypeCNAME, dnsmessage.RCodeSuccess, 1}, // no chasing
		{"www.example.test.", dnsmessage.TypeTXT, dnsmessage.RCodeSuccess, 3},
		{"dangling.example.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, 1}, // RFC 6604
		{"loop1.example.test.", dnsmessage.TypeA, dnsmessage.RCodeServerFailure, 0},
		{"example.test.", dnsmessage.TypeALL, dnsmessage.RCodeSuccess, 6},
	} {
		h, ans := answerOf(t, z, tc.name, tc.qtype)
		if h.RCode != tc.rcode || len(ans) != tc.answers || !h.Response || h.ID != 7 || !h.RecursionAvailable {
			t.Errorf("%s %v: rcode %v, %d answers, header %+v; want %v, %d", tc.name, tc.qtype, h.RCode, len(ans), h, tc.rcode, tc.answers)
		}
	}
	_, ans := answerOf(t, z, "www.example.test.", dnsmessage.TypeA)
	if ans[0].Header.TTL != 30 || ans[2].Header.TTL != 300 {
		t.Errorf("TTLs %d, %d; want 30 (CNAME) and 300 (A)", ans[0].Header.TTL, ans[2].Header.TTL)
	}
}

func TestDNSMalformedQueries(t *testing.T) {
	z := testZone(t)
	good, _ := BuildQuery(9, "example.test.", dnsmessage.TypeA)
	rcodeOf := func(msg []byte) (dnsmessage.RCode, bool) {
		a, ok := z.Answer(msg)
		if !ok {
			return 0, false
		}
		var m dnsmessage.Message
		if err := m.Unpack(a); err != nil {
			t.Fatalf("answer does not parse: %v", err)
		}
		return m.Header.RCode, true
	}
	if _, ok := rcodeOf(good[:11]); ok {
		t.Error("a message shorter than a header was answered")
	}
	resp, _ := z.Answer(good)
	if _, ok := rcodeOf(resp); ok {
		t.Error("a response was answered")
	}
	for name, msg := range map[string][]byte{
		"truncated question": good[:15],
		"no question":        {0, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"two questions":      withCount(good, 4, 2),
		"bad additional":     good[:len(good)-3],
	} {
		if rc, ok := rcodeOf(msg); !ok || rc != dnsmessage.RCodeFormatError {
			t.Errorf("%s: rcode %v ok %v, want FORMERR", name, rc, ok)
		}
	}
	notify := slices.Clone(good)
	notify[2] |= 4 << 3 // opcode NOTIFY
	if rc, _ := rcodeOf(notify); rc != dnsmessage.RCodeNotImplemented {
		t.Errorf("NOTIFY: %v, want NOTIMP", rc)
	}
	chaos := slices.Clone(good)
	qEnd := 12 + len("\x07example\x04test\x00")
	chaos[qEnd+3] = 3 // class CH
	if rc, _ := rcodeOf(chaos); rc != dnsmessage.RCodeRefused {
		t.Errorf("class CH: %v, want REFUSED", rc)
	}
}

func withCount(msg []byte, off int, n uint16) []byte {
	m := slices.Clone(msg)
	m[off], m[off+1] = byte(n>>8), byte(n)
	return m
}

func TestDNSClientResults(t *testing.T) {
	z := testZone(t)
	c := zoneClient(z)
	ctx := context.Background()
	hosts, err := c.LookupHost(ctx, "www.example.test")
	if err != nil || !slices.Equal(hosts, []string{"192.0.2.1", "2001:db8::1"}) {
		t.Errorf("LookupHost = %q, %v", hosts, err)
	}
	mxs, err := c.LookupMX(ctx, "example.test")
	var got []string
	for _, mx := range mxs {
		got = append(got, mx.Host)
	}
	if err != nil || !slices.Equal(got, []string{"mx1.example.test.", "mx2.example.test.", "mx3.example.test."}) {
		t.Errorf("LookupMX = %q, %v", got, err)
	}
	txt, err := c.LookupTXT(ctx, "example.test.")
	if err != nil || !slices.Equal(txt, []string{"v=spf1 mx -all"}) {
		t.Errorf("LookupTXT = %q, %v", txt, err)
	}
	cname, err := c.LookupCNAME(ctx, "www.example.test")
	if err != nil || cname != "example.test." {
		t.Errorf("LookupCNAME = %q, %v", cname, err)
	}
	names, err := c.LookupAddr(ctx, "192.0.2.1")
	if err != nil || !slices.Equal(names, []string{"example.test."}) {
		t.Errorf("LookupAddr = %q, %v", names, err)
	}
	if hosts, err := c.LookupHost(ctx, "2001:db8::5"); err != nil || hosts[0] != "2001:db8::5" {
		t.Errorf("LookupHost(literal) = %q, %v", hosts, err)
	}

	_, err = c.LookupHost(ctx, "nope.example.test")
	wantDNSError(t, "NXDOMAIN", err, "no such host", "nope.example.test", true, false, false)
	_, err = c.LookupTXT(ctx, "deep.sub.example.test")
	wantDNSError(t, "NODATA", err, "no such host", "deep.sub.example.test", true, false, false)
	_, err = c.LookupHost(ctx, "bad..name")
	wantDNSError(t, "invalid name", err, "no such host", "bad..name", true, false, false)
	_, err = c.LookupAddr(ctx, "not-an-ip")
	wantDNSError(t, "bad address", err, "unrecognized address", "not-an-ip", false, false, false)
}

func wantDNSError(t *testing.T, what string, err error, text, name string, notFound, temporary, timeout bool) {
	t.Helper()
	var de *net.DNSError
	if !errors.As(err, &de) {
		t.Errorf("%s: got %v, want a *net.DNSError", what, err)
		return
	}
	if de.Err != text || de.Name != name || de.IsNotFound != notFound || de.IsTemporary != temporary || de.IsTimeout != timeout {
		t.Errorf("%s: got %+v, want Err %q Name %q notFound %v temporary %v timeout %v", what, *de, text, name, notFound, temporary, timeout)
	}
}

func TestDNSFaults(t *testing.T) {
	z := testZone(t)
	c := zoneClient(z)
	ctx := context.Background()
	// Version 1: example.test. moves to a new IPv4 address and loses IPv6.
	var v1 []Record
	for _, r := range z.Records() {
		switch {
		case r.Name == "example.test." && r.Type == "A":
			r.Value = "192.0.2.99"
		case r.Name == "example.test." && r.Type == "AAAA":
			continue
		}
		v1 = append(v1, r)
	}
	if err := z.Update(v1...); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(z.SetFaults(Fault{Kind: ServFail, Name: "example.test."}))
	_, err := c.LookupMX(ctx, "example.test")
	wantDNSError(t, "servfail", err, "server misbehaving", "example.test", false, true, false)
	if _, err := c.LookupHost(ctx, "deep.sub.example.test"); err != nil {
		t.Errorf("per-name fault hit another name: %v", err)
	}

	must(z.SetFaults(Fault{Kind: Timeout}))
	_, err = c.LookupTXT(ctx, "example.test")
	wantDNSError(t, "timeout", err, "read udp: i/o timeout", "example.test", false, true, true)

	must(z.SetFaults(Fault{Kind: NXDomain, Name: "EXAMPLE.test."}))
	_, err = c.LookupHost(ctx, "example.test")
	wantDNSError(t, "nxdomain", err, "no such host", "example.test", true, false, false)

	must(z.SetFaults(Fault{Kind: Stale, Version: 0}))
	if hosts, err := c.LookupHost(ctx, "example.test"); err != nil || !slices.Equal(hosts, []string{"192.0.2.1", "2001:db8::1"}) {
		t.Errorf("stale: %q, %v; want version 0's addresses", hosts, err)
	}
	must(z.SetFaults())
	if hosts, err := c.LookupHost(ctx, "example.test"); err != nil || !slices.Equal(hosts, []string{"192.0.2.99"}) {
		t.Errorf("current: %q, %v", hosts, err)
	}

	// AAAA-only timeout: the A answer still wins, as with net.Resolver.
	must(z.SetFaults(Fault{Kind: Timeout, Type: "AAAA"}, Fault{Kind: ServFail}))
	if hosts, err := c.LookupHost(ctx, "example.test"); err == nil {
		t.Errorf("first matching fault should be servfail for A: %q", hosts)
	}
	must(z.SetFaults(Fault{Kind: Timeout, Type: "AAAA"}))
	if hosts, err := c.LookupHost(ctx, "example.test"); err != nil || !slices.Equal(hosts, []string{"192.0.2.99"}) {
		t.Errorf("AAAA timeout: %q, %v", hosts, err)
	}

	// A context that ended is a timeout, as net reports it.
	dead, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.LookupMX(dead, "example.test")
	wantDNSError(t, "canceled", err, "operation was canceled", "example.test", false, false, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled lookup does not unwrap to context.Canceled: %v", err)
	}
}
