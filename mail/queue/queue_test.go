package queue_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/internal/gosmtptest"
	"github.com/edgelab/edgelab/mail/internal/zonedns"
	"github.com/edgelab/edgelab/mail/queue"
	"github.com/edgelab/edgelab/mail/spool"
	"github.com/edgelab/edgelab/sim/env"
)

// clockEnv is a real Env whose clock the test moves and whose randomness
// is seeded.
type clockEnv struct {
	env.Env
	mu  sync.Mutex
	now time.Time
	rng *rand.ChaCha8
}

func (c *clockEnv) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clockEnv) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	e     *clockEnv
	ev    env.Env
	sink  *gosmtptest.Sink
	sp    *spool.Spool
	q     *queue.Queue
	log   *activity.Log
	dir   string
	fails int // temporary failures left at RCPT
	mu    sync.Mutex
}

func newFixture(t *testing.T, dir string) *fixture {
	f := &fixture{dir: dir}
	f.sink = gosmtptest.StartSink(t, "tcp4", "127.0.0.1:0")
	f.sink.Refuse = func(rcpt string) *gosmtp.SMTPError {
		f.mu.Lock()
		defer f.mu.Unlock()
		if strings.HasPrefix(rcpt, "never@") {
			return &gosmtp.SMTPError{Code: 450, EnhancedCode: gosmtp.EnhancedCode{4, 2, 1}, Message: "try later"}
		}
		if strings.HasPrefix(rcpt, "gone@") {
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		if f.fails > 0 {
			f.fails--
			return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "busy"}
		}
		return nil
	}
	z := zonedns.New()
	z.IP["dest.example"] = []net.IP{net.ParseIP("127.0.0.1")}
	z.IP["sender.example"] = []net.IP{net.ParseIP("127.0.0.1")}
	base := env.NewReal(env.RealConfig{Node: "mx", Resolver: z, Disk: env.RealDisk(dir)})
	f.e = &clockEnv{Env: base, now: time.Unix(1800000000, 0).UTC(), rng: rand.NewChaCha8([32]byte{7})}
	f.ev = rngEnv{f.e}
	_, port, _ := net.SplitHostPort(f.sink.Addr)
	p, _ := strconv.Atoi(port)
	d := &deliver.Deliverer{Env: f.ev, Open: gosmtptest.Opener, Port: p}
	sp, stored, _, err := spool.Open(f.ev, "q", spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	f.sp, f.log = sp, activity.New(nil, 100)
	f.q = queue.New(f.ev, sp, d, f.log, queue.Config{Hostname: "mx.ours.example", GiveUp: 24 * time.Hour})
	for _, s := range stored {
		f.q.Add(s.Msg, s.Pending)
	}
	return f
}

// rngEnv gives the clockEnv's seeded stream as the Env's randomness.
type rngEnv struct{ *clockEnv }

func (r rngEnv) Rand() io.Reader { return r.rng }

func (f *fixture) put(t *testing.T, from string, to ...string) *spool.Message {
	m := &spool.Message{ID: "m-" + strings.Join(to, ","), From: from, To: to, Received: f.e.Now(),
		Data: []byte("Subject: test\r\nFrom: <" + from + ">\r\n\r\nbody\r\n")}
	if err := f.sp.Put(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	f.q.Add(m, seq(len(to)))
	return m
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestRetryThenDeliver(t *testing.T) {
	f := newFixture(t, t.TempDir())
	f.fails = 2
	f.put(t, "s@sender.example", "u@dest.example")
	ctx := context.Background()
	var delays []time.Duration
	for range 3 {
		next := f.q.RunDue(ctx)
		if next.IsZero() {
			break
		}
		delays = append(delays, next.Sub(f.e.Now()))
		f.e.advance(next.Sub(f.e.Now()))
	}
	if len(delays) != 2 {
		t.Fatalf("retries %v", delays)
	}
	// First retry in [30s, 90s), second in [60s, 180s).
	if delays[0] < 30*time.Second || delays[0] >= 90*time.Second || delays[1] < 60*time.Second || delays[1] >= 180*time.Second {
		t.Errorf("backoff %v", delays)
	}
	if n := len(f.sink.Messages()); n != 1 || f.q.Len() != 0 {
		t.Fatalf("%d delivered, %d queued", n, f.q.Len())
	}
	st := f.log.Find(activity.Query{})
	if len(st) != 3 || st[0].Status != activity.Forwarded || st[1].Status != activity.Deferred {
		t.Errorf("log %+v", st)
	}
}

func TestGiveUpBouncesOnce(t *testing.T) {
	f := newFixture(t, t.TempDir())
	f.put(t, "s@sender.example", "never@dest.example")
	ctx := context.Background()
	for i := 0; i < 100 && f.q.Len() > 0; i++ {
		next := f.q.RunDue(ctx)
		if next.IsZero() {
			break
		}
		f.e.advance(next.Sub(f.e.Now()))
	}
	msgs := f.sink.Messages()
	if len(msgs) != 1 || msgs[0].From != "" || msgs[0].To[0] != "s@sender.example" ||
		!strings.Contains(string(msgs[0].Data), "multipart/report") || !strings.Contains(string(msgs[0].Data), "Status: 4.4.7") {
		t.Fatalf("bounce %+v", msgs)
	}
	if f.log.Find(activity.Query{Status: activity.Bounced})[0].To != "never@dest.example" {
		t.Error("bounce not logged")
	}
	if !f.e.Now().After(time.Unix(1800000000, 0).Add(24 * time.Hour)) {
		t.Errorf("gave up early at %v", f.e.Now())
	}
}

func TestPermanentFailureFromNullSenderNoBounce(t *testing.T) {
	f := newFixture(t, t.TempDir())
	f.put(t, "", "gone@dest.example")
	f.q.RunDue(context.Background())
	if msgs := f.sink.Messages(); len(msgs) != 0 || f.q.Len() != 0 {
		t.Fatalf("sent %+v, queued %d", msgs, f.q.Len())
	}
	if got := f.log.Find(activity.Query{}); len(got) != 1 || got[0].Status != activity.DeliveryFailed || !got[0].IsNDR {
		t.Errorf("log %+v", got)
	}
	// And a sender that exists gets exactly one DSN.
	f.put(t, "s@sender.example", "gone@dest.example")
	f.q.RunDue(context.Background())
	f.q.RunDue(context.Background())
	if msgs := f.sink.Messages(); len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "Status: 5.1.1") {
		t.Fatalf("bounces %+v", msgs)
	}
}

func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	f.put(t, "s@sender.example", "a@dest.example", "b@dest.example")
	f.sp.Close()
	g := newFixture(t, dir)
	if g.q.Len() != 2 {
		t.Fatalf("recovered %d recipients", g.q.Len())
	}
	g.q.RunDue(context.Background())
	if msgs := g.sink.Messages(); len(msgs) != 1 || len(msgs[0].To) != 2 {
		t.Fatalf("after restart %+v", msgs)
	}
	g.sp.Close()
	h := newFixture(t, dir)
	if h.q.Len() != 0 {
		t.Fatalf("delivered recipients came back: %d", h.q.Len())
	}
}
