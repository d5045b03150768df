// Package atomicfile writes files whole or not at all: into a temporary
// file in the same directory, renamed over the target once complete, so a
// failed or interrupted writer leaves the old file or none, never a
// partial or empty one. Every output the lab writes goes through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Error is a failure of the file itself (create, write, rename), as
// opposed to a failure of what was being written into it.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// IsFileError reports whether err is an *Error.
func IsFileError(err error) bool {
	_, ok := errors.AsType[*Error](err)
	return ok
}

// trackingWriter remembers the first error of the file it writes to, so
// an error returned by a formatter can be traced to the file or not.
type trackingWriter struct {
	w   io.Writer
	err error
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}

// Write fills path, with permissions perm, by calling write. An error of
// the file is an *Error; an error of write is returned as it is. Either
// way nothing is left behind and an existing file is untouched.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return &Error{path, err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	tw := &trackingWriter{w: tmp}
	if err := write(tw); err != nil {
		if tw.err != nil {
			return &Error{path, tw.err}
		}
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return &Error{path, err}
	}
	if err := tmp.Close(); err != nil {
		return &Error{path, err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &Error{path, err}
	}
	return nil
}

// WriteFile writes data to path atomically, readable by all (0644).
func WriteFile(path string, data []byte) error {
	return Write(path, 0o644, func(w io.Writer) error { _, err := w.Write(data); return err })
}
