package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The standard HTTP cache test suite (npm http-cache-tests 0.4.5) against
// `edgelab serve cache --single` and, in the same run, Apache Traffic
// Server as a reverse proxy on loopback. .ci/setup.d/cache.sh installs
// both; without node or the suite the test skips and says why.

// cacheTestsDir finds the installed suite.
func cacheTestsDir() string {
	var dirs []string
	if d := os.Getenv("EDGELAB_CACHE_TESTS"); d != "" {
		dirs = append(dirs, d)
	}
	if h, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "edgelab", "http-cache-tests", "node_modules", "http-cache-tests"))
	}
	dirs = append(dirs, filepath.Join(os.TempDir(), "edgelab-http-cache-tests", "node_modules", "http-cache-tests"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "cli.mjs")); err == nil {
			return d
		}
	}
	return ""
}

// suiteScore is one implementation's result.
type suiteScore struct {
	name     string
	required int      // required tests in the suite
	passed   []string // required tests passed
	failed   []string
	cdn      []string // RFC 9213 tests (ids naming cdn-cache-control)
	cdnFail  []string
}

func TestHTTPCacheTestSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the HTTP cache test suite runs in real time; skipped in -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (.ci/setup.d/cache.sh installs it with the suite)")
	}
	dir := cacheTestsDir()
	if dir == "" {
		t.Skip("http-cache-tests is not installed (.ci/setup.d/cache.sh: npm install http-cache-tests@0.4.5; or set EDGELAB_CACHE_TESTS)")
	}
	kinds := suiteKinds(t, node, dir)
	originURL := startSuiteOrigin(t, node, dir)

	s := startTestCache(t, cacheServeConfig{single: true, origin: originURL, listen: "127.0.0.1:0", capacity: 64 << 20})
	ours := runSuite(t, node, dir, strings.TrimSuffix(s.tiers[0].url, "/"), "edgelab", kinds)
	report(t, ours)

	var ats *suiteScore
	if ts, err := exec.LookPath("traffic_server"); err == nil {
		if base := startATS(t, ts, dir, originURL); base != "" {
			ats = runSuite(t, node, dir, base, "trafficserver", kinds)
			report(t, ats)
		}
	} else {
		t.Log("traffic_server is not installed: no ATS comparison in this run")
	}
	if len(ours.cdnFail) > 0 {
		t.Errorf("CDN-Cache-Control cases failed: %v", ours.cdnFail)
	}
	if len(ours.cdn) == 0 {
		t.Logf("this suite version has no CDN-Cache-Control cases; RFC 9213 is covered by cache's own tests")
	}
	if ats != nil && len(ours.passed) <= len(ats.passed) {
		t.Errorf("edgelab passed %d required tests, trafficserver %d: want more", len(ours.passed), len(ats.passed))
	}
}

func report(t *testing.T, s *suiteScore) {
	t.Logf("%s: %d of %d required tests passed; failed: %s", s.name, len(s.passed), s.required, strings.Join(s.failed, " "))
}

