package ohttp

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cloudflare/circl/hpke"
)

// Chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp-08): the request
// header and encapsulated key, or the response nonce, followed by chunks,
// each a QUIC variable-length integer length and a sealed chunk. The final
// chunk has length 0, runs to the end of the stream and is sealed with the
// AAD "final", so a stream cut short is detected rather than taken as
// complete.

// Chunk sizes. Senders keep chunks to MaxChunkSize, the size every receiver
// must support (draft §3). Receivers accept up to MaxReceiveChunkSize: that
// bounds what a peer can make them buffer for one chunk.
const (
	MaxChunkSize        = 1 << 14
	MaxReceiveChunkSize = 1 << 16
)

// Chunked encapsulation errors.
var (
	// ErrNoFinalChunk: the stream ended without a final chunk: truncated.
	ErrNoFinalChunk = errors.New("ohttp: chunked message ended without a final chunk")
	// ErrChunkTooLarge: a chunk longer than MaxReceiveChunkSize.
	ErrChunkTooLarge = errors.New("ohttp: chunk too large")
	// ErrClosed: a write after Close.
	ErrClosed = errors.New("ohttp: chunked writer closed")
	// ErrTooManyChunks: the chunk counter would wrap.
	ErrTooManyChunks = errors.New("ohttp: too many chunks")
)

var finalAAD = []byte("final")

// chunkAAD is the additional data of a chunk: "final" binds the last one,
// so a stream cut at a chunk boundary cannot pass for complete (draft §6).
func chunkAAD(final bool) []byte {
	if final {
		return finalAAD
	}
	return nil
}

// appendVarint appends v as a QUIC variable-length integer (RFC 9000 §16).
func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return binary.BigEndian.AppendUint16(b, uint16(v)|0x4000)
	case v < 1<<30:
		return binary.BigEndian.AppendUint32(b, uint32(v)|0x80000000)
	default:
		return binary.BigEndian.AppendUint64(b, v|0xc000000000000000)
	}
}

// readVarint reads one QUIC variable-length integer. It returns io.EOF only
// if the stream ended before the first byte.
func readVarint(r io.Reader) (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:1]); err != nil {
		return 0, err
	}
	n := 1 << (b[0] >> 6)
	if n > 1 {
		if _, err := io.ReadFull(r, b[1:n]); err != nil {
			return 0, noEOF(err)
		}
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// noEOF turns an end of stream in the middle of something into
// io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// chunkSealer seals one chunk; final chunks get the "final" AAD.
type chunkSealer func(pt []byte, final bool) ([]byte, error)

// chunkOpener opens one chunk.
type chunkOpener func(ct []byte, final bool) ([]byte, error)

// chunkWriter writes chunks to w. Each Write is sent at once, in chunks of
// at most MaxChunkSize, so a caller controls how the message is divided;
// Close sends the empty final chunk.
type chunkWriter struct {
	w      io.Writer
	seal   chunkSealer
	buf    []byte
	closed bool
	err    error
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.closed {
		return 0, ErrClosed
	}
	n := 0
	// A non-final chunk must not be empty (draft §6), so an empty Write
	// sends nothing.
	for len(p) > 0 {
		piece := p[:min(len(p), MaxChunkSize)]
		if err := c.emit(piece, false); err != nil {
			return n, err
		}
		n += len(piece)
		p = p[len(piece):]
	}
	return n, nil
}

// Close sends the final chunk. It does not close the underlying writer.
func (c *chunkWriter) Close() error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return nil
	}
	c.closed = true
	return c.emit(nil, true)
}

func (c *chunkWriter) emit(pt []byte, final bool) error {
	ct, err := c.seal(pt, final)
	if err != nil {
		c.err = err
		return err
	}
	n := uint64(len(ct))
	if final {
		n = 0
	}
	c.buf = appendVarint(c.buf[:0], n)
	c.buf = append(c.buf, ct...)
	if _, err := c.w.Write(c.buf); err != nil {
		c.err = err
		return err
	}
	return nil
}

// chunkReader reads chunks from r and returns their plaintext. It returns
// io.EOF only after a final chunk that authenticated as final; a stream that
// stops anywhere else is ErrNoFinalChunk or io.ErrUnexpectedEOF.
type chunkReader struct {
	r     io.Reader
	open  chunkOpener
	pt    []byte // plaintext not yet returned
	ct    []byte // reused ciphertext buffer
	final bool
	err   error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.pt) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.final {
			c.err = io.EOF
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	n := copy(p, c.pt)
	c.pt = c.pt[n:]
	return n, nil
}

