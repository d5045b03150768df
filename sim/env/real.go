package env

// This file implements Env on the real operating system: wall-clock time,
// goroutines, crypto/rand, the default HTTP transport, real sockets and the
// system resolver. Production code gets its Env here.

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/edgelab/edgelab/model"
)

// RealConfig configures a real Env. Zero fields take the defaults shown.
type RealConfig struct {
	// Node names the machine (default: the host name).
	Node string
	// Transport sends HTTP requests (default: http.DefaultTransport).
	Transport http.RoundTripper
	// Disk is the node's storage (default: a Disk whose every call fails
	// with ErrNoDisk; use RealDisk(dir) for a directory).
	Disk Disk
	// Recorder receives action facts (default: model.Discard).
	Recorder model.Recorder
	// Resolver looks up names (default: net.DefaultResolver).
	Resolver Resolver
}

// Real returns an Env on the operating system for the named node. Facts
// are discarded and the disk is unavailable; see NewReal for more.
func Real(node string) Env { return NewReal(RealConfig{Node: node}) }

// NewReal returns an Env on the operating system configured by cfg.
func NewReal(cfg RealConfig) Env {
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Recorder == nil {
		cfg.Recorder = model.Discard
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Disk == nil {
		cfg.Disk = noDisk{}
	}
	return &realEnv{cfg: cfg}
}

type realEnv struct {
	cfg    RealConfig
	dialer net.Dialer
}

func (e *realEnv) Node() string                 { return e.cfg.Node }
func (e *realEnv) Now() time.Time               { return time.Now() }
func (e *realEnv) Sleep(d time.Duration)        { time.Sleep(d) }
func (e *realEnv) Go(name string, fn func())    { go fn() }
func (e *realEnv) NewNotifier() Notifier        { return &realNotifier{} }
func (e *realEnv) Rand() io.Reader              { return rand.Reader }
func (e *realEnv) Transport() http.RoundTripper { return e.cfg.Transport }
func (e *realEnv) Resolver() Resolver           { return e.cfg.Resolver }
func (e *realEnv) Disk() Disk                   { return e.cfg.Disk }

func (e *realEnv) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d)
}

func (e *realEnv) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	return e.dialer.DialContext(ctx, network, address)
}

func (e *realEnv) Listen(network, address string) (net.Listener, error) {
	return net.Listen(network, address)
}

func (e *realEnv) Record(name string, args ...model.Term) { e.cfg.Recorder.Record(name, args...) }

// realNotifier is the auto-reset event on goroutines: each round of waiters
// shares a channel that Notify closes.
type realNotifier struct {
	mu      sync.Mutex
	pending bool
	waiters int
	ch      chan struct{}
}

func (n *realNotifier) Wait(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	n.mu.Lock()
	if n.pending {
		n.pending = false
		n.mu.Unlock()
		return nil
	}
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	ch := n.ch
	n.waiters++
	n.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		n.mu.Lock()
		defer n.mu.Unlock()
		select {
		case <-ch:
			// Notified while leaving: the notification counts.
			return nil
		default:
		}
		n.waiters--
		return ctx.Err()
	}
}

func (n *realNotifier) Notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.waiters == 0 {
		n.pending = true
		return
	}
	close(n.ch)
	n.ch = nil
	n.waiters = 0
}
