package router_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/internal/gosmtptest"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/worker"
)

// refusals is a sink's Refuse that a test changes between sends.
type refusals struct {
	mu sync.Mutex
	by map[string]*gosmtp.SMTPError
}

func (r *refusals) set(rcpt string, e *gosmtp.SMTPError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[rcpt] = e
}

func (r *refusals) refuse(rcpt string) *gosmtp.SMTPError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.by[rcpt]
}

func newRefusals(w *world) *refusals {
	r := &refusals{by: map[string]*gosmtp.SMTPError{}}
	w.sink.Refuse = r.refuse
	return r
}

var (
	noSuchUser  = &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	mailboxFull = &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
	tryLater    = &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}
)

func split(msgs []gosmtptest.Received) (copies map[string]int, dsns []gosmtptest.Received) {
	copies = map[string]int{}
	for _, m := range msgs {
		if m.From == "" {
			dsns = append(dsns, m)
			continue
		}
		for _, to := range m.To {
			copies[to]++
		}
	}
	return copies, dsns
}

// TestRelayPartlyDeliveredIsNever5xx relays team@ (alice and bob) while
// bob's server refuses bob for good: alice has the message, so the answer
// is 250 and bob's failure goes back to the sender as a DSN naming the
// address the sender used. A temporary failure of bob first answers 4xx;
// the sender's retry, meeting bob's permanent refusal, is then answered
// 250 with the DSN, and alice never gets a second copy.
func TestRelayPartlyDeliveredIsNever5xx(t *testing.T) {
	w := newWorld(t, router.Relay, nil)
	ref := newRefusals(w)
	ref.set("bob@mailbox.example", noSuchUser)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, msgText); err != nil {
		t.Fatalf("partly delivered: %v, want 250", err)
	}
	copies, dsns := split(w.sink.Messages())
	if copies["alice@mailbox.example"] != 1 || copies["bob@mailbox.example"] != 0 || len(dsns) != 1 {
		t.Fatalf("copies %v, %d DSNs", copies, len(dsns))
	}
	d := string(dsns[0].Data)
	if dsns[0].To[0] != "s@sender.example" || !strings.Contains(d, "Final-Recipient: rfc822; team@ours.example") ||
		!strings.Contains(d, "Status: 5.1.1") || !strings.Contains(d, "no such user") || strings.Contains(d, "Final-Recipient: rfc822; bob@") {
		t.Errorf("DSN to %v:\n%s", dsns[0].To, d)
	}
	if recs := w.log.Find(activity.Query{To: "team@ours.example"}); len(recs) != 1 || recs[0].Status != activity.Forwarded || !strings.Contains(recs[0].Detail, "bob@mailbox.example") {
		t.Errorf("activity %+v", recs)
	}

	// A second message: bob fails temporarily, then for good.
	second := strings.Replace(msgText, "hi there", "second", 1)
	ref.set("bob@mailbox.example", mailboxFull)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, second); code(err) != 452 {
		t.Fatalf("temporary failure: %v, want the destination's 452", err)
	}
	ref.set("bob@mailbox.example", noSuchUser)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, second); err != nil {
		t.Fatalf("retry meeting a permanent failure: %v, want 250", err)
	}
	copies, dsns = split(w.sink.Messages())
	if copies["alice@mailbox.example"] != 2 || len(dsns) != 2 {
		t.Fatalf("after the retry: copies %v, %d DSNs (alice must get the second message once)", copies, len(dsns))
	}

	// The DSN cannot be delivered now: 451, and the retry neither
	// delivers alice's copy again nor loses the DSN.
	third := strings.Replace(msgText, "hi there", "third", 1)
	ref.set("s@sender.example", tryLater)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, third); code(err) != 451 {
		t.Fatalf("undeliverable DSN: %v, want 451", err)
	}
	ref.set("s@sender.example", nil)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, third); err != nil {
		t.Fatal(err)
	}
	copies, dsns = split(w.sink.Messages())
	if copies["alice@mailbox.example"] != 3 || len(dsns) != 3 {
		t.Fatalf("after the DSN's retry: copies %v, %d DSNs", copies, len(dsns))
	}

	// Nothing delivered, every destination refuses: the destination's
	// 5xx is the answer and no DSN is made.
	ref.set("alice@mailbox.example", noSuchUser)
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, strings.Replace(msgText, "hi there", "fourth", 1)); code(err) != 550 {
		t.Fatalf("refused by all: %v, want 550", err)
	}
	if _, dsns = split(w.sink.Messages()); len(dsns) != 3 {
		t.Errorf("a DSN for a refused message")
	}
}

