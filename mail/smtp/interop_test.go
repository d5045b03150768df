package smtp

// Interoperability over real loopback sockets with independent SMTP
// implementations: github.com/emersion/go-smtp (client and server),
// Python's smtplib, swaks and Postfix's smtp-source and smtp-sink. Tests
// that need an outside program skip, saying so, when it is absent.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/sim/env"
)

// An 8-bit body with UTF-8 headers, dot lines and a lone high octet.
const utf8Body = "From: Jürgen <jürgen@exämple.org>\r\nTo: Zoë <zoë@example.com>\r\nSubject: ünïcödé ✓\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
	"Grüße, 你好, 🙂\r\n.\r\n..\r\n.leading dot\r\nraw \xe9 latin-1 octet\r\n"

func selfSignedTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.test"},
		DNSNames:     []string{"mx.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestGoSMTPClientThroughOurServer(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		b := &syncBackend{}
		srv := &Server{Backend: b, Config: ServerConfig{Hostname: "mx.test"}}
		if withTLS {
			srv.TLS = selfSignedTLS(t)
		}
		addr := startServer(t, srv)
		var c *gosmtp.Client
		var err error
		if withTLS {
			c, err = gosmtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
		} else {
			c, err = gosmtp.Dial(addr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE", "ENHANCEDSTATUSCODES", "DSN", "CHUNKING"} {
			if ok, _ := c.Extension(ext); !ok {
				t.Errorf("EHLO does not offer %s", ext)
			}
		}
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.Error("STARTTLS offered again after TLS started (or without a certificate)")
		}
		opts := &gosmtp.MailOptions{Body: gosmtp.Body8BitMIME, UTF8: true, Return: gosmtp.DSNReturnHeaders, EnvelopeID: "env id+1"}
		if err := c.Mail("jürgen@exämple.org", opts); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("zoë@example.com", &gosmtp.RcptOptions{Notify: []gosmtp.DSNNotify{gosmtp.DSNNotifyFailure, gosmtp.DSNNotifyDelayed},
			OriginalRecipientType: gosmtp.DSNAddressTypeUTF8, OriginalRecipient: "zoë@example.com"}); err != nil {
			t.Fatal(err)
		}
		err = c.Rcpt("reject@example.com", nil)
		if se, ok := err.(*gosmtp.SMTPError); !ok || se.Code != 550 || se.EnhancedCode != (gosmtp.EnhancedCode{5, 1, 1}) {
			t.Fatalf("refused recipient: %v", err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, utf8Body)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
		msgs := b.messages()
		if len(msgs) != 1 {
			t.Fatalf("tls=%v: %d messages", withTLS, len(msgs))
		}
		m := msgs[0]
		if string(m.Data) != utf8Body {
			t.Fatalf("body not byte-identical:\n got %q\nwant %q", m.Data, utf8Body)
		}
		if !m.Mail.SMTPUTF8 || m.Mail.Body != Body8BitMIME || m.Mail.Ret != RetHdrs || m.Mail.EnvID != "env id+1" ||
			m.From.String() != "jürgen@exämple.org" || len(m.Rcpts) != 1 ||
			m.Rcpts[0].Params.Notify != NotifyFailure|NotifyDelay ||
			m.Rcpts[0].Params.ORCPT == nil || *m.Rcpts[0].Params.ORCPT != (ORCPT{AddrType: "utf-8", Addr: "zoë@example.com"}) {
			t.Fatalf("envelope %+v", m.Envelope)
		}
		if withTLS != (b.lastInfo().TLS != nil) {
			t.Fatalf("tls=%v but session TLS state %v", withTLS, b.lastInfo().TLS)
		}
	}
}

// goSMTPBackend is a go-smtp server backend that keeps what it receives.
type goSMTPBackend struct {
	mu   sync.Mutex
	msgs []goSMTPMessage
}

type goSMTPMessage struct {
	from string
	opts gosmtp.MailOptions
	to   []string
	data []byte
}

type goSMTPSession struct {
	b   *goSMTPBackend
	cur goSMTPMessage
}

func (b *goSMTPBackend) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &goSMTPSession{b: b}, nil
}

