package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// MemDisk is a simulated Disk held in memory, with the durability rules of
// a POSIX file system made explicit: a file's writes reach stable storage
// only through File.Sync, and a creation, rename or removal only through
// SyncDir of the directory holding the name (for a rename, of both
// directories). Crash throws away everything else, so a service that
// forgets an fsync loses data in the simulator the way it would on a real
// machine that loses power.
//
// A MemDisk is not safe for concurrent use: the simulation kernel runs one
// task at a time. It does no I/O, starts no goroutines, and draws
// randomness only from the *rand.Rand it is given, so it is deterministic.
type MemDisk struct {
	now     func() time.Time
	rng     *rand.Rand
	faults  DiskFaults
	onFault func(op, name string)

	root *inode
	// gen counts crashes; a File remembers the generation it was opened in
	// and stops working once the disk has crashed under it.
	gen uint64
}

// DiskConfig configures a MemDisk.
type DiskConfig struct {
	// Now supplies modification times (the node's clock). Nil means the
	// zero time.
	Now func() time.Time
	// Rand decides injected faults. It is required when Faults inject any
	// read, write or sync errors.
	Rand *rand.Rand
	// Faults are the initial fault probabilities; see SetFaults.
	Faults DiskFaults
	// OnFault, if set, is told about every injected error (op is "read",
	// "write" or "sync") so the kernel can record it in the trace.
	OnFault func(op, name string)
}

// DiskFaults are per-operation fault probabilities, each in [0, 1].
type DiskFaults struct {
	// ReadErrorProb is the chance that a read (File.Read, File.ReadAt,
	// ReadFile) fails with ErrInjectedIO.
	ReadErrorProb float64 `json:"read_error_prob,omitempty"`
	// WriteErrorProb is the chance that File.Write fails with
	// ErrInjectedIO, writing nothing.
	WriteErrorProb float64 `json:"write_error_prob,omitempty"`
	// SyncErrorProb is the chance that File.Sync or SyncDir fails with
	// ErrInjectedIO, making nothing durable.
	SyncErrorProb float64 `json:"sync_error_prob,omitempty"`
	// TornWriteProb is the chance, per file with unsynced writes, that
	// Crash keeps a strict prefix of the file's last unsynced write.
	TornWriteProb float64 `json:"torn_write_prob,omitempty"`
	// SyncLatency is how long File.Sync takes in virtual time on a
	// simulated node's disk: the caller sleeps that long, then the file's
	// content becomes durable, so a crash inside the sync loses (or tears)
	// what it was making durable. A bare MemDisk has no clock and ignores
	// it; nodeDisk (node_disk.go) applies it.
	SyncLatency Duration `json:"sync_latency,omitempty"`
	// PowerFailProb is the chance, per File.Sync on a simulated node's
	// disk, that the power fails while the sync runs (after its
	// SyncLatency, just before it completes): the node crashes with the
	// writes the sync was to cover unsynced (lost, or torn by
	// TornWriteProb), and boots again PowerFailReboot later. It is the
	// moment at which a store that acknowledges early loses what it
	// acknowledged. A bare MemDisk ignores it.
	PowerFailProb float64 `json:"power_fail_prob,omitempty"`
}

func (f DiskFaults) validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"read_error_prob", f.ReadErrorProb},
		{"write_error_prob", f.WriteErrorProb},
		{"sync_error_prob", f.SyncErrorProb},
		{"torn_write_prob", f.TornWriteProb},
		{"power_fail_prob", f.PowerFailProb},
	} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			return fmt.Errorf("sim: disk fault %s = %v, want a probability in [0, 1]", p.name, p.v)
		}
	}
	if f.SyncLatency < 0 || f.SyncLatency.D() > MaxSyncLatency {
		return fmt.Errorf("sim: disk sync_latency %v, want 0 to %v", f.SyncLatency.D(), MaxSyncLatency)
	}
	return nil
}

// MaxSyncLatency bounds DiskFaults.SyncLatency: a disk slower than this
// is a dead disk, which a crash models better.
const MaxSyncLatency = time.Minute

// PowerFailReboot is how long a node whose power failed during a sync
// (DiskFaults.PowerFailProb) stays down.
const PowerFailReboot = 2 * time.Second

func (f DiskFaults) needRand() bool {
	return f.ReadErrorProb > 0 || f.WriteErrorProb > 0 || f.SyncErrorProb > 0 || f.PowerFailProb > 0
}