func rejectingWorker() worker.Worker {
	return worker.Func(func(ctx context.Context, m *worker.Message) (worker.Verdict, error) {
		return worker.Verdict{Action: worker.Reject, Reason: "no mail from you, " + m.To}, nil
	})
}

// TestWorkerRejectWithSeveralRecipients: a worker's reject refuses the
// message for its recipient also when the message has others. Refused by
// every recipient, the message is refused with the worker's reason; refused
// by some, it goes to the others and a DSN tells the sender of the refusal
// (it was silently dropped before), in both modes.
func TestWorkerRejectWithSeveralRecipients(t *testing.T) {
	for _, mode := range []router.Mode{router.Store, router.Relay} {
		t.Run(string(mode), func(t *testing.T) {
			w := newWorld(t, mode, map[string]worker.Worker{"w": rejectingWorker()})
			run := func() {
				if w.q != nil {
					w.q.RunDue(context.Background())
				}
			}
			err := w.send(t, "s@sender.example", []string{"hook+a@ours.example", "hook+b@ours.example"}, msgText)
			if code(err) != 550 || !strings.Contains(err.Error(), "no mail from you") {
				t.Fatalf("rejected by both recipients' worker: %v, want 550 with its reason", err)
			}
			run()
			if n := len(w.sink.Messages()); n != 0 {
				t.Fatalf("a refused message made %d deliveries", n)
			}
			if err := w.send(t, "s@sender.example", []string{"hook@ours.example", "alice@ours.example"}, msgText); err != nil {
				t.Fatalf("rejected for one recipient of two: %v, want 250", err)
			}
			run()
			copies, dsns := split(w.sink.Messages())
			if copies["alice@mailbox.example"] != 1 || len(copies) != 1 || len(dsns) != 1 {
				t.Fatalf("copies %v, %d DSNs", copies, len(dsns))
			}
			d := string(dsns[0].Data)
			if dsns[0].To[0] != "s@sender.example" || !strings.Contains(d, "Final-Recipient: rfc822; hook@ours.example") ||
				!strings.Contains(d, "Status: 5.7.1") || !strings.Contains(d, "no mail from you, hook@ours.example") {
				t.Errorf("DSN:\n%s", d)
			}
			if recs := w.log.Find(activity.Query{To: "hook@ours.example"}); len(recs) == 0 || recs[0].Status != activity.Rejected {
				t.Errorf("activity %+v", recs)
			}
		})
	}
}

// TestEndOfDataTexts: the one reply to the end of data says what became
// of the message: "queued as ID" when it was spooled, "accepted as ID"
// when the rules dropped it for every recipient.
func TestEndOfDataTexts(t *testing.T) {
	w := newWorld(t, router.Store, nil)
	for rcpt, want := range map[string]string{"alice@ours.example": "queued as ", "void@ours.example": "accepted as "} {
		c, err := gosmtp.Dial(w.addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("client.sender.example"); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("s@sender.example", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(rcpt, nil); err != nil {
			t.Fatal(err)
		}
		wc, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		wc.Write([]byte(msgText))
		resp, err := wc.CloseWithResponse()
		if err != nil || !strings.HasPrefix(resp.StatusText, "2.0.0 "+want) {
			t.Errorf("to %s: %+v %v, want %q...", rcpt, resp, err, want)
		}
		c.Quit()
		c.Close()
	}
}
