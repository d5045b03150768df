package dns

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"pgregory.net/rapid"
)

// zoneConn is a net.Conn that serves a Zone with DNS-over-TCP framing,
// entirely in memory, so that Go's own resolver can be pointed at a Zone.
// A dropped query reads as a deadline error.
type zoneConn struct {
	zone *Zone
	in   bytes.Buffer
	out  bytes.Buffer
	drop bool
}

func (c *zoneConn) Write(b []byte) (int, error) {
	c.in.Write(b)
	for c.in.Len() >= 2 {
		n := int(c.in.Bytes()[0])<<8 | int(c.in.Bytes()[1])
		if c.in.Len() < 2+n {
			break
		}
		msg := make([]byte, n)
		c.in.Next(2)
		c.in.Read(msg)
		a, ok := c.zone.Answer(msg)
		if !ok {
			c.drop = true
			continue
		}
		c.out.Write([]byte{byte(len(a) >> 8), byte(len(a))})
		c.out.Write(a)
	}
	return len(b), nil
}

func (c *zoneConn) Read(b []byte) (int, error) {
	if c.out.Len() == 0 && c.drop {
		return 0, os.ErrDeadlineExceeded
	}
	return c.out.Read(b)
}

func (c *zoneConn) Close() error                     { return nil }
func (c *zoneConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *zoneConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *zoneConn) SetDeadline(time.Time) error      { return nil }
func (c *zoneConn) SetReadDeadline(time.Time) error  { return nil }
func (c *zoneConn) SetWriteDeadline(time.Time) error { return nil }

// goResolver is net.Resolver (the pure Go one) talking to z. Only rooted
// names are used with it, so the host's search list does not apply.
func goResolver(z *Zone) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return &zoneConn{zone: z}, nil
	}}
}

// sameDNSError compares what callers can see of two lookup errors. The
// server address differs (it comes from the host's resolv.conf), and so
// does a timeout's text, which net decorates with socket addresses.
func sameDNSError(a, b error) string {
	if (a == nil) != (b == nil) {
		return fmt.Sprintf("errors differ: %v vs %v", a, b)
	}
	if a == nil {
		return ""
	}
	var x, y *net.DNSError
	if !errors.As(a, &x) || !errors.As(b, &y) {
		return fmt.Sprintf("not DNSErrors: %T %v vs %T %v", a, a, b, b)
	}
	if x.IsTimeout != y.IsTimeout || x.IsTemporary != y.IsTemporary || x.IsNotFound != y.IsNotFound || x.Name != y.Name ||
		(!x.IsTimeout && x.Err != y.Err) {
		return fmt.Sprintf("DNSErrors differ:\n ours %+v\n net  %+v", *x, *y)
	}
	return ""
}

// TestDNSClientMatchesNetResolver: for random zones and faults, Client
// and Go's own resolver, reading the very same Zone.Answer bytes, return
// the same results and the same errors for every Resolver method.
func TestDNSClientMatchesNetResolver(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		z, err := NewZone(drawZone(t, "zone")...)
		if err != nil {
			t.Fatal(err)
		}
		// Faults here apply to every type of a name: with per-type
		// faults the A and AAAA queries that net sends in parallel fail
		// differently, and which error it reports is then a race.
		var faults []Fault
		for range rapid.IntRange(0, 2).Draw(t, "faults") {
			faults = append(faults, Fault{
				Kind: rapid.SampledFrom([]FaultKind{ServFail, Timeout, NXDomain}).Draw(t, "kind"),
				Name: rapid.SampledFrom(propNames).Draw(t, "fault name"),
			})
		}
		if err := z.SetFaults(faults...); err != nil {
			t.Fatal(err)
		}
		t.Logf("zone %v faults %v", z.Records(), faults)
		ours, theirs := zoneClient(z), goResolver(z)
		name := rapid.SampledFrom(append(propNames, "gone.test.")).Draw(t, "name")

		h1, e1 := ours.LookupHost(ctx, name)
		h2, e2 := theirs.LookupHost(ctx, name)
		slices.Sort(h1) // net sorts by RFC 6724 against this host's routes
		slices.Sort(h2)
		if d := sameDNSError(e1, e2); d != "" || !slices.Equal(h1, h2) {
			t.Fatalf("LookupHost(%s): ours %q %v; net %q %v %s", name, h1, e1, h2, e2, d)
		}

		c1, e1 := ours.LookupCNAME(ctx, name)
		c2, e2 := theirs.LookupCNAME(ctx, name)
		// net sends the A, AAAA and CNAME queries in parallel and takes
		// the name from whichever answer it reads first: the canonical
		// name from an address answer, or the first hop from the CNAME
		// answer. Client reads them in the order net sends them.
		if c1 != c2 && e2 == nil {
			if hop, err := ours.query(ctx, name, dnsmessage.TypeCNAME); err == nil && hop.CanonicalName() == c2 {
				c2 = c1
			}
		}
		if d := sameDNSError(e1, e2); d != "" || c1 != c2 {
			t.Fatalf("LookupCNAME(%s): ours %q %v; net %q %v %s", name, c1, e1, c2, e2, d)
		}

		m1, e1 := ours.LookupMX(ctx, name)
		m2, e2 := theirs.LookupMX(ctx, name)
		mxKey := func(mxs []*net.MX) string {
			// net shuffles equal preferences; compare as sorted sets.
			slices.SortFunc(mxs, func(a, b *net.MX) int {
				return cmp.Or(cmp.Compare(a.Pref, b.Pref), strings.Compare(a.Host, b.Host))
			})
			var s []string
			for _, m := range mxs {
				s = append(s, fmt.Sprint(m.Pref, m.Host))
			}
			return strings.Join(s, ",")
		}
		if d := sameDNSError(e1, e2); d != "" || mxKey(m1) != mxKey(m2) {
			t.Fatalf("LookupMX(%s): ours %s %v; net %s %v %s", name, mxKey(m1), e1, mxKey(m2), e2, d)
		}

		t1, e1 := ours.LookupTXT(ctx, name)
		t2, e2 := theirs.LookupTXT(ctx, name)
		if d := sameDNSError(e1, e2); d != "" || !slices.Equal(t1, t2) {
			t.Fatalf("LookupTXT(%s): ours %q %v; net %q %v %s", name, t1, e1, t2, e2, d)
		}

		addr := rapid.SampledFrom([]string{"192.0.2.1", "192.0.2.9", "2001:db8::1"}).Draw(t, "addr")
		p1, e1 := ours.LookupAddr(ctx, addr)
		p2, e2 := theirs.LookupAddr(ctx, addr)
		if d := sameDNSError(e1, e2); d != "" || !slices.Equal(p1, p2) {
			t.Fatalf("LookupAddr(%s): ours %q %v; net %q %v %s", addr, p1, e1, p2, e2, d)
		}
	})
}