// suiteKinds lists every test id with its kind ("required", "optimal",
// "check"), the surrogate suite included as the suite's own CLI does.
func suiteKinds(t *testing.T, node, dir string) map[string]string {
	script := `
import tests from './tests/index.mjs'
import surrogate from './tests/surrogate-control.mjs'
tests.push(surrogate)
const out = {}
for (const s of tests) for (const t of s.tests) { if (!t.browser_only) out[t.id] = t.kind || 'required' }
console.log(JSON.stringify(out))`
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("listing the suite's tests: %v", err)
	}
	kinds := map[string]string{}
	if err := json.Unmarshal(out, &kinds); err != nil || len(kinds) == 0 {
		t.Fatalf("listing the suite's tests: %v (%d tests)", err, len(kinds))
	}
	return kinds
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitForPort(addr string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// startProcess starts cmd and stops it (by its own process) when the test
// ends.
func startProcess(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

func startSuiteOrigin(t *testing.T, node, dir string) string {
	port := freePort(t)
	cmd := exec.Command(node, "server/server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_protocol=http", fmt.Sprintf("npm_config_port=%d", port),
		"npm_config_pidfile="+filepath.Join(t.TempDir(), "server.pid"))
	startProcess(t, cmd)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if !waitForPort(addr, 15*time.Second) {
		t.Fatal("the suite's origin server did not start")
	}
	return "http://" + addr + "/"
}

// startATS runs traffic_server as a reverse proxy to origin with a private
// run root in a temporary directory, and returns its base URL ("" if it
// would not start, which the test logs).
func startATS(t *testing.T, ts, dir, origin string) string {
	root := t.TempDir()
	for _, d := range []string{"etc", "run", "log", "cache"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec.Command("cp", "-r", "/etc/trafficserver/.", filepath.Join(root, "etc")).Run(); err != nil {
		t.Logf("no ATS comparison: copying /etc/trafficserver: %v", err)
		return ""
	}
	port := freePort(t)
	files := map[string]string{
		"runroot.yaml": fmt.Sprintf("prefix: %[1]s\nexec_prefix: /usr\nbindir: /usr/bin\nsbindir: /usr/sbin\nsysconfdir: %[1]s/etc\n"+
			"datadir: %[1]s/cache\nincludedir: /usr/include\nlibdir: /usr/lib/trafficserver\nlibexecdir: /usr/lib/trafficserver/modules\n"+
			"localstatedir: %[1]s/run\nruntimedir: %[1]s/run\nlogdir: %[1]s/log\ncachedir: %[1]s/cache\n", root),
		// The suite's own configuration of ATS (its docker image's), on
		// our port, as the user running the test, logging off.
		"etc/records.config": atsRecords(t, dir, port),
		"etc/remap.config":   "map / " + origin + "\n",
		"etc/storage.config": filepath.Join(root, "cache", "store") + " 64M\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(ts, "--run-root="+filepath.Join(root, "runroot.yaml"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	startProcess(t, cmd)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if !waitForPort(addr, 30*time.Second) {
		t.Logf("no ATS comparison: traffic_server did not listen: %s", logs.String())
		return ""
	}
	return "http://" + addr
}

// atsRecords is the suite's records.config for ATS with the port, the
// user and logging replaced.
func atsRecords(t *testing.T, dir string, port int) string {
	b, err := os.ReadFile(filepath.Join(dir, "docker", "trafficserver", "records.config"))
	if err != nil {
		t.Fatalf("the suite's ATS configuration: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "CONFIG" {
			switch f[1] {
			case "proxy.config.http.server_ports", "proxy.config.admin.user_id", "proxy.config.log.logging_enabled":
				continue
			}
		}
		out = append(out, line)
	}
	out = append(out, fmt.Sprintf("CONFIG proxy.config.http.server_ports STRING %d", port),
		"CONFIG proxy.config.admin.user_id STRING #-1", "CONFIG proxy.config.log.logging_enabled INT 0")
	return strings.Join(out, "\n") + "\n"
}

// runSuite runs the suite's client against base and scores it.
func runSuite(t *testing.T, node, dir, base, name string, kinds map[string]string) *suiteScore {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--no-warnings", "cli.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_base="+base, "npm_package_config_id=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: the suite's client: %v\n%s", name, err, stderr.String())
	}
	results := map[string]json.RawMessage{}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("%s: the suite's output is not JSON: %v\n%s", name, err, stderr.String())
	}
	s := &suiteScore{name: name}
	ids := make([]string, 0, len(kinds))
	for id := range kinds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		pass := string(results[id]) == "true"
		if strings.Contains(strings.ToLower(id), "cdn-cache-control") {
			s.cdn = append(s.cdn, id)
			if !pass {
				s.cdnFail = append(s.cdnFail, id)
			}
		}
		if kinds[id] != "required" {
			continue
		}
		s.required++
		if pass {
			s.passed = append(s.passed, id)
		} else {
			s.failed = append(s.failed, id)
		}
	}
	return s
}
