package ohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/ohttp/bhttp"
)

// Client sends HTTP requests obliviously: each is encoded as Binary HTTP,
// encapsulated to the gateway's key and posted to the relay. It is an
// http.RoundTripper, so an http.Client can use it as its Transport.
//
// The client pins the key configuration it first learns (from SetKeys or
// FetchKeys) and refuses any later one that differs with
// ErrKeyInconsistent: a gateway that hands different clients different
// keys could tell them apart (RFC 9458 §7, RFC 9540 §6.1). Unpin allows a
// deliberate change, such as a key rotation confirmed out of band.
type Client struct {
	// Name and GatewayName identify the client and the gateway in action
	// facts.
	Name, GatewayName string
	// Identity is the client's network address as the relay will see it;
	// the client identity term ~cid (ClientIdentity) is bound to it. Empty
	// means Name.
	Identity string
	// Bugs switches on seeded bugs (bugs.go); nil is correct behaviour.
	Bugs Bugs
	// RelayURL is where encapsulated requests are posted. Required.
	RelayURL string
	// KeysURL is where FetchKeys gets the key configurations (the
	// gateway's URL, RFC 9540); used on first request if no keys are set.
	KeysURL string
	// Transport carries requests to the relay and key fetches. Required.
	Transport http.RoundTripper
	// Rand supplies HPKE randomness. Required.
	Rand io.Reader
	// Suites lists acceptable symmetric suites in order of preference;
	// empty takes the first suite the configuration offers.
	Suites []SymmetricSuite
	// Chunked sends message/ohttp-chunked-req with indeterminate-length
	// Binary HTTP and expects a chunked response.
	Chunked bool
	// MaxResponseSize bounds a response (default 8 MiB).
	MaxResponseSize int64
	// Recorder, if set, receives ClientSend and ClientRecv.
	Recorder model.Recorder

	mu      sync.Mutex
	reuse   []byte // BugClientReuseContext: the randomness replayed
	pinned  []byte // application/ohttp-keys encoding of the pinned list
	configs []KeyConfig
	skipped []*KeyConfigError
	enc     *Encapsulator
}

// Client errors.
var (
	// ErrKeyInconsistent: a key configuration differs from the pinned one.
	ErrKeyInconsistent = errors.New("ohttp: key configuration differs from the pinned one")
	// ErrNoKeyConfig: no configuration this client can use.
	ErrNoKeyConfig = errors.New("ohttp: no usable key configuration")
)

// ResponseError is a response that was not an encapsulated response: an
// error from the relay, or from the gateway before decryption.
type ResponseError struct {
	StatusCode  int
	ContentType string
	// Problem is the decoded problem details, if the body had them.
	Problem *Problem
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("ohttp: relay answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Problem != nil && e.Problem.Title != "" {
		s += ": " + e.Problem.Title
	}
	return s
}

// KeyProblem reports whether the gateway said the key configuration was
// wrong (the ohttp-key problem type), a hint to refetch it.
func (e *ResponseError) KeyProblem() bool {
	return e.Problem != nil && e.Problem.Type == ProblemTypeKey
}

// SetKeys pins cfgs, or checks them against the pinned list. It chooses
// the first configuration with a suite the client accepts.
func (c *Client) SetKeys(cfgs []KeyConfig) error {
	b, err := MarshalKeyConfigs(cfgs)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pinned != nil {
		if !bytes.Equal(b, c.pinned) {
			return ErrKeyInconsistent
		}
		return nil
	}
	for _, cfg := range cfgs {
		if s, ok := c.chooseSuite(cfg); ok {
			e, err := NewEncapsulator(cfg, s)
			if err != nil {
				return err
			}
			c.pinned, c.configs, c.enc = b, cfgs, e
			return nil
		}
	}
	return ErrNoKeyConfig
}

func (c *Client) chooseSuite(cfg KeyConfig) (SymmetricSuite, bool) {
	if len(c.Suites) == 0 {
		if len(cfg.Suites) == 0 {
			return SymmetricSuite{}, false
		}
		return cfg.Suites[0], true
	}
	for _, s := range c.Suites {
		if cfg.Offers(s) {
			return s, true
		}
	}
	return SymmetricSuite{}, false
}

// Unpin forgets the pinned configuration; the next SetKeys or FetchKeys
// pins afresh.
func (c *Client) Unpin() {
	c.mu.Lock()
	c.pinned, c.configs, c.enc = nil, nil, nil
	c.mu.Unlock()
}

// Keys returns the pinned configurations.
func (c *Client) Keys() []KeyConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]KeyConfig(nil), c.configs...)
}

// maxKeysSize bounds a fetched application/ohttp-keys body: a handful of
// X-Wing configurations fit many times over.
const maxKeysSize = 64 << 10

