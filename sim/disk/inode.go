package disk

import (
	"math/rand/v2"
	"slices"
	"time"
)

// inode is a file or a directory of a MemDisk. Like a real file system,
// names live in directories and point to inodes, so a file renamed in one
// directory and not yet removed from another (neither directory synced the
// same way) can come back under both names after a crash: it is the same
// file, as with a hard link.
type inode struct {
	isDir   bool
	modTime time.Time

	// Directories: the entries visible now, and those that survive a
	// crash (as of the last SyncDir).
	entries map[string]*inode
	durable map[string]*inode

	// Files: the content visible now and the content on stable storage.
	data   []byte
	synced []byte
	// data[dirtyLo:dirtyHi] may differ from synced, and every byte of
	// data past len(synced) lies inside it; outside that range the two
	// agree. Sync copies only this range, so an append-and-sync log costs
	// O(record), not O(file).
	dirtyLo, dirtyHi int
	// The most recent unsynced write, which a crash may tear. Its bytes
	// are data[lastOff:lastOff+lastLen]: nothing has overwritten them,
	// since any later write would have become the last one and a
	// truncation clears it.
	hasLast          bool
	lastOff, lastLen int
}

func newDir(now time.Time) *inode {
	return &inode{isDir: true, modTime: now, entries: map[string]*inode{}, durable: map[string]*inode{}}
}

func newFile(now time.Time) *inode { return &inode{modTime: now} }

// writeAt writes p at off, zero-filling any gap past the end, as pwrite does.
func (n *inode) writeAt(p []byte, off int) {
	end := off + len(p)
	oldLen := len(n.data)
	if end > oldLen {
		n.data = slices.Grow(n.data, end-oldLen)[:end]
		// Capacity kept from an earlier truncation holds old bytes.
		clear(n.data[oldLen:end])
	}
	copy(n.data[off:], p)
	n.markDirty(min(off, oldLen), end)
	n.hasLast, n.lastOff, n.lastLen = len(p) > 0, off, len(p)
}

func (n *inode) markDirty(lo, hi int) {
	if lo >= hi {
		return
	}
	if n.dirtyLo == n.dirtyHi {
		n.dirtyLo, n.dirtyHi = lo, hi
		return
	}
	n.dirtyLo, n.dirtyHi = min(n.dirtyLo, lo), max(n.dirtyHi, hi)
}

// truncate empties the file (O_TRUNC). Until the next Sync the old
// content is still what a crash leaves behind.
func (n *inode) truncate() {
	n.data = n.data[:0]
	n.dirtyLo, n.dirtyHi = 0, 0
	n.hasLast = false
}

// sync makes the visible content durable.
func (n *inode) sync() {
	size := len(n.data)
	if size > len(n.synced) {
		n.synced = slices.Grow(n.synced, size-len(n.synced))
	}
	// Bytes exposed by re-extending synced are inside the dirty range
	// (invariant above) and get overwritten right away.
	n.synced = n.synced[:size]
	copy(n.synced[n.dirtyLo:n.dirtyHi], n.data[n.dirtyLo:n.dirtyHi])
	n.dirtyLo, n.dirtyHi = 0, 0
	n.hasLast = false
}

// crash reverts the file to its durable content. With probability tornProb
// (and a non-nil rng) a strict, non-empty prefix of the last unsynced write
// lands on top of it, as when power fails while the disk is writing it;
// crash reports whether that happened.
func (n *inode) crash(rng *rand.Rand, tornProb float64) (torn bool) {
	var kept []byte
	off := 0
	if n.hasLast && n.lastLen >= 2 && rng != nil && tornProb > 0 && rng.Float64() < tornProb {
		keep := 1 + rng.IntN(n.lastLen-1)
		off = n.lastOff
		kept = slices.Clone(n.data[off : off+keep])
	}
	n.data = append(n.data[:0], n.synced...)
	n.dirtyLo, n.dirtyHi = 0, 0
	n.hasLast = false
	if kept == nil {
		return false
	}
	n.writeAt(kept, off)
	n.sync() // what reached the platter is what the disk now holds
	return true
}

// clone deep-copies the subtree at n, preserving shared inodes through seen.
func (n *inode) clone(seen map[*inode]*inode) *inode {
	if c, ok := seen[n]; ok {
		return c
	}
	c := &inode{isDir: n.isDir, modTime: n.modTime}
	seen[n] = c
	if n.isDir {
		c.entries = make(map[string]*inode, len(n.entries))
		c.durable = make(map[string]*inode, len(n.durable))
		for name, child := range n.entries {
			c.entries[name] = child.clone(seen)
		}
		for name, child := range n.durable {
			c.durable[name] = child.clone(seen)
		}
		return c
	}
	c.data = slices.Clone(n.data)
	c.synced = slices.Clone(n.synced)
	c.dirtyLo, c.dirtyHi = n.dirtyLo, n.dirtyHi
	c.hasLast, c.lastOff, c.lastLen = n.hasLast, n.lastOff, n.lastLen
	return c
}
