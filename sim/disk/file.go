package disk

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// memFile is an open file of a MemDisk. Like an *os.File it has its own
// offset for Read and Write; ReadAt ignores it.
type memFile struct {
	disk   *MemDisk
	node   *inode
	name   string
	gen    uint64
	off    int
	read   bool
	write  bool
	append bool
	closed bool
}

var _ env.File = (*memFile)(nil)

// usable reports why the handle cannot be used for op.
// Name is the name the file was opened by, as os.File's.
func (f *memFile) Name() string { return f.name }

func (f *memFile) usable(op string) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, fs.ErrClosed)
	case f.gen != f.disk.gen:
		return pathErr(op, f.name, ErrStaleHandle)
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	if err := f.usable("read"); err != nil {
		return 0, err
	}
	if !f.read {
		return 0, pathErr("read", f.name, ErrAccessMode)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.disk.inject("read", f.name, f.disk.faults.ReadErrorProb); err != nil {
		return 0, err
	}
	if f.off >= len(f.node.data) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[f.off:])
	f.off += n
	return n, nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.usable("read"); err != nil {
		return 0, err
	}
	if !f.read {
		return 0, pathErr("read", f.name, ErrAccessMode)
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, errors.New("negative offset"))
	}
	if err := f.disk.inject("read", f.name, f.disk.faults.ReadErrorProb); err != nil {
		return 0, err
	}
	if off >= int64(len(f.node.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write writes at the handle's offset, or at the end with O_APPEND. The
// bytes are visible at once and durable only after Sync.
func (f *memFile) Write(p []byte) (int, error) {
	if err := f.usable("write"); err != nil {
		return 0, err
	}
	if !f.write {
		return 0, pathErr("write", f.name, ErrAccessMode)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.disk.inject("write", f.name, f.disk.faults.WriteErrorProb); err != nil {
		return 0, err
	}
	if f.append {
		f.off = len(f.node.data)
	}
	f.node.writeAt(p, f.off)
	f.off += len(p)
	f.node.modTime = f.disk.clock()
	return len(p), nil
}

// Sync makes the file's content durable (not its name: see SyncDir).
func (f *memFile) Sync() error {
	if err := f.usable("sync"); err != nil {
		return err
	}
	if err := f.disk.inject("sync", f.name, f.disk.faults.SyncErrorProb); err != nil {
		return err
	}
	f.node.sync()
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	if err := f.usable("stat"); err != nil {
		return nil, err
	}
	return fileInfo{name: path.Base(f.name), size: int64(len(f.node.data)), modTime: f.node.modTime}, nil
}

func (f *memFile) Close() error {
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

// fileInfo is what Stat reports. A MemDisk has no permissions; files report
// 0644 so that code printing modes sees something ordinary.
type fileInfo struct {
	name    string
	size    int64
	modTime time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return fi.modTime }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }
