package ohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// Gateway is an Oblivious Gateway Resource (RFC 9458) as an http.Handler.
//
// POST with message/ohttp-req or message/ohttp-chunked-req: the request is
// decapsulated, decoded as Binary HTTP, checked against Policy, forwarded
// through Transport, and the target's response encapsulated back. GET or
// HEAD: the published key configurations (RFC 9540).
//
// Errors follow RFC 9458 §5.2: what goes wrong before decryption is answered
// in the clear with a 4xx and problem+json (405, 413, 415, 400 with the
// ohttp-key problem type for key problems); what goes wrong after is an
// encapsulated response only the client can read (400 bad Binary HTTP, 403
// forbidden target, 417 100-continue, 502 target unreachable, 504 target
// timeout).
type Gateway struct {
	// Name identifies the gateway in action facts.
	Name string
	// Keys decrypts requests and publishes configurations. Required.
	Keys *Keyring
	// Transport reaches targets. Required.
	Transport http.RoundTripper
	// Rand supplies response nonces. Required.
	Rand io.Reader
	// Policy decides which targets may be reached; nil refuses every
	// target, so a gateway is never an open proxy by accident.
	Policy *TargetPolicy
	// MaxRequestSize bounds an encapsulated request (default 1 MiB).
	MaxRequestSize int64
	// MaxResponseSize bounds a target's response content (default 8 MiB);
	// a larger one is answered with 502.
	MaxResponseSize int64
	// TargetTimeout, with WithTimeout, bounds the wait for a target. The
	// deadline comes from WithTimeout (an env.Env's, or context.WithTimeout
	// on a real server) so library code never reads the wall clock. If
	// either is unset the gateway sets no deadline of its own; a timeout
	// the Transport reports still becomes 504.
	TargetTimeout time.Duration
	WithTimeout   func(context.Context, time.Duration) (context.Context, context.CancelFunc)
	// Recorder, if set, receives GatewayRecv, TargetServe and GatewayReply.
	Recorder model.Recorder
	// Bugs switches on seeded bugs (bugs.go); nil is correct behaviour.
	Bugs Bugs

	bug gatewayBugState
}

// Header values shared by every response; net/http only reads them.
var (
	hdrNoStore    = []string{"no-store"}
	hdrResponse   = []string{MediaTypeResponse}
	hdrChunkedRes = []string{MediaTypeChunkedRes}
)

const (
	defaultMaxRequest  = 1 << 20
	defaultMaxResponse = 8 << 20
)

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		g.serveRequest(w, r)
	case http.MethodGet, http.MethodHead:
		if g.Bugs.Has(BugGatewayKeyPartition) {
			g.servePartitionedKeys(w, r)
			return
		}
		serveKeys(w, r, g.Keys)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeProblem(w, http.StatusMethodNotAllowed, "", "method not allowed", r.Method)
	}
}

// requestMediaType returns the media type of h's Content-Type, lower-cased,
// without parameters. The common exact spellings skip the general parser,
// which allocates.
func requestMediaType(h http.Header) string {
	v := h["Content-Type"]
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case MediaTypeRequest, MediaTypeResponse, MediaTypeChunkedReq, MediaTypeChunkedRes, MediaTypeKeys, MediaTypeProblem:
		return v[0]
	}
	mt, _, err := mime.ParseMediaType(v[0])
	if err != nil {
		return ""
	}
	return mt
}

// exactBufferMax is the largest declared length readLimited trusts with a
// buffer of that size before the bytes arrive; above it, memory grows
// with what was actually received, so a client that declares a megabyte
// and stalls holds no more than it sent.
const exactBufferMax = 64 << 10

// readLimited reads r's body up to limit bytes; ok is false if it is
// larger. With a small declared length it reads into an exact buffer, the
// common case, and only checks that nothing follows.
func readLimited(r *http.Request, limit int64) (body []byte, ok bool, err error) {
	if r.ContentLength > limit {
		return nil, false, nil
	}
	if r.ContentLength > exactBufferMax {
		body, err = readAllLimited(r.Body, make([]byte, 0, exactBufferMax), int(r.ContentLength)+1)
		if err != nil {
			return nil, true, err
		}
		if int64(len(body)) != r.ContentLength {
			return nil, true, errors.New("ohttp: body length differs from its Content-Length")
		}
		return body, true, nil
	}
	if r.ContentLength >= 0 {
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, true, err
		}
		var one [1]byte
		if n, _ := r.Body.Read(one[:]); n > 0 {
			return nil, true, errors.New("ohttp: body longer than its Content-Length")
		}
		return body, true, nil
	}
	body, err = readAllLimited(r.Body, nil, int(limit)+1)
	if err != nil {
		return nil, true, err
	}
	if int64(len(body)) > limit {
		return nil, false, nil
	}
	return body, true, nil
}

