package sim

import (
	"net/netip"
	"testing"
	"time"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/link"
)

// pair is a two-node network with a receiver on b that logs arrival times.
type pair struct {
	s       *Sim
	a, b    *Node
	arrived []time.Duration
	sizes   []int
}

func newPair(seed uint64, p link.Params) *pair {
	s := New(Config{Seed: seed})
	pr := &pair{s: s, a: s.AddNode("a"), b: s.AddNode("b")}
	if err := s.Net().SetDefault(p); err != nil {
		panic(err)
	}
	pr.b.Bind(9, func(_ netip.AddrPort, data []byte) {
		pr.arrived = append(pr.arrived, s.Now())
		pr.sizes = append(pr.sizes, len(data))
	})
	return pr
}

func (p *pair) sendAt(at time.Duration, size int) {
	p.s.At(at, func() { p.a.Send(1, netip.AddrPortFrom(p.b.Addr4(), 9), make([]byte, size)) })
}

func (p *pair) run(t *testing.T) {
	t.Helper()
	if _, err := p.s.Run(); err != nil {
		t.Fatal(err)
	}
}

func wantTimes(t *testing.T, got []time.Duration, want ...time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("arrivals %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("arrivals %v, want %v", got, want)
		}
	}
}

const ms = time.Millisecond

func TestCapacitySerializesInFIFOOrder(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(10 * ms), Bandwidth: 1000})
	for range 3 {
		p.sendAt(0, 100) // 100ms each on the wire
	}
	p.sendAt(500*ms, 50) // link idle again by then
	p.run(t)
	wantTimes(t, p.arrived, 110*ms, 210*ms, 310*ms, 560*ms)
}

func TestLossOneDropsEverything(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(ms), Loss: 1})
	for i := range 5 {
		p.sendAt(time.Duration(i)*ms, 10)
	}
	p.run(t)
	if len(p.arrived) != 0 || count(p.s.Trace(), model.Drop, ReasonLoss) != 5 {
		t.Fatalf("arrived %v", p.arrived)
	}
}

func TestDupOneDeliversTwice(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(ms), Dup: 1})
	p.sendAt(0, 10)
	p.run(t)
	tr := p.s.Trace()
	if len(p.arrived) != 2 || count(tr, model.Dup, "") != 1 || count(tr, model.Deliver, "") != 2 {
		t.Fatalf("arrived %v", p.arrived)
	}
}

func TestReorderLetsLaterMessagesOvertake(t *testing.T) {
	p := newPair(3, link.Params{Latency: link.Fixed(ms), Reorder: 0.5, ReorderDelay: 50 * ms})
	for i := range 40 {
		p.sendAt(time.Duration(i)*ms, 10+i)
	}
	p.run(t)
	if len(p.sizes) != 40 {
		t.Fatalf("%d arrived", len(p.sizes))
	}
	overtaken := false
	for i := 1; i < len(p.sizes); i++ {
		if p.sizes[i] < p.sizes[i-1] {
			overtaken = true
		}
	}
	if !overtaken {
		t.Fatal("no reordering with Reorder=0.5")
	}
}

func TestPartitionKinds(t *testing.T) {
	for _, c := range []struct {
		name       string
		cut        func(nw *Network)
		atob, btoa bool // delivered while cut
	}{
		{"symmetric", func(nw *Network) { nw.Partition([]string{"a"}, []string{"b"}) }, false, false},
		{"oneway", func(nw *Network) { nw.PartitionOneWay([]string{"a"}, []string{"b"}) }, false, true},
		{"isolate", func(nw *Network) { nw.Isolate("b") }, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(Config{Seed: 1})
			a, b := s.AddNode("a"), s.AddNode("b")
			got := map[string]int{}
			a.Bind(9, func(netip.AddrPort, []byte) { got["b->a"]++ })
			b.Bind(9, func(netip.AddrPort, []byte) { got["a->b"]++ })
			c.cut(s.Net())
			s.At(0, func() {
				a.Send(9, netip.AddrPortFrom(b.Addr4(), 9), []byte("x"))
				b.Send(9, netip.AddrPortFrom(a.Addr6(), 9), []byte("y"))
			})
			s.At(time.Second, func() {
				s.Net().Heal()
				a.Send(9, netip.AddrPortFrom(b.Addr4(), 9), []byte("x"))
				b.Send(9, netip.AddrPortFrom(a.Addr4(), 9), []byte("y"))
			})
			if _, err := s.Run(); err != nil {
				t.Fatal(err)
			}
			wantAB, wantBA := 1, 1
			if c.atob {
				wantAB++
			}
			if c.btoa {
				wantBA++
			}
			if got["a->b"] != wantAB || got["b->a"] != wantBA {
				t.Fatalf("got %v, want a->b %d b->a %d", got, wantAB, wantBA)
			}
		})
	}
}

