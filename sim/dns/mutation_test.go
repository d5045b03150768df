package dns

// Tests written to kill mutants that the rest of the suite let live: DNS
// message-ID matching (the faults of a plan are tested in the kernel).

import (
	"context"
	"testing"

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
	c := &Client{Attempts: 2, Exchange: func(_ context.Context, q []byte) ([]byte, error) {
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
