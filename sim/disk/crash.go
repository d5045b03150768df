package disk

import (
	"maps"
	"math/rand/v2"
	"slices"
)

// Crash simulates a power failure: every write not yet made durable by
// File.Sync is lost, every name not yet made durable by SyncDir reverts
// (a new file vanishes, a renamed one is back under its old name, a removed
// one returns), and files left unreachable are gone. For each surviving file
// with unsynced writes, with probability Faults.TornWriteProb the last
// such write is torn: a random strict prefix of it survives on top of the
// durable content (if it began past the durable end, the gap reads as
// zeros). A nil rng tears nothing.
//
// Files opened before the crash stop working (ErrStaleHandle): they
// belonged to the process that died.
//
// Files are visited in sorted path order so that the same rng stream tears
// the same bytes. Each torn write is reported to Config.OnFault with
// op "torn", since it is an injected fault like an I/O error.
func (d *MemDisk) Crash(rng *rand.Rand) {
	d.gen++
	seen := map[*inode]bool{d.root: true}
	var visit func(dir *inode, prefix string)
	visit = func(dir *inode, prefix string) {
		dir.entries = maps.Clone(dir.durable)
		for _, name := range slices.Sorted(maps.Keys(dir.entries)) {
			child := dir.entries[name]
			if seen[child] {
				continue // a second durable name for the same inode
			}
			seen[child] = true
			if child.isDir {
				visit(child, prefix+name+"/")
			} else if child.crash(rng, d.faults.TornWriteProb) && d.onFault != nil {
				d.onFault("torn", prefix+name)
			}
		}
	}
	visit(d.root, "")
}

// Durable returns a new MemDisk holding exactly what would survive a crash
// of d now, without torn writes: the content a recovery would find. d is
// not changed and its open files keep working. The copy shares d's clock
// and injects no faults.
func (d *MemDisk) Durable() *MemDisk {
	c := &MemDisk{now: d.now, root: d.root.clone(map[*inode]*inode{})}
	c.Crash(nil)
	return c
}
