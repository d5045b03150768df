package sim

// Tests of streamed HTTP responses: the bytes are net/http's, the head is
// read before the body ends, a reader blocks on a slow body, and a
// response that stops short gives the reader an error.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
	"pgregory.net/rapid"
)

// pieceReader returns one piece per Read, as a handler writes one piece
// per Write.
type pieceReader struct{ pieces [][]byte }

func (r *pieceReader) Read(b []byte) (int, error) {
	if len(r.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.pieces[0])
	r.pieces = r.pieces[1:]
	return n, nil
}

// streamHandler, on node n, writes pieces, flushing after each one and sleeping gap
// before the next; declare sets Content-Length to their total first.
func streamHandler(n *Node, pieces [][]byte, gap time.Duration, declare bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if declare {
			w.Header().Set("Content-Length", strconv.Itoa(len(bytes.Join(pieces, nil))))
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		for i, p := range pieces {
			if i > 0 && gap > 0 {
				n.Env().Sleep(gap)
			}
			w.Write(p)
			w.(http.Flusher).Flush()
		}
	}
}

// rawStream sends a GET from cli's port 5000 to srv:80 and returns the
// stream's bytes reassembled from the segments that arrive.
func rawStream(t *testing.T, s *Sim, srv, cli *Node) func() []byte {
	t.Helper()
	parts := map[uint64][]byte{}
	cli.Bind(5000, func(_ netip.AddrPort, data []byte) {
		_, _, off, b, ok := parseStreamSegment(data)
		if !ok {
			t.Errorf("not a stream segment: %q", data)
			return
		}
		parts[off] = b
	})
	s.At(0, func() {
		cli.Send(5000, addrPort(srv, 80), []byte("GET / HTTP/1.1\r\nHost: server\r\n\r\n"))
	})
	return func() []byte {
		offs := make([]uint64, 0, len(parts))
		for o := range parts {
			offs = append(offs, o)
		}
		slices.Sort(offs)
		var out []byte
		for _, o := range offs {
			if o != uint64(len(out)) {
				t.Fatalf("gap in the stream at %d (have %d bytes)", o, len(out))
			}
			out = append(out, parts[o]...)
		}
		return out
	}
}

// netHTTPStream is what (*http.Response).Write writes for the response a
// streamHandler sends: one chunk per piece, or the raw body under a
// declared length.
func netHTTPStream(t *testing.T, method string, pieces [][]byte, declare bool) []byte {
	total := len(bytes.Join(pieces, nil))
	h := http.Header{"Date": {"Thu, 01 Jan 2026 00:00:00 GMT"}, "Content-Type": {"application/octet-stream"}}
	resp := &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Request: &http.Request{Method: method}, ContentLength: -1, TransferEncoding: []string{"chunked"}}
	if declare {
		resp.ContentLength, resp.TransferEncoding = int64(total), nil
	}
	if method != http.MethodHead && !(declare && total == 0) {
		resp.Body = io.NopCloser(&pieceReader{slices.Clone(pieces)})
	}
	var b bytes.Buffer
	if err := resp.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestStreamedBytesAreNetHTTPs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pieces  [][]byte
		declare bool
	}{
		{"chunked", [][]byte{[]byte("hello "), []byte("streamed "), []byte("world")}, false},
		{"declared", [][]byte{[]byte("hello "), []byte("world")}, true},
		{"flush-only", [][]byte{{}}, false},
		{"large-piece", [][]byte{bytes.Repeat([]byte("x"), segmentBody), []byte("tail")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Seed: 1})
			srv, cli := s.AddNode("server"), s.AddNode("client")
			srv.HostHTTP(80, streamHandler(srv, tc.pieces, 10*ms, tc.declare))
			got := rawStream(t, s, srv, cli)
			if _, err := s.Run(); err != nil {
				t.Fatal(err)
			}
			if want := netHTTPStream(t, http.MethodGet, tc.pieces, tc.declare); !bytes.Equal(got(), want) {
				t.Fatalf("stream bytes\n got %q\nwant %q", got(), want)
			}
		})
	}
}

// fetch GETs url from cli and reports when the head and the whole body
// arrived, the body and the error.
type fetched struct {
	headAt, doneAt time.Duration
	status         int
	header         http.Header
	body           []byte
	err            error
	headErr        bool // the error came from RoundTrip, before the head
}

func fetch(cli *Node, url string, timeout time.Duration, out *fetched) {
	cli.Go("fetch", func() {
		env := cli.Env()
		ctx, cancel := env.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := env.Transport().RoundTrip(req)
		out.headAt = cli.s.Now()
		if err != nil {
			out.err, out.headErr = err, true
			return
		}
		defer resp.Body.Close()
		out.status, out.header = resp.StatusCode, resp.Header
		out.body, out.err = io.ReadAll(resp.Body)
		out.doneAt = cli.s.Now()
	})
}

