package ohttp

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
)

// Encapsulation errors. Decapsulation failures wrap one of these so a
// gateway can choose its status and problem type with errors.Is.
var (
	// ErrMalformedRequest: too short to hold the header and encapsulated key.
	ErrMalformedRequest = errors.New("ohttp: malformed encapsulated request")
	// ErrKEMMismatch: the key ID names a key of another KEM (RFC 9458 §4.3 1a).
	ErrKEMMismatch = errors.New("ohttp: KEM does not match the key identifier")
	// ErrUnsupportedSuite: the KDF/AEAD pair is not offered with this key
	// (RFC 9458 §4.3 1b).
	ErrUnsupportedSuite = errors.New("ohttp: KDF and AEAD not offered with this key")
	// ErrDecryption: HPKE or the AEAD refused the message: wrong key,
	// tampering, or truncation.
	ErrDecryption = errors.New("ohttp: decryption failed")
	// ErrMalformedResponse: too short to hold the nonce and a tag.
	ErrMalformedResponse = errors.New("ohttp: malformed encapsulated response")
	// ErrWrongFormat: a chunked context used for a whole message or the
	// other way round; the two use different HPKE labels.
	ErrWrongFormat = errors.New("ohttp: chunked and non-chunked encapsulation mixed")
)

// IsKeyError reports whether err means the client used a key configuration
// the gateway cannot use: an unknown or expired key ID, a KEM or suite that
// does not match it, or a ciphertext the key cannot open. A gateway answers
// these with the ohttp-key problem type (RFC 9458 §5.3) so clients know to
// refetch the configuration.
func IsKeyError(err error) bool {
	return errors.Is(err, ErrUnknownKeyID) || errors.Is(err, ErrKEMMismatch) ||
		errors.Is(err, ErrUnsupportedSuite) || errors.Is(err, ErrDecryption)
}

// labels are the HPKE info and exporter strings of one use of the
// encapsulation (RFC 9458 §4.6 lets other formats substitute their own).
type labels struct {
	request  string // info prefix; a zero byte and the header follow
	response string // exporter context for the response secret
}

var (
	bhttpLabels   = labels{"message/bhttp request", "message/bhttp response"}
	chunkedLabels = labels{"message/bhttp chunked request", "message/bhttp chunked response"}
)

// RequestHeader is the header of an encapsulated request (RFC 9458 §4.1).
type RequestHeader struct {
	KeyID uint8
	KEM   KEMID
	KDF   KDFID
	AEAD  AEADID
}

// requestHeaderLen is the size of an encoded RequestHeader.
const requestHeaderLen = 7

func (h RequestHeader) appendTo(b []byte) []byte {
	b = append(b, h.KeyID)
	b = binary.BigEndian.AppendUint16(b, uint16(h.KEM))
	b = binary.BigEndian.AppendUint16(b, uint16(h.KDF))
	return binary.BigEndian.AppendUint16(b, uint16(h.AEAD))
}

func parseRequestHeader(b []byte) RequestHeader {
	return RequestHeader{
		KeyID: b[0],
		KEM:   KEMID(binary.BigEndian.Uint16(b[1:])),
		KDF:   KDFID(binary.BigEndian.Uint16(b[3:])),
		AEAD:  AEADID(binary.BigEndian.Uint16(b[5:])),
	}
}

// Suite is the header's cipher suite.
func (h RequestHeader) Suite() Suite { return Suite{h.KEM, h.KDF, h.AEAD} }

// info builds "label" 0x00 hdr (RFC 9458 §4.3 step 2).
func (h RequestHeader) info(label string) []byte {
	b := make([]byte, 0, len(label)+1+requestHeaderLen)
	b = append(b, label...)
	b = append(b, 0)
	return h.appendTo(b)
}

// Encapsulator encapsulates requests to one key configuration with one
// symmetric suite. It parses the public key once, so a client sending many
// requests does not pay for it each time. It is safe for concurrent use.
type Encapsulator struct {
	hdr   RequestHeader
	suite hpke.Suite
	pk    kem.PublicKey
	info  [2][]byte // for bhttpLabels and chunkedLabels
}

