package router_test

// The router in the simulator: senders on simulated nodes send through
// the router in store-and-forward mode to a destination server, the
// router's node crashes (its disk losing and tearing unsynced writes) and
// restarts, and every message that got a 250 must still reach the
// destination. Same seed, same trace.

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
)

// zoneEnv is a node's Env with DNS answered from a fixed zone.
type zoneEnv struct {
	env.Env
	z *zonedns.Zone
}

func (z zoneEnv) Resolver() env.Resolver { return z.z }

// subjectBackend records each message's subject as a Got fact.
type subjectBackend struct{ env env.Env }

func (subjectBackend) Mail(context.Context, *smtp.SessionInfo, smtp.Path, smtp.MailParams) smtp.Reply {
	return smtp.Reply{}
}
func (subjectBackend) Rcpt(context.Context, *smtp.SessionInfo, *smtp.Envelope, smtp.Recipient) smtp.Reply {
	return smtp.Reply{}
}
func (b subjectBackend) Data(_ context.Context, _ *smtp.SessionInfo, m *smtp.Message) smtp.Reply {
	_, after, _ := strings.Cut(string(m.Data), "Subject: ")
	subject, _, _ := strings.Cut(after, "\r\n")
	b.env.Record("Got", model.NewConst(subject))
	return smtp.Reply{}
}

func routerWorld(t *testing.T, seed uint64, crashAt time.Duration) *model.Trace {
	t.Helper()
	s := sim.New(sim.Config{Seed: seed, Limit: 2 * time.Hour})
	if err := s.Net().SetDefault(link.Params{Latency: link.Uniform(time.Millisecond, 10*time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	mx := s.AddNode("mx")
	dest := s.AddNode("dest")
	z := zonedns.New()
	z.IP["mailbox.example"] = []net.IP{net.IP(dest.Addr4().AsSlice())}
	tab, err := rules.Compile(rules.Config{
		Domains:      []rules.Domain{{Name: "ours.example", CatchAll: &rules.Action{Type: rules.Forward, To: []string{"inbox@mailbox.example"}}}},
		Destinations: []rules.Destination{{Address: "inbox@mailbox.example", Verified: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := mx.SetDiskFaults(disk.Faults{TornWriteProb: 1}); err != nil {
		t.Fatal(err)
	}
	mx.Start(func(ne env.Env) {
		e := zoneEnv{ne, z}
		sp, stored, _, err := spool.Open(e, "spool", spool.Options{})
		if err != nil {
			e.Record("SpoolFailed", model.NewConst(err.Error()))
			return
		}
		dlv := &deliver.Deliverer{Env: e, Port: 25, Open: deliver.SMTP(e, smtp.ClientConfig{Hostname: "mx"})}
		q := queue.New(e, sp, dlv, nil, queue.Config{Hostname: "mx", FirstRetry: 10 * time.Second})
		for _, st := range stored {
			q.Add(st.Msg, st.Pending)
		}
		r := router.New(e, router.Config{Hostname: "mx", AllowUnauthenticated: true},
			router.Parts{Table: tab, Spool: sp, Queue: q, Deliverer: dlv})
		e.Go("queue", func() { q.Run(context.Background()) })
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			t.Error(err)
			return
		}
		(&smtp.Server{Env: e, Backend: r, Config: smtp.ServerConfig{Hostname: "mx"}}).Serve(ln)
	})
	dest.Start(func(e env.Env) {
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			t.Error(err)
			return
		}
		(&smtp.Server{Env: e, Backend: subjectBackend{e}, Config: smtp.ServerConfig{Hostname: "dest"}}).Serve(ln)
	})
	for i := range 3 {
		cli := s.AddNode(fmt.Sprintf("sender%d", i))
		cli.Go("sender", func() {
			e := cli.Env()
			ctx := context.Background()
			for m := 0; m < 4; m++ {
				subject := fmt.Sprintf("%s-%d", e.Node(), m)
				body := "From: <a@sender.example>\r\nSubject: " + subject + "\r\nDate: x\r\nMessage-ID: <" + subject + "@x>\r\n\r\nhello\r\n"
				for attempt := 0; attempt < 20; attempt++ {
					cc, err := smtp.Dial(ctx, e, "mx:25", smtp.ClientConfig{Hostname: e.Node(), ReplyTimeout: 30 * time.Second}, nil)
					if err == nil {
						res, err := cc.Send(ctx, &smtp.Envelope{From: smtp.Path{Local: "a", Domain: "sender.example"},
							Rcpts: []smtp.Recipient{{Path: smtp.Path{Local: "u", Domain: "ours.example"}}}}, []byte(body))
						cc.Close()
						if err == nil && res.Err == nil && res.Data.Code == 250 {
							e.Record("Acked", model.NewConst(subject))
							break
						}
					}
					e.Sleep(2 * time.Second)
				}
				e.Sleep(time.Duration(20+10*i) * time.Millisecond)
			}
		})
	}
	if err := s.RunFor(crashAt); err != nil {
		t.Fatal(err)
	}
	mx.Crash()
	mx.Restart(nil)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace()
}

func TestSimulatedCrashLosesNothingAcked(t *testing.T) {
	var first string
	for _, crashAt := range []time.Duration{30 * time.Millisecond, 80 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond} {
		tr := routerWorld(t, 11, crashAt)
		acked, got := map[string]bool{}, map[string]int{}
		for _, ev := range tr.Events {
			switch ev.Name {
			case "Acked":
				acked[ev.Args[0].Name] = true
			case "Got":
				got[ev.Args[0].Name]++
			case "SpoolFailed":
				t.Fatalf("spool: %v", ev.Args)
			}
		}
		for s := range acked {
			if got[s] == 0 {
				t.Errorf("crash at %v: %s got a 250 and never arrived", crashAt, s)
			}
		}
		if len(acked) != 12 {
			t.Errorf("crash at %v: %d of 12 acknowledged", crashAt, len(acked))
		}
		if first == "" {
			first = tr.HashHex()
			if again := routerWorld(t, 11, crashAt).HashHex(); again != first {
				t.Fatal("same seed, different traces")
			}
		}
	}
}
