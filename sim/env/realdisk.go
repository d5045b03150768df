package env

// This file is a Disk on a real directory, for Real: thin wrappers over
// the os package that keep every name inside the root.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// RealDisk returns a Disk rooted at dir on the operating system's file
// system. Names are slash-separated and must stay inside dir.
func RealDisk(dir string) Disk { return &realDisk{root: dir} }

type realDisk struct{ root string }

// ErrBadPath is wrapped by the errors for names that are absolute, contain
// "..", or are otherwise not a clean relative path.
var ErrBadPath = errors.New("env: invalid disk path")

// ErrNoDisk is wrapped by every call on the Disk of a real Env that was
// configured without one.
var ErrNoDisk = errors.New("env: no disk configured")

// noDisk is the Disk of a real Env configured without one.
type noDisk struct{}

func noDiskErr(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: ErrNoDisk} }

func (noDisk) OpenFile(name string, _ int) (File, error) { return nil, noDiskErr("open", name) }
func (noDisk) ReadFile(name string) ([]byte, error)      { return nil, noDiskErr("read", name) }
func (noDisk) Rename(oldname, _ string) error            { return noDiskErr("rename", oldname) }
func (noDisk) Remove(name string) error                  { return noDiskErr("remove", name) }
func (noDisk) ReadDir(dir string) ([]string, error)      { return nil, noDiskErr("readdir", dir) }
func (noDisk) MkdirAll(dir string) error                 { return noDiskErr("mkdir", dir) }
func (noDisk) SyncDir(dir string) error                  { return noDiskErr("syncdir", dir) }

func (d *realDisk) path(op, name string) (string, error) {
	if name == "" {
		name = "."
	}
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrBadPath}
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

func (d *realDisk) OpenFile(name string, flag int) (File, error) {
	p, err := d.path("open", name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (d *realDisk) ReadFile(name string) ([]byte, error) {
	p, err := d.path("read", name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (d *realDisk) Rename(oldname, newname string) error {
	po, err := d.path("rename", oldname)
	if err != nil {
		return err
	}
	pn, err := d.path("rename", newname)
	if err != nil {
		return err
	}
	return os.Rename(po, pn)
}

func (d *realDisk) Remove(name string) error {
	p, err := d.path("remove", name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func (d *realDisk) ReadDir(dir string) ([]string, error) {
	p, err := d.path("readdir", dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

func (d *realDisk) MkdirAll(dir string) error {
	p, err := d.path("mkdir", dir)
	if err != nil {
		return err
	}
	return os.MkdirAll(p, 0o755)
}

func (d *realDisk) SyncDir(dir string) error {
	p, err := d.path("syncdir", dir)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return serr
	}
	return cerr
}