// NewEncapsulator prepares to encapsulate requests for cfg using suite,
// which cfg must offer.
func NewEncapsulator(cfg KeyConfig, suite SymmetricSuite) (*Encapsulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Offers(suite) {
		return nil, fmt.Errorf("%w: %v with key %d", ErrUnsupportedSuite, suite, cfg.KeyID)
	}
	pk, err := cfg.KEM.scheme().UnmarshalBinaryPublicKey(cfg.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	h := RequestHeader{KeyID: cfg.KeyID, KEM: cfg.KEM, KDF: suite.KDF, AEAD: suite.AEAD}
	e := &Encapsulator{hdr: h, suite: h.Suite().circl(), pk: pk}
	e.info[0] = h.info(bhttpLabels.request)
	e.info[1] = h.info(chunkedLabels.request)
	return e, nil
}

// Header is the request header this encapsulator writes.
func (e *Encapsulator) Header() RequestHeader { return e.hdr }

// setup creates the HPKE sending context. rand supplies the KEM's
// encapsulation seed: for the DH KEMs circl derives the ephemeral key pair
// from it with DeriveKeyPair (RFC 9180 §7.1.3), for X-Wing it is the
// encapsulation randomness.
func (e *Encapsulator) setup(rand io.Reader, chunked bool) ([]byte, hpke.Sealer, error) {
	if rand == nil {
		return nil, nil, ErrNoRandom
	}
	info := e.info[0]
	if chunked {
		info = e.info[1]
	}
	snd, err := e.suite.NewSender(e.pk, info)
	if err != nil {
		return nil, nil, err
	}
	enc, sealer, err := snd.Setup(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("ohttp: HPKE setup: %w", err)
	}
	return enc, sealer, nil
}

// Encapsulate seals a Binary HTTP request (RFC 9458 §4.3) and returns the
// encapsulated request and the context that opens its response.
func (e *Encapsulator) Encapsulate(rand io.Reader, request []byte) ([]byte, *ClientContext, error) {
	enc, sealer, err := e.setup(rand, false)
	if err != nil {
		return nil, nil, err
	}
	return encapsulateWith(e.hdr, enc, sealer, request)
}

// encapsulateWith frames a request sealed with an existing sending context.
// It is the seam the RFC 9458 test vector uses to supply the exact
// ephemeral key the RFC prints.
func encapsulateWith(hdr RequestHeader, enc []byte, sealer hpke.Sealer, request []byte) ([]byte, *ClientContext, error) {
	ct, err := sealer.Seal(request, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("ohttp: seal: %w", err)
	}
	out := make([]byte, 0, requestHeaderLen+len(enc)+len(ct))
	out = hdr.appendTo(out)
	out = append(out, enc...)
	out = append(out, ct...)
	return out, &ClientContext{hdr: hdr, enc: enc, ctx: sealer}, nil
}

// EncapsulateRequest is NewEncapsulator followed by Encapsulate.
func EncapsulateRequest(rand io.Reader, cfg KeyConfig, suite SymmetricSuite, request []byte) ([]byte, *ClientContext, error) {
	e, err := NewEncapsulator(cfg, suite)
	if err != nil {
		return nil, nil, err
	}
	return e.Encapsulate(rand, request)
}

// ClientContext is what a client keeps of one request to open its response.
type ClientContext struct {
	hdr RequestHeader
	enc []byte
	ctx hpke.Context
	// chunked marks a context set up with the chunked labels.
	chunked bool
}

// Header is the request's header.
func (c *ClientContext) Header() RequestHeader { return c.hdr }

// Enc is the request's encapsulated KEM key.
func (c *ClientContext) Enc() []byte { return c.enc }

// DecapsulateResponse opens an encapsulated response (RFC 9458 §4.4).
func (c *ClientContext) DecapsulateResponse(encResponse []byte) ([]byte, error) {
	if c.chunked {
		return nil, ErrWrongFormat
	}
	n := c.hdr.AEAD.responseNonceSize()
	if len(encResponse) < n+aeadOverhead {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformedResponse, len(encResponse))
	}
	aead, nonce, err := responseAEAD(c.ctx, c.hdr, c.enc, encResponse[:n], bhttpLabels.response)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, encResponse[n:], nil)
	if err != nil {
		return nil, ErrDecryption
	}
	return pt, nil
}

// responseAEAD derives the response key and nonce (RFC 9458 §4.4 steps
// 1 and 3–5, and the chunked draft §6.2 with its own label).
func responseAEAD(ctx hpke.Context, hdr RequestHeader, enc, responseNonce []byte, label string) (cipher.AEAD, []byte, error) {
	n := hdr.AEAD.responseNonceSize()
	secret := ctx.Export([]byte(label), uint(n))
	salt := make([]byte, 0, len(enc)+len(responseNonce))
	salt = append(append(salt, enc...), responseNonce...)
	kdf := hpke.KDF(hdr.KDF)
	prk := kdf.Extract(secret, salt)
	key := kdf.Expand(prk, []byte("key"), uint(hdr.AEAD.KeySize()))
	nonce := kdf.Expand(prk, []byte("nonce"), uint(hdr.AEAD.NonceSize()))
	aead, err := hpke.AEAD(hdr.AEAD).New(key)
	if err != nil {
		return nil, nil, err
	}
	return aead, nonce, nil
}

