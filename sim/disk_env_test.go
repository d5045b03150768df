package sim

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/env"
)

const (
	osCreateWrite  = os.O_CREATE | os.O_WRONLY
	osCreateAppend = os.O_CREATE | os.O_WRONLY | os.O_APPEND
)

// TestCrashLosesExactlyTheUnsyncedWrites: a service writes records through
// Env.Disk, syncs some, crashes; the boot function after the restart finds
// exactly the synced ones.
func TestCrashLosesExactlyTheUnsyncedWrites(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("db")
	var recovered string
	var freshErr, lateErr error
	boots := 0
	n.Start(func(env env.Env) {
		boots++
		d := env.Disk()
		if boots > 1 {
			b, err := d.ReadFile("log")
			if err != nil {
				t.Errorf("after restart: %v", err)
			}
			recovered = string(b)
			_, freshErr = d.ReadFile("fresh")
			_, lateErr = d.ReadFile("late")
			return
		}
		f, err := d.OpenFile("log", osCreateAppend)
		if err != nil {
			t.Error(err)
			return
		}
		if err := d.SyncDir("."); err != nil { // the name "log" is durable
			t.Error(err)
		}
		for _, rec := range []string{"put a 1\n", "put b 2\n", "put c 3\n"} {
			f.Write([]byte(rec))
		}
		if err := f.Sync(); err != nil {
			t.Error(err)
		}
		f.Write([]byte("put d 4\n")) // never synced
		f.Write([]byte("put e 5\n"))
		g, _ := d.OpenFile("fresh", osCreateWrite) // content synced, name not
		g.Write([]byte("x"))
		g.Sync()
		defer func() {
			// Runs while the killed task unwinds: a dead process cannot
			// write.
			_, err := d.OpenFile("late", osCreateWrite)
			if !errors.Is(err, ErrNodeDown) {
				t.Errorf("a write from the unwinding task: %v, want ErrNodeDown", err)
			}
		}()
		env.Sleep(time.Hour) // until the crash
	})
	s.At(time.Second, n.Crash)
	s.At(2*time.Second, func() { n.Restart(nil) })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if boots != 2 {
		t.Fatalf("%d boots", boots)
	}
	if recovered != "put a 1\nput b 2\nput c 3\n" {
		t.Fatalf("recovered %q", recovered)
	}
	if !errors.Is(freshErr, fs.ErrNotExist) || !errors.Is(lateErr, fs.ErrNotExist) {
		t.Fatalf("fresh: %v, late: %v; want both gone", freshErr, lateErr)
	}
}

// TestDiskFaultsFromThePlanAreTraced: per-node fault probabilities from
// the plan, a timed change of them, and every injected fault (torn writes
// included) as a Fault event naming the file.
func TestDiskFaultsFromThePlanAreTraced(t *testing.T) {
	s := New(Config{Seed: 1})
	n := s.AddNode("db")
	s.AddNode("other")
	p := mustPlan(t, `{
	  "nodes": {"db": {"disk": {"torn_write_prob": 1}}},
	  "faults": [
	    {"at": "1s", "kind": "disk", "node": "db", "disk": {"write_error_prob": 1}, "for": "1s"},
	    {"at": "2.5s", "kind": "disk", "node": "db", "disk": {"sync_error_prob": 1, "torn_write_prob": 1}},
	    {"at": "3.5s", "kind": "crash", "node": "db"}
	  ]
	}`)
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	var errs []string
	n.Go("writer", func() {
		d := n.Env().Disk()
		if _, err := d.OpenFile("data/../x", osCreateWrite); err == nil {
			t.Error("invalid name opened")
		}
		f, _ := d.OpenFile("x", osCreateWrite)
		d.SyncDir(".")
		for range 4 {
			_, err := f.Write([]byte("0123456789"))
			errs = append(errs, errText(err), errText(f.Sync()))
			n.Env().Sleep(time.Second)
		}
	})
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := "ok ok EIO ok ok ok ok EIO" // write and sync at 0s, 1s, 2s and 3s
	if g := strings.Join(errs, " "); g != want {
		t.Fatalf("results %s, want %s", g, want)
	}
	var faults []string
	for _, e := range s.Trace().Events {
		if e.Kind == model.Fault && strings.HasPrefix(e.Name, "disk") {
			faults = append(faults, e.Name+"("+e.Attrs["path"]+")")
		}
	}
	// The write at 3s was never synced, and the crash tore it.
	if g, w := strings.Join(faults, " "), "disk() disk() disk-write(x) disk() disk() disk-sync(x) disk-torn(x)"; g != w {
		t.Fatalf("disk faults:\n got %s\nwant %s", g, w)
	}
	if b := n.MemDisk().Durable(); b == nil {
		t.Fatal("no durable view")
	}
}

func errText(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, disk.ErrInjectedIO):
		return "EIO"
	}
	return err.Error()
}

// TestDefaultDiskIsPerNodeAndSurvivesRestart: each node has its own disk;
// it is the same disk after a restart.
func TestDefaultDiskIsPerNodeAndSurvivesRestart(t *testing.T) {
	s := New(Config{Seed: 1})
	a, b := s.AddNode("a"), s.AddNode("b")
	if a.MemDisk() == nil || a.MemDisk() == b.MemDisk() {
		t.Fatal("nodes share a disk or have none")
	}
	d := a.MemDisk()
	a.Crash()
	a.Restart(nil)
	if a.MemDisk() != d {
		t.Fatal("a restart replaced the disk")
	}
	a.SetDisk(env.RealDisk(t.TempDir()))
	if a.MemDisk() != nil || a.SetDiskFaults(disk.Faults{}) == nil {
		t.Fatal("a non-simulated disk reported as a MemDisk")
	}
}
