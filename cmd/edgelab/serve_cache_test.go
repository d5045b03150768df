package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
