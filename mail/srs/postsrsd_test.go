package srs

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort asks the kernel for a loopback port nobody uses.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// postsrsdQuery speaks Postfix's TCP table protocol: "get KEY", answered
// "200 VALUE" (or 500 with a reason), both %-encoded.
func postsrsdQuery(t *testing.T, port int, key string) (string, error) {
	t.Helper()
	var c net.Conn
	var err error
	for range 50 { // postsrsd may still be binding
		if c, err = net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("postsrsd does not answer on %d: %v", port, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "get %s\n", url.PathEscape(key))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("postsrsd reply: %v", err)
	}
	code, val, _ := strings.Cut(strings.TrimSpace(line), " ")
	val, _ = url.PathUnescape(val)
	if code != "200" {
		return "", fmt.Errorf("postsrsd %s %s", code, val)
	}
	return val, nil
}

// startPostsrsd runs Debian's postsrsd on loopback with a temporary secret
// and the given first separator, and returns its forward and reverse
// table ports.
func startPostsrsd(t *testing.T, secret string, sep byte) (fwd, rev int) {
	t.Helper()
	bin, err := exec.LookPath("postsrsd")
	if err != nil {
		t.Skip("postsrsd is not installed; skipping the agreement test")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fwd, rev = freePort(t), freePort(t)
	cmd := exec.Command(bin, "-s"+filepath.Join(dir, "secret"), "-dforward.example", "-l127.0.0.1", "-4",
		"-a"+string(sep), fmt.Sprintf("-f%d", fwd), fmt.Sprintf("-r%d", rev))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return fwd, rev
}

// Our rewriter and Debian's postsrsd turn the same addresses into the
// same SRS addresses and back, each reading the other's. postsrsd stamps
// with the wall clock, so the test gives our rewriter the wall clock's
// time too.
func TestAgreesWithPostsrsd(t *testing.T) {
	const secret = "edgelab-test-secret"
	fwd, rev := startPostsrsd(t, secret, '=')
	ours := &Rewriter{Domain: "forward.example", Secrets: [][]byte{[]byte(secret)}}
	for _, sender := range []string{"test@otherdomain.com", "Mixed.Case+tag@Example.ORG", "a=b@x.example"} {
		now := time.Now()
		theirs, err := postsrsdQuery(t, fwd, sender)
		if err != nil {
			t.Fatalf("postsrsd forward %s: %v", sender, err)
		}
		mine, err := ours.Forward(sender, now)
		if err != nil {
			t.Fatal(err)
		}
		if mine != theirs {
			t.Errorf("forward %s: ours %s, postsrsd %s", sender, mine, theirs)
		}
		// each reverses the other's
		if back, err := ours.Reverse(theirs, now); err != nil || back != sender {
			t.Errorf("we reverse postsrsd's %s to %q, %v", theirs, back, err)
		}
		if back, err := postsrsdQuery(t, rev, mine); err != nil || back != sender {
			t.Errorf("postsrsd reverses our %s to %q, %v", mine, back, err)
		}
	}
	// SRS1: postsrsd forwarding an SRS0 address of another forwarder.
	other := &Rewriter{Domain: "first.example", Secrets: [][]byte{[]byte("first")}}
	srs0, _ := other.Forward("u@orig.example", time.Now())
	theirs, err := postsrsdQuery(t, fwd, srs0)
	if err != nil {
		t.Fatal(err)
	}
	if mine, _ := ours.Forward(srs0, time.Now()); mine != theirs {
		t.Errorf("SRS1: ours %s, postsrsd %s", mine, theirs)
	}
	if back, err := ours.Reverse(theirs, time.Now()); err != nil || back != srs0 {
		t.Errorf("we reverse postsrsd's SRS1 %s to %q, %v", theirs, back, err)
	}
	// a forged hash is refused by both
	forged := strings.Replace(theirs, theirs[5:9], "AAAA", 1)
	if _, err := postsrsdQuery(t, rev, forged); err == nil {
		t.Errorf("postsrsd accepted forged %s", forged)
	}
	if _, err := ours.Reverse(forged, time.Now()); err == nil {
		t.Errorf("we accepted forged %s", forged)
	}
}

// The first separator may be '=', '+' or '-'; postsrsd writes the one it
// is given and reads all three, and so do we.
func TestSeparatorsAgreeWithPostsrsd(t *testing.T) {
	const secret = "edgelab-test-secret"
	for _, sep := range []byte{'+', '-'} {
		fwd, rev := startPostsrsd(t, secret, sep)
		ours := &Rewriter{Domain: "forward.example", Secrets: [][]byte{[]byte(secret)}, Separator: sep}
		now := time.Now()
		theirs, err := postsrsdQuery(t, fwd, "test@otherdomain.com")
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := ours.Forward("test@otherdomain.com", now)
		if mine != theirs || mine[4] != sep {
			t.Errorf("separator %c: ours %s, postsrsd %s", sep, mine, theirs)
		}
		plain := &Rewriter{Domain: "forward.example", Secrets: [][]byte{[]byte(secret)}}
		if back, err := plain.Reverse(theirs, now); err != nil || back != "test@otherdomain.com" {
			t.Errorf("separator %c: we reverse %s to %q, %v", sep, theirs, back, err)
		}
		eq, _ := plain.Forward("test@otherdomain.com", now)
		if back, err := postsrsdQuery(t, rev, eq); err != nil || back != "test@otherdomain.com" {
			t.Errorf("separator %c: postsrsd reverses our %s to %q, %v", sep, eq, back, err)
		}
	}
}
