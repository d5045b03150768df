package ohttpsim

// This file holds the small services the world runs beside the real ohttp
// roles: the target, the relay's key-configuration proxy and the gateway's
// rotation task.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

// echoAnswer is what the target answers to a request for path with body:
// both, so a client can tell its own answer from anyone else's.
func echoAnswer(path string, body []byte) string {
	sum := sha256.Sum256(body)
	return "echo " + path + " " + hex.EncodeToString(sum[:])
}

// targetHandler is the target: a small echo service. Every response
// carries a response id drawn from rand, as real services stamp request
// ids: the theory's target answers with a fresh ~resp, so a replayed
// request must not get byte-identical answers.
func targetHandler(rand io.Reader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var id [8]byte
		if _, err := io.ReadFull(rand, id[:]); err != nil {
			http.Error(w, "no randomness", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Response-Id", hex.EncodeToString(id[:]))
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, echoAnswer(r.URL.Path, body))
	})
}

// keyProxy is the relay's key-configuration proxy: it fetches the
// gateway's configurations on behalf of a client, sending nothing of the
// client's request along. It does not cache, so every client fetch is
// one gateway fetch (a caching proxy would also defeat per-requester keys;
// this one leaves that defence to the clients' pinning and the checks).
func keyProxy(env env.Env, gatewayURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := env.WithTimeout(r.Context(), time.Second)
		defer cancel()
		out, _ := http.NewRequestWithContext(ctx, http.MethodGet, gatewayURL, nil)
		out.Header = http.Header{"Accept": {ohttp.MediaTypeKeys}, "User-Agent": {""}}
		resp, err := env.Transport().RoundTrip(out)
		if err != nil {
			http.Error(w, "gateway unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			http.Error(w, "gateway unreachable", http.StatusBadGateway)
			return
		}
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	})
}

// rotate runs the gateway's key schedule: every tick it asks the keyring
// whether the current key is due for replacement.
// It stops at end (on the node's clock), so a run can go quiescent.
func rotate(env env.Env, ring *ohttp.Keyring, every, end time.Duration, rotations *int) {
	if every <= 0 {
		return
	}
	tick := every / 4
	for env.Now().Sub(sim.Epoch) < end {
		env.Sleep(tick)
		if ok, err := ring.MaybeRotate(env.Rand()); err == nil && ok {
			*rotations++
		}
	}
}

// relayDeadline bounds how long the relay works on one request, mixing
// included: a relay that waits forever for a gateway whose answer was
// lost holds the client's connection forever.
const relayDeadline = 10 * time.Second

// deadline gives each request h serves a deadline on env's clock, as a
// server's request timeout would.
func deadline(env env.Env, d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := env.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withTimeout adapts env.WithTimeout for ohttp.Gateway.
func withTimeout(env env.Env) func(context.Context, time.Duration) (context.Context, context.CancelFunc) {
	return env.WithTimeout
}
