package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkHitVsNginx is a reference figure, not a target: a hit through
// `edgelab serve cache --single` (its own process, the shipped binary)
// against a hit through Debian's nginx with proxy_cache, both in front of
// the same origin, one client with keep-alive, alternating batches in one
// run. Reported: the median time per request as the client sees it, and
// the CPU per request each server process spent (utime+stime from
// /proc/PID/stat, summed over all its batches). Skipped without nginx
// (apt-get install nginx-light) or /proc.
//
//	go test ./cmd/edgelab -run '^$' -bench HitVsNginx -benchtime 20000x
func BenchmarkHitVsNginx(b *testing.B) {
	ngx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/nginx"); err2 != nil {
			b.Skip("nginx is not installed (apt-get install nginx-light): no reference figure")
		}
		ngx = "/usr/sbin/nginx"
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc: the servers' CPU cannot be read")
	}
	body := bytes.Repeat([]byte("x"), 16<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("ETag", `"b"`)
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		w.Write(body)
	}))
	defer origin.Close()

	ours := startEdgelabSingle(b, origin.URL)
	theirs := startNginxCache(b, ngx, origin.URL)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}}
	get := func(base string) http.Header {
		resp, err := client.Get(base + "/obj")
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != int64(len(body)) {
			b.Fatalf("%s: %d, %d bytes", base, resp.StatusCode, n)
		}
		return resp.Header
	}
	for _, s := range []*benchServer{ours, theirs} {
		get(s.url) // the miss that fills it
		h := get(s.url)
		if s == ours && !strings.Contains(h.Get("Cache-Status"), "hit") || s == theirs && h.Get("X-Cache-Status") != "HIT" {
			b.Fatalf("%s does not hit: %v", s.name, h)
		}
	}

	const batch = 200
	var wall [2][]time.Duration
	var cpu [2]time.Duration
	var reqs [2]int
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		order := []int{0, 1}
		if i/batch%2 == 1 {
			order = []int{1, 0}
		}
		for _, j := range order {
			s := []*benchServer{ours, theirs}[j]
			c0 := s.cpu(b)
			t0 := time.Now()
			for range batch {
				get(s.url)
			}
			wall[j] = append(wall[j], time.Since(t0)/batch)
			cpu[j] += s.cpu(b) - c0
			reqs[j] += batch
		}
	}
	b.StopTimer()
	ourCPU, ngxCPU := cpu[0]/time.Duration(reqs[0]), cpu[1]/time.Duration(reqs[1])
	b.ReportMetric(float64(medianOf(wall[0]).Microseconds()), "edgelab-us/req")
	b.ReportMetric(float64(medianOf(wall[1]).Microseconds()), "nginx-us/req")
	b.ReportMetric(float64(ourCPU.Nanoseconds())/1000, "edgelab-cpu-us/req")
	b.ReportMetric(float64(ngxCPU.Nanoseconds())/1000, "nginx-cpu-us/req")
	if ngxCPU > 0 {
		b.ReportMetric(float64(ourCPU)/float64(ngxCPU), "cpu-x-vs-nginx")
	}
}

type benchServer struct {
	name string
	url  string
	pid  int
}

// cpu is the process's user and system time so far.
func (s *benchServer) cpu(tb testing.TB) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

func medianOf(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

func startEdgelabSingle(tb testing.TB, origin string) *benchServer {
	bin := buildEdgelab(tb)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
	cmd := exec.Command(bin, "serve", "cache", "--single", "--origin", origin, "--listen", addr)
	out, _ := cmd.StdoutPipe()
	startProcess(tb, cmd)
	go io.Copy(io.Discard, bufio.NewReader(out))
	if !waitForPort(addr, 15*time.Second) {
		tb.Fatal("edgelab serve cache did not listen")
	}
	return &benchServer{name: "edgelab", url: "http://" + addr, pid: cmd.Process.Pid}
}

// startNginxCache runs nginx in the foreground as one process (no master,
// one worker: the process whose CPU is read) with proxy_cache in a
// temporary directory.
func startNginxCache(tb testing.TB, ngx, origin string) *benchServer {
	dir := tb.TempDir()
	for _, d := range []string{"cache", "tmp", "logs"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	proxy_cache_path %[1]s/cache levels=1:2 keys_zone=bench:10m max_size=64m inactive=1h use_temp_path=off;
	server {
		listen %[2]s;
		location / {
			proxy_pass %[3]s;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_cache bench;
			add_header X-Cache-Status $upstream_cache_status;
		}
	}
}
`, dir, addr, strings.TrimSuffix(origin, "/"))
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(ngx, "-p", dir, "-c", path, "-e", filepath.Join(dir, "logs", "error.log"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	startProcess(tb, cmd)
	if !waitForPort(addr, 15*time.Second) {
		errLog, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
		tb.Fatalf("nginx did not listen: %s %s", logs.String(), errLog)
	}
	return &benchServer{name: "nginx", url: "http://" + addr, pid: cmd.Process.Pid}
}
