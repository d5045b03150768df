package sim

// This file hosts real http.Handlers on simulated nodes. A request arrives
// as the bytes http.Request.Write produced on the client; it is parsed with
// http.ReadRequest, served in a new task with a buffering ResponseWriter,
// and the response goes back as the bytes http.Response.Write produces: in
// one message, or streamed in segments once the handler flushes
// (http_stream.go).

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/internal/wire"
)

type httpServer struct {
	n    *Node
	port uint16
	h    http.Handler
}

// receive starts a handler task for one request message. A duplicated
// request runs the handler twice, as a replayed packet would.
func (srv *httpServer) receive(m *message) {
	srv.n.s.spawn(srv.n, "http-handler", func() { srv.serve(m) })
}

func (srv *httpServer) serve(m *message) {
	wr := getWireReader(m.data)
	req, err := http.ReadRequest(wr.br)
	if err != nil {
		putWireReader(wr)
		srv.n.send("http-response", srv.port, m.src, badRequest)
		return
	}
	req.RemoteAddr = m.src.String()
	w := &responseWriter{n: srv.n, req: req, header: make(http.Header), port: srv.port, dst: m.src}
	body := req.Body
	ok := srv.call(w, req)
	// As net/http does when a handler returns, close the request body:
	// later reads fail instead of reaching the reader, which is reused.
	body.Close()
	putWireReader(wr)
	switch {
	case w.streaming() && !ok:
		w.abortStream()
	case w.streaming():
		w.endStream()
	case ok:
		srv.n.send("http-response", srv.port, m.src, w.serialize())
	}
}

// call runs the handler. A panic aborts the exchange, as net/http aborts
// the connection: no response is sent (a streaming one is reset) and the
// panic is noted in the trace.
func (srv *httpServer) call(w *responseWriter, req *http.Request) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if r == errKilled {
				panic(r)
			}
			ok = false
			msg := "handler panic"
			if r != http.ErrAbortHandler {
				if err, isErr := r.(error); isErr {
					msg = err.Error()
				} else if s, isStr := r.(string); isStr {
					msg = s
				}
			}
			srv.n.s.Log(srv.n, model.Note, "http-abort", map[string]string{
				"port": strconv.Itoa(int(srv.port)), "path": req.URL.Path, "panic": msg,
			})
		}
	}()
	srv.h.ServeHTTP(w, req)
	return true
}

var badRequest = []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request")

// wireReader wraps a message's bytes for the standard library's parsers.
// Readers are pooled: everything is already in memory, and a parser's
// buffer is free again once the message has been read.
type wireReader struct {
	br *bufio.Reader
	r  bytes.Reader
}

var wireReaders = sync.Pool{New: func() any {
	return &wireReader{br: bufio.NewReaderSize(nil, 4096)}
}}

func getWireReader(data []byte) *wireReader {
	wr := wireReaders.Get().(*wireReader)
	wr.r.Reset(data)
	wr.br.Reset(&wr.r)
	return wr
}

func putWireReader(wr *wireReader) {
	wr.r.Reset(nil)
	wr.br.Reset(nil)
	wireReaders.Put(wr)
}

// wireBody is a response body read from a pooled reader, returned to the
// pool when the body is closed (reads after Close fail before they reach
// the reader).
type wireBody struct {
	io.ReadCloser
	wr *wireReader
}

func (b *wireBody) Close() error {
	err := b.ReadCloser.Close()
	if b.wr != nil {
		putWireReader(b.wr)
		b.wr = nil
	}
	return err
}

// responseWriter buffers a handler's response, which crosses the network
// as one message unless the handler flushes or the body grows past
// streamAfter; then it streams (http_stream.go).
type responseWriter struct {
	n      *Node
	req    *http.Request
	header http.Header
	status int
	body   bytes.Buffer
	// port and dst are where the response goes from and to.
	port uint16
	dst  netip.AddrPort
	// out is set once the response streams.
	out *responseStream
}

// httpDate is the Date header a response served now gets: the node's
// clock in http.TimeFormat. It changes once a second, so the string is
// kept for the second it reads.
func (n *Node) httpDate() string {
	now := n.env.Now()
	sec := now.Unix()
	if n.dateSec != sec || n.date == "" {
		n.dateSec, n.date = sec, now.UTC().Format(http.TimeFormat)
	}
	return n.date
}

var _ http.Flusher = (*responseWriter)(nil)

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 {
		// Later calls are superfluous and 1xx responses are not relayed.
		return
	}
	w.status = code
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.out != nil {
		return w.streamWrite(p)
	}
	w.body.Write(p)
	if w.body.Len() > streamAfter {
		w.startStream()
	}
	return len(p), nil
}

func (w *responseWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.out != nil {
		return w.streamWrite([]byte(s))
	}
	w.body.WriteString(s)
	if w.body.Len() > streamAfter {
		w.startStream()
	}
	return len(s), nil
}

// Flush sends the head, if not yet sent, and the body written so far: the
// response streams from now on.
func (w *responseWriter) Flush() {
	if w.out == nil {
		w.startStream()
		return
	}
	if w.body.Len() > 0 {
		w.sendSegment(nil, w.body.Bytes(), 0)
		w.body.Reset()
	}
}

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && status >= 200
}

// serialize turns the buffered response into wire bytes, adding what
// net/http's server adds: Date (from the node's clock) and a sniffed
// Content-Type. The bytes are those http.Response.Write writes
// (wire.AppendResponse).
func (w *responseWriter) serialize() []byte {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.header
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{w.n.httpDate()}
	}
	if _, ok := h["Content-Type"]; !ok && w.body.Len() > 0 && h.Get("Transfer-Encoding") == "" {
		h["Content-Type"] = []string{http.DetectContentType(w.body.Bytes())}
	}
	return wire.AppendResponse(w.status, h, w.req.Method, w.body.Bytes())
}
