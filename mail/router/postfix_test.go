package router_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/edgelab/edgelab/mail/deliver"
	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/mail/router"
)

// startPostfix runs a real Postfix (Debian's package) as a next hop on
// loopback: its own configuration and queue directory in a temporary
// directory, master(8) in the foreground as a child of the test, relaying
// everything it is given to relayTo. It returns Postfix's SMTP port. The
// test is skipped, saying why, where Postfix is not installed or cannot
// run (master(8) needs root).
func startPostfix(t testing.TB, relayTo string) int {
	postfix, err := exec.LookPath("postfix")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/postfix"); err2 != nil {
			t.Skip("postfix is not installed (Debian package postfix): no Postfix next-hop test")
		}
		postfix = "/usr/sbin/postfix"
	}
	if os.Geteuid() != 0 {
		t.Skip("postfix's master(8) runs only as root: no Postfix next-hop test")
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Skip("no postfix user (the package is not set up): no Postfix next-hop test")
	}
	uid, _ := strconv.Atoi(owner.Uid)
	out, err := exec.Command(filepath.Join(filepath.Dir(postfix), "postconf"), "-dh", "daemon_directory").Output()
	if err != nil {
		t.Skipf("postconf: %v", err)
	}
	daemons := strings.TrimSpace(string(out))
	// Postfix's daemons drop to the postfix user, which must reach the
	// queue: a directory of our own, open to traverse.
	dir, err := os.MkdirTemp("", "postfix-hop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chown(filepath.Join(dir, "data"), uid, -1)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	relayHost, relayPort, err := net.SplitHostPort(relayTo)
	if err != nil {
		t.Fatal(err)
	}
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
daemon_directory = %[2]s
mail_owner = postfix
myhostname = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [%[3]s]:%[4]s
smtp_dns_support_level = disabled
smtp_host_lookup = native
# Mail from loopback is not "local": no header rewriting or additions.
local_header_rewrite_clients =
# Pass 8-bit and UTF-8 mail on as it came.
disable_mime_output_conversion = yes
smtputf8_enable = yes
maillog_file_prefixes = %[1]s
maillog_file = %[1]s/maillog
alias_maps =
alias_database =
biff = no
`, dir, daemons, relayHost, relayPort)
	masterCF := fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`, port)
	for name, text := range map[string]string{"main.cf": mainCF, "master.cf": masterCF} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	maillog := func() string { b, _ := os.ReadFile(filepath.Join(dir, "maillog")); return string(b) }
	// check creates the queue's directories with their owners.
	if out, err := exec.Command(postfix, "-c", dir, "check").CombinedOutput(); err != nil {
		t.Fatalf("postfix check: %v\n%s%s", err, out, maillog())
	}
	master := exec.Command(filepath.Join(daemons, "master"), "-c", dir, "-d")
	master.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	master.Stderr = &stderr
	if err := master.Start(); err != nil {
		t.Fatalf("postfix master: %v", err)
	}
	exited := make(chan struct{})
	go func() { master.Wait(); close(exited) }()
	t.Cleanup(func() {
		// master passes SIGTERM on to its daemons; the process group is
		// killed if it does not end in time, so nothing outlives the test.
		master.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-master.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("postfix maillog:\n%s", maillog())
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.Dial("tcp4", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("postfix master exited: %s\n%s", stderr.String(), maillog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix never listened on %s: %s\n%s", addr, stderr.String(), maillog())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port
}

// tap records what the router's SMTP client is given to send.
type tap struct {
	mu   sync.Mutex
	sent [][]byte
}

type tapSession struct {
	deliver.Session
	t *tap
}

func (s tapSession) Send(ctx context.Context, env *deliver.Envelope, data []byte) ([]reply.Reply, error) {
	s.t.mu.Lock()
	s.t.sent = append(s.t.sent, bytes.Clone(data))
	s.t.mu.Unlock()
	return s.Session.Send(ctx, env, data)
}

func (tp *tap) wrap(open deliver.Opener) deliver.Opener {
	return func(ctx context.Context, conn net.Conn, host string) (deliver.Session, error) {
		s, err := open(ctx, conn, host)
		if err != nil {
			return nil, err
		}
		return tapSession{s, tp}, nil
	}
}

// TestPostfixAsNextHop: the router relays an SMTPUTF8, 8-bit message with
// lines that need dot-stuffing to a real Postfix on loopback, which relays
// it on to a sink. What arrives is, after the one Received field Postfix
// puts on top, byte for byte what the router sent (its own header fields
// and signature, then the sender's message unchanged).
func TestPostfixAsNextHop(t *testing.T) {
	tp := &tap{}
	w := newWorldOpts(t, router.Relay, worldOpts{sinkUTF8: true, hop: func(sink string) int { return startPostfix(t, sink) }, open: tp.wrap})
	msg := strings.Replace(msgText, "Subject: hello", "Subject: héllo wörld ✓", 1) +
		".\r\n..\r\n. leading dot and space\r\nnaïve café, 8-bit ÿ\r\ntrailing blanks   \r\n\ttab first\r\n"
	c, err := gosmtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.sender.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("s@sender.example", &gosmtp.MailOptions{UTF8: true, Body: gosmtp.Body8BitMIME}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("alice@ours.example", nil); err != nil {
		t.Fatal(err)
	}
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	wc.Write([]byte(msg))
	if err := wc.Close(); err != nil {
		t.Fatalf("relayed through Postfix: %v", err)
	}
	c.Quit()
	var got []byte
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if msgs := w.sink.Messages(); len(msgs) > 0 {
			if len(msgs) != 1 || msgs[0].To[0] != "alice@mailbox.example" || !strings.HasPrefix(msgs[0].From, "SRS0=") {
				t.Fatalf("Postfix passed on %+v", msgs)
			}
			got = msgs[0].Data
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing came out of Postfix")
		}
	}
	tp.mu.Lock()
	sent := tp.sent
	tp.mu.Unlock()
	if len(sent) != 1 || !bytes.HasSuffix(sent[0], []byte(msg)) {
		t.Fatalf("the router sent %d messages, the last not ending with the sender's", len(sent))
	}
	// Postfix's Received field: its first line and the folded ones.
	rest := got
	if !bytes.HasPrefix(rest, []byte("Received: ")) || !bytes.Contains(rest, []byte("(Postfix)")) {
		t.Fatalf("no Postfix Received field on top:\n%q", got)
	}
	for {
		i := bytes.Index(rest, []byte("\r\n"))
		rest = rest[i+2:]
		if len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			break
		}
	}
	if !bytes.Equal(rest, sent[0]) {
		t.Errorf("what came out of Postfix differs from what the router sent:\n got %q\nsent %q", rest, sent[0])
	}
}