// NewMemDisk returns an empty disk whose root directory exists and is
// durable.
func NewMemDisk(cfg DiskConfig) (*MemDisk, error) {
	d := &MemDisk{now: cfg.Now, rng: cfg.Rand, onFault: cfg.OnFault}
	if err := d.SetFaults(cfg.Faults); err != nil {
		return nil, err
	}
	d.root = newDir(d.clock())
	return d, nil
}

// SetFaults replaces the fault probabilities, so a plan can make a disk
// start or stop failing at a given virtual time.
func (d *MemDisk) SetFaults(f DiskFaults) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.needRand() && d.rng == nil {
		return errors.New("sim: disk faults inject I/O errors but DiskConfig.Rand is nil")
	}
	d.faults = f
	return nil
}

// Faults returns the fault probabilities in force.
func (d *MemDisk) Faults() DiskFaults { return d.faults }

func (d *MemDisk) clock() time.Time {
	if d.now == nil {
		return time.Time{}
	}
	return d.now()
}

// inject decides whether op on name fails. It draws from the rng only when
// the probability is positive, so a fault-free disk consumes no randomness.
func (d *MemDisk) inject(op, name string, prob float64) error {
	if prob <= 0 || d.rng.Float64() >= prob {
		return nil
	}
	if d.onFault != nil {
		d.onFault(op, name)
	}
	return pathErr(op, name, ErrInjectedIO)
}

// walk resolves the directory holding name and name's last element.
func (d *MemDisk) walk(name string) (parent *inode, base string, err error) {
	dir := d.root
	elems := strings.Split(name, "/")
	for _, e := range elems[:len(elems)-1] {
		next, ok := dir.entries[e]
		if !ok {
			return nil, "", fs.ErrNotExist
		}
		if !next.isDir {
			return nil, "", ErrNotDir
		}
		dir = next
	}
	return dir, elems[len(elems)-1], nil
}

// lookup resolves name ("." is the root) to its inode.
func (d *MemDisk) lookup(name string) (*inode, error) {
	if name == "." {
		return d.root, nil
	}
	parent, base, err := d.walk(name)
	if err != nil {
		return nil, err
	}
	n, ok := parent.entries[base]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return n, nil
}

const (
	accessMask = os.O_RDONLY | os.O_WRONLY | os.O_RDWR
	knownFlags = accessMask | os.O_CREATE | os.O_EXCL | os.O_TRUNC | os.O_APPEND
)

// OpenFile opens name with os.O_* flags. Flags outside O_RDONLY, O_WRONLY,
// O_RDWR, O_CREATE, O_EXCL, O_TRUNC and O_APPEND are rejected rather than
// ignored, so that no one relies on, say, O_SYNC semantics it lacks.
func (d *MemDisk) OpenFile(name string, flag int) (env.File, error) {
	const op = "open"
	if err := checkName(name, false); err != nil {
		return nil, pathErr(op, name, err)
	}
	access := flag & accessMask
	if flag&^knownFlags != 0 {
		return nil, pathErr(op, name, fmt.Errorf("%w %#x (supported: O_RDONLY, O_WRONLY, O_RDWR, O_CREATE, O_EXCL, O_TRUNC, O_APPEND)", ErrBadFlag, flag&^knownFlags))
	}
	if access != os.O_RDONLY && access != os.O_WRONLY && access != os.O_RDWR {
		return nil, pathErr(op, name, fmt.Errorf("%w: O_WRONLY and O_RDWR together", ErrBadFlag))
	}
	if flag&os.O_TRUNC != 0 && access == os.O_RDONLY {
		return nil, pathErr(op, name, fmt.Errorf("%w: O_TRUNC on a read-only open", ErrBadFlag))
	}
	parent, base, err := d.walk(name)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	n, exists := parent.entries[base]
	switch {
	case exists && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr(op, name, fs.ErrExist)
	case exists && n.isDir:
		return nil, pathErr(op, name, ErrIsDir)
	case !exists && flag&os.O_CREATE == 0:
		return nil, pathErr(op, name, fs.ErrNotExist)
	case !exists:
		n = newFile(d.clock())
		parent.entries[base] = n
	}
	if flag&os.O_TRUNC != 0 {
		n.truncate()
		n.modTime = d.clock()
	}
	return &memFile{
		disk:   d,
		node:   n,
		name:   name,
		gen:    d.gen,
		read:   access != os.O_WRONLY,
		write:  access != os.O_RDONLY,
		append: flag&os.O_APPEND != 0,
	}, nil
}

