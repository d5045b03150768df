package ohttp

// This file is the relay's key-configuration proxy (RFC 9540 §6): clients
// fetch the gateway's key configurations through the relay, so the
// gateway never sees a client's address beside the moment it is about to
// send, and every client is handed the same configurations. The proxy
// forwards nothing of the client's request: a fixed GET with Accept and
// an empty User-Agent.

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/sim/env"
)

// KeyProxy serves the gateway's key configurations on behalf of clients.
// It does not cache: every client fetch is one gateway fetch, so a gateway
// that hands out per-requester keys (BugGatewayKeyPartition) is left for
// the clients' pinning and the lab's checks to catch, not hidden.
type KeyProxy struct {
	// Env supplies the clock for the fetch's deadline. Required.
	Env env.Env
	// GatewayKeysURL is where the gateway publishes its keys. Required.
	GatewayKeysURL string
	// Transport reaches the gateway. Required.
	Transport http.RoundTripper
	// Timeout bounds one fetch from the gateway (default one second).
	Timeout time.Duration
}

func (p *KeyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeProblem(w, http.StatusMethodNotAllowed, "", "method not allowed", r.Method)
		return
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := p.Env.WithTimeout(r.Context(), timeout)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, http.MethodGet, p.GatewayKeysURL, nil)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "bad gateway URL", "")
		return
	}
	out.Header = http.Header{"Accept": {MediaTypeKeys}, "User-Agent": {""}}
	resp, err := p.Transport.RoundTrip(out)
	if err != nil {
		writeProblem(w, http.StatusBadGateway, "", "gateway unreachable", "")
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysSize+1))
	if err != nil || len(body) > maxKeysSize {
		writeProblem(w, http.StatusBadGateway, "", "bad key configurations from gateway", "")
		return
	}
	h := w.Header()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "" {
		h.Set("Cache-Control", cc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}
