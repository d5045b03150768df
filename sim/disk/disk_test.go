package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

func mustDisk(t testing.TB, cfg Config) *MemDisk {
	t.Helper()
	d, err := NewMemDisk(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeFile creates name, writes data and, if durable, syncs the file and
// its directory.
func writeFile(t testing.TB, d *MemDisk, name, data string, durable bool) env.File {
	t.Helper()
	f, err := d.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		dir := "."
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			dir = name[:i]
		}
		if err := d.SyncDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func readString(t testing.TB, d *MemDisk, name string) string {
	t.Helper()
	b, err := d.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDiskTornWrite(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(200) {
		d := mustDisk(t, Config{Faults: Faults{TornWriteProb: 1}})
		f := writeFile(t, d, "log", "hello", true)
		if _, err := f.Write([]byte(" world")); err != nil {
			t.Fatal(err)
		}
		d.Crash(rand.New(rand.NewPCG(seed, 1)))
		got := readString(t, d, "log")
		// A strict, non-empty prefix of the unsynced write survives.
		if !strings.HasPrefix("hello world", got) || len(got) <= len("hello") || len(got) >= len("hello world") {
			t.Fatalf("seed %d: after torn crash %q, want hello + strict prefix of \" world\"", seed, got)
		}
		seen[got] = true
		// The torn state is what the disk now holds: it survives the next crash.
		d.Crash(rand.New(rand.NewPCG(seed, 2)))
		if again := readString(t, d, "log"); again != got {
			t.Fatalf("seed %d: torn content not durable: %q then %q", seed, got, again)
		}
	}
	if len(seen) != len(" world")-1 {
		t.Errorf("tears seen %v, want every strict prefix length 1..5", seen)
	}
}

func TestDiskTornWriteGapReadsZero(t *testing.T) {
	d := mustDisk(t, Config{Faults: Faults{TornWriteProb: 1}})
	f := writeFile(t, d, "f", "ab", true)
	if _, err := f.Write([]byte("cd")); err != nil { // pending, lost
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("efgh")); err != nil { // last, torn
		t.Fatal(err)
	}
	d.Crash(rand.New(rand.NewPCG(7, 7)))
	got := readString(t, d, "f")
	if !strings.HasPrefix(got, "ab\x00\x00e") || len(got) >= len("abcdefgh") {
		t.Fatalf("got %q, want ab, a zero gap for the lost write, then a prefix of efgh", got)
	}
}

func TestDiskNoTearWithoutProbabilityOrRand(t *testing.T) {
	for _, tc := range []struct {
		prob float64
		rng  *rand.Rand
	}{{0, rand.New(rand.NewPCG(1, 1))}, {1, nil}} {
		d := mustDisk(t, Config{Faults: Faults{TornWriteProb: tc.prob}})
		f := writeFile(t, d, "f", "durable", true)
		f.Write([]byte("-lost"))
		d.Crash(tc.rng)
		if got := readString(t, d, "f"); got != "durable" {
			t.Errorf("prob %v rng %v: got %q, want the durable content only", tc.prob, tc.rng != nil, got)
		}
	}
}

// TestDiskCrashDeterminism: the same seed tears the same bytes; different
// seeds eventually differ.
func TestDiskCrashDeterminism(t *testing.T) {
	run := func(seed uint64) string {
		d := mustDisk(t, Config{Faults: Faults{TornWriteProb: 0.5}})
		for i := range 8 {
			f := writeFile(t, d, fmt.Sprintf("f%d", i), "base", true)
			f.Write(bytes.Repeat([]byte{byte('a' + i)}, 10+i))
		}
		d.Crash(rand.New(rand.NewPCG(seed, 0)))
		var out strings.Builder
		names, _ := d.ReadDir(".")
		for _, n := range names {
			fmt.Fprintf(&out, "%s=%q;", n, readString(t, d, n))
		}
		return out.String()
	}
	distinct := map[string]bool{}
	for seed := range uint64(10) {
		a, b := run(seed), run(seed)
		if a != b {
			t.Fatalf("seed %d: two runs differ:\n%s\n%s", seed, a, b)
		}
		distinct[a] = true
	}
	if len(distinct) < 2 {
		t.Errorf("10 seeds gave %d distinct outcomes; tearing ignores the rng", len(distinct))
	}
}

func TestDiskCrashLosesUnsyncedNames(t *testing.T) {
	d := mustDisk(t, Config{})
	if err := d.MkdirAll("spool/new"); err != nil {
		t.Fatal(err)
	}
	// Synced file in a directory whose own entry was never synced: gone.
	writeFile(t, d, "spool/new/a", "x", true)
	d.Crash(nil)
	if names, _ := d.ReadDir("."); len(names) != 0 {
		t.Fatalf("unsynced directory survived: %q", names)
	}

	// Rename without SyncDir reverts; with it, sticks.
	d.MkdirAll("q")
	d.SyncDir(".")
	writeFile(t, d, "q/tmp", "msg", true)
	if err := d.Rename("q/tmp", "q/msg"); err != nil {
		t.Fatal(err)
	}
	d.Crash(nil)
	if names, _ := d.ReadDir("q"); strings.Join(names, ",") != "tmp" {
		t.Fatalf("after crash q = %q, want the pre-rename name", names)
	}
	d.Rename("q/tmp", "q/msg")
	d.SyncDir("q")
	d.Crash(nil)
	if got := readString(t, d, "q/msg"); got != "msg" {
		t.Fatalf("synced rename lost: %q", got)
	}
}

func TestDiskDirectoryRename(t *testing.T) {
	d := mustDisk(t, Config{})
	d.MkdirAll("a/b")
	writeFile(t, d, "a/b/f", "1", true)
	d.SyncDir("a")
	d.SyncDir(".")
	if err := d.Rename("a", "c"); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, d, "c/b/f"); got != "1" {
		t.Fatalf("c/b/f = %q", got)
	}
	d.SyncDir(".")
	d.Crash(nil)
	// The children moved with the directory, durable entries included.
	if got := readString(t, d, "c/b/f"); got != "1" {
		t.Fatalf("after crash c/b/f = %q", got)
	}
	if err := d.Rename("c", "c/b/x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("rename into itself: %v", err)
	}
	d.MkdirAll("e")
	if err := d.Rename("c/b/f", "e"); !errors.Is(err, ErrIsDir) {
		t.Errorf("file over dir: %v", err)
	}
	if err := d.Rename("e", "c/b/f"); !errors.Is(err, ErrNotDir) {
		t.Errorf("dir over file: %v", err)
	}
	if err := d.Rename("e", "c"); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("dir over non-empty dir: %v", err)
	}
	if err := d.Remove("c"); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("remove non-empty dir: %v", err)
	}
	var le *os.LinkError
	if err := d.Rename("nope", "x"); !errors.As(err, &le) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rename missing: %v", err)
	}
}

