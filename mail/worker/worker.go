// Package worker is the interface of programmable routes: Go code that a
// rule hands a message to, which sees the envelope and the message and
// decides to forward (to verified destinations), reject with a reason, or
// drop, adding headers on the way. Run calls a worker so that a panic, an
// error or a timeout becomes a temporary failure (4xx: the sender keeps
// the message and retries) and never a lost message.
package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/edgelab/edgelab/mail/reply"
	"github.com/edgelab/edgelab/sim/env"
)

// Message is what a worker sees. It must not change Data.
type Message struct {
	From string // reverse path, "" for the null sender
	To   string // the recipient the rule matched
	Data []byte // the message as received
	Rule string // the rule's ID
}

// Verdicts a worker returns.
const (
	Forward = "forward"
	Reject  = "reject"
	Drop    = "drop"
)

// Verdict is a worker's decision.
type Verdict struct {
	Action string
	// To lists forward destinations; each must be a verified destination,
	// or the router refuses it.
	To []string
	// Reason is the text of a reject.
	Reason string
	// Headers are added at the top of the message ("Name: value" each,
	// without CRLF).
	Headers []string
}

// Worker is a programmable route.
type Worker interface {
	Handle(ctx context.Context, m *Message) (Verdict, error)
}

// Func adapts a function to Worker.
type Func func(ctx context.Context, m *Message) (Verdict, error)

// Handle calls f.
func (f Func) Handle(ctx context.Context, m *Message) (Verdict, error) { return f(ctx, m) }

// Run calls w with a deadline of timeout on e's clock. A panic, an error,
// a missed deadline or an unknown verdict is a 451 4.3.0 *reply.Reply.
func Run(ctx context.Context, e env.Env, w Worker, m *Message, timeout time.Duration) (Verdict, error) {
	if w == nil {
		return Verdict{}, reply.New(451, "4.3.0", "worker not available")
	}
	ctx, cancel := e.WithTimeout(ctx, timeout)
	defer cancel()
	type outcome struct {
		v   Verdict
		err error
	}
	var (
		mu   sync.Mutex
		got  outcome
		done bool
	)
	n := e.NewNotifier()
	// The worker runs on its own task so a worker that ignores ctx cannot
	// hold the session past the deadline.
	e.Go("worker", func() {
		defer func() {
			p := recover()
			mu.Lock()
			if p != nil {
				got = outcome{err: fmt.Errorf("worker panicked: %v", p)}
			}
			done = true
			mu.Unlock()
			n.Notify()
		}()
		v, err := w.Handle(ctx, m)
		mu.Lock()
		got = outcome{v, err}
		mu.Unlock()
	})
	for {
		mu.Lock()
		finished := done
		mu.Unlock()
		if finished {
			break
		}
		if err := n.Wait(ctx); err != nil {
			return Verdict{}, reply.New(451, "4.3.0", "worker timed out")
		}
	}
	if got.err != nil {
		return Verdict{}, reply.New(451, "4.3.0", "worker failed: %v", got.err)
	}
	switch got.v.Action {
	case Forward, Reject, Drop:
	default:
		return Verdict{}, reply.New(451, "4.3.0", "worker returned unknown action %q", got.v.Action)
	}
	for _, h := range got.v.Headers {
		if !validHeader(h) {
			return Verdict{}, reply.New(451, "4.3.0", "worker added a malformed header")
		}
	}
	return got.v, nil
}

func validHeader(h string) bool {
	colon := -1
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c == '\r' || c == '\n' || c == 0 {
			return false
		}
		if c == ':' && colon < 0 {
			colon = i
		}
		if colon < 0 && (c <= 32 || c >= 127) {
			return false
		}
	}
	return colon > 0
}
