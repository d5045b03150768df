package spam

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/edgelab/edgelab/mail/internal/zonedns"
)

func TestQueryName(t *testing.T) {
	// RFC 5782 §2.1 and §2.4 examples.
	if got := QueryName(netip.MustParseAddr("192.168.42.23"), "dnsbl.example.net"); got != "23.42.168.192.dnsbl.example.net" {
		t.Errorf("v4: %s", got)
	}
	want := "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"
	if got := QueryName(netip.MustParseAddr("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com."); got != want {
		t.Errorf("v6: %s", got)
	}
	if got := QueryName(netip.MustParseAddr("::ffff:192.0.2.1"), "bl.example"); got != "1.2.0.192.bl.example" {
		t.Errorf("mapped: %s", got)
	}
}

func TestCheckDNSBL(t *testing.T) {
	z := zonedns.New()
	z.IP["2.0.0.127.bl.example"] = []net.IP{net.ParseIP("127.0.0.2")}
	z.TXT["2.0.0.127.bl.example"] = []string{"listed for spam"}
	z.IP["3.0.0.127.bl.example"] = []net.IP{net.ParseIP("10.0.0.1")} // not 127/8: ignored
	z.Err["4.0.0.127.broken.example"] = zonedns.ServFail("4.0.0.127.broken.example")
	z.IP["4.0.0.127.bl.example"] = []net.IP{net.ParseIP("127.0.0.4")}
	ctx := context.Background()
	l, err := CheckDNSBL(ctx, z, netip.MustParseAddr("127.0.0.2"), []string{"bl.example"})
	if err != nil || l == nil || l.Answer != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("listed: %+v %v", l, err)
	}
	if r := l.Refusal(); r.Code != 554 || r.Enhanced != "5.7.1" || r.Text != "client address listed by bl.example: listed for spam" {
		t.Errorf("refusal %+v", r)
	}
	for _, ip := range []string{"127.0.0.3", "192.0.2.1"} {
		if l, _ := CheckDNSBL(ctx, z, netip.MustParseAddr(ip), []string{"bl.example"}); l != nil {
			t.Errorf("%s listed: %+v", ip, l)
		}
	}
	l, _ = CheckDNSBL(ctx, z, netip.MustParseAddr("127.0.0.4"), []string{"broken.example", "bl.example"})
	if l == nil || l.Zone != "bl.example" {
		t.Errorf("a broken list stopped the next: %+v", l)
	}
	// Unlisted by the lists that answered, unknown to the broken one: the
	// caller must be told, not shown a clean client.
	l, err = CheckDNSBL(ctx, z, netip.MustParseAddr("127.0.0.4"), []string{"bl2.example", "broken.example"})
	if l != nil || !errors.Is(err, ErrTemporary) {
		t.Errorf("broken list: %+v %v, want ErrTemporary", l, err)
	}
}

func TestScore(t *testing.T) {
	var sc Scorer
	good := sc.Score(Auth{SPF: "pass", DKIM: "pass", DMARC: "pass"},
		[]byte("Subject: lunch\r\nDate: x\r\nMessage-ID: <1@x>\r\n"), []byte("see you\r\n"))
	if good.Value != 0 || good.IsSpam {
		t.Errorf("good mail scored %+v", good)
	}
	bad := sc.Score(Auth{SPF: "fail", DKIM: "none", DMARC: "fail"},
		[]byte("Subject: CLAIM YOUR\r\n PRIZE NOW\r\n"), []byte("you are a lottery winner\r\n"))
	if !bad.IsSpam || bad.Value != 3+0.5+4+1.5+0.5+0.5+2.5 {
		t.Errorf("bad mail scored %+v", bad)
	}
	if h := bad.Header(); h == "" || bad.Threshold != DefaultThreshold {
		t.Errorf("header %q", h)
	}
	strict := Scorer{Threshold: 0.5}.Score(Auth{SPF: "none", DKIM: "pass"}, []byte("Subject: hi\r\nDate: x\r\nMessage-ID: <1@x>\r\n"), nil)
	if !strict.IsSpam {
		t.Errorf("threshold ignored: %+v", strict)
	}
}
