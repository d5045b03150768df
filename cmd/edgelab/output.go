package main

// This file is how commands write files: through internal/atomicfile, so
// a failed or interrupted command leaves the old file or none, and an
// error of the file (exit 3) is told from an error of what was being
// written into it (the caller's to judge).

import (
	"io"
	"os"

	"github.com/edgelab/edgelab/internal/atomicfile"
)

// writeFile writes path atomically with write.
func writeFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, write)
}

// writeFileMode is writeFile for a file with permissions perm (0o600 for
// a private key).
func writeFileMode(path string, perm os.FileMode, write func(io.Writer) error) error {
	return atomicfile.Write(path, perm, write)
}

// outputCode is the exit status for an error from writing an output: 3
// for the file, else the given code for what was being written.
func outputCode(err error, otherwise int) int {
	if atomicfile.IsFileError(err) {
		return exitEnv
	}
	return otherwise
}