// ReadFile returns a copy of name's visible content.
func (d *MemDisk) ReadFile(name string) ([]byte, error) {
	const op = "open"
	if err := checkName(name, false); err != nil {
		return nil, pathErr(op, name, err)
	}
	n, err := d.lookup(name)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	if n.isDir {
		return nil, pathErr("read", name, ErrIsDir)
	}
	if err := d.inject("read", name, d.faults.ReadErrorProb); err != nil {
		return nil, err
	}
	return slices.Clone(n.data), nil
}

// Rename moves oldname to newname, replacing a file or empty directory
// there, as rename(2) does. It is durable once both directories are synced.
func (d *MemDisk) Rename(oldname, newname string) error {
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	if err := checkName(oldname, false); err != nil {
		return fail(err)
	}
	if err := checkName(newname, false); err != nil {
		return fail(err)
	}
	oldParent, oldBase, err := d.walk(oldname)
	if err != nil {
		return fail(err)
	}
	n, ok := oldParent.entries[oldBase]
	if !ok {
		return fail(fs.ErrNotExist)
	}
	newParent, newBase, err := d.walk(newname)
	if err != nil {
		return fail(err)
	}
	if n.isDir && strings.HasPrefix(newname, oldname+"/") {
		return fail(fmt.Errorf("%w: cannot move directory %q into itself", ErrInvalidName, oldname))
	}
	if target, ok := newParent.entries[newBase]; ok {
		switch {
		case target == n:
			return nil // same file: rename(2) does nothing
		case n.isDir && !target.isDir:
			return fail(ErrNotDir)
		case !n.isDir && target.isDir:
			return fail(ErrIsDir)
		case target.isDir && len(target.entries) > 0:
			return fail(ErrNotEmpty)
		}
	}
	delete(oldParent.entries, oldBase)
	newParent.entries[newBase] = n
	return nil
}

// Remove removes a file or an empty directory.
func (d *MemDisk) Remove(name string) error {
	const op = "remove"
	if err := checkName(name, false); err != nil {
		return pathErr(op, name, err)
	}
	parent, base, err := d.walk(name)
	if err != nil {
		return pathErr(op, name, err)
	}
	n, ok := parent.entries[base]
	if !ok {
		return pathErr(op, name, fs.ErrNotExist)
	}
	if n.isDir && len(n.entries) > 0 {
		return pathErr(op, name, ErrNotEmpty)
	}
	delete(parent.entries, base)
	return nil
}

// ReadDir lists the names in dir ("." is the root), sorted.
func (d *MemDisk) ReadDir(dir string) ([]string, error) {
	const op = "readdir"
	if err := checkName(dir, true); err != nil {
		return nil, pathErr(op, dir, err)
	}
	n, err := d.lookup(dir)
	if err != nil {
		return nil, pathErr(op, dir, err)
	}
	if !n.isDir {
		return nil, pathErr(op, dir, ErrNotDir)
	}
	names := make([]string, 0, len(n.entries))
	for name := range n.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll creates dir and any missing parents. Each new directory is a
// new name in its parent, durable only after SyncDir of that parent.
func (d *MemDisk) MkdirAll(dir string) error {
	const op = "mkdir"
	if err := checkName(dir, true); err != nil {
		return pathErr(op, dir, err)
	}
	if dir == "." {
		return nil
	}
	n := d.root
	for e := range strings.SplitSeq(dir, "/") {
		next, ok := n.entries[e]
		if !ok {
			next = newDir(d.clock())
			n.entries[e] = next
		} else if !next.isDir {
			return pathErr(op, dir, ErrNotDir)
		}
		n = next
	}
	return nil
}

// SyncDir makes the current entries of dir durable: creations, renames
// into and out of it, and removals.
func (d *MemDisk) SyncDir(dir string) error {
	const op = "sync"
	if err := checkName(dir, true); err != nil {
		return pathErr(op, dir, err)
	}
	n, err := d.lookup(dir)
	if err != nil {
		return pathErr(op, dir, err)
	}
	if !n.isDir {
		return pathErr(op, dir, ErrNotDir)
	}
	if err := d.inject(op, dir, d.faults.SyncErrorProb); err != nil {
		return err
	}
	n.durable = make(map[string]*inode, len(n.entries))
	for name, child := range n.entries {
		n.durable[name] = child
	}
	return nil
}

var _ env.Disk = (*MemDisk)(nil)