// GatewayContext is what a gateway keeps of one decapsulated request to
// encapsulate its response.
type GatewayContext struct {
	hdr RequestHeader
	enc []byte
	key *PrivateKey
	ctx hpke.Opener
	// chunked marks a context set up with the chunked labels; its
	// response must be chunked too.
	chunked bool
}

// Header is the request's header.
func (g *GatewayContext) Header() RequestHeader { return g.hdr }

// Enc is the request's encapsulated KEM key.
func (g *GatewayContext) Enc() []byte { return g.enc }

// Key is the gateway key that opened the request.
func (g *GatewayContext) Key() *PrivateKey { return g.key }

// checkHeader parses a request header and finds the key it names, checking
// the KEM and suite against the key's configuration (RFC 9458 §4.3 step 1).
func checkHeader(keys KeySource, b []byte) (RequestHeader, *PrivateKey, error) {
	hdr := parseRequestHeader(b)
	key, err := keys.Lookup(hdr.KeyID)
	if err != nil {
		return hdr, nil, err
	}
	if hdr.KEM != key.config.KEM {
		return hdr, nil, fmt.Errorf("%w: key %d is %v, request says %v", ErrKEMMismatch, hdr.KeyID, key.config.KEM, hdr.KEM)
	}
	if !key.config.Offers(SymmetricSuite{hdr.KDF, hdr.AEAD}) {
		return hdr, nil, fmt.Errorf("%w: %v/%v with key %d", ErrUnsupportedSuite, hdr.KDF, hdr.AEAD, hdr.KeyID)
	}
	return hdr, key, nil
}

// setupReceiver creates the HPKE receiving context for enc.
func setupReceiver(hdr RequestHeader, key *PrivateKey, enc []byte, label string, chunked bool) (*GatewayContext, error) {
	rcv, err := hdr.Suite().circl().NewReceiver(key.sk, hdr.info(label))
	if err != nil {
		return nil, err
	}
	opener, err := rcv.Setup(enc)
	if err != nil {
		// A point off the curve or a low-order share: the encapsulation
		// cannot be removed.
		return nil, fmt.Errorf("%w: %v", ErrDecryption, err)
	}
	return &GatewayContext{hdr: hdr, enc: enc, key: key, ctx: opener, chunked: chunked}, nil
}

// DecapsulateRequest opens an encapsulated request (RFC 9458 §4.3) with the
// key its header names.
func DecapsulateRequest(keys KeySource, encRequest []byte) ([]byte, *GatewayContext, error) {
	if len(encRequest) < requestHeaderLen {
		return nil, nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrMalformedRequest, len(encRequest))
	}
	hdr, key, err := checkHeader(keys, encRequest)
	if err != nil {
		return nil, nil, err
	}
	end := requestHeaderLen + hdr.KEM.EncapsulatedKeySize()
	if len(encRequest) < end {
		return nil, nil, fmt.Errorf("%w: %d bytes is shorter than header and encapsulated key", ErrMalformedRequest, len(encRequest))
	}
	// The context keeps its own copy of enc so the caller may reuse the
	// request buffer.
	g, err := setupReceiver(hdr, key, bytes.Clone(encRequest[requestHeaderLen:end]), bhttpLabels.request, false)
	if err != nil {
		return nil, nil, err
	}
	pt, err := g.ctx.Open(encRequest[end:], nil)
	if err != nil {
		return nil, nil, ErrDecryption
	}
	return pt, g, nil
}

// EncapsulateResponse seals a Binary HTTP response (RFC 9458 §4.4) with a
// response nonce read from rand.
func (g *GatewayContext) EncapsulateResponse(rand io.Reader, response []byte) ([]byte, error) {
	if rand == nil {
		return nil, ErrNoRandom
	}
	if g.chunked {
		return nil, ErrWrongFormat
	}
	n := g.hdr.AEAD.responseNonceSize()
	out := make([]byte, n, n+len(response)+aeadOverhead)
	if _, err := io.ReadFull(rand, out); err != nil {
		return nil, fmt.Errorf("ohttp: reading response nonce: %w", err)
	}
	aead, nonce, err := responseAEAD(g.ctx, g.hdr, g.enc, out, bhttpLabels.response)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, nonce, response, nil), nil
}
