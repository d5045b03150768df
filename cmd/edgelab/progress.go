package main

// This file is the progress report of long work (a sweep): seeds done of
// the total, the rate, the time left and the failures so far. On a
// terminal it is one line redrawn in place a few times a second; when
// stderr is a file or a pipe (a CI log, a pod's log) it is a plain line
// every progressInterval; with --quiet it is nothing. A few lines of our
// own do this: a progress library would bring more than it saves.

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Redraw and log intervals; tests shorten them.
var (
	terminalRedraw   = 100 * time.Millisecond
	progressInterval = 10 * time.Second
)

// progress reports done/total on w.
type progress struct {
	w        io.Writer
	what     string
	terminal bool
	total    int
	done     int
	failed   int
	start    time.Time
	last     time.Time
	// now is the clock (time.Now; the command line is not simulated).
	now func() time.Time
}

// newProgress returns a report of total items of what on w, or nil for
// quiet (a nil *progress does nothing).
func newProgress(w io.Writer, what string, total int, quiet bool) *progress {
	if quiet || total == 0 {
		return nil
	}
	p := &progress{w: w, what: what, total: total, terminal: isTerminal(w), now: time.Now}
	p.start = p.now()
	p.last = p.start
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// add counts one finished item.
func (p *progress) add(failed bool) {
	if p == nil {
		return
	}
	p.done++
	if failed {
		p.failed++
	}
	now := p.now()
	every := progressInterval
	if p.terminal {
		every = terminalRedraw
	}
	if p.done < p.total && now.Sub(p.last) < every {
		return
	}
	p.last = now
	switch {
	case p.terminal:
		// \r and erase-line: redraw in place; the last one ends the line.
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(now))
		if p.done == p.total {
			fmt.Fprintln(p.w)
		}
	case p.done < p.total:
		// A log gets periodic lines only: the summary says the end.
		fmt.Fprintln(p.w, p.line(now))
	}
}

// clear ends a terminal line cut short (an interrupted sweep).
func (p *progress) clear() {
	if p != nil && p.terminal && p.done < p.total {
		fmt.Fprintln(p.w)
	}
}

// line is "sweep ping: 120/1000 seeds (12%)  48.1 seeds/s  ETA 18s  2 failed".
func (p *progress) line(now time.Time) string {
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	eta := "?"
	if rate > 0 {
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		eta = roundDuration(left).String()
	}
	return fmt.Sprintf("%s: %d/%d seeds (%d%%)  %.1f seeds/s  ETA %s  %d failed",
		p.what, p.done, p.total, 100*p.done/p.total, rate, eta, p.failed)
}

// roundDuration keeps an ETA readable: seconds, or tenths under ten.
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
