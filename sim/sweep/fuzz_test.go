package sweep

import (
	"bytes"
	"testing"
)

// FuzzReadReport: shard reports come from other machines; a bad one is an
// error, never a panic.
func FuzzReadReport(f *testing.F) {
	f.Add([]byte(`{"world":"ping","seeds":"1..4","shard":"0/2","results":[{"seed":2,"pass":true,"trace_sha256":"aa"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadReport(bytes.NewReader(data))
	})
}