func TestDiskNameErrors(t *testing.T) {
	d := mustDisk(t, Config{})
	for _, tc := range []struct{ name, why string }{
		{"", "empty name"},
		{"/etc/passwd", "absolute"},
		{"../x", `".."`},
		{"a/../b", `".."`},
		{"a//b", "empty path elements"},
		{"a/", "trailing slash"},
		{".", "root directory"},
		{"a\x00b", "NUL"},
	} {
		_, err := d.OpenFile(tc.name, os.O_RDWR|os.O_CREATE)
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != tc.name || !errors.Is(err, ErrInvalidName) || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("OpenFile(%q) = %v, want a PathError wrapping ErrInvalidName", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("OpenFile(%q) = %q, want it to say %q", tc.name, err, tc.why)
		}
	}
	if _, err := d.ReadDir("."); err != nil {
		t.Errorf("ReadDir(.) = %v", err)
	}
}

func TestDiskOpenErrors(t *testing.T) {
	d := mustDisk(t, Config{})
	d.MkdirAll("dir")
	writeFile(t, d, "f", "x", false)
	for _, tc := range []struct {
		name string
		flag int
		want error
	}{
		{"missing", os.O_RDONLY, fs.ErrNotExist},
		{"no/such/dir", os.O_RDWR | os.O_CREATE, fs.ErrNotExist},
		{"f/child", os.O_RDWR | os.O_CREATE, ErrNotDir},
		{"f", os.O_RDWR | os.O_CREATE | os.O_EXCL, fs.ErrExist},
		{"dir", os.O_RDONLY, ErrIsDir},
		{"f", os.O_RDONLY | os.O_TRUNC, ErrBadFlag},
		{"f", os.O_WRONLY | os.O_RDWR, ErrBadFlag},
		{"f", os.O_RDWR | os.O_SYNC, ErrBadFlag},
	} {
		if _, err := d.OpenFile(tc.name, tc.flag); !errors.Is(err, tc.want) {
			t.Errorf("OpenFile(%q, %#x) = %v, want %v", tc.name, tc.flag, err, tc.want)
		}
	}
	if _, err := d.ReadDir("f"); !errors.Is(err, ErrNotDir) {
		t.Errorf("ReadDir(file) = %v", err)
	}
	if err := d.MkdirAll("f/x"); !errors.Is(err, ErrNotDir) {
		t.Errorf("MkdirAll through a file = %v", err)
	}
	f, _ := d.OpenFile("f", os.O_RDONLY)
	f.Close()
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("read after close = %v", err)
	}
	if err := f.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("double close = %v", err)
	}
}