func TestPartitionDropsMessagesAlreadyInFlight(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(100 * ms)})
	p.sendAt(0, 10)
	p.s.At(50*ms, func() { p.s.Net().Partition([]string{"a"}, []string{"b"}) })
	p.run(t)
	if len(p.arrived) != 0 || count(p.s.Trace(), model.Drop, ReasonPartition) != 1 {
		t.Fatalf("arrived %v", p.arrived)
	}
}

func TestClogDelaysUntilUnclog(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(10 * ms)})
	p.s.Net().Clog("a", "b")
	p.sendAt(0, 10)
	p.sendAt(5*ms, 10)
	p.s.At(time.Second, func() { p.s.Net().Unclog("a", "b") })
	p.sendAt(2*time.Second, 10)
	p.run(t)
	wantTimes(t, p.arrived, time.Second+10*ms, time.Second+10*ms, 2*time.Second+10*ms)
}

func TestHoldCapturesInFlightAndReleaseDelivers(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(100 * ms)})
	p.sendAt(0, 10)
	p.s.At(50*ms, func() { p.s.Net().Hold("a", "b") })
	p.sendAt(60*ms, 20)
	p.s.At(time.Second, func() { p.s.Net().ReleaseAll() })
	p.run(t)
	wantTimes(t, p.arrived, time.Second, time.Second)
	if p.sizes[0] != 10 || p.sizes[1] != 20 {
		t.Fatalf("release order %v", p.sizes)
	}
	if count(p.s.Trace(), model.Hold, "hold") != 2 {
		t.Fatal("holds not traced")
	}
}

func TestSwizzleEventuallyUnclogsEveryLink(t *testing.T) {
	tr := trafficWorld(t, 5, func(s *Sim) {
		s.At(10*ms, func() { s.Net().Swizzle(nil, 200*ms, 50*ms) })
	})
	clogged := count(tr, model.Hold, "clog")
	unclogs := 0
	swizzled := ""
	for _, e := range tr.Events {
		if e.Kind == model.Fault && e.Name == "unclog" {
			unclogs++
		}
		if e.Kind == model.Fault && e.Name == "swizzle" {
			swizzled = e.Attrs["links"]
		}
	}
	if clogged == 0 || unclogs == 0 || swizzled == "" {
		t.Fatalf("clogged=%d unclogs=%d links=%q", clogged, unclogs, swizzled)
	}
	// Every message held by a clog was sent on afterwards: nothing is lost.
	if lost := count(tr, model.Send, "") + count(tr, model.Dup, "") - count(tr, model.Deliver, "") - count(tr, model.Drop, ""); lost != 0 {
		t.Fatalf("%d messages unaccounted for", lost)
	}
}

func TestCrashDropsMessagesInFlight(t *testing.T) {
	p := newPair(1, link.Params{Latency: link.Fixed(100 * ms)})
	p.sendAt(0, 10)
	p.s.At(50*ms, p.b.Crash)
	p.s.At(70*ms, func() { p.b.Restart(nil) })
	p.sendAt(80*ms, 10)
	p.run(t)
	wantTimes(t, p.arrived, 180*ms)
	if count(p.s.Trace(), model.Drop, ReasonCrash) != 1 {
		t.Fatal("in-flight message not dropped for the crash")
	}
}

func TestUnknownAddressIsDroppedNoRoute(t *testing.T) {
	s := New(Config{Seed: 1})
	a := s.AddNode("a")
	s.At(0, func() { a.Send(1, netip.MustParseAddrPort("192.0.2.1:9"), []byte("x")) })
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if count(s.Trace(), model.Drop, ReasonNoRoute) != 1 {
		t.Fatal("no noroute drop")
	}
}

func TestAddressesAreDeterministic(t *testing.T) {
	s := New(Config{})
	var n *Node
	for i := range 300 {
		n = s.AddNode("n" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	if n.Addr4().String() != "10.0.1.44" || n.Addr6().String() != "fd00::12c" {
		t.Fatalf("300th node: %v %v", n.Addr4(), n.Addr6())
	}
	if s.Net().NodeByAddr(n.Addr6()) != n || s.Net().NodeByAddr(netip.MustParseAddr("::ffff:10.0.1.44")) != n {
		t.Fatal("NodeByAddr")
	}
}

func TestDistSamplesStayInRange(t *testing.T) {
	r := New(Config{Seed: 9}).Rand("test")
	u := link.Uniform(2*ms, 5*ms)
	e := link.Exponential(ms, 3*ms)
	l := link.LogNormal(ms, 3*ms, 1)
	var sumE time.Duration
	for range 2000 {
		if d := u.Sample(r); d < 2*ms || d > 5*ms {
			t.Fatalf("uniform %v", d)
		}
		d := e.Sample(r)
		if d < ms {
			t.Fatalf("exponential %v", d)
		}
		sumE += d - ms
		if d := l.Sample(r); d < ms {
			t.Fatalf("lognormal %v", d)
		}
	}
	if mean := sumE / 2000; mean < 2*ms || mean > 4*ms {
		t.Fatalf("exponential mean %v, want about 3ms", mean)
	}
}
