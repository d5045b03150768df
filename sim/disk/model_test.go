package disk

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"testing"

	"github.com/edgelab/edgelab/sim/env"
	"pgregory.net/rapid"
)

// refDisk is the reference model for TestDiskModel: flat maps from path to
// file id, written without trees or dirty ranges so that it shares no
// logic with MemDisk. It is enough for the operations the test draws:
// files in the fixed directories ".", "d" and "e", where "e" may be created
// and is never removed, so every directory path names one directory for
// the whole run (until a crash loses it).
type refDisk struct {
	nextID   int
	cur      map[int][]byte // visible content by file id
	dur      map[int][]byte // durable content by file id
	names    map[string]int // visible file names
	dirs     map[string]bool
	durNames map[string]int // file names durable in their directory
	durDirs  map[string]bool
}

func newRefDisk() *refDisk {
	return &refDisk{
		cur: map[int][]byte{}, dur: map[int][]byte{},
		names: map[string]int{}, durNames: map[string]int{},
		dirs: map[string]bool{".": true, "d": true}, durDirs: map[string]bool{".": true, "d": true},
	}
}

// afterCrash is what survives a crash: durable names whose directory is
// itself durable, with durable content.
func (m *refDisk) afterCrash() (names map[string]int, dirs map[string]bool, content map[int][]byte) {
	names, content = map[string]int{}, map[int][]byte{}
	for p, id := range m.durNames {
		if m.durDirs[path.Dir(p)] {
			names[p] = id
			content[id] = slices.Clone(m.dur[id])
		}
	}
	return names, maps.Clone(m.durDirs), content
}

func (m *refDisk) crash() {
	m.names, m.dirs, m.cur = m.afterCrash()
	m.durNames = maps.Clone(m.names)
	for id := range m.dur {
		if _, ok := m.cur[id]; !ok {
			delete(m.dur, id)
		} else {
			m.dur[id] = slices.Clone(m.cur[id])
		}
	}
}

func (m *refDisk) syncDir(dir string) {
	for p := range m.durNames {
		if path.Dir(p) == dir {
			delete(m.durNames, p)
		}
	}
	for p, id := range m.names {
		if path.Dir(p) == dir {
			m.durNames[p] = id
		}
	}
	if dir == "." {
		// Directories are never removed in this model, only created.
		for d := range m.dirs {
			m.durDirs[d] = true
		}
	}
}

// sameFile reports whether from and to are two names of one file.
func sameFile(names map[string]int, from, to string) bool {
	a, okA := names[from]
	b, okB := names[to]
	return okA && okB && a == b
}

// refHandle is an open file in the model.
type refHandle struct {
	f           env.File
	id          int
	off         int
	read, write bool
	append      bool
	stale       bool
}

// snapshot reads every file and directory of d through its public API.
func snapshot(t *rapid.T, d *MemDisk) (files map[string]string, dirs map[string]bool) {
	files, dirs = map[string]string{}, map[string]bool{".": true}
	var walk func(dir string)
	walk = func(dir string) {
		names, err := d.ReadDir(dir)
		if err != nil {
			t.Fatalf("ReadDir(%q): %v", dir, err)
		}
		if !slices.IsSorted(names) {
			t.Fatalf("ReadDir(%q) not sorted: %q", dir, names)
		}
		for _, n := range names {
			p := n
			if dir != "." {
				p = dir + "/" + n
			}
			b, err := d.ReadFile(p)
			switch {
			case errors.Is(err, ErrIsDir):
				dirs[p] = true
				walk(p)
			case err != nil:
				t.Fatalf("ReadFile(%q): %v", p, err)
			default:
				files[p] = string(b)
			}
		}
	}
	walk(".")
	return files, dirs
}

func modelView(names map[string]int, dirs map[string]bool, content map[int][]byte) (map[string]string, map[string]bool) {
	files := map[string]string{}
	for p, id := range names {
		files[p] = string(content[id])
	}
	return files, dirs
}

func checkSame(t *rapid.T, what string, gotFiles map[string]string, gotDirs map[string]bool, wantFiles map[string]string, wantDirs map[string]bool) {
	if !maps.Equal(gotFiles, wantFiles) {
		t.Fatalf("%s files:\n got  %q\n want %q", what, gotFiles, wantFiles)
	}
	if !maps.Equal(gotDirs, wantDirs) {
		t.Fatalf("%s dirs:\n got  %v\n want %v", what, gotDirs, wantDirs)
	}
}

