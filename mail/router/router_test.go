package router_test

import (
	"context"
	"crypto/ed25519"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/dkim"
	"github.com/edgelab/edgelab/mail/internal/gosmtptest"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/mail/mailfacts"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/router"
	"github.com/edgelab/edgelab/mail/rules"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/mail/srs"
	"github.com/edgelab/edgelab/mail/worker"
	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

type facts struct {
	mu  sync.Mutex
	evs []string
}

func (f *facts) Record(name string, args ...model.Term) {
	f.mu.Lock()
	f.evs = append(f.evs, name)
	f.mu.Unlock()
}

func (f *facts) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, e := range f.evs {
		if e == name {
			n++
		}
	}
	return n
}

type world struct {
	zone  *zonedns.Zone
	sink  *gosmtptest.Sink
	env   env.Env
	log   *activity.Log
	sp    *spool.Spool
	q     *queue.Queue
	addr  string // our server
	facts *facts
	pub   ed25519.PublicKey
}

const msgText = "From: Sender <s@sender.example>\r\nTo: alice@ours.example\r\nSubject: hello\r\n" +
	"Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@sender.example>\r\n\r\nhi there\r\n.dot line\r\n"

func newWorld(t testing.TB, mode router.Mode, workers map[string]worker.Worker) *world {
	return newWorldSpool(t, mode, workers, spool.Options{})
}

func newWorldSpool(t testing.TB, mode router.Mode, workers map[string]worker.Worker, so spool.Options) *world {
	return newWorldWith(t, mode, workers, so, true)
}

func newWorldWith(t testing.TB, mode router.Mode, workers map[string]worker.Worker, so spool.Options, sinkUTF8 bool) *world {
	return newWorldOpts(t, mode, worldOpts{workers: workers, spool: so, sinkUTF8: sinkUTF8})
}

type worldOpts struct {
	workers  map[string]worker.Worker
	spool    spool.Options
	sinkUTF8 bool
	// hop, if set, starts the next hop in front of the sink (which it is
	// to deliver to) and returns the port the router delivers to.
	hop func(sinkAddr string) int
	// open, if set, wraps the router's SMTP client.
	open func(deliver.Opener) deliver.Opener
}

