package sim

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// streamBenchTotal is what one benchmark operation moves: 4 MiB written in
// 32 KiB pieces and read in 32 KiB pieces.
const (
	streamBenchTotal = 4 << 20
	streamBenchChunk = 32 << 10
)

// streamTransfer sends total bytes from a client to a server over a
// healthy 1ms link and returns how many trace events the run recorded.
func streamTransfer(tb testing.TB, chunk []byte, total int) int {
	s := New(Config{Seed: 1})
	cli, srv := s.AddNode("client"), s.AddNode("server")
	got := 0
	srv.Go("server", func() {
		ln, err := srv.Env().Listen("tcp", ":9")
		if err != nil {
			tb.Error(err)
			return
		}
		c, err := ln.Accept()
		if err != nil {
			tb.Error(err)
			return
		}
		buf := make([]byte, len(chunk))
		for {
			n, err := c.Read(buf)
			got += n
			if err != nil {
				break
			}
		}
		c.Close()
		ln.Close()
	})
	cli.Go("client", func() {
		c, err := cli.Env().Dial(context.Background(), "tcp", "server:9")
		if err != nil {
			tb.Error(err)
			return
		}
		for sent := 0; sent < total; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				tb.Error(err)
				return
			}
		}
		c.Close()
	})
	if _, err := s.Run(); err != nil {
		tb.Fatal(err)
	}
	if got != total {
		tb.Fatalf("transferred %d of %d bytes", got, total)
	}
	return s.TraceLen()
}

// bufferTransfer is the baseline: the same bytes, in the same pieces,
// through a bytes.Buffer.
func bufferTransfer(chunk []byte, total int, buf *bytes.Buffer, dst []byte) int {
	got := 0
	for sent := 0; sent < total; sent += len(chunk) {
		buf.Write(chunk)
		n, _ := io.ReadFull(buf, dst)
		got += n
	}
	return got
}

// BenchmarkStreamThroughput measures simulated stream bytes per wall
// second (MB/s, from SetBytes; the baseline runs with the timer stopped)
// and reports the cost relative to copying the same bytes through a
// bytes.Buffer in the same run as x-vs-baseline.
func BenchmarkStreamThroughput(b *testing.B) {
	chunk := make([]byte, streamBenchChunk)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	dst := make([]byte, streamBenchChunk)
	var simT, baseT time.Duration
	events := 0
	b.SetBytes(streamBenchTotal)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		events += streamTransfer(b, chunk, streamBenchTotal)
		simT += time.Since(t0)
		b.StopTimer()
		t1 := time.Now()
		if bufferTransfer(chunk, streamBenchTotal, &buf, dst) != streamBenchTotal {
			b.Fatal("baseline lost bytes")
		}
		baseT += time.Since(t1)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(simT)/float64(baseT), "x-vs-baseline")
	b.ReportMetric(float64(streamBenchTotal)*float64(b.N)/baseT.Seconds()/1e6, "base-MB/s")
	b.ReportMetric(float64(events)/float64(b.N), "trace-events/op")
}