func (s *goSMTPSession) Reset()        { s.cur = goSMTPMessage{} }
func (s *goSMTPSession) Logout() error { return nil }
func (s *goSMTPSession) Mail(from string, opts *gosmtp.MailOptions) error {
	s.cur.from = from
	if opts != nil {
		s.cur.opts = *opts
	}
	return nil
}
func (s *goSMTPSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject") {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *goSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func startGoSMTP(t testing.TB, b gosmtp.Backend, configure func(*gosmtp.Server)) string {
	t.Helper()
	srv := gosmtp.NewServer(b)
	srv.Domain = "gosmtp.test"
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 1000
	if configure != nil {
		configure(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

func TestOurClientToGoSMTPServer(t *testing.T) {
	for _, chunking := range []bool{true, false} {
		b := &goSMTPBackend{}
		addr := startGoSMTP(t, b, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cc, err := Dial(ctx, env.Real("client"), addr, ClientConfig{Hostname: "client.test", NoChunking: !chunking}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := cc.Session().Has("CHUNKING"); !got {
			t.Fatal("go-smtp offers CHUNKING; our client did not see it")
		}
		e := envelope(t, "jürgen@exämple.org", "zoë@example.com", "reject@example.com", "x@example.com")
		res, err := cc.Send(ctx, e, []byte(utf8Body))
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil || res.Accepted() != 2 {
			t.Fatalf("result %+v", res)
		}
		var re *ReplyError
		if rr := res.Rcpts[1]; !asReplyError(rr.Err, &re) || re.Code() != 550 || re.Enhanced() != (EnhancedCode{5, 1, 1}) || re.Command != "RCPT" {
			t.Fatalf("refused recipient: %+v", rr)
		}
		// A second message on the same session, whose every line is a
		// dot: re-stuffed on the way out, unstuffed on the way in.
		dots := "Subject: dots\r\n\r\n.\r\n..\r\n...\r\n. \r\n"
		res, err = cc.Send(ctx, envelope(t, "a@example.org", "y@example.com"), []byte(dots))
		if err != nil || res.Err != nil {
			t.Fatalf("second message: %v %+v", err, res)
		}
		if err := cc.Quit(ctx); err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		msgs := b.msgs
		b.mu.Unlock()
		if len(msgs) != 2 {
			t.Fatalf("go-smtp got %d messages", len(msgs))
		}
		if string(msgs[0].data) != utf8Body || string(msgs[1].data) != dots {
			t.Fatalf("chunking=%v: bodies differ:\n%q\n%q", chunking, msgs[0].data, msgs[1].data)
		}
		if !msgs[0].opts.UTF8 || msgs[0].opts.Body != gosmtp.Body8BitMIME || msgs[0].opts.Size != int64(len(utf8Body)) {
			t.Fatalf("MAIL options %+v", msgs[0].opts)
		}
	}
}

func asReplyError(err error, re **ReplyError) bool {
	r, ok := err.(*ReplyError)
	*re = r
	return ok
}

// Our client refuses, before sending anything, a message the next hop
// cannot carry unchanged.
func TestOurClientRefusesWhatTheServerLacks(t *testing.T) {
	b := &goSMTPBackend{}
	addr := startGoSMTP(t, b, func(s *gosmtp.Server) { s.EnableSMTPUTF8 = false; s.MaxMessageBytes = 100 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cc, err := Dial(ctx, env.Real("client"), addr, ClientConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, tc := range []struct {
		name, from, body, ext string
		code                  int
	}{
		{"utf-8 sender", "jürgen@exämple.org", "Subject: x\r\n\r\nx\r\n", "SMTPUTF8", 553},
		{"too big", "a@example.org", "Subject: x\r\n\r\n" + strings.Repeat("x", 200) + "\r\n", "SIZE", 552},
	} {
		res, err := cc.Send(ctx, envelope(t, tc.from, "b@example.com"), []byte(tc.body))
		var ee *ExtensionError
		if err != nil || res == nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e, ok := res.Err.(*ExtensionError); ok {
			ee = e
		}
		if ee == nil || ee.Extension != tc.ext || ee.Reply.Code != tc.code {
			t.Fatalf("%s: %v", tc.name, res.Err)
		}
	}
	res, _ := cc.Send(ctx, envelope(t, "a@example.org", "b@example.com"), []byte("bare\nLF\r\n"))
	if res == nil || res.Err != ErrBadContent {
		t.Fatalf("bare LF content: %+v", res)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) != 0 {
		t.Fatalf("go-smtp got %d messages", len(b.msgs))
	}
}

func TestPythonSmtplibSendsUTF8And8BitMIME(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed; .ci/setup.d/mail-smtp.sh installs it")
	}
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b})
	host, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	body := filepath.Join(dir, "body")
	os.WriteFile(body, []byte(utf8Body), 0o600)
	script := `
import smtplib, sys
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, 'rb').read()
s = smtplib.SMTP(host, port, timeout=10)
s.ehlo('python.test')
assert s.has_extn('smtputf8') and s.has_extn('8bitmime') and s.has_extn('pipelining'), s.esmtp_features
refused = s.sendmail('jürgen@exämple.org', ['zoë@example.com', 'reject@example.com'], data,
                     mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
assert list(refused) == ['reject@example.com'] and refused['reject@example.com'][0] == 550, refused
s.quit()
`
	out, err := exec.Command(py, "-c", script, host, port, body).CombinedOutput()
	if err != nil {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	msgs := b.messages()
	if len(msgs) != 1 || string(msgs[0].Data) != utf8Body || !msgs[0].Mail.SMTPUTF8 || msgs[0].Mail.Body != Body8BitMIME {
		t.Fatalf("smtplib's message: %+v", msgs)
	}
}

// swaks sends each smuggling payload raw (--no-data-fixup) to our server:
// the message is refused whole, and no hidden second message gets in.
func TestSwaksSmugglingPayloads(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed; .ci/setup.d/mail-smtp.sh installs it")
	}
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b})
	dir := t.TempDir()
	for i, end := range smuggleEnds {
		for _, pipeline := range []bool{false, true} {
			payload := "Subject: first\r\n\r\nbody" + end + smuggled(i%2 == 0)
			file := filepath.Join(dir, "payload")
			os.WriteFile(file, []byte(payload), 0o600)
			args := []string{"--server", addr, "--from", "a@example.org", "--to", "b@example.com",
				"--helo", "swaks.test", "--data", file, "--no-data-fixup", "--timeout", "10"}
			if pipeline {
				args = append(args, "--pipeline")
			}
			out, _ := exec.Command(swaks, args...).CombinedOutput()
			if !bytes.Contains(out, []byte("<** 554 5.5.2")) {
				t.Fatalf("%q pipeline=%v: swaks did not see the refusal:\n%s", end, pipeline, out)
			}
		}
	}
	// An honest message through swaks arrives.
	out, err := exec.Command(swaks, "--server", addr, "--from", "a@example.org", "--to", "b@example.com",
		"--header", "Subject: honest", "--body", "hello", "--pipeline").CombinedOutput()
	if err != nil {
		t.Fatalf("honest swaks message: %v\n%s", err, out)
	}
	msgs := b.messages()
	if len(msgs) != 1 || !bytes.Contains(msgs[0].Data, []byte("Subject: honest")) {
		t.Fatalf("after the payloads the backend holds %d messages, want only the honest one", len(msgs))
	}
}

func postfixTool(t *testing.T, name string) string {
	for _, dir := range []string{"/usr/sbin", "/usr/lib/postfix/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("Postfix's %s not installed; .ci/setup.d/mail-smtp.sh installs postfix", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestPostfixSmtpSourceToOurServer(t *testing.T) {
	source := postfixTool(t, "smtp-source")
	b := &syncBackend{}
	addr := startServer(t, &Server{Backend: b})
	// 3 sessions, 12 messages of 2 KiB, 2 recipients each.
	out, err := exec.Command(source, "-s", "3", "-m", "12", "-l", "2048", "-r", "2", "-f", "a@example.org",
		"-t", "b@example.com", "-M", "source.test", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	msgs := b.messages()
	if len(msgs) != 12 {
		t.Fatalf("our server got %d of smtp-source's 12 messages\n%s", len(msgs), out)
	}
	for _, m := range msgs {
		if len(m.Rcpts) != 2 || !bytes.Contains(m.Data, []byte("\r\n\r\n")) {
			t.Fatalf("message %+v", m.Envelope)
		}
	}
}

func TestOurClientToPostfixSmtpSink(t *testing.T) {
	sink := postfixTool(t, "smtp-sink")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	cmd := exec.Command(sink, "-u", currentUser(), "-d", filepath.Join(dir, "%M."), addr, "10")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cc *ClientConn
	for {
		cc, err = Dial(ctx, env.Real("client"), addr, ClientConfig{Hostname: "client.test"}, nil)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("smtp-sink never answered: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES"} {
		if !cc.Session().Has(ext) {
			t.Errorf("smtp-sink offers %s; our client did not see it: %v", ext, cc.Session().Extensions())
		}
	}
	// smtp-sink offers no SMTPUTF8: an internationalized envelope is
	// refused by our client, not downgraded.
	res, err := cc.Send(ctx, envelope(t, "jürgen@exämple.org", "zoë@example.com"), []byte(utf8Body))
	if ee, ok := res.Err.(*ExtensionError); err != nil || !ok || ee.Extension != "SMTPUTF8" || ee.Reply.Enhanced != (EnhancedCode{5, 6, 7}) {
		t.Fatalf("UTF-8 envelope to a server without SMTPUTF8: %v %+v", err, res)
	}
	// An ASCII envelope with the 8-bit body needs only 8BITMIME.
	res, err = cc.Send(ctx, envelope(t, "a@example.org", "c@example.com", "b@example.com"), []byte(utf8Body))
	if err != nil || res.Err != nil || res.Accepted() != 2 {
		t.Fatalf("delivery to smtp-sink: %v %+v", err, res)
	}
	cc.Quit(ctx)
	// smtp-sink's dump file holds the envelope and then the message.
	var dumped []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(names) == 1 {
			dumped, _ = os.ReadFile(names[0])
			// The dump writes lines with LF and ends with an empty line.
			if bytes.HasSuffix(dumped, []byte(strings.ReplaceAll(utf8Body, "\r\n", "\n")+"\n")) {
				return
			}
		}
	}
	t.Fatalf("smtp-sink's dump does not end with the message (after its own Received line):\n%q", dumped)
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}
