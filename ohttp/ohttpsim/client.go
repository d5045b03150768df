package ohttpsim

// This file is a client node: one ohttp.Client per incarnation (it pins
// the keys it fetched through the relay), and one task per request of the
// workload, started at the slot's virtual time.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/edgelab/edgelab/ohttp"
	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
)

type clientNode struct {
	w       *run
	n       *sim.Node
	addr    string
	relay   string
	gateway string
	target  string

	oc       *ohttp.Client
	fetching bool
	fetched  env.Notifier
}

// boot starts an incarnation: a fresh client (a restart forgets the
// pinned keys) that fetches the keys before the first request is due.
func (c *clientNode) boot(env env.Env) {
	c.oc = &ohttp.Client{
		Name: c.n.Name(), GatewayName: c.gateway, Identity: c.addr,
		RelayURL: "http://" + c.relay + "/",
		KeysURL:  "http://" + c.relay + ":8080/keys",
		// The cookie is the client's session with its relay, as a relay
		// that rate-limits or authenticates clients would set.
		Transport: &observeTransport{env: env, rt: env.Transport(), cookie: "session=" + c.addr, relay: c.relay},
		Rand:      env.Rand(),
		Recorder:  env,
		Bugs:      c.w.bugs,
	}
	c.fetching, c.fetched = false, env.NewNotifier()
	ok := c.ensureKeys(env)
	if c.n.Incarnation() == 0 {
		c.w.firstFetchDone(ok)
	}
}

// ensureKeys pins a key configuration if none is pinned, one fetch at a
// time per client.
func (c *clientNode) ensureKeys(env env.Env) bool {
	for c.fetching {
		c.fetched.Wait(context.Background())
	}
	if len(c.oc.Keys()) > 0 {
		return true
	}
	c.fetching = true
	defer func() { c.fetching = false; c.fetched.Notify() }()
	for range 4 {
		ctx, cancel := env.WithTimeout(context.Background(), time.Second)
		_, err := c.oc.FetchKeys(ctx)
		cancel()
		c.w.res.Stats.KeyFetches++
		if err == nil {
			return true
		}
		if errors.Is(err, ohttp.ErrKeyInconsistent) {
			c.oc.Unpin()
			continue
		}
		env.Sleep(200 * time.Millisecond)
	}
	return false
}

// send makes one request of the workload and checks that the answer is
// the target's answer to this very request.
func (c *clientNode) send(slot Slot) {
	env := c.n.Env()
	st := &c.w.res.Stats
	st.Sent++
	rnd := slotRand(c.w.seed, slot.Index)
	for attempt := 0; ; attempt++ {
		if !c.ensureKeys(env) {
			st.Failed++
			return
		}
		oc := c.oc
		ctx, cancel := env.WithTimeout(context.Background(), c.w.cfg.Timeout)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.target+slot.Path, bytes.NewReader(slot.Body))
		req.Header.Set("Content-Type", "application/octet-stream")
		if attempt > 0 {
			// A retry is a new message of the protocol (a new ~req in
			// the theory), so it must not repeat the first attempt's
			// bytes: identical plaintexts would read as a reused fresh
			// value to the trace checker.
			req.Header.Set("Retry-Attempt", strconv.Itoa(attempt))
		}
		// Set just before RoundTrip, which reads it before it can block:
		// no other task of this node runs in between.
		oc.Rand = rnd
		resp, err := oc.RoundTrip(req)
		if err != nil {
			cancel()
			var re *ohttp.ResponseError
			switch {
			case errors.As(err, &re) && re.KeyProblem() && attempt == 0:
				oc.Unpin()
				st.Retries++
				continue
			case errors.Is(err, context.DeadlineExceeded):
				st.TimedOut++
			default:
				st.Failed++
			}
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		switch {
		case err != nil:
			st.Failed++
		case resp.StatusCode == http.StatusOK && string(body) == echoAnswer(slot.Path, slot.Body):
			st.Answered++
		case resp.StatusCode == http.StatusOK:
			st.Mismatched++
		default:
			st.Failed++ // the gateway's own encapsulated error (502, 504)
		}
		return
	}
}
