package sim_test

// A property over generated plans: whatever faults cut a streamed response
// (partitions, crashes, pauses, clogs, holds, loss, duplication,
// reordering), a client never takes a truncated body as whole. It either
// reads the body exactly as the server wrote it or gets an error.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/edgelab/edgelab/sim"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/plan"
	"github.com/edgelab/edgelab/sim/simtest"
)

// streamShape is a small world for the property: one server streaming
// bodies in flushed pieces to two clients that fetch in turn.
var streamShape = plan.Shape{
	World: "stream-test",
	Knobs: []plan.KnobRange{
		{Name: "pieces", Min: 2, Max: 6},
		{Name: "piece", Min: 1, Max: 40000},
		{Name: "gap", Unit: time.Millisecond, Min: 0, Max: 300},
	},
	Nodes:   func(*plan.Plan) ([]string, error) { return []string{"server", "client-1", "client-2"}, nil },
	Horizon: func(*plan.Plan) time.Duration { return 4 * time.Second },
}

// streamedBody is the body the server streams for request i: pieces of
// piece bytes each, every byte a function of i and its position.
func streamedBody(i, pieces, piece int) [][]byte {
	out := make([][]byte, pieces)
	for k := range out {
		out[k] = make([]byte, piece)
		for j := range out[k] {
			out[k][j] = byte(i*131 + k*17 + j)
		}
	}
	return out
}

type outcome struct {
	want    []byte
	got     []byte
	err     error
	gotHead bool
	// done: the fetch finished (a crash of the client's node ends it
	// without an outcome).
	done bool
}

// runStreams runs plan p and returns every fetch's outcome.
func runStreams(t *rapid.T, p *plan.Plan) []*outcome {
	pieces, _ := p.KnobInt("pieces", 3)
	piece, _ := p.KnobInt("piece", 1000)
	gap, _ := p.KnobDuration("gap", 100*time.Millisecond)
	s := sim.New(sim.Config{Seed: *p.Seed})
	srv := s.AddNode("server")
	clients := []*sim.Node{s.AddNode("client-1"), s.AddNode("client-2")}
	if err := s.Apply(p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	srv.HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Path[1:])
		if r.URL.Query().Get("declare") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(pieces*piece))
		}
		for k, b := range streamedBody(i, pieces, piece) {
			if k > 0 {
				srv.Env().Sleep(gap)
			}
			w.Write(b)
			w.(http.Flusher).Flush()
		}
	}))
	var outs []*outcome
	for ci, cli := range clients {
		cli.Start(func(env env.Env) {
			for k := range 6 {
				i := ci*10 + k
				o := &outcome{want: bytes.Join(streamedBody(i, pieces, piece), nil)}
				outs = append(outs, o)
				ctx, cancel := env.WithTimeout(context.Background(), 3*time.Second)
				url := fmt.Sprintf("http://server/%d", i)
				if k%2 == 1 {
					url += "?declare=1"
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				resp, err := (&http.Client{Transport: env.Transport()}).Do(req)
				if err != nil {
					o.err = err
				} else {
					o.gotHead = true
					o.got, o.err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				o.done = true
				cancel()
				env.Sleep(200 * time.Millisecond)
			}
		})
	}
	if _, err := s.Run(); err != nil {
		t.Fatalf("run: %v", err)
	}
	return outs
}

func TestStreamedResponseCutByAFaultIsAnError(t *testing.T) {
	var whole, cut int
	rapid.Check(t, func(t *rapid.T) {
		p := simtest.ShapeGen(streamShape, plan.GenOptions{}).Draw(t, "plan")
		for _, o := range runStreams(t, p) {
			switch {
			case !o.done:
			case o.err == nil && !bytes.Equal(o.got, o.want):
				t.Fatalf("a body taken as whole differs: %d bytes, want %d", len(o.got), len(o.want))
			case o.err == nil:
				whole++
			case o.gotHead:
				cut++
			}
		}
	})
	// The property means something only if faults did cut bodies after
	// their head arrived, and bodies did arrive whole.
	if whole == 0 || cut == 0 {
		t.Fatalf("%d whole bodies and %d cut after the head: the plans do not exercise the property", whole, cut)
	}
}
