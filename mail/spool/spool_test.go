package spool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/env"
)

// lockedDisk serializes calls into a MemDisk, which expects the
// simulator's one-task-at-a-time scheduling, so real goroutines can share
// it; crash runs under the same lock.
type lockedDisk struct {
	mu *sync.Mutex
	d  *disk.MemDisk
	// onSync, if set, runs (without the lock) before each File.Sync.
	onSync func()
}

type lockedFile struct {
	env.File
	d *lockedDisk
}

func (f lockedFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.File.Write(p)
}

func (f lockedFile) Sync() error {
	if f.d.onSync != nil {
		f.d.onSync()
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.File.Sync()
}

func (f lockedFile) Close() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.File.Close()
}

func (d *lockedDisk) lock() func() { d.mu.Lock(); return d.mu.Unlock }

func (d *lockedDisk) OpenFile(name string, flag int) (env.File, error) {
	defer d.lock()()
	f, err := d.d.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return lockedFile{f, d}, nil
}
func (d *lockedDisk) ReadFile(name string) ([]byte, error) {
	defer d.lock()()
	return d.d.ReadFile(name)
}
func (d *lockedDisk) Rename(a, b string) error { defer d.lock()(); return d.d.Rename(a, b) }
func (d *lockedDisk) Remove(name string) error { defer d.lock()(); return d.d.Remove(name) }
func (d *lockedDisk) ReadDir(dir string) ([]string, error) {
	defer d.lock()()
	return d.d.ReadDir(dir)
}
func (d *lockedDisk) MkdirAll(dir string) error { defer d.lock()(); return d.d.MkdirAll(dir) }
func (d *lockedDisk) SyncDir(dir string) error  { defer d.lock()(); return d.d.SyncDir(dir) }