func TestDiskStat(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	d := mustDisk(t, Config{Now: func() time.Time { return now }})
	d.MkdirAll("a")
	f := writeFile(t, d, "a/f", "", false)
	now = now.Add(time.Minute)
	f.Write([]byte("12345"))
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name() != "f" || fi.Size() != 5 || fi.IsDir() || !fi.ModTime().Equal(now) || fi.Mode() != 0o644 {
		t.Errorf("Stat = %s %d %v %v %v", fi.Name(), fi.Size(), fi.IsDir(), fi.ModTime(), fi.Mode())
	}
}

func TestDiskFaultInjection(t *testing.T) {
	var fired []string
	d := mustDisk(t, Config{
		Rand:    rand.New(rand.NewPCG(1, 2)),
		OnFault: func(op, name string) { fired = append(fired, op+" "+name) },
	})
	f := writeFile(t, d, "f", "ok", true)
	if err := d.SetFaults(Faults{ReadErrorProb: 1, WriteErrorProb: 1, SyncErrorProb: 1}); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		var pe *fs.PathError
		if !errors.Is(err, ErrInjectedIO) || !errors.As(err, &pe) || pe.Path != "f" {
			t.Errorf("%s = %v, want a PathError wrapping ErrInjectedIO", what, err)
		}
	}
	_, err := f.Write([]byte("lost"))
	check("Write", err)
	_, err = f.ReadAt(make([]byte, 2), 0)
	check("ReadAt", err)
	_, err = d.ReadFile("f")
	check("ReadFile", err)
	check("Sync", f.Sync())
	d.SetFaults(Faults{})
	if got := readString(t, d, "f"); got != "ok" {
		t.Errorf("a failed write changed the file: %q", got)
	}
	// A failed sync makes nothing durable.
	f.Write([]byte("!"))
	d.SetFaults(Faults{SyncErrorProb: 1})
	f.Sync()
	d.Crash(nil)
	if got := readString(t, d, "f"); got != "ok" {
		t.Errorf("after failed sync and crash: %q, want ok", got)
	}
	if want := "write f,read f,read f,sync f,sync f"; strings.Join(fired, ",") != want {
		t.Errorf("OnFault saw %q, want %q", strings.Join(fired, ","), want)
	}
	if err := d.SetFaults(Faults{ReadErrorProb: 2}); err == nil || !strings.Contains(err.Error(), "read_error_prob") {
		t.Errorf("bad probability accepted: %v", err)
	}
	if _, err := NewMemDisk(Config{Faults: Faults{WriteErrorProb: 0.5}}); err == nil {
		t.Error("faults without Rand accepted")
	}
}

func TestDiskDurableDoesNotDisturb(t *testing.T) {
	d := mustDisk(t, Config{})
	f := writeFile(t, d, "f", "a", true)
	f.Write([]byte("b"))
	if got := readString(t, d.Durable(), "f"); got != "a" {
		t.Fatalf("Durable view = %q", got)
	}
	if _, err := f.Write([]byte("c")); err != nil {
		t.Fatalf("handle broken by Durable: %v", err)
	}
	if got := readString(t, d, "f"); got != "abc" {
		t.Fatalf("visible = %q", got)
	}
}