// next reads and opens one chunk.
func (c *chunkReader) next() error {
	const maxCT = MaxReceiveChunkSize + aeadOverhead
	n, err := readVarint(c.r)
	if err == io.EOF {
		return ErrNoFinalChunk
	}
	if err != nil {
		return err
	}
	if n == 0 {
		// The final chunk runs to the end of the stream. Read one byte
		// more than allowed to tell "exactly at the limit" from "over".
		c.ct, err = readAllLimited(c.r, c.ct[:0], maxCT+1)
		if err != nil {
			return err
		}
		if len(c.ct) > maxCT {
			return fmt.Errorf("%w: final chunk over %d bytes", ErrChunkTooLarge, maxCT)
		}
		pt, err := c.open(c.ct, true)
		if err != nil {
			return ErrDecryption
		}
		c.pt, c.final = pt, true
		return nil
	}
	if n > maxCT {
		return fmt.Errorf("%w: %d bytes", ErrChunkTooLarge, n)
	}
	if c.ct, err = readExactly(c.r, c.ct[:0], int(n)); err != nil {
		return err
	}
	pt, err := c.open(c.ct, false)
	if err != nil || len(pt) == 0 {
		// An empty non-final chunk counts as a decryption error (draft §6).
		return ErrDecryption
	}
	c.pt = pt
	return nil
}

// readExactly appends n bytes from r to b. It grows b as data arrives
// rather than trusting the claimed length up front, so a short stream that
// claims a large chunk costs little.
func readExactly(r io.Reader, b []byte, n int) ([]byte, error) {
	want := len(b) + n
	for len(b) < want {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(want-len(b), max(len(b), 4096)))
		}
		m, err := r.Read(b[len(b):min(cap(b), want)])
		b = b[:len(b)+m]
		if len(b) == want {
			return b, nil
		}
		if err != nil {
			return b, noEOF(err)
		}
	}
	return b, nil
}

// readAllLimited appends from r to b until EOF or until limit bytes are
// held. It grows b only as data arrives, so a short stream costs little.
func readAllLimited(r io.Reader, b []byte, limit int) ([]byte, error) {
	for len(b) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):min(cap(b), limit)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// ChunkedRequestWriter writes a chunked encapsulated request
// (message/ohttp-chunked-req). Each Write becomes one or more chunks sent
// at once; Close sends the final chunk, without which the gateway treats the
// request as truncated.
type ChunkedRequestWriter struct {
	chunkWriter
	ctx *ClientContext
}

// NewChunkedRequestWriter writes the request header and encapsulated key to
// w and returns a writer for the request's chunks. rand supplies the HPKE
// encapsulation randomness.
func (e *Encapsulator) NewChunkedRequestWriter(w io.Writer, rand io.Reader) (*ChunkedRequestWriter, error) {
	enc, sealer, err := e.setup(rand, true)
	if err != nil {
		return nil, err
	}
	return newChunkedRequestWriter(w, e.hdr, enc, sealer)
}

func newChunkedRequestWriter(w io.Writer, hdr RequestHeader, enc []byte, sealer hpke.Sealer) (*ChunkedRequestWriter, error) {
	head := hdr.appendTo(make([]byte, 0, requestHeaderLen+len(enc)))
	head = append(head, enc...)
	if _, err := w.Write(head); err != nil {
		return nil, err
	}
	seal := func(pt []byte, final bool) ([]byte, error) { return sealer.Seal(pt, chunkAAD(final)) }
	return &ChunkedRequestWriter{
		chunkWriter: chunkWriter{w: w, seal: seal},
		ctx:         &ClientContext{hdr: hdr, enc: enc, ctx: sealer, chunked: true},
	}, nil
}

// Context returns what opens the chunked response.
func (c *ChunkedRequestWriter) Context() *ClientContext { return c.ctx }

// ChunkedRequestReader reads a chunked encapsulated request and returns the
// plaintext as it arrives. Read returns io.EOF only after the final chunk;
// a request cut short fails with ErrNoFinalChunk or io.ErrUnexpectedEOF,
// and a tampered one with ErrDecryption.
type ChunkedRequestReader struct {
	chunkReader
	ctx *GatewayContext
}

