package hdr

import (
	"strings"
	"testing"
)

// FuzzParseTags: any input gives tags or a typed error, never a panic, and
// what parses has valid names, no duplicates, and values without bare LF.
func FuzzParseTags(f *testing.F) {
	f.Add("v=1; a=rsa-sha256; d=example.com; s=sel;\r\n\tb=abc def; bh=xyz=;")
	f.Add("i=1; a=ed25519-sha256; cv=pass; d=x; s=y; t=12345")
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseTags(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tg := range tags {
			if !validTagName(tg.Name) || seen[tg.Name] || strings.Contains(strings.ReplaceAll(tg.Value, "\r\n", ""), "\n") {
				t.Fatalf("bad tag %+v from %q", tg, s)
			}
			seen[tg.Name] = true
		}
		// clearing b= never touches other tags
		f := Field("X: " + s + "\r\n")
		if b, ok := tags.Get("b"); ok && b != "" {
			cleared, err := ParseTags(ClearTag(f, "b").Value())
			if err != nil {
				t.Fatalf("cleared field does not parse: %v", err)
			}
			if v, _ := cleared.Get("b"); v != "" || len(cleared) != len(tags) {
				t.Fatalf("ClearTag(%q) = %q", f, ClearTag(f, "b"))
			}
		}
	})
}

// FuzzSplit: any message splits or fails cleanly, and the fields and body
// put back together are the message.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("From: a@b\r\nSubject: x\r\n\ty\r\n\r\nbody\r\n"))
	f.Add([]byte("From: a@b\n\nbody"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		fields, body, err := Split(msg)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, fl := range fields {
			b.WriteString(string(fl))
		}
		if body != nil || len(fields) > 0 && len(msg) > b.Len() {
			b.WriteString("\r\n")
			b.Write(body)
		}
		if b.String() != string(msg) {
			t.Fatalf("Split lost bytes: %q became %q", msg, b.String())
		}
	})
}
