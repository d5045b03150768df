package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
)

// cli runs the edgelab command line in process.
func cli(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func startTestServers(t *testing.T, cfg ohttpServeConfig) *ohttpServers {
	t.Helper()
	s, err := startOHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestServeOHTTPGatewayEndpoints(t *testing.T) {
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0"})
	req, _ := http.NewRequest(http.MethodGet, s.KeysURL, nil)
	req.Header.Set("Accept", ohttp.MediaTypeKeys)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cfgs, err := ohttp.ParseKeyConfigs(b)
	if err != nil || len(cfgs) != 1 || !cfgs[0].Equal(s.Key) {
		t.Fatalf("keys: %v, %v", cfgs, err)
	}
	if resp.Header.Get("Cache-Control") == "" {
		t.Fatal("no Cache-Control on the key configuration")
	}
	// A relay passes the gateway's own problem through: garbage in is a
	// 400 problem+json out, in the clear.
	resp, err = http.Post(s.RelayURL, ohttp.MediaTypeRequest, strings.NewReader("garbage"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != ohttp.MediaTypeProblem {
		t.Fatalf("garbage through the relay: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestServeOHTTPKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	first := startTestServers(t, ohttpServeConfig{relay: ":0", gateway: ":0", target: ":0", keys: path, kem: "xwing"})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", info.Mode().Perm())
	}
	if first.Key.KEM != ohttp.KEMXWing {
		t.Fatalf("generated %v", first.Key.KEM)
	}
	second := startTestServers(t, ohttpServeConfig{relay: ":0", gateway: ":0", target: ":0", keys: path})
	if !second.Key.Equal(first.Key) {
		t.Fatal("restart with the key file published a different key")
	}
	code, out, errs := cli("ohttp", "get", "--relay", second.RelayURL, "--keys", second.KeysURL, second.TargetURL)
	if code != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") {
		t.Fatalf("X-Wing fetch: %d %q %q", code, out, errs)
	}
	os.WriteFile(path, []byte("{}"), 0o600)
	if _, err := startOHTTP(ohttpServeConfig{relay: ":0", gateway: ":0", target: ":0", keys: path}); err == nil {
		t.Fatal("a bad key file was accepted")
	}
}

// stopServeAtOnce makes a serve command started by the test return as
// soon as its servers are up, as if interrupted at once.
func stopServeAtOnce(t *testing.T) {
	t.Helper()
	old := interrupted
	t.Cleanup(func() { interrupted = old })
	interrupted = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
}

// TestServeOHTTPCommand runs the whole command, stopping it at once.
func TestServeOHTTPCommand(t *testing.T) {
	stopServeAtOnce(t)
	code, out, errs := cli("serve", "ohttp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"relay   http://127.0.0.1:", "gateway http://127.0.0.1:", "keys    http://127.0.0.1:", "target  http://127.0.0.1:", "try: edgelab ohttp get"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "nope"},
		{"serve", "ohttp", "--bogus"},
		{"serve", "ohttp", "extra"},
		{"serve", "ohttp", "--kem", "rsa"},
	} {
		code, out, errs := cli(args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out, errs)
		}
	}
}
