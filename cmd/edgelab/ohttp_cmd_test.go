package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/edgelab/edgelab/ohttp"
)

// TestServeOHTTPAndGetOverLoopback runs the relay, gateway and target on
// real loopback sockets and fetches through them with the get command.
func TestServeOHTTPAndGetOverLoopback(t *testing.T) {
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0"})
	for _, chunked := range []bool{false, true} {
		args := []string{"ohttp", "get", "--relay", s.RelayURL, "--keys", s.KeysURL}
		if chunked {
			args = append(args, "--chunked")
		}
		code, out, errs := cli(append(args, s.TargetURL+"hello?who=me")...)
		if code != 0 {
			t.Fatalf("chunked=%v: exit %d: %s", chunked, code, errs)
		}
		for _, want := range []string{
			"HTTP/1.1 200 OK\n",
			"Content-Type: text/plain; charset=utf-8\n",
			"X-Edgelab-Target: demo\n",
			"\n\nhello from the edgelab demo target\nGET /hello?who=me\n",
		} {
			if !strings.Contains(out, want) {
				t.Fatalf("chunked=%v: output lacks %q:\n%s", chunked, want, out)
			}
		}
		if !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") {
			t.Fatalf("output does not start with the status line:\n%s", out)
		}
	}
}

// TestServeOHTTPRefusesOtherTargets: the gateway reaches only its demo
// target; anything else comes back as an encapsulated 403, printed, and
// the command fails with status 1 (so a script notices).
func TestServeOHTTPRefusesOtherTargets(t *testing.T) {
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0"})
	// The relay itself is on loopback and listening, but not allowed.
	for _, target := range []string{s.RelayURL, "http://localhost" + strings.TrimPrefix(s.TargetURL, "http://127.0.0.1"), "http://169.254.169.254/latest/meta-data/"} {
		code, out, errs := cli("ohttp", "get", "--relay", s.RelayURL, "--keys", s.KeysURL, target)
		if code != exitFailed || !strings.HasPrefix(out, "HTTP/1.1 403 Forbidden\n") || errs != "edgelab ohttp get: the target answered 403 Forbidden\n" {
			t.Fatalf("%s: exit %d, %q, %q", target, code, out, errs)
		}
	}
}

func TestOHTTPGetUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"ohttp"},
		{"ohttp", "put"},
		{"ohttp", "get"},
		{"ohttp", "get", "--relay", "http://r/"},
		{"ohttp", "get", "--relay", "http://r/", "--keys", "http://k/"},
		{"ohttp", "get", "--relay", "http://r/", "--keys", "http://k/", "ftp://x/"},
		{"ohttp", "get", "--relay", "http://r/", "--keys", "http://k/", "http://a/", "http://b/"},
		{"ohttp", "get", "--nope"},
	} {
		code, out, errs := cli(args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out, errs)
		}
	}
	// A relay that is not there is the environment failing, exit 3.
	code, _, errs := cli("ohttp", "get", "--relay", "http://127.0.0.1:1/", "--keys", "http://127.0.0.1:1/k", "http://127.0.0.1:2/")
	if code != exitEnv || strings.Count(errs, "\n") != 1 {
		t.Errorf("unreachable: exit %d, %q", code, errs)
	}
}

// TestOHTTPGetSkipsUnsupportedKeyConfig: a published list whose first
// configuration uses the pre-standard KEM 0x0030 still works through its
// X25519 configuration, and the command says what it skipped.
func TestOHTTPGetSkipsUnsupportedKeyConfig(t *testing.T) {
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0"})
	x25519, err := ohttp.MarshalKeyConfigs([]ohttp.KeyConfig{s.Key})
	if err != nil {
		t.Fatal(err)
	}
	pre := append([]byte{0x07, 0x00, 0x30}, bytes.Repeat([]byte{0x04}, 65)...)
	pre = append(pre, 0, 4, 0, 1, 0, 1)
	list := append(append([]byte{0, byte(len(pre))}, pre...), x25519...)
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ohttp.MediaTypeKeys)
		w.Write(list)
	}))
	defer keys.Close()
	code, out, errs := cli("ohttp", "get", "--relay", s.RelayURL, "--keys", keys.URL, s.TargetURL+"hello")
	if code != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") {
		t.Fatalf("exit %d, %q, %q", code, out, errs)
	}
	if !strings.Contains(errs, "skipped key configuration 0") || !strings.Contains(errs, "0x0030") {
		t.Fatalf("stderr %q does not report the skipped configuration", errs)
	}
}

// TestOHTTPGetFlagsAfterTarget: flags may follow TARGET, as in
// `edgelab ohttp get TARGET --timeout 5s`.
func TestOHTTPGetFlagsAfterTarget(t *testing.T) {
	s := startTestServers(t, ohttpServeConfig{relay: "127.0.0.1:0", gateway: "127.0.0.1:0", target: "127.0.0.1:0"})
	code, out, errs := cli("ohttp", "get", s.TargetURL+"late-flags", "--timeout", "5s", "--relay", s.RelayURL, "--keys", s.KeysURL)
	if code != 0 || !strings.Contains(out, "GET /late-flags\n") {
		t.Fatalf("exit %d, %q, %q", code, out, errs)
	}
	// A timeout that cannot be met is honoured wherever it stands.
	code, _, errs = cli("ohttp", "get", s.TargetURL, "--relay", s.RelayURL, "--keys", s.KeysURL, "--timeout", "1ns")
	if code != exitEnv || !strings.Contains(errs, "deadline") {
		t.Fatalf("--timeout 1ns after TARGET: exit %d, %q", code, errs)
	}
}
