//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its master and slave ends.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("opening the pty's slave: %v", err)
	}
	return m, s
}

var progressLine = regexp.MustCompile(`sweep ping: (\d+)/24 seeds \(\d+%\)  [0-9.]+ seeds/s  ETA ([0-9.]+(ms|s|m[0-9.]*s)|0s)  \d+ failed`)

// TestSweepProgressOnATerminal: under a pseudo-terminal, a sweep redraws
// one progress line in place, with done/total, rate, ETA and failures.
func TestSweepProgressOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	redraw := terminalRedraw
	terminalRedraw = 0
	defer func() { terminalRedraw = redraw }()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the slave closes
		got <- b
	}()
	var out bytes.Buffer
	code := run([]string{"sweep", "--world", "ping", "--seeds", "1..24", "--jobs", "2", "--out", t.TempDir()}, &out, slave)
	slave.Close()
	tty := string(<-got)
	if code > 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(tty, "\r\033[K") {
		t.Fatalf("no in-place redraw:\n%q", tty)
	}
	lines := progressLine.FindAllStringSubmatch(tty, -1)
	if len(lines) < 2 || lines[len(lines)-1][1] != "24" {
		t.Fatalf("progress lines %q in\n%q", lines, tty)
	}
	if !strings.HasPrefix(out.String(), "seed ") && !strings.HasPrefix(out.String(), "world ping") {
		t.Fatalf("stdout:\n%s", out.String())
	}
}

// TestSweepProgressInALog: when stderr is not a terminal, progress is
// plain periodic lines (no escape codes); --quiet prints nothing.
func TestSweepProgressInALog(t *testing.T) {
	interval := progressInterval
	progressInterval = 0
	defer func() { progressInterval = interval }()
	var out, errb bytes.Buffer
	run([]string{"sweep", "--world", "ping", "--seeds", "1..24", "--out", t.TempDir()}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if strings.ContainsAny(errb.String(), "\r\033") || len(lines) != 23 || !progressLine.MatchString(lines[0]) {
		t.Fatalf("log progress:\n%q", errb.String())
	}
	errb.Reset()
	run([]string{"sweep", "--world", "ping", "--seeds", "1..24", "--quiet", "--out", t.TempDir()}, &out, &errb)
	if errb.Len() != 0 {
		t.Fatalf("--quiet printed %q", errb.String())
	}
}
