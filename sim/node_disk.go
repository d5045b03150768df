package sim

// This file gives every simulated node a disk. By default it is a MemDisk
// made on first use, whose modification times come from the node's clock,
// whose injected faults come from the node's "disk" random stream and are
// recorded in the trace, and which Node.Crash crashes (tearing writes from
// the "disk/crash" stream). Env.Disk hands out a nodeDisk, which refuses
// to work for a machine that is down.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

// ErrNodeDown is returned (in an *fs.PathError) by a simulated node's disk
// when it is used by code of a crashed machine: deferred functions of a
// killed task, which run while the task unwinds, must not write to the
// disk that survived the crash.
var ErrNodeDown = errors.New("sim: the node is down")

// SetDisk installs d as the node's disk in place of the default MemDisk.
// Only a *MemDisk loses unsynced writes on Crash.
func (n *Node) SetDisk(d env.Disk) { n.disk = d }

// MemDisk returns the node's simulated disk, making the default one if the
// node has none yet, or nil if SetDisk installed a Disk that is not a
// *MemDisk. Tests use it to look at what is durable (MemDisk.Durable).
func (n *Node) MemDisk() *MemDisk {
	md, _ := n.diskNow().(*MemDisk)
	return md
}

// SetDiskFaults sets the fault probabilities of the node's MemDisk: read,
// write and sync errors from now on, torn writes at the next crash.
func (n *Node) SetDiskFaults(f DiskFaults) error {
	md := n.MemDisk()
	if md == nil {
		return fmt.Errorf("sim: node %s: disk faults need a simulated disk (a MemDisk), not %T", n.name, n.diskNow())
	}
	if err := md.SetFaults(f); err != nil {
		return err
	}
	n.s.Log(n, model.Fault, "disk", diskFaultAttrs(f))
	return nil
}

func diskFaultAttrs(f DiskFaults) map[string]string {
	p := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	a := map[string]string{
		"read_error_prob": p(f.ReadErrorProb), "write_error_prob": p(f.WriteErrorProb),
		"sync_error_prob": p(f.SyncErrorProb), "torn_write_prob": p(f.TornWriteProb),
	}
	// Absent when zero, so older traces keep their bytes.
	if f.SyncLatency != 0 {
		a["sync_latency"] = f.SyncLatency.D().String()
	}
	if f.PowerFailProb != 0 {
		a["power_fail_prob"] = p(f.PowerFailProb)
	}
	return a
}

// diskNow returns the installed disk, making the default MemDisk first.
func (n *Node) diskNow() env.Disk {
	if n.disk == nil {
		md, err := NewMemDisk(DiskConfig{
			Now:  n.env.Now,
			Rand: n.Rand("disk"),
			OnFault: func(op, name string) {
				n.s.Log(n, model.Fault, "disk-"+op, map[string]string{"path": name})
			},
		})
		if err != nil {
			panic(err) // no faults are configured yet, so this cannot fail
		}
		n.disk = md
	}
	return n.disk
}

func (n *Node) diskCrashRand() *rand.Rand {
	if n.diskCrash == nil {
		n.diskCrash = n.Rand("disk/crash")
	}
	return n.diskCrash
}

// nodeDisk is Env.Disk of a simulated node. It looks the disk up on every
// call, so a service that kept it from before SetDisk or a plan's disk
// settings still reaches the right one.
type nodeDisk struct{ n *Node }

var _ env.Disk = nodeDisk{}

// live returns the disk, or the error for a dead machine.
func (d nodeDisk) live(op, name string) (env.Disk, error) {
	if d.n.down || d.n.s.silenced() {
		return nil, pathErr(op, name, ErrNodeDown)
	}
	return d.n.diskNow(), nil
}

func (d nodeDisk) OpenFile(name string, flag int) (env.File, error) {
	disk, err := d.live("open", name)
	if err != nil {
		return nil, err
	}
	f, err := disk.OpenFile(name, flag)
	if md, ok := disk.(*MemDisk); ok && err == nil {
		return &nodeFile{File: f, n: d.n, md: md}, nil
	}
	return f, err
}

// nodeFile is a file of a node's MemDisk whose Sync takes the disk's
// DiskFaults.SyncLatency of virtual time: the calling task sleeps, and only
// then is the content made durable. A crash during the sleep kills the
// task before the sync happens, so the writes it covered are lost or torn
// as any unsynced write is: the window in which a service that
// acknowledges before its fsync returns loses what it acknowledged.
type nodeFile struct {
	env.File
	n  *Node
	md *MemDisk
}

func (f *nodeFile) Sync() error {
	faults := f.md.Faults()
	fail := faults.PowerFailProb > 0 && !f.n.down && !f.n.s.silenced() && f.md.rng.Float64() < faults.PowerFailProb
	if lat := faults.SyncLatency.D(); lat > 0 {
		f.n.env.Sleep(lat)
	}
	if fail {
		// At the last moment: whatever the service did while the sync
		// ran (answered a client, say) has happened.
		f.n.powerFail(f.name())
	}
	return f.File.Sync()
}

func (f *nodeFile) name() string {
	if mf, ok := f.File.(*memFile); ok {
		return mf.name
	}
	return ""
}

// powerFail crashes the node from inside one of its tasks (which Crash
// unwinds) and boots it again PowerFailReboot later, unless something
// else restarted or crashed it meanwhile.
func (n *Node) powerFail(file string) {
	n.s.Log(n, model.Fault, "disk-power-fail", map[string]string{"path": file})
	inc := n.inc + 1 // the incarnation Crash is about to make
	n.s.At(n.s.now+PowerFailReboot, func() {
		if n.down && n.inc == inc {
			n.Restart(nil)
		}
	})
	n.Crash()
}

func (d nodeDisk) ReadFile(name string) ([]byte, error) {
	disk, err := d.live("open", name)
	if err != nil {
		return nil, err
	}
	return disk.ReadFile(name)
}

func (d nodeDisk) Rename(oldname, newname string) error {
	disk, err := d.live("rename", oldname)
	if err != nil {
		return err
	}
	return disk.Rename(oldname, newname)
}

func (d nodeDisk) Remove(name string) error {
	disk, err := d.live("remove", name)
	if err != nil {
		return err
	}
	return disk.Remove(name)
}

func (d nodeDisk) ReadDir(dir string) ([]string, error) {
	disk, err := d.live("readdir", dir)
	if err != nil {
		return nil, err
	}
	return disk.ReadDir(dir)
}

func (d nodeDisk) MkdirAll(dir string) error {
	disk, err := d.live("mkdir", dir)
	if err != nil {
		return err
	}
	return disk.MkdirAll(dir)
}

func (d nodeDisk) SyncDir(dir string) error {
	disk, err := d.live("sync", dir)
	if err != nil {
		return err
	}
	return disk.SyncDir(dir)
}
