package spf

import (
	"context"
	"net"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

func TestCheckUsesTheGivenResolver(t *testing.T) {
	z := zonedns.New()
	z.TXT["sender.example"] = []string{"v=spf1 ip4:192.0.2.0/24 -all"}
	z.TXT["helo.example"] = []string{"v=spf1 a -all"}
	z.IP["helo.example"] = []net.IP{net.ParseIP("198.51.100.7")}
	z.Err["flaky.example"] = zonedns.Timeout("flaky.example")
	for _, c := range []struct {
		ip, helo, sender string
		want             Result
		domain           string
	}{
		{"192.0.2.9", "x", "a@sender.example", Pass, "sender.example"},
		{"203.0.113.1", "x", "a@sender.example", Fail, "sender.example"},
		{"198.51.100.7", "helo.example", "", Pass, "helo.example"},
		{"192.0.2.9", "x", "a@nothing.example", None, "nothing.example"},
		{"192.0.2.9", "x", "a@flaky.example", TempError, "flaky.example"},
	} {
		v := Check(context.Background(), z, net.ParseIP(c.ip), c.helo, c.sender)
		if v.Result != c.want || v.Domain != c.domain || v.Reason == "" {
			t.Errorf("%s from %s: %+v, want %s for %s", c.sender, c.ip, v, c.want, c.domain)
		}
	}
}
