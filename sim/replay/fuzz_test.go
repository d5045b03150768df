package replay

import (
	"bytes"
	"testing"
)

// FuzzParse: a replay file is user input; it parses to a file that
// encodes stably, or is refused.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"plan":{"world":"ping","seed":3},"trace_sha256":"` + string(bytes.Repeat([]byte("ab"), 32)) + `"}`))
	f.Add([]byte(`{"plan":{"world":"ping","seed":1,"faults":[{"at":"1s","kind":"heal"}]},"trace_sha256":"00","failure":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := Parse(data)
		if err != nil {
			return
		}
		out, err := rf.Marshal()
		if err != nil {
			t.Fatalf("accepted file does not encode: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-encoded file refused: %v\n%s", err, out)
		}
	})
}
