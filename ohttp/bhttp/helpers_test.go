package bhttp

import (
	"encoding/hex"
	"errors"
	"strings"
)

func isErr(err, target error) bool { return err != nil && errors.Is(err, target) }

// unhex decodes hex written with any spacing; quoted 'text' segments are
// copied as bytes, so test inputs stay readable.
func unhex(s string) []byte {
	var out []byte
	for i, part := range strings.Split(s, "'") {
		if i%2 == 1 {
			out = append(out, part...)
			continue
		}
		b, err := hex.DecodeString(strings.Join(strings.Fields(part), ""))
		if err != nil {
			panic(err)
		}
		out = append(out, b...)
	}
	return out
}
