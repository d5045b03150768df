// Package env is the seam between edgelab's services and the world they
// run in: Env, through which all service code reaches time, randomness, the
// network, names, disks and the trace, and its implementation on the real
// operating system (Real, RealDisk). The deterministic simulator in package
// sim implements the same interface in virtual time under injected faults.
//
// Service code takes an Env and never calls time.Now, time.Sleep,
// crypto/rand, net.Dial or the go statement itself. The same code then runs
// unchanged in production and, byte for byte reproducibly, in a simulation.
// Services import this package and never the simulator.
package env

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/edgelab/edgelab/model"
)

// Env is everything a service may use of the outside world.
type Env interface {
	// Node names the machine the code runs on ("relay", "client-3").
	Node() string

	// Now is this node's clock. In a simulation it is virtual time as seen
	// through the node's clock offset, drift and jumps.
	Now() time.Time
	// Sleep blocks the calling task for d of virtual (or real) time. A
	// simulated node's timers run at its clock's rate: with drift, d of
	// the node's time is Clock.VirtualDuration(d) of virtual time.
	Sleep(d time.Duration)
	// WithTimeout is context.WithTimeout whose deadline is measured on this
	// Env's timeline rather than the wall clock (at the clock's rate, as
	// Sleep).
	WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc)

	// Go starts fn as a new task on this node. In a simulation tasks run
	// one at a time and switch only inside Env calls.
	Go(name string, fn func())
	// NewNotifier returns a wait/notify primitive for tasks on this node.
	NewNotifier() Notifier

	// Rand is this node's source of randomness. In a simulation it is a
	// deterministic stream derived from the seed.
	Rand() io.Reader

	// Transport sends HTTP requests from this node.
	Transport() http.RoundTripper
	// Dial opens a stream connection ("tcp", "tcp4", "tcp6").
	Dial(ctx context.Context, network, address string) (net.Conn, error)
	// Listen opens a stream listener on this node.
	Listen(network, address string) (net.Listener, error)
	// Resolver looks up names; its methods are those of *net.Resolver.
	Resolver() Resolver

	// Disk is this node's persistent storage.
	Disk() Disk

	// Record appends an action fact to the trace.
	Record(name string, args ...model.Term)
}

// Notifier is an auto-reset event. Notify wakes every task blocked in Wait;
// if none is waiting, the next Wait returns at once. Wakeups may be
// spurious: callers re-check their state.
//
// With one waiting task per Notifier, a notification is never lost, so the
// check-state-then-Wait loop is safe without holding a lock across Wait.
// With several, it is not on real goroutines: a Notify that lands while one
// task is already blocked and another is between its check and its Wait
// wakes only the first, and the second sleeps through it. Give each
// waiting task its own Notifier (as the mail spool does) or wait with a
// timeout. In a simulation tasks switch only inside Env calls, so there is
// no such gap, but code must be written for both.
type Notifier interface {
	Wait(ctx context.Context) error
	Notify()
}

// Resolver is the method set of *net.Resolver that edgelab's services and
// the libraries they use (blitiri.com.ar/go/spf) rely on.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Disk is a node's file system, reduced to what durable services need and
// with explicit durability: data reaches stable storage only through
// File.Sync, and a new or renamed name only through SyncDir of its
// directory. Names are slash-separated and relative to the disk's root.
type Disk interface {
	// OpenFile opens name with os.O_* flags (O_RDONLY, O_WRONLY, O_RDWR,
	// O_CREATE, O_EXCL, O_TRUNC, O_APPEND).
	OpenFile(name string, flag int) (File, error)
	ReadFile(name string) ([]byte, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	// ReadDir lists the names in dir, sorted.
	ReadDir(dir string) ([]string, error)
	MkdirAll(dir string) error
	// SyncDir makes creations, renames and removals in dir durable.
	SyncDir(dir string) error
}

// File is an open file on a Disk.
type File interface {
	io.Reader
	io.Writer
	io.ReaderAt
	io.Closer
	Sync() error
	Stat() (os.FileInfo, error)
}
