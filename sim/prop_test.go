package sim

// Property tests of the kernel with pgregory.net/rapid: rapid draws
// workloads and link parameters, the simulator runs them, and the
// properties are checked on what the receivers saw and on the trace.

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// drawDist draws any latency distribution.
func drawDist(t *rapid.T) link.Dist {
	lo := time.Duration(rapid.Int64Range(0, int64(20*ms)).Draw(t, "min"))
	switch rapid.IntRange(0, 3).Draw(t, "dist") {
	case 0:
		return link.Fixed(lo)
	case 1:
		return link.Uniform(lo, lo+time.Duration(rapid.Int64Range(0, int64(50*ms)).Draw(t, "spread")))
	case 2:
		return link.Exponential(lo, time.Duration(rapid.Int64Range(1, int64(20*ms)).Draw(t, "mean")))
	default:
		return link.LogNormal(lo, time.Duration(rapid.Int64Range(1, int64(20*ms)).Draw(t, "median")), rapid.Float64Range(0, 2).Draw(t, "sigma"))
	}
}

// drawHealthy draws a link without loss or duplication.
func drawHealthy(t *rapid.T) link.Params {
	p := link.Params{Latency: drawDist(t)}
	if rapid.Bool().Draw(t, "reorder") {
		p.Reorder = rapid.Float64Range(0, 1).Draw(t, "reorderP")
		p.ReorderDelay = time.Duration(rapid.Int64Range(0, int64(100*ms)).Draw(t, "reorderDelay"))
	}
	if rapid.Bool().Draw(t, "capacity") {
		p.Bandwidth = rapid.Int64Range(1000, 10_000_000).Draw(t, "bandwidth")
	}
	return p
}

// sent is one datagram of a drawn workload; its payload starts with its
// index so receivers can tell messages apart.
type sent struct {
	at       time.Duration
	from, to int
	size     int
}

type mesh struct {
	s     *Sim
	nodes []*Node
	// got[i] lists the arrival times of message i.
	got map[uint64][]time.Duration
}

// drawMesh builds n nodes with link p and schedules a drawn workload.
func drawMesh(t *rapid.T, p link.Params) (*mesh, []sent) {
	m := &mesh{s: New(Config{Seed: rapid.Uint64().Draw(t, "seed")}), got: map[uint64][]time.Duration{}}
	if err := m.s.Net().SetDefault(p); err != nil {
		t.Fatalf("drawn link invalid: %v", err)
	}
	n := rapid.IntRange(2, 5).Draw(t, "nodes")
	for i := range n {
		nd := m.s.AddNode("n" + string(rune('a'+i)))
		nd.Bind(9, func(_ netip.AddrPort, data []byte) {
			id := binary.BigEndian.Uint64(data)
			m.got[id] = append(m.got[id], m.s.Now())
		})
		m.nodes = append(m.nodes, nd)
	}
	msgs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) sent {
		return sent{
			at:   time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "at")),
			from: rapid.IntRange(0, n-1).Draw(t, "from"),
			to:   rapid.IntRange(0, n-1).Draw(t, "to"),
			size: rapid.IntRange(8, 3000).Draw(t, "size"),
		}
	}), 1, 60).Draw(t, "msgs")
	for i, sm := range msgs {
		m.s.At(sm.at, func() {
			data := make([]byte, sm.size)
			binary.BigEndian.PutUint64(data, uint64(i))
			m.nodes[sm.from].Send(9, netip.AddrPortFrom(m.nodes[sm.to].Addr4(), 9), data)
		})
	}
	return m, msgs
}

func (m *mesh) run(t *rapid.T) *model.Trace {
	if _, err := m.s.Run(); err != nil {
		t.Fatal(err)
	}
	return m.s.Trace()
}