func newMemEnv(t testing.TB, faults disk.Faults) (env.Env, *lockedDisk) {
	md, err := disk.NewMemDisk(disk.Config{Rand: rand.New(rand.NewPCG(1, 2)), Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	ld := &lockedDisk{mu: &sync.Mutex{}, d: md}
	return env.NewReal(env.RealConfig{Node: "mx", Disk: ld}), ld
}

func msg(i int) *Message {
	return &Message{ID: fmt.Sprintf("m%04d", i), From: "s@example.com",
		To: []string{"a@ours.example", "b@ours.example"}, Received: time.Unix(1700000000+int64(i), 0).UTC(),
		Data: fmt.Appendf(nil, "Subject: %d\r\n\r\nbody %d\r\n", i, i)}
}

func TestPutDoneReopen(t *testing.T) {
	e, _ := newMemEnv(t, disk.Faults{})
	ctx := context.Background()
	s, stored, _, err := Open(e, "q", Options{SegmentBytes: 300})
	if err != nil || len(stored) != 0 {
		t.Fatal(err, stored)
	}
	for i := range 10 {
		if err := s.Put(ctx, msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	// m0000..m0004 fully done, m0005 half done.
	for i := range 5 {
		for r := range 2 {
			if err := s.Done(ctx, msg(i).ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Done(ctx, "m0005", 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, stored, rec, err := Open(e, "q", Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(stored) != 5 || stored[0].Msg.ID != "m0005" || len(stored[0].Pending) != 1 || stored[0].Pending[0] != 0 {
		t.Fatalf("recovered %+v (%+v)", stored, rec)
	}
	want := msg(7)
	got := stored[2].Msg
	if got.ID != want.ID || got.From != want.From || !got.Received.Equal(want.Received) || string(got.Data) != string(want.Data) || len(got.To) != 2 {
		t.Fatalf("message changed: %+v", got)
	}
	// Fully done old segments are removed.
	names, _ := e.Disk().ReadDir("q")
	if len(names) == 0 || names[0] == segName(1) {
		t.Errorf("the fully done first segment was not removed: %v", names)
	}
}

// TestCrashLosesNothingAcknowledged crashes the disk while many writers
// are putting, at random points, with torn writes, and checks that every
// message whose Put returned nil is recovered.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	for seed := range 20 {
		e, ld := newMemEnv(t, disk.Faults{TornWriteProb: 1})
		s, _, _, err := Open(e, "q", Options{SegmentBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acked := map[string]bool{}
		var wg sync.WaitGroup
		crashAt := 20 + seed*7
		var n int
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					m := msg(w*1000 + i)
					if s.Put(context.Background(), m) == nil {
						mu.Lock()
						acked[m.ID] = true
						mu.Unlock()
					}
					mu.Lock()
					n++
					if n == crashAt {
						ld.mu.Lock()
						ld.d.Crash(rand.New(rand.NewPCG(uint64(seed), 9)))
						ld.mu.Unlock()
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		s.Close()
		ld.mu.Lock()
		ld.d.Crash(rand.New(rand.NewPCG(uint64(seed), 10)))
		ld.mu.Unlock()
		checkAcked(t, e, acked, fmt.Sprintf("seed %d", seed))
		if len(acked) == 0 {
			t.Fatalf("seed %d: nothing acknowledged", seed)
		}
	}
}

// checkAcked reopens the spool and fails if any acknowledged message is
// missing.
func checkAcked(t *testing.T, e env.Env, acked map[string]bool, label string) {
	t.Helper()
	_, stored, rec, err := Open(e, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, st := range stored {
		found[st.Msg.ID] = true
	}
	for id := range acked {
		if !found[id] {
			t.Fatalf("%s: acknowledged %s lost (recovery %+v)", label, id, rec)
		}
	}
}

// TestTornTail writes a record without syncing it, crashes with a torn
// write, and checks recovery stops at the tear and keeps the synced ones.
func TestTornTail(t *testing.T) {
	e, ld := newMemEnv(t, disk.Faults{TornWriteProb: 1})
	s, _, _, err := Open(e, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.Put(context.Background(), msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	// An unsynced record, as a leader would leave it mid-batch.
	s.file.Write(frame(encodeMessage(msg(99))))
	ld.d.Crash(rand.New(rand.NewPCG(3, 4)))
	_, stored, rec, err := Open(e, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Torn != 1 || len(stored) != 3 {
		t.Fatalf("recovery %+v, %d messages", rec, len(stored))
	}
}

// TestNoAckBeforeSync holds an fsync and checks that no Put covered by it
// returns first.
func TestNoAckBeforeSync(t *testing.T) {
	e, ld := newMemEnv(t, disk.Faults{})
	s, _, _, err := Open(e, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	ld.onSync = func() {
		select {
		case started <- struct{}{}:
			<-release
		default:
		}
	}
	returned := make(chan error, 1)
	go func() { returned <- s.Put(context.Background(), msg(1)) }()
	<-started
	select {
	case err := <-returned:
		t.Fatalf("Put returned (%v) before its fsync did", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitShares checks that concurrent Puts share fsyncs, and that
// SyncEach does not.
func TestGroupCommitShares(t *testing.T) {
	for _, each := range []bool{false, true} {
		dir := t.TempDir()
		e := env.NewReal(env.RealConfig{Node: "mx", Disk: env.RealDisk(dir)})
		s, _, _, err := Open(e, "q", Options{SyncEach: each})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		const writers, per = 16, 8
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					if err := s.Put(context.Background(), msg(w*100+i)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		syncs := s.Syncs()
		s.Close()
		if each && syncs != writers*per {
			t.Errorf("SyncEach: %d syncs for %d puts", syncs, writers*per)
		}
		if !each && syncs >= writers*per/2 {
			t.Errorf("group commit: %d syncs for %d puts", syncs, writers*per)
		}
		_, stored, _, err := Open(e, "q", Options{})
		if err != nil || len(stored) != writers*per {
			t.Fatalf("reopen: %d messages, %v", len(stored), err)
		}
	}
}

func TestSyncErrorIsNotAck(t *testing.T) {
	e, ld := newMemEnv(t, disk.Faults{SyncErrorProb: 0.5})
	var s *Spool
	var err error
	for range 20 {
		if s, _, _, err = Open(e, "q", Options{}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	fails := 0
	for i := range 50 {
		if s.Put(context.Background(), msg(i)) == nil {
			acked[msg(i).ID] = true
		} else {
			fails++
		}
	}
	ld.d.SetFaults(disk.Faults{})
	ld.d.Crash(nil)
	checkAcked(t, e, acked, "sync errors")
	if fails == 0 || len(acked) == 0 {
		t.Fatalf("fault injection did nothing: %d fails, %d acked", fails, len(acked))
	}
}

// scriptedDisk fails the calls a test names, once each, on a MemDisk.
type scriptedDisk struct {
	*disk.MemDisk
	failSync, failOpen bool
	writesTo           map[string]int // successful writes per file name
}

type scriptedFile struct {
	env.File
	d    *scriptedDisk
	name string
}

func (d *scriptedDisk) OpenFile(name string, flag int) (env.File, error) {
	if d.failOpen {
		d.failOpen = false
		return nil, disk.ErrInjectedIO
	}
	f, err := d.MemDisk.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return scriptedFile{f, d, name}, nil
}

func (f scriptedFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if err == nil {
		f.d.writesTo[f.name]++
	}
	return n, err
}

func (f scriptedFile) Sync() error {
	if f.d.failSync {
		f.d.failSync = false
		return disk.ErrInjectedIO
	}
	return f.File.Sync()
}

// After an fsync fails, the segment's content is unknown, and a spool
// that cannot start a new segment right away must not append to the old
// one later: a record behind bytes a crash may tear is lost at the next
// boot although it was acknowledged.
func TestNoAppendAfterAFailedSyncWhenNoNewSegmentStarts(t *testing.T) {
	md, err := disk.NewMemDisk(disk.Config{Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	d := &scriptedDisk{MemDisk: md, writesTo: map[string]int{}}
	e := env.NewReal(env.RealConfig{Node: "mx", Disk: d})
	s, _, _, err := Open(e, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d.failSync, d.failOpen = true, true
	if err := s.Put(ctx, msg(1)); err == nil {
		t.Fatal("a Put whose fsync failed was acknowledged")
	}
	spoiled := path.Join("q", segName(1))
	before := d.writesTo[spoiled]
	if err := s.Put(ctx, msg(2)); err != nil {
		t.Fatalf("a Put after the disk recovered: %v", err)
	}
	if d.writesTo[spoiled] != before {
		t.Fatalf("the acknowledged record went into %s, the segment whose fsync failed", spoiled)
	}
}