func TestStreamedHeadArrivesBeforeTheBodyEnds(t *testing.T) {
	pieces := [][]byte{[]byte("first"), []byte("second"), []byte("third")}
	s, srv, cli := httpPair(link.Params{Latency: link.Fixed(5 * ms)}, nil)
	srv.HostHTTP(80, streamHandler(srv, pieces, time.Second, false))
	var f fetched
	fetch(cli, "http://server/", time.Minute, &f)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if f.err != nil || string(f.body) != "firstsecondthird" {
		t.Fatalf("err %v body %q", f.err, f.body)
	}
	if f.headAt != 10*ms || f.doneAt != 2*time.Second+10*ms {
		t.Fatalf("head at %v, body done at %v; want 10ms and 2.01s", f.headAt, f.doneAt)
	}
	if f.header.Get("Content-Type") != "application/octet-stream" || f.header.Get("Date") == "" {
		t.Fatalf("header %v", f.header)
	}
}

func TestStreamedReadBlocksUntilTheDeadline(t *testing.T) {
	pieces := [][]byte{[]byte("soon"), []byte("too late")}
	s, srv, cli := httpPair(link.Params{Latency: link.Fixed(5 * ms)}, nil)
	srv.HostHTTP(80, streamHandler(srv, pieces, time.Second, true))
	var f fetched
	fetch(cli, "http://server/", 500*ms, &f)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if f.headErr || !errors.Is(f.err, context.DeadlineExceeded) || string(f.body) != "soon" || f.doneAt != 500*ms {
		t.Fatalf("err %v (before head %v) body %q done at %v", f.err, f.headErr, f.body, f.doneAt)
	}
}

func TestStreamedAbortsAreErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"panic", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "part of it")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}},
		{"short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "only this")
			w.(http.Flusher).Flush()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, cli := httpPair(link.Params{Latency: link.Fixed(5 * ms)}, tc.h)
			var f fetched
			fetch(cli, "http://server/", time.Minute, &f)
			if _, err := s.Run(); err != nil {
				t.Fatal(err)
			}
			if f.headErr || !errors.Is(f.err, io.ErrUnexpectedEOF) || f.doneAt != 10*ms {
				t.Fatalf("err %v (before head %v) body %q at %v", f.err, f.headErr, f.body, f.doneAt)
			}
		})
	}
}

func TestStreamedOverflowOfDeclaredLengthIsRefused(t *testing.T) {
	var werr error
	s, _, cli := httpPair(link.Default, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4")
		w.(http.Flusher).Flush()
		_, werr = io.WriteString(w, "12345")
		io.WriteString(w, "1234")
	})
	var f fetched
	fetch(cli, "http://server/", time.Minute, &f)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(werr, http.ErrContentLength) || f.err != nil || string(f.body) != "1234" {
		t.Fatalf("write err %v; client err %v body %q", werr, f.err, f.body)
	}
}

func TestStreamedUnflushedLargeBodyStreams(t *testing.T) {
	body := make([]byte, 3*streamAfter+17)
	for i := range body {
		body[i] = byte(i * 7)
	}
	s, _, cli := httpPair(link.Params{Latency: link.Fixed(ms)}, func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	})
	var f fetched
	fetch(cli, "http://server/", time.Minute, &f)
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	segs := 0
	for _, e := range s.Trace().Events {
		if e.Kind == model.Deliver && e.Name == streamLabel {
			segs++
		}
	}
	if f.err != nil || !bytes.Equal(f.body, body) || f.header.Get("Transfer-Encoding") != "" || segs < len(body)/segmentBody {
		t.Fatalf("err %v, %d of %d bytes, equal %v, %d segments", f.err, len(f.body), len(body), bytes.Equal(f.body, body), segs)
	}
}

// TestStreamedBodiesArriveByteIdentical: over drawn pieces, flush
// patterns and links that reorder, duplicate and queue, every streamed
// body arrives whole and unchanged, and the run is deterministic.
func TestStreamedBodiesArriveByteIdentical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawHealthy(t)
		p.Dup = float64(rapid.IntRange(0, 500).Draw(t, "dupPermille")) / 1000
		n := rapid.IntRange(1, 6).Draw(t, "pieces")
		pieces := make([][]byte, n)
		for i := range pieces {
			size := rapid.IntRange(0, 3*segmentBody).Draw(t, "size")
			pieces[i] = make([]byte, size)
			for j := range pieces[i] {
				pieces[i][j] = byte(i*31 + j)
			}
		}
		declare := rapid.Bool().Draw(t, "declare")
		gap := time.Duration(rapid.IntRange(0, 200).Draw(t, "gapMs")) * ms
		seed := rapid.Uint64().Draw(t, "seed")
		run := func() (fetched, string) {
			s := New(Config{Seed: seed})
			srv, cli := s.AddNode("server"), s.AddNode("client")
			if err := s.Net().SetDefault(p); err != nil {
				t.Fatal(err)
			}
			srv.HostHTTP(80, streamHandler(srv, pieces, gap, declare))
			var f fetched
			fetch(cli, "http://server/", time.Hour, &f)
			if _, err := s.Run(); err != nil {
				t.Fatal(err)
			}
			return f, s.Trace().HashHex()
		}
		f, h1 := run()
		if f.err != nil || !bytes.Equal(f.body, bytes.Join(pieces, nil)) {
			t.Fatalf("err %v; got %d bytes of %d", f.err, len(f.body), len(bytes.Join(pieces, nil)))
		}
		if _, h2 := run(); h1 != h2 {
			t.Fatalf("same seed, trace hashes %s and %s", h1, h2)
		}
	})
}
