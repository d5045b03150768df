package sim

// A small traffic world shared by the network tests: four nodes exchange
// datagrams of random sizes at random times, and one HTTP client calls an
// HTTP server, so every fault has traffic to act on.

import (
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/env"
)

const echoPort = 7

// trafficWorld builds the world, lets setup add faults, runs it and returns
// the trace.
func trafficWorld(t testing.TB, seed uint64, setup func(s *Sim)) *model.Trace {
	t.Helper()
	s := New(Config{Seed: seed, Limit: 10 * time.Second})
	var nodes []*Node
	for i := 1; i <= 4; i++ {
		nodes = append(nodes, s.AddNode("n"+strconv.Itoa(i)))
	}
	for _, n := range nodes {
		n.Bind(echoPort, func(src netip.AddrPort, data []byte) {})
		n.Start(func(env env.Env) {
			var b [8]byte
			for range 30 {
				io.ReadFull(env.Rand(), b[:])
				r := binary.LittleEndian.Uint64(b[:])
				env.Sleep(time.Duration(r%20) * time.Millisecond)
				dst := nodes[int(r>>8)%len(nodes)]
				if dst == n {
					continue
				}
				size := 10 + int(r>>16)%1500
				n.Send(echoPort, netip.AddrPortFrom(dst.Addr4(), echoPort), make([]byte, size))
			}
		})
	}
	nodes[0].HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Query().Get("i"))
	}))
	cl := nodes[1]
	cl.Go("http-client", func() {
		env := cl.Env()
		hc := &http.Client{Transport: env.Transport()}
		for i := range 10 {
			ctx, cancel := env.WithTimeout(context.Background(), 100*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://n1/x?i="+strconv.Itoa(i), nil)
			if resp, err := hc.Do(req); err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
				env.Record("Answered", model.NewConst(strconv.Itoa(i)))
			} else {
				env.Record("Failed", model.NewConst(strconv.Itoa(i)))
			}
			cancel()
			env.Sleep(20 * time.Millisecond)
		}
	})
	if setup != nil {
		setup(s)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return s.Trace()
}

func ndjson(t testing.TB, tr *model.Trace) []byte {
	t.Helper()
	b, err := tr.MarshalNDJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// count returns how many events match kind (and reason, if non-empty).
func count(tr *model.Trace, kind model.EventKind, reason string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && (reason == "" || e.Attrs["reason"] == reason) {
			n++
		}
	}
	return n
}

type netipAddrPort = netip.AddrPort

func addrPort(n *Node, port uint16) netip.AddrPort { return netip.AddrPortFrom(n.Addr4(), port) }