// NewChunkedRequestReader reads the request header and encapsulated key
// from r, finds the key and sets up decryption. Its errors are those of
// DecapsulateRequest.
func NewChunkedRequestReader(r io.Reader, keys KeySource) (*ChunkedRequestReader, error) {
	var hb [requestHeaderLen]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformedRequest, err)
	}
	hdr, key, err := checkHeader(keys, hb[:])
	if err != nil {
		return nil, err
	}
	enc := make([]byte, hdr.KEM.EncapsulatedKeySize())
	if _, err := io.ReadFull(r, enc); err != nil {
		return nil, fmt.Errorf("%w: encapsulated key: %v", ErrMalformedRequest, err)
	}
	g, err := setupReceiver(hdr, key, enc, chunkedLabels.request, true)
	if err != nil {
		return nil, err
	}
	open := func(ct []byte, final bool) ([]byte, error) { return g.ctx.Open(ct, chunkAAD(final)) }
	return &ChunkedRequestReader{chunkReader: chunkReader{r: r, open: open}, ctx: g}, nil
}

// Context returns what encapsulates the chunked response.
func (c *ChunkedRequestReader) Context() *GatewayContext { return c.ctx }

// chunkAEAD seals or opens response chunks: one key, and the base nonce
// XORed with a chunk counter (draft §6.2).
type chunkAEAD struct {
	aead    cipher.AEAD
	base    []byte
	nonce   []byte
	counter uint64
	done    bool // the counter is spent
}

// seal seals one response chunk under the next nonce.
func (a *chunkAEAD) seal(pt []byte, final bool) ([]byte, error) {
	n, err := a.next()
	if err != nil {
		return nil, err
	}
	return a.aead.Seal(nil, n, pt, chunkAAD(final)), nil
}

// open opens one response chunk under the next nonce.
func (a *chunkAEAD) open(ct []byte, final bool) ([]byte, error) {
	n, err := a.next()
	if err != nil {
		return nil, err
	}
	return a.aead.Open(nil, n, ct, chunkAAD(final))
}

func (a *chunkAEAD) next() ([]byte, error) {
	if a.done {
		return nil, ErrTooManyChunks
	}
	copy(a.nonce, a.base)
	// encode(Nn, counter): big-endian in the nonce's last bytes; with a
	// 12-byte nonce a 64-bit counter never needs more.
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], a.counter)
	off := len(a.nonce) - 8
	for i := range c {
		a.nonce[off+i] ^= c[i]
	}
	a.counter++
	if a.counter == 0 {
		a.done = true
	}
	return a.nonce, nil
}

func newChunkAEAD(ctx hpke.Context, hdr RequestHeader, enc, responseNonce []byte) (*chunkAEAD, error) {
	aead, base, err := responseAEAD(ctx, hdr, enc, responseNonce, chunkedLabels.response)
	if err != nil {
		return nil, err
	}
	return &chunkAEAD{aead: aead, base: base, nonce: make([]byte, len(base))}, nil
}

// ChunkedResponseWriter writes a chunked encapsulated response
// (message/ohttp-chunked-res).
type ChunkedResponseWriter struct {
	chunkWriter
}

// NewChunkedResponseWriter writes a response nonce read from rand to w and
// returns a writer for the response's chunks. The context must come from a
// chunked request.
func (g *GatewayContext) NewChunkedResponseWriter(w io.Writer, rand io.Reader) (*ChunkedResponseWriter, error) {
	if rand == nil {
		return nil, ErrNoRandom
	}
	if !g.chunked {
		return nil, ErrWrongFormat
	}
	nonce := make([]byte, g.hdr.AEAD.responseNonceSize())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("ohttp: reading response nonce: %w", err)
	}
	a, err := newChunkAEAD(g.ctx, g.hdr, g.enc, nonce)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(nonce); err != nil {
		return nil, err
	}
	return &ChunkedResponseWriter{chunkWriter{w: w, seal: a.seal}}, nil
}

// ChunkedResponseReader reads a chunked encapsulated response.
type ChunkedResponseReader struct {
	chunkReader
}

// NewChunkedResponseReader reads the response nonce from r and returns a
// reader of the response plaintext. The context must come from a chunked
// request.
func (c *ClientContext) NewChunkedResponseReader(r io.Reader) (*ChunkedResponseReader, error) {
	if !c.chunked {
		return nil, ErrWrongFormat
	}
	nonce := make([]byte, c.hdr.AEAD.responseNonceSize())
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %v", ErrMalformedResponse, err)
	}
	a, err := newChunkAEAD(c.ctx, c.hdr, c.enc, nonce)
	if err != nil {
		return nil, err
	}
	return &ChunkedResponseReader{chunkReader{r: r, open: a.open}}, nil
}