func newWorldOpts(t testing.TB, mode router.Mode, o worldOpts) *world {
	workers, so := o.workers, o.spool
	w := &world{zone: zonedns.New(), facts: &facts{}}
	w.sink = gosmtptest.StartSinkUTF8(t, "tcp4", "127.0.0.1:0", o.sinkUTF8)
	z := w.zone
	z.TXT["sender.example"] = []string{"v=spf1 ip4:127.0.0.1 -all"}
	z.TXT["_dmarc.strict.example"] = []string{"v=DMARC1; p=reject"}
	z.TXT["strict.example"] = []string{"v=spf1 -all"}
	z.TXT["nospf.example"] = []string{"v=spf1 -all"}
	z.IP["mailbox.example"] = []net.IP{net.ParseIP("127.0.0.1")}
	z.IP["sender.example"] = []net.IP{net.ParseIP("127.0.0.1")}
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	w.pub = priv.Public().(ed25519.PublicKey)
	rec, _ := dkim.KeyRecord(w.pub)
	z.TXT["s1._domainkey.ours.example"] = []string{rec}
	w.env = env.NewReal(env.RealConfig{Node: "mx", Resolver: z, Disk: env.RealDisk(t.TempDir()), Recorder: w.facts})
	tab, err := rules.Compile(rules.Config{
		Domains: []rules.Domain{{Name: "ours.example", Subaddressing: true, Rules: []rules.Rule{
			{ID: "alice", Local: "alice", Action: rules.Action{Type: rules.Forward, To: []string{"alice@mailbox.example"}}},
			{ID: "team", Local: "team", Action: rules.Action{Type: rules.Forward, To: []string{"alice@mailbox.example", "bob@mailbox.example"}}},
			{ID: "hook", Local: "hook", Action: rules.Action{Type: rules.Worker, Worker: "w"}},
			{ID: "void", Local: "void", Action: rules.Action{Type: rules.Drop}},
			{ID: "zoe", Local: "zoë", Action: rules.Action{Type: rules.Forward, To: []string{"zoë@mailbox.example"}}},
		}}},
		Destinations: []rules.Destination{{Address: "alice@mailbox.example", Verified: true}, {Address: "bob@mailbox.example", Verified: true}, {Address: "zoë@mailbox.example", Verified: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(w.sink.Addr)
	p, _ := strconv.Atoi(port)
	if o.hop != nil {
		p = o.hop(w.sink.Addr)
	}
	open := deliver.SMTP(w.env, smtp.ClientConfig{Hostname: "mx.ours.example"})
	if o.open != nil {
		open = o.open(open)
	}
	dlv := &deliver.Deliverer{Env: w.env, Open: open, Port: p}
	w.log = activity.New(nil, 100)
	rw := &srs.Rewriter{Domain: "ours.example", Secrets: [][]byte{[]byte("k")}}
	parts := router.Parts{Table: tab, Deliverer: dlv, Log: w.log, Workers: workers}
	if mode == router.Store {
		w.sp, _, _, err = spool.Open(w.env, "spool", so)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.sp.Close() })
		w.q = queue.New(w.env, w.sp, dlv, w.log, queue.Config{Hostname: "mx.ours.example", SRS: rw})
		parts.Spool, parts.Queue = w.sp, w.q
	}
	r := router.New(w.env, router.Config{Hostname: "mx.ours.example", Mode: mode,
		SRS:  rw,
		DKIM: &dkim.Signer{Domain: "ours.example", Selector: "s1", Key: priv}, WorkerTimeout: 200 * time.Millisecond}, parts)
	srv := &smtp.Server{Env: w.env, Backend: r, Config: smtp.ServerConfig{Hostname: "mx.ours.example"}, MaxConnsPerIP: 64}
	l, err := w.env.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	w.addr = l.Addr().String()
	return w
}

// send uses go-smtp's client; it returns the error of the first refused
// step (nil if the message was accepted).
func (w *world) send(t *testing.T, from string, to []string, data string) error {
	c, err := gosmtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.sender.example"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	wc, err := c.Data()
	if err != nil {
		return err
	}
	wc.Write([]byte(data))
	if err := wc.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func code(err error) int {
	if se, ok := err.(*gosmtp.SMTPError); ok {
		return se.Code
	}
	return 0
}

func TestStoreAndForwardEndToEnd(t *testing.T) {
	w := newWorld(t, router.Store, nil)
	if err := w.send(t, "s@sender.example", []string{"Alice+news@OURS.example"}, msgText); err != nil {
		t.Fatal(err)
	}
	if w.q.Len() != 1 || len(w.sink.Messages()) != 0 {
		t.Fatalf("queued %d", w.q.Len())
	}
	w.q.RunDue(context.Background())
	msgs := w.sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("delivered %d", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m.From, "SRS0=") || !strings.HasSuffix(m.From, "=sender.example=s@ours.example") || m.To[0] != "alice@mailbox.example" {
		t.Errorf("envelope %s -> %v", m.From, m.To)
	}
	data := string(m.Data)
	for _, want := range []string{"Authentication-Results: mx.ours.example", "spf=pass", "X-Spam-Score: ", "DKIM-Signature:", msgText} {
		if !strings.Contains(data, want) {
			t.Errorf("delivered message lacks %q:\n%s", want, data)
		}
	}
	res, err := dkim.Verify(context.Background(), w.zone, m.Data, time.Now())
	if err != nil || len(res) != 1 || res[0].Status != dkim.StatusPass || res[0].Domain != "ours.example" {
		t.Errorf("our DKIM signature: %+v %v", res, err)
	}
	recs := w.log.Find(activity.Query{})
	if len(recs) != 2 || recs[0].Status != activity.Forwarded || recs[1].Status != activity.Queued || recs[1].SPF != "pass" || recs[1].Subject != "hello" {
		t.Errorf("activity %+v", recs)
	}
	if w.facts.count(mailfacts.MailSpooled) != 1 || w.facts.count(mailfacts.MailAccepted) != 1 || w.facts.count(mailfacts.MailDelivered) != 1 {
		t.Errorf("facts %v", w.facts.evs)
	}
	// A bounce to the SRS address goes back to the original sender.
	if err := w.send(t, "", []string{m.From}, "Subject: bounce\r\nFrom: mailer-daemon@mailbox.example\r\n\r\nfailed\r\n"); err != nil {
		t.Fatalf("bounce to SRS refused: %v", err)
	}
	w.q.RunDue(context.Background())
	if msgs := w.sink.Messages(); len(msgs) != 2 || msgs[1].To[0] != "s@sender.example" || msgs[1].From != "" {
		t.Errorf("SRS bounce went to %+v", msgs[len(msgs)-1])
	}
	forged := "SRS0=xxxx=2W=sender.example=s@ours.example"
	if err := w.send(t, "", []string{forged}, "Subject: x\r\n\r\nx\r\n"); code(err) != 550 {
		t.Errorf("forged SRS address: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	w := newWorld(t, router.Store, nil)
	cases := []struct {
		from string
		to   string
		data string
		code int
	}{
		{"s@sender.example", "victim@other.example", msgText, 550},                                                                                   // open relay
		{"s@sender.example", "@ours.example:victim@other.example", msgText, 550},                                                                     // source route
		{"s@sender.example", "bob@ours.example", msgText, 550},                                                                                       // no rule
		{"x@nospf.example", "alice@ours.example", strings.Replace(msgText, "s@sender.example", "x@nospf.example", 1), 550},                           // unauthenticated forward
		{"x@strict.example", "alice@ours.example", strings.Replace(msgText, "s@sender.example", "x@strict.example", 1), 550},                         // DMARC p=reject
		{"s@sender.example", "alice@ours.example", "From: <s@sender.example>\r\nSubject: CLAIM YOUR PRIZE\r\n\r\nyou are a lottery winner\r\n", 550}, // spam score 5.5 >= 5
	}
	for _, c := range cases {
		if err := w.send(t, c.from, []string{c.to}, c.data); code(err) != c.code {
			t.Errorf("%s -> %s: %v, want %d", c.from, c.to, err, c.code)
		}
	}
	if w.q.Len() != 0 || len(w.sink.Messages()) != 0 {
		t.Errorf("refused mail went on")
	}
	// A drop rule accepts and delivers nothing.
	if err := w.send(t, "s@sender.example", []string{"void@ours.example"}, msgText); err != nil {
		t.Fatal(err)
	}
	if w.q.Len() != 0 || w.log.Find(activity.Query{Status: activity.Dropped})[0].To != "void@ours.example" {
		t.Errorf("drop: %d queued", w.q.Len())
	}
}

func TestWorkerFailuresDefer(t *testing.T) {
	var mu sync.Mutex
	mode := "panic"
	wk := worker.Func(func(ctx context.Context, m *worker.Message) (worker.Verdict, error) {
		mu.Lock()
		md := mode
		mu.Unlock()
		switch md {
		case "panic":
			panic("bad worker")
		case "slow":
			time.Sleep(time.Second)
		}
		return worker.Verdict{Action: worker.Forward, To: []string{"bob@mailbox.example"}, Headers: []string{"X-Worker: seen " + m.To}}, nil
	})
	w := newWorld(t, router.Store, map[string]worker.Worker{"w": wk})
	for _, md := range []string{"panic", "slow"} {
		mu.Lock()
		mode = md
		mu.Unlock()
		if err := w.send(t, "s@sender.example", []string{"hook@ours.example"}, msgText); code(err) != 451 {
			t.Errorf("%s worker: %v, want 451", md, err)
		}
	}
	mu.Lock()
	mode = "ok"
	mu.Unlock()
	if err := w.send(t, "s@sender.example", []string{"hook@ours.example"}, msgText); err != nil {
		t.Fatal(err)
	}
	w.q.RunDue(context.Background())
	msgs := w.sink.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "bob@mailbox.example" || !strings.Contains(string(msgs[0].Data), "X-Worker: seen hook@ours.example") {
		t.Fatalf("worker forward: %+v", msgs)
	}
}

// TestRelayPartialFailure relays to two destinations, one of which fails
// temporarily: the sender gets 451, and its retry delivers only to the
// destination that failed.
func TestRelayPartialFailure(t *testing.T) {
	w := newWorld(t, router.Relay, nil)
	var mu sync.Mutex
	bobFails := true
	w.sink.Refuse = func(rcpt string) *gosmtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		if rcpt == "bob@mailbox.example" && bobFails {
			return &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}
	err := w.send(t, "s@sender.example", []string{"team@ours.example"}, msgText)
	if code(err) != 452 {
		t.Fatalf("partial failure answered %v, want the destination's 452", err)
	}
	if msgs := w.sink.Messages(); len(msgs) != 1 || msgs[0].To[0] != "alice@mailbox.example" {
		t.Fatalf("first attempt delivered %+v", msgs)
	}
	mu.Lock()
	bobFails = false
	mu.Unlock()
	if err := w.send(t, "s@sender.example", []string{"team@ours.example"}, msgText); err != nil {
		t.Fatal(err)
	}
	msgs := w.sink.Messages()
	if len(msgs) != 2 || len(msgs[1].To) != 1 || msgs[1].To[0] != "bob@mailbox.example" {
		t.Fatalf("retry delivered %+v (alice must not get it twice)", msgs)
	}
	// The destination's permanent refusal is the sender's answer.
	w.sink.Refuse = func(string) *gosmtp.SMTPError {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	if err := w.send(t, "s@sender.example", []string{"alice@ours.example"}, strings.Replace(msgText, "hi there", "second", 1)); code(err) != 550 {
		t.Fatalf("permanent: %v", err)
	}
}

// TestUTF8TowardHopWithoutSMTPUTF8 forwards mail that needs SMTPUTF8 (a
// UTF-8 destination) to a server that does not offer it: the message is
// not sent in any altered form; the sender gets a DSN with 5.6.7.
func TestUTF8TowardHopWithoutSMTPUTF8(t *testing.T) {
	w := newWorldWith(t, router.Store, nil, spool.Options{}, false)
	c, err := gosmtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.sender.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("s@sender.example", &gosmtp.MailOptions{UTF8: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("zoë@ours.example", nil); err != nil {
		t.Fatal(err)
	}
	wc, _ := c.Data()
	wc.Write([]byte(msgText))
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	w.q.RunDue(context.Background())
	w.q.RunDue(context.Background())
	msgs := w.sink.Messages()
	if len(msgs) != 1 || msgs[0].From != "" || msgs[0].To[0] != "s@sender.example" || !strings.Contains(string(msgs[0].Data), "Status: 5.6.7") {
		t.Fatalf("want only a 5.6.7 bounce, got %+v", msgs)
	}
	if recs := w.log.Find(activity.Query{Status: activity.Bounced}); len(recs) != 1 || recs[0].To != "zoë@mailbox.example" {
		t.Errorf("activity %+v", recs)
	}
}

// TestDNSBLRefusesAtMail calls the Backend directly: a client listed in
// the blocklist is refused at MAIL with 554 5.7.1, an unlisted one is not.
func TestDNSBLRefusesAtMail(t *testing.T) {
	z := zonedns.New()
	z.IP["5.2.0.192.bl.example"] = []net.IP{net.ParseIP("127.0.0.2")}
	e := env.NewReal(env.RealConfig{Node: "mx", Resolver: z})
	tab, _ := rules.Compile(rules.Config{})
	log := activity.New(nil, 10)
	r := router.New(e, router.Config{DNSBL: []string{"bl.example"}}, router.Parts{Table: tab, Log: log})
	from := smtp.Path{Local: "s", Domain: "sender.example"}
	listed := &smtp.SessionInfo{ID: "a", ClientIP: netip.MustParseAddr("192.0.2.5")}
	if rp := r.Mail(context.Background(), listed, from, smtp.MailParams{}); rp.Code != 554 || rp.Enhanced != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("listed client: %v", rp)
	}
	clean := &smtp.SessionInfo{ID: "b", ClientIP: netip.MustParseAddr("192.0.2.6")}
	if rp := r.Mail(context.Background(), clean, from, smtp.MailParams{}); !rp.IsZero() {
		t.Fatalf("unlisted client: %v", rp)
	}
	if recs := log.Find(activity.Query{Status: activity.Rejected}); len(recs) != 1 || !strings.Contains(recs[0].Detail, "bl.example") {
		t.Errorf("activity %+v", recs)
	}
}
