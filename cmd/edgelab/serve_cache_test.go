package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/cache"
	"github.com/edgelab/edgelab/cache/status"
)

func startTestCache(t *testing.T, cfg cacheServeConfig) *cacheServers {
	t.Helper()
	s, err := startCache(cfg)
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

func getCacheStatus(t *testing.T, url string) (string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp.Header.Get("Cache-Status"), string(b)
}

// The single tier over real sockets in front of the demo origin: a miss
// that stores, then a hit with the same body.
func TestServeCacheSingle(t *testing.T) {
	s := startTestCache(t, cacheServeConfig{single: true, listen: "127.0.0.1:0"})
	u := s.tiers[0].url + "demo"
	st1, body1 := getCacheStatus(t, u)
	st2, body2 := getCacheStatus(t, u)
	if !strings.HasPrefix(st1, "edgelab; fwd=uri-miss; fwd-status=200; ttl=") || !strings.Contains(st1, "; stored") {
		t.Fatalf("first Cache-Status %q", st1)
	}
	if !strings.HasPrefix(st2, "edgelab; hit; ttl=") || body1 != body2 {
		t.Fatalf("second Cache-Status %q, bodies %q %q", st2, body1, body2)
	}
}

func TestServeCacheBadOrigin(t *testing.T) {
	code, _, stderr := cli("serve", "cache", "--single", "--origin", "ftp://x")
	if code != exitUsage || !strings.Contains(stderr, "want an http or https URL") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

// cacheGet fetches path from a tier with the zone's Host and returns the
// Cache-Status and body; no response may carry a control field.
func cacheGet(t *testing.T, base, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Host = "www.example.test"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for k := range resp.Header {
		if cache.IsControlField(k) {
			t.Fatalf("control field %s reached the client", k)
		}
	}
	return resp.StatusCode, resp.Header.Get("Cache-Status"), string(b)
}

// Over real loopback sockets: lower → upper → origin, a hit at each tier,
// a revalidation through both, a purge by tag through the API, and a
// well-formed Cache-Status chain as curl sees it.
func TestServeCacheTiersOverLoopback(t *testing.T) {
	s := startTestCache(t, cacheServeConfig{listen: "127.0.0.1:0"})
	if len(s.tiers) != 3 || s.purgeURL == "" {
		t.Fatalf("want upper and two lower tiers and a purge API, got %+v", s)
	}
	upper, low1, low2 := s.tiers[0], s.tiers[1], s.tiers[2]
	key := `key="http://www.example.test/tagged"`
	expect := func(base, path, want string) string {
		t.Helper()
		code, st, body := cacheGet(t, base, path)
		if code != http.StatusOK || !matchStatus(st, want) {
			t.Fatalf("GET %s%s: %d, Cache-Status %q, want %q", base, path, code, st, want)
		}
		return body
	}
	b1 := expect(low1.url, "tagged", "upper; fwd=uri-miss; fwd-status=200; ttl=*; stored; "+key+", lower-1; fwd=uri-miss; fwd-status=200; ttl=*; stored; "+key)
	b2 := expect(low1.url, "tagged", "lower-1; hit; ttl=*; "+key)
	b3 := expect(low2.url, "tagged", "upper; hit; ttl=*; "+key+", lower-2; fwd=uri-miss; fwd-status=200; ttl=*; stored; "+key)
	if b1 != b2 || b2 != b3 {
		t.Fatalf("bodies differ: %q %q %q", b1, b2, b3)
	}
	rkey := `key="http://www.example.test/revalidate"`
	expect(low1.url, "revalidate", "upper; fwd=uri-miss; fwd-status=200; ttl=0; stored; "+rkey+", lower-1; fwd=uri-miss; fwd-status=200; ttl=0; stored; "+rkey)
	expect(low1.url, "revalidate", "upper; fwd=stale; fwd-status=304; ttl=0; "+rkey+", lower-1; fwd=stale; fwd-status=304; ttl=0; "+rkey)

	// Purge by tag: both tiers drop it, so the next request reaches the
	// origin again.
	req, _ := http.NewRequest("POST", s.purgeURL, strings.NewReader(`{"tags":["tagged"]}`))
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(pb) != `{"purged":{"lower-1":1,"lower-2":1,"upper":1}}`+"\n" {
		t.Fatalf("purge: %s %s", resp.Status, pb)
	}
	unauth, _ := http.Post(s.purgeURL, "application/json", strings.NewReader(`{"everything":true}`))
	unauth.Body.Close()
	if unauth.StatusCode != http.StatusUnauthorized {
		t.Fatalf("purge without the token: %s", unauth.Status)
	}
	expect(low1.url, "tagged", "upper; fwd=uri-miss; fwd-status=200; ttl=*; stored; "+key+", lower-1; fwd=uri-miss; fwd-status=200; ttl=*; stored; "+key)

	// The upper tier refuses a request without a control context.
	code, st, _ := cacheGet(t, upper.url, "tagged")
	if code != http.StatusInternalServerError || st != "upper; detail=control-missing" {
		t.Fatalf("upper tier without control: %d %q", code, st)
	}

	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl is not installed: the stock-client check is skipped")
		return
	}
	out, err := exec.Command(curl, "-s", "-D", "-", "-o", "/dev/null", "-H", "Host: www.example.test", low2.url+"tagged").Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	var field string
	for _, line := range strings.Split(string(out), "\r\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Cache-Status") {
			field = strings.TrimSpace(v)
		}
	}
	ms, err := status.Parse([]string{field})
	if err != nil || len(ms) != 2 || ms[0].Cache != "upper" || !ms[0].Hit || ms[1].Cache != "lower-2" || ms[1].Fwd != "uri-miss" {
		t.Fatalf("curl saw Cache-Status %q: %+v, %v", field, ms, err)
	}
}

// matchStatus compares a Cache-Status with a pattern in which "ttl=*"
// stands for any ttl.
func matchStatus(got, want string) bool {
	re := regexp.QuoteMeta(want)
	re = strings.ReplaceAll(re, `ttl=\*`, `ttl=-?[0-9]+`)
	return regexp.MustCompile("^" + re + "$").MatchString(got)
}

// Over real sockets: once the origin is gone, the single tier answers a
// stale request from its store under the shipped default, and not when
// that is switched off (what --stale-if-disconnected 0 sets).
func TestServeCacheServesStaleWhenTheOriginIsGone(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a response to go stale in real time")
	}
	for _, c := range []struct {
		sid  time.Duration
		want int
	}{{0, http.StatusOK}, {-1, http.StatusBadGateway}} {
		origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=1")
			io.WriteString(w, "stored")
		}))
		s := startTestCache(t, cacheServeConfig{single: true, listen: "127.0.0.1:0", origin: origin.URL, staleIfDisconnected: c.sid})
		u := s.tiers[0].url + "obj"
		getCacheStatus(t, u)
		origin.Close()
		time.Sleep(1100 * time.Millisecond)
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == 200 && (string(b) != "stored" || !strings.HasSuffix(resp.Header.Get("Cache-Status"), "detail=stale-disconnected"))) {
			t.Errorf("setting %v: %s %q, Cache-Status %q", c.sid, resp.Status, b, resp.Header.Get("Cache-Status"))
		}
	}
}
