package tamarin

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The theory mutants, embedded: theories/testdata/mutants/THEORY/NAME.mutant,
// each one small change to a theory and the lemmas it must falsify (the
// format is in that directory's README.md; package tamarin/prove reads
// and applies them).
//
//go:embed theories/testdata/mutants
var mutantFS embed.FS

// MutantFile is one embedded mutant, unparsed.
type MutantFile struct {
	// Theory is the embedded theory it changes: the directory's name.
	Theory string
	// Name is the file's base name without .mutant.
	Name string
	// File is the path inside the module.
	File string
	// Data is the file's text.
	Data []byte
}

// MutantFiles returns the embedded mutants, sorted by theory and name.
func MutantFiles() []MutantFile {
	entries, err := fs.Glob(mutantFS, "theories/testdata/mutants/*/*.mutant")
	if err != nil {
		panic(err) // the pattern is fixed
	}
	sort.Strings(entries)
	out := make([]MutantFile, 0, len(entries))
	for _, e := range entries {
		data, err := mutantFS.ReadFile(e)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		out = append(out, MutantFile{
			Theory: path.Base(path.Dir(e)),
			Name:   strings.TrimSuffix(path.Base(e), ".mutant"),
			File:   "tamarin/" + e,
			Data:   data,
		})
	}
	return out
}
