package disk

import (
	"fmt"
	"io/fs"
	"strings"
)

// diskError is a sentinel that also matches a standard io/fs error, so that
// service code written against os (errors.Is(err, fs.ErrInvalid)) behaves
// the same on a MemDisk.
type diskError struct {
	msg string
	is  error // the io/fs sentinel this error also matches, or nil
}

func (e *diskError) Error() string { return e.msg }

func (e *diskError) Is(target error) bool { return e.is != nil && target == e.is }

// Sentinels of the simulated disk. They are always wrapped in an
// *fs.PathError (or *os.LinkError for Rename) naming the operation and path.
var (
	// ErrInvalidName: a name that is empty, absolute, has "." or ".."
	// elements, or empty elements. Also matches fs.ErrInvalid.
	ErrInvalidName error = &diskError{"invalid name", fs.ErrInvalid}
	// ErrIsDir: a file operation on a directory.
	ErrIsDir error = &diskError{"is a directory", nil}
	// ErrNotDir: a directory operation on a file, or a file used as a
	// path prefix.
	ErrNotDir error = &diskError{"not a directory", nil}
	// ErrNotEmpty: removing (or renaming over) a non-empty directory.
	ErrNotEmpty error = &diskError{"directory not empty", nil}
	// ErrAccessMode: reading a file opened write-only, or writing one
	// opened read-only.
	ErrAccessMode error = &diskError{"file not opened for this access", nil}
	// ErrBadFlag: OpenFile flags this disk does not implement, or that
	// contradict each other.
	ErrBadFlag error = &diskError{"unsupported open flags", fs.ErrInvalid}
	// ErrStaleHandle: the file was opened before the disk crashed; the
	// handle died with the process that held it. Also matches fs.ErrClosed.
	ErrStaleHandle error = &diskError{"file handle predates a disk crash", fs.ErrClosed}
	// ErrInjectedIO: a fault injected by Faults (an EIO on real
	// hardware). The operation had no effect.
	ErrInjectedIO error = &diskError{"injected I/O error", nil}
)

// checkName reports why name is not a valid disk name. Names follow
// fs.ValidPath: slash-separated, relative to the disk root, no empty, "."
// or ".." elements; "." alone names the root and is accepted only where
// rootOK.
func checkName(name string, rootOK bool) error {
	if name == "." {
		if rootOK {
			return nil
		}
		return fmt.Errorf("%w: \".\" is the root directory, not a file", ErrInvalidName)
	}
	if fs.ValidPath(name) && !strings.ContainsRune(name, 0) {
		return nil
	}
	var why string
	switch {
	case name == "":
		why = "empty name"
	case strings.HasPrefix(name, "/"):
		why = "absolute paths are not allowed; names are relative to the disk root"
	case strings.HasSuffix(name, "/"):
		why = "trailing slash"
	case strings.ContainsRune(name, 0):
		why = "NUL byte in name"
	default:
		why = "\".\", \"..\" or empty path elements are not allowed"
		for elem := range strings.SplitSeq(name, "/") {
			if elem == ".." {
				why = "\"..\" elements are not allowed"
				break
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrInvalidName, why)
}

// pathErr builds the *fs.PathError every disk operation returns.
func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}
