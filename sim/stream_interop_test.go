package sim

// The standard library's protocol code runs over simulated streams as over
// TCP: net/textproto line and dot-encoded exchanges, and HTTP/1.1 written
// with (*http.Request).Write and parsed with http.ReadRequest, keep-alive
// and chunked bodies included. (http.Serve itself cannot run here: it
// starts goroutines.)

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/sim/link"
)

// lossyLink is a link bad enough that every exchange needs retransmission.
var lossyLink = link.Params{Latency: link.Uniform(ms, 20*ms), Loss: 0.1, Dup: 0.1, Reorder: 0.2, ReorderDelay: 30 * ms}

func TestStreamTextprotoLineProtocol(t *testing.T) {
	s, cli, srv := streamWorld(t, 4, lossyLink, StreamConfig{MSS: 100})
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":25")
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		tp := textproto.NewConn(c)
		for {
			line, err := tp.ReadLine()
			if err != nil {
				t.Error("server read:", err)
				return
			}
			verb, arg, _ := strings.Cut(line, " ")
			switch verb {
			case "PING":
				tp.PrintfLine("250 PONG %s", arg)
			case "DATA":
				tp.PrintfLine("354 go ahead")
				body, err := tp.ReadDotBytes()
				if err != nil {
					t.Error("dot:", err)
					return
				}
				tp.PrintfLine("250 got %d bytes", len(body))
			case "QUIT":
				tp.PrintfLine("221 bye")
				return
			}
		}
	})
	var transcript []string
	cli.Go("client", func() {
		c, err := cli.Env().Dial(context.Background(), "tcp", "server:25")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		tp := textproto.NewConn(c)
		expect := func(code int) {
			_, msg, err := tp.ReadCodeLine(code)
			if err != nil {
				t.Error("client:", err)
			}
			transcript = append(transcript, msg)
		}
		for i := range 20 {
			id, _ := tp.Cmd("PING %d", i)
			tp.StartResponse(id)
			expect(250)
			tp.EndResponse(id)
		}
		tp.PrintfLine("DATA")
		expect(354)
		w := tp.DotWriter()
		body := strings.Repeat("a line of the message\n.leading dot\n", 200)
		io.WriteString(w, body)
		w.Close()
		expect(250)
		tp.PrintfLine("QUIT")
		expect(221)
	})
	runSim(t, s)
	if len(transcript) != 23 || transcript[19] != "PONG 19" || transcript[21] != "got 7000 bytes" || transcript[22] != "bye" {
		t.Fatalf("transcript %q", transcript)
	}
}

func TestStreamHTTPRequestWriteAndReadRequest(t *testing.T) {
	s, cli, srv := streamWorld(t, 5, lossyLink, StreamConfig{MSS: 536})
	// A handler that echoes, answering with a chunked body for odd paths.
	srv.Go("server", func() {
		ln := listen(t, srv.Env(), ":80")
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err == io.EOF {
				return // the client closed its side: keep-alive ends
			}
			if err != nil {
				t.Error("ReadRequest:", err)
				return
			}
			body, _ := io.ReadAll(req.Body)
			resp := &http.Response{
				StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Request: req,
				Header: http.Header{"X-Path": {req.URL.Path}, "X-Remote": {c.RemoteAddr().String()}},
			}
			out := []byte(req.Method + " " + string(body))
			if len(req.URL.Path)%2 == 1 {
				resp.TransferEncoding = []string{"chunked"}
				resp.ContentLength = -1
				resp.Body = io.NopCloser(bytes.NewReader(out))
			} else {
				resp.ContentLength = int64(len(out))
				resp.Body = io.NopCloser(bytes.NewReader(out))
			}
			bw := bufio.NewWriter(c)
			if err := resp.Write(bw); err != nil {
				t.Error(err)
			}
			bw.Flush()
		}
	})
	var got []string
	cli.Go("client", func() {
		c, err := cli.Env().Dial(context.Background(), "tcp", "server:80")
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for i := range 6 {
			body := strings.Repeat(strconv.Itoa(i), 1000*i)
			req, _ := http.NewRequest("POST", "http://server/p"+strings.Repeat("x", i), strings.NewReader(body))
			req.Header.Set("X-Seq", strconv.Itoa(i))
			if err := req.Write(c); err != nil {
				t.Error("Request.Write:", err)
				return
			}
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Error("ReadResponse:", err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "POST "+body {
				t.Errorf("request %d: body %d bytes", i, len(b))
			}
			got = append(got, fmt.Sprintf("%d %s %v %s", resp.StatusCode, resp.Header.Get("X-Path"), resp.TransferEncoding, resp.Header.Get("X-Remote")))
		}
		c.(*Conn).CloseWrite()
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("after the last response: %v, want EOF", err)
		}
	})
	runSim(t, s)
	want := []string{
		"200 /p [] 10.0.0.1:49152",
		"200 /px [chunked] 10.0.0.1:49152",
		"200 /pxx [] 10.0.0.1:49152",
		"200 /pxxx [chunked] 10.0.0.1:49152",
		"200 /pxxxx [] 10.0.0.1:49152",
		"200 /pxxxxx [chunked] 10.0.0.1:49152",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("responses:\n%s", strings.Join(got, "\n"))
	}
	if s.Now() > time.Hour {
		t.Fatalf("took %v of virtual time", s.Now())
	}
}