func TestPropVirtualTimeNeverGoesBackwards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawHealthy(t)
		p.Loss = rapid.Float64Range(0, 0.5).Draw(t, "loss")
		p.Dup = rapid.Float64Range(0, 0.5).Draw(t, "dup")
		m, _ := drawMesh(t, p)
		var seen []time.Duration
		for i, nd := range m.nodes {
			env := nd.Env()
			sleeps := rapid.SliceOfN(rapid.Int64Range(0, int64(300*ms)), 0, 10).Draw(t, "sleeps"+string(rune('a'+i)))
			nd.Go("sleeper", func() {
				for _, d := range sleeps {
					env.Sleep(time.Duration(d))
					seen = append(seen, env.Now().Sub(Epoch))
				}
			})
		}
		tr := m.run(t)
		for i := 1; i < len(seen); i++ {
			if seen[i] < seen[i-1] {
				t.Fatalf("Now went from %v back to %v", seen[i-1], seen[i])
			}
		}
		for i := 1; i < len(tr.Events); i++ {
			if tr.Events[i].At < tr.Events[i-1].At {
				t.Fatalf("trace event %d at %v after %v", i, tr.Events[i].At, tr.Events[i-1].At)
			}
		}
	})
}

func TestPropHealthyLinkDeliversEachMessageExactlyOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, msgs := drawMesh(t, drawHealthy(t))
		tr := m.run(t)
		for i, sm := range msgs {
			if got := len(m.got[uint64(i)]); got != 1 {
				t.Fatalf("message %d (%+v) delivered %d times", i, sm, got)
			}
			if m.got[uint64(i)][0] < sm.at {
				t.Fatalf("message %d arrived at %v before it was sent at %v", i, m.got[uint64(i)][0], sm.at)
			}
		}
		if d := count(tr, model.Deliver, ""); d != len(msgs) {
			t.Fatalf("trace has %d deliveries for %d messages", d, len(msgs))
		}
	})
}

func TestPropLossWithoutDupNeverDeliversTwice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawHealthy(t)
		p.Loss = rapid.Float64Range(0, 1).Draw(t, "loss")
		m, msgs := drawMesh(t, p)
		tr := m.run(t)
		for i := range msgs {
			if got := len(m.got[uint64(i)]); got > 1 {
				t.Fatalf("message %d delivered %d times", i, got)
			}
		}
		delivered := 0
		for _, g := range m.got {
			delivered += len(g)
		}
		if lost := count(tr, model.Drop, ReasonLoss); lost+delivered != len(msgs) {
			t.Fatalf("%d lost + %d delivered != %d sent", lost, delivered, len(msgs))
		}
	})
}

func TestPropPartitionBlocksUntilHealAndReleaseDeliversHeld(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, msgs := drawMesh(t, drawHealthy(t))
		n := len(m.nodes)
		// Split the nodes into two drawn groups.
		var ga, gb []string
		side := make([]bool, n)
		for i, nd := range m.nodes {
			side[i] = rapid.Bool().Draw(t, "side")
			if side[i] {
				ga = append(ga, nd.Name())
			} else {
				gb = append(gb, nd.Name())
			}
		}
		cutAt := time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "cutAt"))
		healAt := cutAt + time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "healFor"))
		holdFrom := rapid.IntRange(0, n-1).Draw(t, "holdFrom")
		holdTo := rapid.IntRange(0, n-1).Draw(t, "holdTo")
		holdAt := time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "holdAt"))
		releaseAt := holdAt + time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "holdFor"))
		if len(ga) > 0 && len(gb) > 0 {
			m.s.At(cutAt, func() { m.s.Net().Partition(ga, gb) })
			m.s.At(healAt, m.s.Net().Heal)
		}
		hf, ht := m.nodes[holdFrom].Name(), m.nodes[holdTo].Name()
		m.s.At(holdAt, func() { m.s.Net().Hold(hf, ht) })
		m.s.At(releaseAt, func() { m.s.Net().Release(hf, ht) })
		tr := m.run(t)

		held := map[string]bool{}
		for _, e := range tr.Events {
			across := e.Attrs["from"] != "" && side[m.s.Node(e.Attrs["from"]).idx] != side[m.s.Node(e.Attrs["to"]).idx]
			switch {
			case e.Kind == model.Deliver && across && e.At >= cutAt && e.At < healAt:
				t.Fatalf("delivered across the partition at %v (cut %v..%v): %v", e.At, cutAt, healAt, e.Attrs)
			case e.Kind == model.Hold:
				held[e.Attrs["msg"]] = true
			case e.Kind == model.Deliver && held[e.Attrs["msg"]]:
				if e.At != releaseAt {
					t.Fatalf("held message %s delivered at %v, released at %v", e.Attrs["msg"], e.At, releaseAt)
				}
				delete(held, e.Attrs["msg"])
			case e.Kind == model.Drop && held[e.Attrs["msg"]]:
				if e.Attrs["reason"] != ReasonPartition || e.At != releaseAt {
					t.Fatalf("held message dropped: %v", e)
				}
				delete(held, e.Attrs["msg"])
			}
		}
		if len(held) > 0 {
			t.Fatalf("held messages never released: %v", held)
		}
		// Nothing else is lost: every message is delivered or was dropped
		// by the partition.
		if d, p := count(tr, model.Deliver, ""), count(tr, model.Drop, ReasonPartition); d+p != len(msgs) {
			t.Fatalf("%d delivered + %d partitioned != %d sent", d, p, len(msgs))
		}
	})
}

