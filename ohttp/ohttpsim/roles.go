package ohttpsim

// This file holds what the world runs beside the real ohttp roles: the
// target and the relay's request deadline.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

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
