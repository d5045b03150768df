package sim

// Tests written to kill mutants that the rest of the suite let live: DNS
// message-ID matching, and DNS faults of a plan whose windows overlap.

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func mustZone(t *testing.T, addr string) *Zone {
	t.Helper()
	z, err := NewZone(Record{Name: "a.test.", Type: "A", TTL: 60, Value: addr})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func queryID(t *testing.T, q []byte) uint16 {
	t.Helper()
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		t.Fatal(err)
	}
	return h.ID
}

// An answer counts only for the query whose ID it carries; the client's
// queries carry distinct IDs, so an answer to an earlier query (a late or
// spoofed one) is not taken for the current one. Kills: ParseAnswer not
// comparing IDs; the client not counting its IDs up.
func TestDNSAnswerMustMatchQueryID(t *testing.T) {
	zone, stale := mustZone(t, "10.9.0.1"), mustZone(t, "10.6.6.6")
	q7, _ := BuildQuery(7, "a.test.", dnsmessage.TypeA)
	q8, _ := BuildQuery(8, "a.test.", dnsmessage.TypeA)
	a7, ok := zone.Answer(q7)
	if !ok {
		t.Fatal("no answer")
	}
	if _, err := ParseAnswer(q7, a7); err != nil {
		t.Fatalf("the matching answer: %v", err)
	}
	if ans, err := ParseAnswer(q8, a7); err == nil {
		t.Fatalf("an answer with ID 7 accepted for query 8: %v", ans.IPAddrs())
	}

	// The first exchange is answered with the reply to an earlier
	// query (same name and type, other data); the client must discard
	// it and use the retry's answer.
	var ids []uint16
	c := &DNSClient{Attempts: 2, Exchange: func(_ context.Context, q []byte) ([]byte, error) {
		ids = append(ids, queryID(t, q))
		if len(ids) == 1 {
			old, _ := BuildQuery(queryID(t, q)-1, "a.test.", dnsmessage.TypeA)
			a, _ := stale.Answer(old)
			return a, nil
		}
		a, _ := zone.Answer(q)
		return a, nil
	}}
	addrs, err := c.LookupIPAddr(context.Background(), "a.test")
	if err != nil || len(addrs) != 1 || addrs[0].IP.String() != "10.9.0.1" {
		t.Fatalf("lookup with a stale first answer: %v, %v", addrs, err)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("query IDs %v repeat", ids)
		}
	}
}

// Two DNS faults of a plan overlap: a servfail from 1s to 5s and an
// nxdomain from 3s to 7s. While both hold the newer one answers (the
// first matching fault applies and a new one goes first); when the older
// ends the newer stays; when both end the zone answers again. Kills: a
// new fault replacing the ones in force; a new fault going last; the end
// of one fault clearing them all.
func TestOverlappingDNSFaultsInAPlan(t *testing.T) {
	s := New(Config{Seed: 1, Limit: 20 * time.Second})
	applyPlan(t, s, `{
	  "nodes": {"dns": {"zone": [{"name": "a.test.", "type": "A", "ttl": 60, "value": "10.9.0.1"}]}},
	  "faults": [
	    {"at": "1s", "kind": "dns", "dns": {"kind": "servfail", "name": "a.test."}, "for": "4s"},
	    {"at": "3s", "kind": "dns", "dns": {"kind": "nxdomain"}, "for": "4s"}]}`)
	want := map[time.Duration]string{
		500 * time.Millisecond: "10.9.0.1",
		2 * time.Second:        "servfail",
		4 * time.Second:        "nxdomain",
		6 * time.Second:        "nxdomain",
		8 * time.Second:        "10.9.0.1",
	}
	got := map[time.Duration]string{}
	for at := range want {
		s.At(at, func() {
			_, zone := s.DNS()
			q, _ := BuildQuery(1, "a.test.", dnsmessage.TypeA)
			a, ok := zone.Answer(q)
			if !ok {
				got[at] = "no answer"
				return
			}
			ans, err := ParseAnswer(q, a)
			var de *net.DNSError
			switch {
			case err == nil && len(ans.IPAddrs()) == 1:
				got[at] = ans.IPAddrs()[0].IP.String()
			case errors.As(err, &de) && de.IsNotFound:
				got[at] = "nxdomain"
			case errors.As(err, &de) && de.IsTemporary:
				got[at] = "servfail"
			default:
				got[at] = "unexpected " + err.Error()
			}
		})
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	for at, w := range want {
		if got[at] != w {
			t.Errorf("at %v: %s, want %s", at, got[at], w)
		}
	}
}