// FetchKeys gets the gateway's key configurations from KeysURL (RFC 9540
// §4) and pins them; a list that differs from the pinned one is refused
// with ErrKeyInconsistent.
func (c *Client) FetchKeys(ctx context.Context) ([]KeyConfig, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.KeysURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaTypeKeys)
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("ohttp: fetching keys: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysSize+1))
	if err != nil {
		return nil, fmt.Errorf("ohttp: fetching keys: %w", err)
	}
	if resp.StatusCode != http.StatusOK || requestMediaType(resp.Header) != MediaTypeKeys {
		return nil, responseError(resp, body)
	}
	if len(body) > maxKeysSize {
		return nil, fmt.Errorf("ohttp: key configurations over %d bytes", maxKeysSize)
	}
	list, err := ParseKeyConfigList(body)
	c.mu.Lock()
	c.skipped = list.Skipped
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := c.SetKeys(list.Configs); err != nil {
		return nil, err
	}
	return list.Configs, nil
}

// Skipped reports what the last FetchKeys passed over in the gateway's
// list: configurations, or suites of one, with algorithms this package
// does not implement (see ParseKeyConfigList).
func (c *Client) Skipped() []*KeyConfigError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*KeyConfigError(nil), c.skipped...)
}

func responseError(resp *http.Response, body []byte) *ResponseError {
	e := &ResponseError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if requestMediaType(resp.Header) == MediaTypeProblem {
		var p Problem
		if json.Unmarshal(body, &p) == nil {
			e.Problem = &p
		}
	}
	return e
}

func (c *Client) encapsulator(ctx context.Context) (*Encapsulator, error) {
	c.mu.Lock()
	e := c.enc
	c.mu.Unlock()
	if e != nil {
		return e, nil
	}
	if c.KeysURL == "" {
		return nil, ErrNoKeyConfig
	}
	_, err := c.FetchKeys(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && !(errors.Is(err, ErrKeyInconsistent) && c.enc != nil) {
		return nil, err
	}
	// Requests that start together each fetch the keys; the first
	// fetch to finish pins them. One that then sees a different list
	// (a rotation came between) uses the pinned keys, as every later
	// request will: that is what pinning means, and its request did
	// nothing wrong.
	return c.enc, nil
}

// Do is RoundTrip.
func (c *Client) Do(req *http.Request) (*http.Response, error) { return c.RoundTrip(req) }

// RoundTrip sends req obliviously and returns the target's response (or
// the gateway's encapsulated error response). A response that is not
// encapsulated is a *ResponseError.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	e, err := c.encapsulator(ctx)
	if err != nil {
		return nil, err
	}
	breq, err := bhttp.FromHTTPRequest(req)
	if err != nil {
		return nil, err
	}
	mt, want := MediaTypeRequest, MediaTypeResponse
	if c.Chunked {
		breq.Framing = bhttp.IndeterminateLength
		mt, want = MediaTypeChunkedReq, MediaTypeChunkedRes
	}
	plain, err := breq.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var ereq []byte
	var cctx *ClientContext
	if c.Chunked {
		var buf bytes.Buffer
		w, err := e.NewChunkedRequestWriter(&buf, c.encapRand())
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(plain); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		ereq, cctx = buf.Bytes(), w.Context()
	} else if ereq, cctx, err = e.Encapsulate(c.encapRand(), plain); err != nil {
		return nil, err
	}

	var cname, gname, reqTerm model.Term
	if c.Recorder != nil {
		id := c.Identity
		if id == "" {
			id = c.Name
		}
		cname, gname, reqTerm = ClientIdentity(id), model.NewPub(c.GatewayName), requestTerm(plain)
		c.Recorder.Record(FactClientSend, cname, gname, reqTerm,
			encRequestTerm(e.pkBytes(), cctx.enc, reqTerm, ereq))
	}

	out, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RelayURL, bytes.NewReader(ereq))
	if err != nil {
		return nil, err
	}
	out.Header.Set("Content-Type", mt)
	if c.Chunked {
		out.Header.Set("Incremental", "?1")
	}
	resp, err := c.Transport.RoundTrip(out)
	if err != nil {
		return nil, fmt.Errorf("ohttp: relay: %w", err)
	}
	defer resp.Body.Close()
	limit := c.MaxResponseSize
	if limit <= 0 {
		limit = defaultMaxResponse
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("ohttp: relay: %w", err)
	}
	if resp.StatusCode != http.StatusOK || requestMediaType(resp.Header) != want {
		return nil, responseError(resp, body)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("ohttp: response over %d bytes", limit)
	}
	var inner []byte
	if c.Chunked {
		r, err := cctx.NewChunkedResponseReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if inner, err = io.ReadAll(r); err != nil {
			return nil, err
		}
	} else if inner, err = cctx.DecapsulateResponse(body); err != nil {
		return nil, err
	}
	bresp, err := bhttp.ParseResponse(inner)
	if err != nil {
		return nil, err
	}
	hresp, err := bresp.HTTPResponse()
	if err != nil {
		return nil, err
	}
	hresp.Request = req
	if c.Recorder != nil {
		c.Recorder.Record(FactClientRecv, cname, gname, reqTerm, responseTerm(inner))
	}
	return hresp, nil
}

// pkBytes is the public key the encapsulator seals to.
func (e *Encapsulator) pkBytes() []byte {
	b, _ := e.pk.MarshalBinary()
	return b
}
