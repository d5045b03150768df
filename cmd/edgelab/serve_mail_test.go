package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/mail/activity"
	"github.com/edgelab/edgelab/mail/smtp"
	"github.com/edgelab/edgelab/sim/env"
)

// inbox is a destination mail server: our SMTP server with a backend that
// keeps every message.
type inbox struct {
	mu   sync.Mutex
	msgs []*smtp.Message
}

func (b *inbox) Mail(context.Context, *smtp.SessionInfo, smtp.Path, smtp.MailParams) smtp.Reply {
	return smtp.Reply{}
}
func (b *inbox) Rcpt(context.Context, *smtp.SessionInfo, *smtp.Envelope, smtp.Recipient) smtp.Reply {
	return smtp.Reply{}
}
func (b *inbox) Data(_ context.Context, _ *smtp.SessionInfo, m *smtp.Message) smtp.Reply {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
	return smtp.Reply{}
}

func (b *inbox) wait(t *testing.T, n int) []*smtp.Message {
	t.Helper()
	for range 200 {
		b.mu.Lock()
		got := append([]*smtp.Message(nil), b.msgs...)
		b.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("destination got fewer than %d messages", n)
	return nil
}

// TestServeMailEndToEnd runs the router from a config file over real
// loopback sockets: our client sends to it, it forwards through its queue
// to a destination server, the activity log says so, and a destination
// added through the API is verified by the token it is mailed.
func TestServeMailEndToEnd(t *testing.T) {
	dest := &inbox{}
	e := env.Real("dest")
	srv := &smtp.Server{Env: e, Backend: dest, Config: smtp.ServerConfig{Hostname: "mailbox.test"}}
	l, err := e.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	port := l.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndexByte(port, ':')+1:]

	dir := t.TempDir()
	config := fmt.Sprintf(`{
	  "hostname": "mx.ours.test", "mode": "store", "api_token": "tok", "dir": %q,
	  "delivery_port": %s, "zone_only": true, "srs_secret": "s",
	  "zone": {"ip": {"mailbox.test": ["127.0.0.1"], "sender.test": ["127.0.0.1"]},
	           "txt": {"sender.test": ["v=spf1 ip4:127.0.0.1 -all"]}},
	  "rules": {"domains": [{"name": "ours.test", "rules": [
	      {"id": "a", "local": "alice", "action": {"type": "forward", "to": ["dest@mailbox.test"]}}]}],
	    "destinations": [{"address": "dest@mailbox.test", "verified": true}]}
	}`, dir, port)
	path := filepath.Join(dir, "mail.json")
	os.WriteFile(path, []byte(config), 0o600)
	raw, _ := os.ReadFile(path)
	cfg, err := parseMailConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := startMail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	cc, err := smtp.Dial(ctx, env.Real("client"), s.SMTPAddr, smtp.ClientConfig{Hostname: "client.sender.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := "From: <s@sender.test>\r\nTo: <alice@ours.test>\r\nSubject: over loopback\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@sender.test>\r\n\r\nGrüße\r\n.\r\n"
	res, err := cc.Send(ctx, &smtp.Envelope{From: smtp.Path{Local: "s", Domain: "sender.test"},
		Rcpts: []smtp.Recipient{{Path: smtp.Path{Local: "alice", Domain: "ours.test"}}}}, []byte(body))
	if err != nil || res.Err != nil || res.Data.Code != 250 {
		t.Fatalf("send: %+v %v", res, err)
	}
	cc.Quit(ctx)
	got := dest.wait(t, 1)
	m := got[0]
	if !strings.HasPrefix(m.From.Local, "SRS0=") || m.Rcpts[0].Path.String() != "dest@mailbox.test" || !strings.HasSuffix(string(m.Data), body) {
		t.Fatalf("delivered %+v\n%s", m.Envelope, m.Data)
	}

	// The activity log file has the accept and the delivery.
	var statuses []string
	for range 100 {
		statuses = nil
		f, _ := os.Open(s.ActivityPath)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r activity.Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			if r.Subject == "over loopback" && r.SPF != "pass" {
				t.Errorf("SPF result %q", r.SPF)
			}
			statuses = append(statuses, r.Status)
		}
		f.Close()
		if len(statuses) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Join(statuses, ",") != "queued,forwarded" {
		t.Errorf("activity statuses %v", statuses)
	}

	// A new destination through the API, verified by its mailed token.
	post := func(path, body string) int {
		req, _ := http.NewRequest("POST", s.APIURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/v1/destinations", `{"address":"new@mailbox.test"}`); code != 202 {
		t.Fatalf("add destination: %d", code)
	}
	got = dest.wait(t, 2)
	token := regexp.MustCompile(`Verification token: ([0-9a-f]+)`).FindSubmatch(got[1].Data)
	if token == nil || got[1].Rcpts[0].Path.String() != "new@mailbox.test" {
		t.Fatalf("verification mail %s", got[1].Data)
	}
	if code := post("/v1/destinations/verify", `{"address":"new@mailbox.test","token":"`+string(token[1])+`"}`); code != 200 {
		t.Fatalf("verify: %d", code)
	}
}

// TestServeMailCommand runs `serve mail` on its embedded config.
func TestServeMailCommand(t *testing.T) {
	stopServeAtOnce(t)
	code, out, errs := cli("serve", "mail")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"smtp     127.0.0.1:", "api      http://127.0.0.1:", "activity ", "dkim     edgelab._domainkey"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"mode":"teleport"}`), 0o600)
	if code, _, _ := cli("serve", "mail", "--config", bad); code != 2 {
		t.Errorf("bad config: exit %d", code)
	}
}