// readEncapsulated reads the body of a POSTed encapsulated request, whole
// or chunked, of at most limit bytes (defaultMaxRequest if limit is not
// positive), and returns it with its media type. What a relay and a gateway
// refuse alike it answers in the clear, with 415, 400 or 413, and returns
// ok false.
func readEncapsulated(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, mt string, ok bool) {
	mt = requestMediaType(r.Header)
	if mt != MediaTypeRequest && mt != MediaTypeChunkedReq {
		writeProblem(w, http.StatusUnsupportedMediaType, "", "unsupported media type",
			"want "+MediaTypeRequest+" or "+MediaTypeChunkedReq)
		return nil, "", false
	}
	if limit <= 0 {
		limit = defaultMaxRequest
	}
	body, ok, err := readLimited(r, limit)
	if err != nil && isTimeout(err) {
		writeProblem(w, http.StatusRequestTimeout, "", "request body not received in time", "")
		return nil, "", false
	}
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "", "could not read request", err.Error())
		return nil, "", false
	}
	if !ok {
		writeProblem(w, http.StatusRequestEntityTooLarge, "", "request too large",
			"limit is "+strconv.FormatInt(limit, 10)+" bytes")
		return nil, "", false
	}
	return body, mt, true
}

func (g *Gateway) serveRequest(w http.ResponseWriter, r *http.Request) {
	ereq, mt, ok := readEncapsulated(w, r, g.MaxRequestSize)
	if !ok {
		return
	}
	chunked := mt == MediaTypeChunkedReq

	var plain []byte
	var gctx *GatewayContext
	var err error
	if chunked {
		var cr *ChunkedRequestReader
		if cr, err = NewChunkedRequestReader(bytes.NewReader(ereq), g.Keys); err == nil {
			plain, err = io.ReadAll(cr)
			gctx = cr.Context()
		}
	} else {
		plain, gctx, err = DecapsulateRequest(g.Keys, ereq)
	}
	if err != nil {
		g.rejectBeforeDecryption(w, err)
		return
	}
	// Terms are built only when recording: their digests cost a hash of
	// every message.
	rec := g.Recorder
	var gname, reqTerm, ereqTerm, respTerm model.Term
	if rec != nil {
		gname = model.NewPub(g.Name)
		reqTerm = requestTerm(plain)
		ereqTerm = encRequestTerm(gctx.key.config.PublicKey, gctx.enc, reqTerm, ereq)
		rec.Record(FactGatewayRecv, gname, reqTerm, ereqTerm)
	}

	resp, target := g.forward(r, plain)
	if chunked {
		resp.Framing = bhttp.IndeterminateLength
	}
	out, err := resp.MarshalBinary()
	if err != nil {
		// The target's response cannot be expressed in Binary HTTP (a
		// field net/http accepted but RFC 9292 does not).
		target = ""
		out, _ = gatewayError(http.StatusBadGateway, "unencodable target response", err.Error()).MarshalBinary()
	}
	if rec != nil {
		respTerm = responseTerm(out)
		if target != "" {
			// The target's answer arrives here, so the gateway records
			// it on the target's behalf.
			rec.Record(FactTargetServe, model.NewPub(target), reqTerm, respTerm)
		}
	}

	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	if chunked {
		var buf bytes.Buffer
		cw, err := gctx.NewChunkedResponseWriter(&buf, g.Rand)
		if err == nil {
			// Write splits the message into chunks of MaxChunkSize.
			if _, err = cw.Write(out); err == nil {
				err = cw.Close()
			}
		}
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, "", "could not encapsulate response", err.Error())
			return
		}
		if rec != nil {
			rec.Record(FactGatewayReply, gname, reqTerm, respTerm,
				encResponseTerm(ereqTerm, buf.Bytes()[:gctx.hdr.AEAD.responseNonceSize()], respTerm, buf.Bytes()))
		}
		h["Content-Type"] = hdrChunkedRes
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
		w.WriteHeader(http.StatusOK)
		w.Write(buf.Bytes())
		return
	}
	rctx, rterm := g.responseContext(gctx, ereqTerm)
	eresp, err := rctx.EncapsulateResponse(g.Rand, out)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "could not encapsulate response", err.Error())
		return
	}
	if rec != nil {
		rec.Record(FactGatewayReply, gname, reqTerm, respTerm,
			encResponseTerm(rterm, eresp[:rctx.hdr.AEAD.responseNonceSize()], respTerm, eresp))
	}
	h["Content-Type"] = hdrResponse
	h["Content-Length"] = []string{strconv.Itoa(len(eresp))}
	w.WriteHeader(http.StatusOK)
	w.Write(eresp)
}