// seenRequest is what the handler observed, for comparison with go-cmp.
type seenRequest struct {
	Method     string
	RequestURI string
	Path       string
	RawQuery   string
	Host       string
	Header     http.Header
	Body       []byte
}

func TestPropHTTPHandlerSeesTheRequestTheClientSent(t *testing.T) {
	token := rapid.StringMatching(`[A-Za-z0-9]{1,12}`)
	rapid.Check(t, func(t *rapid.T) {
		p := drawHealthy(t)
		s, _, cli := httpPair(p, nil)
		var got seenRequest
		s.Node("server").HostHTTP(80, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got = seenRequest{r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Host, r.Header, b}
			w.Write(b)
		}))
		method := rapid.SampledFrom([]string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "QUERY"}).Draw(t, "method")
		path := "/" + strings.Join(rapid.SliceOfN(token, 0, 4).Draw(t, "path"), "/")
		query := ""
		if rapid.Bool().Draw(t, "hasQuery") {
			query = "q=" + token.Draw(t, "q") + "&x=" + token.Draw(t, "x")
		}
		body := rapid.SliceOfN(rapid.Byte(), 0, 2000).Draw(t, "body")
		hdr := http.Header{"User-Agent": {"edgelab-test/" + token.Draw(t, "ua")}}
		for i := range rapid.IntRange(0, 5).Draw(t, "nhdr") {
			name := "X-" + token.Draw(t, "hname") + string(rune('a'+i))
			hdr[http.CanonicalHeaderKey(name)] = rapid.SliceOfN(token, 1, 3).Draw(t, "hvals")
		}
		url := "http://server" + path
		if query != "" {
			url += "?" + query
		}
		var echoed []byte
		cli.Go("client", func() {
			env := cli.Env()
			ctx, cancel := env.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = hdr.Clone()
			resp, err := env.Transport().RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			echoed, _ = io.ReadAll(resp.Body)
		})
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		want := seenRequest{method, path, path, query, "server", hdr.Clone(), body}
		if query != "" {
			want.RequestURI += "?" + query
		}
		if len(body) > 0 {
			want.Header.Set("Content-Length", strconv.Itoa(len(body)))
		} else if method == "POST" || method == "PUT" || method == "PATCH" {
			want.Header.Set("Content-Length", "0")
		}
		if got.Body == nil {
			got.Body = []byte{}
		}
		if want.Body == nil {
			want.Body = []byte{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("handler saw a different request (-sent +seen):\n%s", diff)
		}
		if !bytes.Equal(echoed, body) {
			t.Fatalf("echoed %d bytes, sent %d", len(echoed), len(body))
		}
	})
}
