package main

// This file is how commands write files: atomically (a temporary file in
// the same directory, renamed into place once it is whole), so a failed or
// interrupted command leaves either the old file or none, never a partial
// or empty one. It also tells a failure of the file (exit 3) from a
// failure of what was being written into it (the caller's to judge).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// outputError is a failure to create, write or rename an output file.
type outputError struct {
	path string
	err  error
}

func (e *outputError) Error() string { return fmt.Sprintf("writing %s: %v", e.path, e.err) }
func (e *outputError) Unwrap() error { return e.err }

// isOutputError reports whether err is a failure of the output file itself.
func isOutputError(err error) bool {
	_, ok := errors.AsType[*outputError](err)
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

// writeFile writes path atomically with write. An error of the file is an
// *outputError; an error of write is returned as it is, and leaves no
// file behind.
func writeFile(path string, write func(io.Writer) error) error {
	return writeFileMode(path, 0o644, write)
}

// writeFileMode is writeFile for a file with permissions perm (0o600 for
// a private key).
func writeFileMode(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return &outputError{path, err}
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
			return &outputError{path, tw.err}
		}
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return &outputError{path, err}
	}
	if err := tmp.Close(); err != nil {
		return &outputError{path, err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &outputError{path, err}
	}
	return nil
}

// writeBytes writes data to path atomically.
func writeBytes(path string, data []byte) error {
	return writeFile(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// outputCode is the exit status for an error from writing an output: 3
// for the file, else the given code for what was being written.
func outputCode(err error, otherwise int) int {
	if isOutputError(err) {
		return exitEnv
	}
	return otherwise
}
