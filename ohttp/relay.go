package ohttp

import (
	"bytes"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/edgelab/edgelab/model"
)

// Relay is an Oblivious Relay Resource (RFC 9458) as an http.Handler. It
// knows who asks but must not learn what, nor let the gateway learn who:
// it accepts only POSTs of encapsulated requests, forwards the body
// unopened to its one gateway with nothing but Content-Type and
// Content-Length, and passes back only the status, Content-Type and body,
// marked Cache-Control: no-store. Building the outgoing request from an allow-list, rather than deleting
// known identifying headers from the incoming one, means a header nobody
// thought of (Cookie, Authorization, Forwarded, X-Forwarded-*, Via,
// User-Agent, Referer, Origin, X-Real-IP, client hints, ...) cannot leak.
type Relay struct {
	// GatewayURL is where every request goes. Required.
	GatewayURL string
	// GatewayName names the gateway in action facts.
	GatewayName string
	// Transport reaches the gateway. Required.
	Transport http.RoundTripper
	// MaxRequestSize bounds a request body (default 1 MiB).
	MaxRequestSize int64
	// MaxResponseSize bounds the gateway's response (default 8 MiB).
	MaxResponseSize int64
	// Recorder, if set, receives RelayUp (once), RelayForward and
	// RelayReturn.
	Recorder model.Recorder
	// Identity is the relay's own network address, for RelayUp; the
	// gateway sees it as the peer of every forwarded request.
	Identity string
	// Bugs switches on seeded bugs (bugs.go); nil is correct behaviour.
	Bugs Bugs
	// DebugKeys is key material a misconfigured relay was given "for
	// debugging"; only BugRelayLogsBody uses it.
	DebugKeys KeySource

	up sync.Once
}

func (rl *Relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeProblem(w, http.StatusMethodNotAllowed, "", "method not allowed", r.Method)
		return
	}
	body, mt, ok := readEncapsulated(w, r, rl.MaxRequestSize)
	if !ok {
		return
	}
	if len(body) == 0 {
		// RFC 9458 §5: a relay may reject obviously invalid requests.
		writeProblem(w, http.StatusBadRequest, "", "empty request", "")
		return
	}

	out, err := http.NewRequestWithContext(r.Context(), http.MethodPost, rl.GatewayURL, bytes.NewReader(body))
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "bad gateway URL", "")
		return
	}
	// The whole outgoing header: the media type and nothing else. The
	// empty User-Agent stops net/http adding its default one.
	out.Header = http.Header{"Content-Type": {mt}, "User-Agent": {""}}
	rl.seedOutgoing(out, r, body)

	var client, gw model.Term
	if rl.Recorder != nil {
		rl.up.Do(func() { rl.Recorder.Record(FactRelayUp, RelayIdentity(rl.Identity)) })
		client, gw = ClientIdentity(remoteHost(r.RemoteAddr)), model.NewPub(rl.GatewayName)
		rl.Recorder.Record(FactRelayForward, client, gw, blobTerm(body))
	}
	resp, err := rl.Transport.RoundTrip(out)
	if err != nil {
		writeProblem(w, http.StatusBadGateway, "", "gateway unreachable", "")
		return
	}
	defer resp.Body.Close()
	rlimit := rl.MaxResponseSize
	if rlimit <= 0 {
		rlimit = defaultMaxResponse
	}
	rbody, err := io.ReadAll(io.LimitReader(resp.Body, rlimit+1))
	if err != nil || int64(len(rbody)) > rlimit {
		writeProblem(w, http.StatusBadGateway, "", "bad response from gateway", "")
		return
	}
	if rl.Recorder != nil && isEncapsulatedResponse(resp.Header.Get("Content-Type")) {
		// Only an encapsulated response is the eresp of the theory's
		// RelayReturn; the gateway's plaintext problem reports (RFC 9458
		// §5.2, before decryption) are no message of the protocol run.
		rl.Recorder.Record(FactRelayReturn, client, gw, blobTerm(rbody))
	}
	h := w.Header()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set("Content-Length", strconv.Itoa(len(rbody)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	w.Write(rbody)
}

func isEncapsulatedResponse(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == MediaTypeResponse || mt == MediaTypeChunkedRes)
}

// remoteHost is the host part of a RemoteAddr, or all of it if it has no
// port.
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