// rejectBeforeDecryption answers a request whose encapsulation could not be
// removed: 400 in the clear, with the ohttp-key problem type when the key
// configuration is at fault so the client knows to refetch it.
func (g *Gateway) rejectBeforeDecryption(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnknownKeyID):
		writeProblem(w, http.StatusBadRequest, ProblemTypeKey, "key identifier unknown", "")
	case IsKeyError(err):
		writeProblem(w, http.StatusBadRequest, ProblemTypeKey, "encapsulation could not be removed", "")
	default:
		writeProblem(w, http.StatusBadRequest, "", "malformed encapsulated request", "")
	}
}

// gatewayError is an error response made by the gateway itself; it travels
// encapsulated, so only the client reads it.
func gatewayError(status int, title, detail string) *bhttp.Response {
	b, _ := json.Marshal(Problem{Title: title, Status: status, Detail: detail})
	return &bhttp.Response{
		Status:  status,
		Header:  bhttp.Fields{{Name: "content-type", Value: MediaTypeProblem}},
		Content: b,
	}
}

// forward decodes the inner request, checks and sends it, and returns the
// response to encapsulate: the target's, with the target's authority, or
// the gateway's own error with target "".
func (g *Gateway) forward(outer *http.Request, plain []byte) (*bhttp.Response, string) {
	ctx := outer.Context()
	breq, err := bhttp.ParseRequest(plain)
	if err != nil {
		return gatewayError(http.StatusBadRequest, "malformed binary HTTP request", err.Error()), ""
	}
	for _, f := range breq.Header {
		// RFC 9458 §5.1: a 100-continue expectation must be refused; the
		// client could never see the interim response.
		if f.Name == "expect" && strings.EqualFold(strings.TrimSpace(f.Value), "100-continue") {
			return gatewayError(http.StatusExpectationFailed, "100-continue cannot be used with Oblivious HTTP", ""), ""
		}
	}
	if g.Policy == nil {
		return gatewayError(http.StatusForbidden, "target not allowed", "the gateway has no target policy"), ""
	}
	// The policy judges the target the request would be sent to, which
	// with an empty authority is its host field's.
	authority, err := breq.TargetAuthority()
	if err != nil {
		return gatewayError(http.StatusBadRequest, "request cannot be sent", err.Error()), ""
	}
	if err := g.Policy.Check(ctx, breq.Scheme, authority); err != nil {
		return gatewayError(http.StatusForbidden, "target not allowed", err.Error()), ""
	}
	hreq, err := breq.HTTPRequest()
	if err != nil {
		return gatewayError(http.StatusBadRequest, "request cannot be sent", err.Error()), ""
	}
	g.echoHeaders(hreq, outer)
	if g.TargetTimeout > 0 && g.WithTimeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = g.WithTimeout(ctx, g.TargetTimeout)
		defer cancel()
	}
	hresp, err := g.Transport.RoundTrip(hreq.WithContext(ctx))
	if err != nil {
		if isTimeout(err) {
			return gatewayError(http.StatusGatewayTimeout, "target timed out", ""), ""
		}
		return gatewayError(http.StatusBadGateway, "target unreachable", ""), ""
	}
	limit := g.MaxResponseSize
	if limit <= 0 {
		limit = defaultMaxResponse
	}
	body := hresp.Body
	hresp.Body = &limitedBody{r: body, limit: limit}
	bresp, err := bhttp.FromHTTPResponse(hresp)
	body.Close()
	if err != nil {
		if isTimeout(err) {
			return gatewayError(http.StatusGatewayTimeout, "target timed out", ""), ""
		}
		return gatewayError(http.StatusBadGateway, "bad response from target", ""), ""
	}
	return bresp, authority
}

// errResponseTooLarge is returned by limitedBody past its limit.
var errResponseTooLarge = errors.New("ohttp: target response too large")

// limitedBody fails, rather than silently truncating, once the target's
// response passes the limit.
type limitedBody struct {
	r     io.Reader
	n     int64
	limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n >= b.limit+1 {
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.limit+1-b.n {
		p = p[:b.limit+1-b.n]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return 0, errResponseTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return nil }

// isTimeout reports whether err means the target did not answer in time.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
