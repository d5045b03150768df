package disk

// Tests written to kill mutants that the rest of the suite let live: what
// a crash does to files that have no pending writes.

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// A crash leaves a file whose writes were all synced exactly as it was: no
// tear is drawn, reported or applied, even with TornWriteProb 1, and the
// random stream is not consumed by it (so the draws other files see do
// not depend on clean files). Only the file with a pending write tears.
// Kills: tearing without a pending last write (the hasLast guard dropped
// in crash, or not reset by sync); a clean file's handle surviving.
func TestCrashLeavesFilesWithoutPendingWritesAlone(t *testing.T) {
	var faults []string
	d := mustDisk(t, Config{Faults: Faults{TornWriteProb: 1}, OnFault: func(op, name string) {
		faults = append(faults, op+" "+name)
	}})
	if err := d.MkdirAll("dir"); err != nil {
		t.Fatal(err)
	}
	clean := writeFile(t, d, "clean", "hello", true)
	if _, err := clean.Write([]byte(" world")); err != nil {
		t.Fatal(err)
	}
	if err := clean.Sync(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, d, "empty", "", true)
	writeFile(t, d, "dir/b", "bbbbbbbb", true)

	const seed = 42
	rng := rand.New(rand.NewPCG(seed, seed))
	d.Crash(rng)
	for name, want := range map[string]string{"clean": "hello world", "empty": "", "dir/b": "bbbbbbbb"} {
		if got := readString(t, d, name); got != want {
			t.Errorf("%s after a crash: %q, want %q", name, got, want)
		}
	}
	if len(faults) != 0 {
		t.Errorf("faults reported for files with nothing pending: %v", faults)
	}
	if fresh := rand.New(rand.NewPCG(seed, seed)); rng.Uint64() != fresh.Uint64() {
		t.Error("the crash drew randomness for files with nothing pending")
	}
	if _, err := clean.Write([]byte("!")); !errors.Is(err, ErrStaleHandle) {
		t.Errorf("a handle from before the crash still writes: %v", err)
	}

	// Now one dirty file among clean ones: it alone tears.
	dirty := writeFile(t, d, "dirty", "0123", true)
	if _, err := dirty.Write([]byte("456789")); err != nil {
		t.Fatal(err)
	}
	faults = nil
	d.Crash(rand.New(rand.NewPCG(seed, seed)))
	if len(faults) != 1 || faults[0] != "torn dirty" {
		t.Errorf("faults %v, want only the dirty file torn", faults)
	}
	if got := readString(t, d, "clean"); got != "hello world" {
		t.Errorf("clean after the second crash: %q", got)
	}
	// Crashing again with nothing pending changes nothing at all.
	before := readString(t, d, "dirty")
	faults = nil
	d.Crash(rand.New(rand.NewPCG(seed, seed)))
	if got := readString(t, d, "dirty"); got != before || len(faults) != 0 {
		t.Errorf("a crash with nothing pending turned %q into %q (faults %v)", before, got, faults)
	}
}
