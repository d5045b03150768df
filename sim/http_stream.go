package sim

// This file streams HTTP response bodies across the simulated network. A
// response the handler writes in one go, without flushing, still crosses
// as one message (http.go). A handler that flushes (http.Flusher), or
// whose body outgrows streamAfter, sends its response as a byte stream in
// segments instead: the head with what is buffered, then each flush or
// each segmentBody bytes, then an end mark. The bytes of the stream are
// those (*http.Response).Write writes for the same response with a body of
// unknown length (Transfer-Encoding: chunked, one chunk per segment) or,
// when the handler declared a Content-Length, that length.
//
// Segments are messages like any other, so faults act on them one by one:
// a partition, a crash or a clog in the middle of a body cuts it there. The
// client reassembles segments by offset (duplicates and reordering are
// harmless) and parses the stream with http.ReadResponse as it arrives, so
// RoundTrip returns once the head is in and a body read blocks until more
// arrives. A stream that stops short never ends in a clean EOF: the read
// waits for the request's context, or fails with ErrResponseReset when the
// server aborts (a handler panic, or fewer bytes than it declared), as
// net/http's client fails with io.ErrUnexpectedEOF when a connection
// closes mid-body.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/edgelab/edgelab/sim/internal/wire"
)

const (
	// streamLabel names response segments in the trace.
	streamLabel = "http-stream"
	// streamHeader is flags(1) stream id(8) offset(8).
	streamHeader = 17
	// streamAfter is the most body bytes a response buffers before it
	// starts to stream without being flushed.
	streamAfter = 64 << 10
	// segmentBody is the most body bytes one segment carries.
	segmentBody = 16 << 10
)

// Segment flags of a streamed response.
const (
	streamEnd   uint8 = 1 << iota // the last segment: the stream ends after it
	streamReset                   // the server aborted the response
)

// ErrResponseReset is the error a client reads from a streamed response
// the server aborted mid-body. It wraps io.ErrUnexpectedEOF, which is what
// net/http's client reports for a connection closed before the body ended.
var ErrResponseReset = fmt.Errorf("sim: http response reset by the server: %w", io.ErrUnexpectedEOF)

// responseStream is the server's side of a streamed response.
type responseStream struct {
	id  uint64
	off uint64
	// declared is the Content-Length the handler set, or -1 (chunked).
	declared int64
	// written counts the body bytes accepted so far.
	written int64
	// bare: no body follows the head (HEAD, or a status without one).
	bare bool
}

// streaming reports whether the response has started to cross in segments.
func (w *responseWriter) streaming() bool { return w.out != nil }

// startStream sends the head and what is buffered as the first segment.
func (w *responseWriter) startStream() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	h := w.header
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{w.n.httpDate()}
	}
	if _, ok := h["Content-Type"]; !ok && w.body.Len() > 0 && h.Get("Transfer-Encoding") == "" {
		h["Content-Type"] = []string{http.DetectContentType(w.body.Bytes())}
	}
	w.n.s.net.httpStreams++
	st := &responseStream{id: w.n.s.net.httpStreams, declared: -1}
	if v := h.Get("Content-Length"); v != "" {
		if cl, err := strconv.ParseInt(v, 10, 64); err == nil && cl >= 0 {
			st.declared = cl
		}
	}
	w.out = st
	var head []byte
	switch {
	case !bodyAllowed(w.status):
		st.bare = true
		head = wire.AppendResponse(w.status, h, w.req.Method, nil)
	case st.declared == 0:
		head = wire.AppendResponse(w.status, h, w.req.Method, nil)
	default:
		head = wire.ResponseHead(w.status, h, w.req.Method, st.declared, 0)
	}
	if w.req.Method == http.MethodHead {
		st.bare = true
	}
	st.written = int64(w.body.Len())
	if st.declared >= 0 && st.written > st.declared {
		// net/http refuses the write that overflows the declared length;
		// here it was buffered before the length was known to be exceeded.
		w.body.Truncate(int(st.declared))
		st.written = st.declared
	}
	w.sendSegment(head, w.body.Next(segmentBody), 0)
	for w.body.Len() > 0 {
		w.sendSegment(nil, w.body.Next(segmentBody), 0)
	}
	w.body.Reset()
}

// streamWrite accepts body bytes once the response is streaming.
func (w *responseWriter) streamWrite(p []byte) (int, error) {
	st := w.out
	if st.declared >= 0 && st.written+int64(len(p)) > st.declared {
		return 0, http.ErrContentLength
	}
	st.written += int64(len(p))
	if st.bare {
		return len(p), nil
	}
	w.body.Write(p)
	for w.body.Len() >= segmentBody {
		w.sendSegment(nil, w.body.Next(segmentBody), 0)
	}
	return len(p), nil
}

// sendSegment sends head (if any) and body, framed as a chunk when the
// response is chunked, as the stream's next segment.
func (w *responseWriter) sendSegment(head, body []byte, flags uint8) {
	st := w.out
	if st.bare {
		body = nil
	}
	chunked := st.declared < 0 && !st.bare
	var hexBuf [16]byte
	var size []byte
	if chunked && len(body) > 0 {
		size = strconv.AppendInt(hexBuf[:0], int64(len(body)), 16)
	}
	n := len(head) + len(body)
	if len(size) > 0 {
		n += len(size) + 4
	}
	end := flags&streamEnd != 0 && chunked
	if end {
		n += len("0\r\n\r\n")
	}
	if n == 0 && flags == 0 {
		return
	}
	b := make([]byte, streamHeader, streamHeader+n)
	b[0] = flags
	binary.BigEndian.PutUint64(b[1:], st.id)
	binary.BigEndian.PutUint64(b[9:], st.off)
	b = append(b, head...)
	if len(size) > 0 {
		b = append(b, size...)
		b = append(b, "\r\n"...)
		b = append(b, body...)
		b = append(b, "\r\n"...)
	} else {
		b = append(b, body...)
	}
	if end {
		b = append(b, "0\r\n\r\n"...)
	}
	st.off += uint64(n)
	w.n.send(streamLabel, w.port, w.dst, b)
}

