// Package pydkim runs Debian's python3-dkim (dkimpy) as an independent
// DKIM and ARC verifier for tests: a small script, written to a temporary
// directory, verifies a message with dkimpy's own verify or arc_verify,
// its DNS answered from the key records the test gives.
package pydkim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Python is the interpreter Debian's package installs for.
const Python = "/usr/bin/python3"

// script verifies each message of a JSON list (base64) and prints one
// verdict per line.
const script = `import base64, json, sys
import dkim
mode, zone = sys.argv[1], json.load(open(sys.argv[2]))
def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    rec = zone.get(name.rstrip('.').lower())
    return rec.encode() if rec is not None else None
for m in json.load(sys.stdin):
    msg = base64.b64decode(m)
    if mode == 'dkim':
        print('pass' if dkim.verify(msg, dnsfunc=dnsfunc) else 'fail')
    else:
        cv, results, comment = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        print(cv.decode() if isinstance(cv, bytes) else cv, comment.replace('\\n', ' '))
`

// Require skips the test when dkimpy is not installed.
func Require(t testing.TB) {
	t.Helper()
	if err := exec.Command(Python, "-c", "import dkim").Run(); err != nil {
		t.Skipf("python3-dkim is not installed (%s -c 'import dkim': %v); skipping the independent check", Python, err)
	}
}

// Verify runs dkimpy in mode "dkim" (the verdict on the first
// DKIM-Signature: "pass" or "fail") or "arc" (the chain's cv and dkimpy's
// comment) over msg, with records mapping names to TXT data.
func Verify(t testing.TB, mode string, msg []byte, records map[string]string) string {
	t.Helper()
	return VerifyAll(t, mode, [][]byte{msg}, records)[0]
}

// VerifyAll is Verify over several messages in one run of the interpreter.
func VerifyAll(t testing.TB, mode string, msgs [][]byte, records map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	py := filepath.Join(dir, "verify.py")
	zone := filepath.Join(dir, "zone.json")
	if err := os.WriteFile(py, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	lower := map[string]string{}
	for k, v := range records {
		lower[strings.ToLower(k)] = v
	}
	raw, _ := json.Marshal(lower)
	if err := os.WriteFile(zone, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	encoded := make([]string, len(msgs))
	for i, m := range msgs {
		encoded[i] = base64.StdEncoding.EncodeToString(m)
	}
	input, _ := json.Marshal(encoded)
	cmd := exec.Command(Python, py, mode, zone)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy %s: %v\n%s", mode, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(msgs) {
		t.Fatalf("dkimpy %s: %d verdicts for %d messages:\n%s", mode, len(lines), len(msgs), out)
	}
	return lines
}

// String formats a verdict for messages.
func String(mode, verdict string) string { return fmt.Sprintf("dkimpy %s: %s", mode, verdict) }
