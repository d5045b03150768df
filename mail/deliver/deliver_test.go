package deliver_test

import (
	"context"
	"net"
	"strings"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/internal/gosmtptest"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/sim/env"
)

func TestHostsOrderAndImplicitMX(t *testing.T) {
	z := zonedns.New()
	z.MX["multi.example"] = []*net.MX{{Host: "c.example.", Pref: 30}, {Host: "a.example.", Pref: 10}, {Host: "b.example.", Pref: 10}, {Host: "z.example.", Pref: 5}}
	z.MX["null.example"] = []*net.MX{{Host: ".", Pref: 0}}
	z.IP["bare.example"] = []net.IP{net.ParseIP("192.0.2.1")}
	z.Err["broken.example"] = zonedns.ServFail("broken.example")
	ctx := context.Background()
	hs, err := deliver.Hosts(ctx, z, "multi.example")
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
	}
	if err != nil || strings.Join(names, " ") != "z.example a.example b.example c.example" {
		t.Errorf("order %v %v", names, err)
	}
	if hs, err := deliver.Hosts(ctx, z, "bare.example"); err != nil || len(hs) != 1 || hs[0].Name != "bare.example" {
		t.Errorf("implicit MX %v %v", hs, err)
	}
	if _, err := deliver.Hosts(ctx, z, "null.example"); err != deliver.ErrNullMX {
		t.Errorf("null MX: %v", err)
	}
	if _, err := deliver.Hosts(ctx, z, "broken.example"); err == nil {
		t.Error("SERVFAIL treated as no MX")
	}
	z.IP["dual.example"] = []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1"), net.ParseIP("192.0.2.2"), net.ParseIP("2001:db8::2")}
	as, _ := deliver.Addrs(ctx, z, "dual.example")
	if len(as) != 4 || as[0].String() != "2001:db8::1" || as[1].String() != "2001:db8::2" || as[2].String() != "192.0.2.1" {
		t.Errorf("AAAA before A: %v", as)
	}
}

// TestDeliverFallsBack delivers to a domain whose preferred MX does not
// answer and whose working MX has an IPv6 address nothing listens on: the
// delivery must try them in order and end at the IPv4 address of the
// second MX, where a go-smtp server takes it.
func TestDeliverFallsBack(t *testing.T) {
	sink := gosmtptest.StartSink(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(sink.Addr)
	sink.Refuse = func(rcpt string) *gosmtp.SMTPError {
		if strings.HasPrefix(rcpt, "nobody@") {
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	z := zonedns.New()
	z.MX["dest.example"] = []*net.MX{{Host: "mx2.dest.example.", Pref: 20}, {Host: "mx1.dest.example.", Pref: 10}}
	z.IP["mx1.dest.example"] = []net.IP{net.ParseIP("127.0.0.9")}
	z.IP["mx2.dest.example"] = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	e := env.NewReal(env.RealConfig{Node: "mx", Resolver: z})
	var tried []string
	d := &deliver.Deliverer{Env: e, Open: gosmtptest.Opener, Port: atoi(port),
		Attempt: func(addr string, err error) { tried = append(tried, addr) }}
	out := d.Deliver(context.Background(), "dest.example",
		&deliver.Envelope{From: "s@src.example", To: []string{"u@dest.example", "nobody@dest.example"}},
		[]byte("Subject: hi\r\n\r\nhello\r\n"))
	want := []string{"127.0.0.9:" + port, "[::1]:" + port, "127.0.0.1:" + port}
	if strings.Join(tried, " ") != strings.Join(want, " ") {
		t.Errorf("dialled %v, want %v", tried, want)
	}
	if !out[0].Reply.Positive() || out[0].Host != "mx2.dest.example" || out[1].Reply.Code != 550 || out[1].Reply.Enhanced != "5.1.1" {
		t.Errorf("outcomes %+v", out)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != "Subject: hi\r\n\r\nhello\r\n" || msgs[0].To[0] != "u@dest.example" {
		t.Errorf("sink got %+v", msgs)
	}
	// Nothing answers at all: a temporary failure for every recipient.
	z.IP["mx2.dest.example"] = []net.IP{net.ParseIP("127.0.0.10")}
	out = d.Deliver(context.Background(), "dest.example", &deliver.Envelope{From: "s@src.example", To: []string{"u@dest.example"}}, []byte("x\r\n"))
	if out[0].Reply.Code != 451 || out[0].Reply.Enhanced != "4.4.1" {
		t.Errorf("unreachable: %+v", out)
	}
	z.MX["gone.example"] = []*net.MX{{Host: "."}}
	out = d.Deliver(context.Background(), "gone.example", &deliver.Envelope{To: []string{"u@gone.example"}}, []byte("x\r\n"))
	if out[0].Reply.Code != 556 {
		t.Errorf("null MX: %+v", out)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
