package smtp

// The same server and client code over simulated sockets: sessions in
// virtual time on a lossy network, same seed same trace, and timeouts
// that take minutes of virtual time and no wall time.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/link"
)

// tracingBackend records each accepted message as an action fact.
type tracingBackend struct {
	env env.Env
	discardBackend
}

func (b tracingBackend) Data(_ context.Context, s *SessionInfo, m *Message) Reply {
	b.env.Record("MailAccepted", model.NewConst(m.From.String()), model.NewConst(fmt.Sprint(len(m.Data))),
		model.NewConst(strings.SplitN(string(m.Data), "\r\n", 2)[0]))
	return Reply{}
}

func smtpWorld(t *testing.T, seed uint64) (*model.Trace, string) {
	t.Helper()
	s := sim.New(sim.Config{Seed: seed, Limit: time.Hour})
	if err := s.Net().SetDefault(link.Params{Latency: link.Uniform(time.Millisecond, 20*time.Millisecond), Loss: 0.05, Reorder: 0.1}); err != nil {
		t.Fatal(err)
	}
	mx := s.AddNode("mx")
	mx.Start(func(e env.Env) {
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			t.Error(err)
			return
		}
		srv := &Server{Env: e, Backend: tracingBackend{env: e}, Config: ServerConfig{Hostname: "mx.sim"}}
		srv.Serve(ln)
	})
	for i := range 3 {
		cli := s.AddNode(fmt.Sprintf("client%d", i))
		cli.Go("sender", func() {
			e := cli.Env()
			ctx := context.Background()
			cc, err := Dial(ctx, e, "mx:25", ClientConfig{Hostname: e.Node(), ChunkSize: 300}, nil)
			if err != nil {
				e.Record("DialFailed", model.NewConst(err.Error()))
				return
			}
			for m := range 2 {
				body := fmt.Sprintf("Subject: %s message %d\r\n\r\n%s", e.Node(), m, strings.Repeat(".line\r\n", 100*(i+1)))
				res, err := cc.Send(ctx, envelope(t, e.Node()+"@example.org", "rcpt@example.com"), []byte(body))
				switch {
				case err != nil:
					e.Record("SessionFailed", model.NewConst(err.Error()))
					return
				case res.Err != nil:
					e.Record("Refused", model.NewConst(res.Err.Error()))
				default:
					e.Record("Sent", model.NewConst(res.Data.String()))
				}
			}
			cc.Quit(ctx)
		})
	}
	// A client that connects and then says nothing.
	idle := s.AddNode("idler")
	var idleSaw string
	idle.Go("idle", func() {
		e := idle.Env()
		c, err := e.Dial(context.Background(), "tcp", "mx:25")
		if err != nil {
			return
		}
		start := e.Now()
		var got []byte
		buf := make([]byte, 512)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		idleSaw = fmt.Sprintf("%q after %v", got, e.Now().Sub(start).Round(time.Second))
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace(), idleSaw
}

func TestSimulatedSessionsSameSeedSameTrace(t *testing.T) {
	a, idle := smtpWorld(t, 7)
	b, _ := smtpWorld(t, 7)
	if a.HashHex() != b.HashHex() {
		t.Fatal("same seed, different traces")
	}
	var accepted, sent int
	for _, ev := range a.Events {
		switch ev.Name {
		case "MailAccepted":
			accepted++
		case "Sent":
			sent++
		case "SessionFailed", "Refused", "DialFailed":
			t.Fatalf("%s %v", ev.Name, ev.Args)
		}
	}
	if accepted != 6 || sent != 6 {
		t.Fatalf("%d accepted, %d sent, want 6 each", accepted, sent)
	}
	if !strings.Contains(idle, "421 4.4.2") || !strings.Contains(idle, "after 5m0s") {
		t.Fatalf("idle client saw %s", idle)
	}
	if c, _ := smtpWorld(t, 8); c.HashHex() == a.HashHex() {
		t.Fatal("seeds 7 and 8 gave the same trace")
	}
}

// A client whose clock has jumped ahead sends within a context deadline
// that, on its clock, lies in the past: the deadline is on the
// simulation's true timeline. The client must neither spin nor fail for
// it; before, every Read timed out at once and the run never ended.
func TestClientOnAJumpedClockSendsWithinAContextDeadline(t *testing.T) {
	s := sim.New(sim.Config{Seed: 3, Limit: time.Hour})
	mx := s.AddNode("mx")
	mx.Start(func(e env.Env) {
		ln, err := e.Listen("tcp", ":25")
		if err != nil {
			t.Error(err)
			return
		}
		(&Server{Env: e, Backend: tracingBackend{env: e}, Config: ServerConfig{Hostname: "mx.sim"}}).Serve(ln)
	})
	cli := s.AddNode("client")
	cli.JumpClock(2 * time.Hour)
	var sendErr error
	sent := false
	cli.Go("sender", func() {
		e := cli.Env()
		ctx, cancel := e.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cc, err := Dial(ctx, e, "mx:25", ClientConfig{Hostname: "client"}, nil)
		if err != nil {
			sendErr = err
			return
		}
		res, err := cc.Send(ctx, envelope(t, "a@example.org", "b@example.com"), []byte("Subject: x\r\n\r\nhello\r\n"))
		if err == nil && res.Err != nil {
			err = res.Err
		}
		sendErr, sent = err, err == nil
		cc.Quit(ctx)
	})
	done := make(chan error, 1)
	go func() { _, err := s.Run(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a hang detector, not a speed target
		t.Fatal("the run did not end: the client spins on a deadline from another timeline")
	}
	if !sent {
		t.Fatalf("not sent: %v", sendErr)
	}
}