// TestDiskModel drives a MemDisk and the reference model with the same
// random operations and, after every one, checks both what is visible and
// what would survive a crash. Crash itself is one of the operations, so
// "a crash loses exactly the unsynced writes" is checked on every path.
func TestDiskModel(t *testing.T) {
	filePaths := []string{"a", "b", "d/a", "d/b", "e/a"}
	dirPaths := []string{".", "d", "e"}
	flagSets := []int{
		os.O_RDWR | os.O_CREATE,
		os.O_RDWR | os.O_CREATE | os.O_EXCL,
		os.O_RDWR | os.O_CREATE | os.O_TRUNC,
		os.O_WRONLY | os.O_CREATE | os.O_APPEND,
		os.O_RDONLY,
		os.O_RDWR,
	}
	rapid.Check(t, func(t *rapid.T) {
		d, err := NewMemDisk(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.MkdirAll("d"); err != nil {
			t.Fatal(err)
		}
		if err := d.SyncDir("."); err != nil {
			t.Fatal(err)
		}
		m := newRefDisk()
		var handles []*refHandle

		pickHandle := func(t *rapid.T) *refHandle {
			if len(handles) == 0 {
				t.Skip("no open files")
			}
			return handles[rapid.IntRange(0, len(handles)-1).Draw(t, "handle")]
		}
		// expectStale checks that a handle from before a crash refuses
		// to work, and reports whether it was stale.
		expectStale := func(t *rapid.T, h *refHandle, err error) bool {
			if !h.stale {
				return false
			}
			if !errors.Is(err, ErrStaleHandle) || !errors.Is(err, fs.ErrClosed) {
				t.Fatalf("stale handle: got %v, want ErrStaleHandle", err)
			}
			return true
		}

		t.Repeat(map[string]func(*rapid.T){
			"open": func(t *rapid.T) {
				p := rapid.SampledFrom(filePaths).Draw(t, "path")
				flag := rapid.SampledFrom(flagSets).Draw(t, "flag")
				f, err := d.OpenFile(p, flag)
				id, exists := m.names[p]
				var want error
				switch {
				case !m.dirs[path.Dir(p)]:
					want = fs.ErrNotExist
				case exists && flag&os.O_EXCL != 0:
					want = fs.ErrExist
				case !exists && flag&os.O_CREATE == 0:
					want = fs.ErrNotExist
				}
				if want != nil {
					if !errors.Is(err, want) {
						t.Fatalf("OpenFile(%q, %#x) = %v, want %v", p, flag, err, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("OpenFile(%q, %#x): %v", p, flag, err)
				}
				if !exists {
					id = m.nextID
					m.nextID++
					m.names[p] = id
					m.cur[id], m.dur[id] = []byte{}, []byte{}
				}
				if flag&os.O_TRUNC != 0 {
					m.cur[id] = []byte{}
				}
				acc := flag & accessMask
				handles = append(handles, &refHandle{f: f, id: id,
					read: acc != os.O_WRONLY, write: acc != os.O_RDONLY, append: flag&os.O_APPEND != 0})
			},
			"write": func(t *rapid.T) {
				h := pickHandle(t)
				data := rapid.SliceOfN(rapid.Byte(), 1, 12).Draw(t, "data")
				n, err := h.f.Write(data)
				if expectStale(t, h, err) {
					return
				}
				if !h.write {
					if !errors.Is(err, ErrAccessMode) {
						t.Fatalf("write on read-only file: %v", err)
					}
					return
				}
				if err != nil || n != len(data) {
					t.Fatalf("Write = %d, %v", n, err)
				}
				cur := m.cur[h.id]
				if h.append {
					h.off = len(cur)
				}
				if end := h.off + len(data); end > len(cur) {
					cur = append(cur, make([]byte, end-len(cur))...)
				}
				copy(cur[h.off:], data)
				m.cur[h.id] = cur
				h.off += len(data)
			},
			"read": func(t *rapid.T) {
				h := pickHandle(t)
				buf := make([]byte, rapid.IntRange(1, 8).Draw(t, "n"))
				n, err := h.f.Read(buf)
				if expectStale(t, h, err) {
					return
				}
				if !h.read {
					if !errors.Is(err, ErrAccessMode) {
						t.Fatalf("read on write-only file: %v", err)
					}
					return
				}
				cur := m.cur[h.id]
				if h.off >= len(cur) {
					if n != 0 || err != io.EOF {
						t.Fatalf("Read at EOF = %d, %v", n, err)
					}
					return
				}
				want := cur[h.off:min(len(cur), h.off+len(buf))]
				if err != nil || string(buf[:n]) != string(want) {
					t.Fatalf("Read = %q, %v; want %q", buf[:n], err, want)
				}
				h.off += n
			},
			"readAt": func(t *rapid.T) {
				h := pickHandle(t)
				off := rapid.IntRange(0, 20).Draw(t, "off")
				buf := make([]byte, rapid.IntRange(1, 8).Draw(t, "n"))
				n, err := h.f.ReadAt(buf, int64(off))
				if expectStale(t, h, err) || !h.read {
					return
				}
				cur := m.cur[h.id]
				want := []byte{}
				if off < len(cur) {
					want = cur[off:min(len(cur), off+len(buf))]
				}
				wantErr := error(nil)
				if len(want) < len(buf) {
					wantErr = io.EOF
				}
				if string(buf[:n]) != string(want) || err != wantErr {
					t.Fatalf("ReadAt(%d) = %q, %v; want %q, %v", off, buf[:n], err, want, wantErr)
				}
			},
			"sync": func(t *rapid.T) {
				h := pickHandle(t)
				err := h.f.Sync()
				if expectStale(t, h, err) {
					return
				}
				if err != nil {
					t.Fatalf("Sync: %v", err)
				}
				m.dur[h.id] = slices.Clone(m.cur[h.id])
			},
			"stat": func(t *rapid.T) {
				h := pickHandle(t)
				fi, err := h.f.Stat()
				if expectStale(t, h, err) {
					return
				}
				if err != nil || fi.Size() != int64(len(m.cur[h.id])) || fi.IsDir() {
					t.Fatalf("Stat = %v, %v; want size %d", fi, err, len(m.cur[h.id]))
				}
			},
			"close": func(t *rapid.T) {
				h := pickHandle(t)
				if err := h.f.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				handles = slices.DeleteFunc(handles, func(x *refHandle) bool { return x == h })
			},
			"rename": func(t *rapid.T) {
				from := rapid.SampledFrom(filePaths).Draw(t, "from")
				to := rapid.SampledFrom(filePaths).Draw(t, "to")
				err := d.Rename(from, to)
				id, ok := m.names[from]
				switch {
				case !m.dirs[path.Dir(from)] || !ok || !m.dirs[path.Dir(to)]:
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("Rename(%q, %q) = %v, want not-exist", from, to, err)
					}
				case err != nil:
					t.Fatalf("Rename(%q, %q): %v", from, to, err)
				case sameFile(m.names, from, to):
					// Two names for one file (left by a crash): rename(2)
					// does nothing.
				default:
					delete(m.names, from)
					m.names[to] = id
				}
			},
			"remove": func(t *rapid.T) {
				p := rapid.SampledFrom(filePaths).Draw(t, "path")
				err := d.Remove(p)
				if _, ok := m.names[p]; !ok {
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("Remove(%q) = %v, want not-exist", p, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Remove(%q): %v", p, err)
				}
				delete(m.names, p)
			},
			"mkdir": func(t *rapid.T) {
				if err := d.MkdirAll("e"); err != nil {
					t.Fatalf("MkdirAll: %v", err)
				}
				m.dirs["e"] = true
			},
			"syncDir": func(t *rapid.T) {
				dir := rapid.SampledFrom(dirPaths).Draw(t, "dir")
				err := d.SyncDir(dir)
				if !m.dirs[dir] {
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("SyncDir(%q) = %v, want not-exist", dir, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("SyncDir(%q): %v", dir, err)
				}
				m.syncDir(dir)
			},
			"crash": func(t *rapid.T) {
				d.Crash(nil)
				m.crash()
				for _, h := range handles {
					h.stale = true
				}
			},
			"": func(t *rapid.T) {
				gf, gd := snapshot(t, d)
				wf, wd := modelView(m.names, m.dirs, m.cur)
				checkSame(t, "visible", gf, gd, wf, wd)
				gf, gd = snapshot(t, d.Durable())
				wf, wd = modelView(m.afterCrash())
				checkSame(t, "after crash", gf, gd, wf, wd)
			},
		})
	})
}
