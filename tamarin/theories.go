package tamarin

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/edgelab/edgelab/tamarin/spthy"
)

// The theories, embedded: every theories/*.spthy at build time, each with
// its party table NAME.parties.json beside it.
//
//go:embed theories/*.spthy theories/*.parties.json
var theoryFS embed.FS

// Theory is one embedded theory file.
type Theory struct {
	// Name is the file's base name without .spthy: "ohttp",
	// "ohttp_partitioned". It is what the command line's --theory takes.
	Name string
	// File is the path inside the module: "tamarin/theories/ohttp.spthy".
	File string
	// Source is the file's text.
	Source []byte
	// Parties is the party table beside it (NAME.parties.json: which
	// trace nodes are which party, and what compromising one means, in
	// the format tamarin/check reads), nil if there is none.
	Parties []byte
}

// Theories returns the embedded theories, sorted by name.
func Theories() []Theory {
	entries, err := fs.Glob(theoryFS, "theories/*.spthy")
	if err != nil {
		// Only a malformed pattern makes Glob fail; the pattern is fixed.
		panic(err)
	}
	sort.Strings(entries)
	out := make([]Theory, 0, len(entries))
	for _, e := range entries {
		src, err := theoryFS.ReadFile(e)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		parties, err := theoryFS.ReadFile(strings.TrimSuffix(e, ".spthy") + ".parties.json")
		if err != nil {
			parties = nil // a theory without a party table
		}
		out = append(out, Theory{
			Name:    strings.TrimSuffix(path.Base(e), ".spthy"),
			File:    "tamarin/" + e,
			Source:  src,
			Parties: parties,
		})
	}
	return out
}

// Names returns the names of the embedded theories, sorted.
func Names() []string {
	var out []string
	for _, t := range Theories() {
		out = append(out, t.Name)
	}
	return out
}

// Lookup returns the embedded theory called name ("ohttp" or
// "ohttp.spthy").
func Lookup(name string) (Theory, error) {
	name = strings.TrimSuffix(name, ".spthy")
	for _, t := range Theories() {
		if t.Name == name {
			return t, nil
		}
	}
	return Theory{}, fmt.Errorf("tamarin: no theory %q (have %s)", name, strings.Join(Names(), ", "))
}

// Parse parses the embedded theory called name. Syntax errors name the
// file, as in "tamarin/theories/ohttp.spthy:12:7: ...".
func Parse(name string) (*spthy.Theory, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return t.Parse()
}

// Parse parses t.
func (t Theory) Parse() (*spthy.Theory, error) {
	return spthy.Parse(t.Source, spthy.Options{File: t.File})
}

// declaredName finds "theory NAME begin" in a theory's source.
var declaredName = regexp.MustCompile(`(?m)^\s*theory\s+([A-Za-z_][A-Za-z0-9_]*)\s+begin`)

// PartiesOf returns the party table of the embedded theory that declares
// itself as name ("theory NAME begin"), which is how a parsed theory knows
// itself.
func PartiesOf(name string) ([]byte, bool) {
	for _, t := range Theories() {
		if m := declaredName.FindSubmatch(t.Source); m != nil && string(m[1]) == name && t.Parties != nil {
			return t.Parties, true
		}
	}
	return nil, false
}
