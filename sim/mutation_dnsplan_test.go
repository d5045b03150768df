package sim

// A test written to kill mutants that the rest of the suite let live: DNS
// faults of a plan whose windows overlap.

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/dns"
	"golang.org/x/net/dns/dnsmessage"
)

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
			q, _ := dns.BuildQuery(1, "a.test.", dnsmessage.TypeA)
			a, ok := zone.Answer(q)
			if !ok {
				got[at] = "no answer"
				return
			}
			ans, err := dns.ParseAnswer(q, a)
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