// endStream ends a streamed response after the handler returned: the rest
// of the body and the end mark, or a reset when the handler wrote less
// than it declared (net/http closes the connection then).
func (w *responseWriter) endStream() {
	st := w.out
	if st.declared >= 0 && st.written < st.declared && !st.bare {
		w.sendSegment(nil, w.body.Bytes(), 0)
		w.sendSegment(nil, nil, streamReset)
		return
	}
	w.sendSegment(nil, w.body.Bytes(), streamEnd)
}

// abortStream tells the client that the response it is reading will not
// be completed.
func (w *responseWriter) abortStream() { w.sendSegment(nil, nil, streamReset) }

// streamBody is the client's side of a streamed response: the segments
// reassembled in order, read by http.ReadResponse.
type streamBody struct {
	s   *Sim
	ctx context.Context
	id  uint64
	// next is the offset of the first byte not yet received in order; buf
	// holds the received bytes not yet read.
	next uint64
	buf  []byte
	// ahead holds segments that arrived before the bytes preceding them.
	ahead map[uint64]streamPart
	ended bool // the end mark was received in order
	reset bool
	// closed: the body was closed; reads end at once.
	closed  bool
	q       waitQ
	release func()
}

type streamPart struct {
	flags uint8
	data  []byte
}

// parseStreamSegment splits a segment into its header fields and data.
func parseStreamSegment(b []byte) (flags uint8, id, off uint64, data []byte, ok bool) {
	if len(b) < streamHeader {
		return 0, 0, 0, nil, false
	}
	return b[0], binary.BigEndian.Uint64(b[1:]), binary.BigEndian.Uint64(b[9:]), b[streamHeader:], true
}

// add takes in one segment of the stream.
func (b *streamBody) add(flags uint8, off uint64, data []byte) {
	if flags&streamReset != 0 {
		b.reset = true
		b.q.wake(b.s)
		return
	}
	switch {
	case off > b.next:
		if b.ahead == nil {
			b.ahead = make(map[uint64]streamPart)
		}
		if _, dup := b.ahead[off]; !dup {
			b.ahead[off] = streamPart{flags, data}
		}
		return
	case off < b.next:
		return // a duplicate: the sender's segments never overlap otherwise
	}
	for {
		b.buf = append(b.buf, data...)
		b.next += uint64(len(data))
		if flags&streamEnd != 0 {
			b.ended = true
		}
		p, ok := b.ahead[b.next]
		if !ok {
			break
		}
		delete(b.ahead, b.next)
		flags, data = p.flags, p.data
	}
	b.q.wake(b.s)
}

// Read returns the bytes received in order, blocking the calling task
// until some arrive, the stream ends or fails, or the request's context is
// done.
func (b *streamBody) Read(p []byte) (int, error) {
	for {
		switch {
		case len(b.buf) > 0:
			n := copy(p, b.buf)
			b.buf = b.buf[n:]
			return n, nil
		case b.closed:
			return 0, io.EOF
		case b.reset:
			b.release()
			return 0, ErrResponseReset
		case b.ended:
			b.release()
			return 0, io.EOF
		}
		if err := ctxErr(b.ctx); err != nil {
			b.release()
			return 0, err
		}
		t := b.s.current("Read")
		b.s.watch(b.ctx, t)
		b.q.add(t)
		t.park("http body")
	}
}

// streamedBody is a streamed response's Body as http.ReadResponse made it,
// closed without draining what has not arrived yet.
type streamedBody struct {
	io.ReadCloser
	sb *streamBody
}

// Close ends the exchange, as net/http's client closes a connection whose
// body was not read to the end: what has not arrived is not waited for.
func (b *streamedBody) Close() error {
	b.sb.closed = true
	b.sb.release()
	b.ReadCloser.Close()
	return nil
}

// receiveSegment is the exchange's handling of a streamed response's
// segment: the first one starts the stream (and wakes RoundTrip), later
// ones of the same stream feed it, and those of another stream (a
// duplicated request served twice) are ignored.
func (x *exchange) receiveSegment(m *message) {
	flags, id, off, data, ok := parseStreamSegment(m.data)
	if !ok {
		return
	}
	if x.body == nil {
		x.body = &streamBody{s: x.t.s, ctx: x.ctx, id: id, release: x.release}
		x.t.s.wake(x.t, x.t.gen)
	} else if x.body.id != id {
		return
	}
	x.body.add(flags, off, data)
}

// readStreamed parses the head of a streamed response as it arrives and
// returns the response, whose body reads the rest.
func readStreamed(x *exchange, req *http.Request) (*http.Response, error) {
	br := bufio.NewReader(x.body)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		x.release()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if resp.Body == http.NoBody {
		x.release()
		return resp, nil
	}
	resp.Body = &streamedBody{ReadCloser: resp.Body, sb: x.body}
	return resp, nil
}
