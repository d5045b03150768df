package sim

// This file holds simulated nodes: named machines with IPv4 and IPv6
// addresses, their tasks and bound ports, and the crash/restart lifecycle.
// A node's disk (node_disk.go), clock (node_clock.go), resolver
// (resolver.go) and pause state (pause.go) live in files of their own.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"

	"github.com/edgelab/edgelab/model"
	"github.com/edgelab/edgelab/sim/disk"
	"github.com/edgelab/edgelab/sim/dns"
	"github.com/edgelab/edgelab/sim/env"
	"github.com/edgelab/edgelab/sim/internal/streams"
)

// Node is one simulated machine.
type Node struct {
	s    *Sim
	name string
	idx  int
	v4   netip.Addr
	v6   netip.Addr

	env   *nodeEnv
	tasks taskList
	ports map[uint16]binding
	// ephemeral is the next port tried for outgoing exchanges.
	ephemeral uint16

	down bool
	// inc counts incarnations: a message sent by or to an earlier
	// incarnation is dropped when it arrives.
	inc  uint64
	boot func(env.Env)

	onCrash   []func()
	onRestart []func()

	// resolver is set by SetResolver; nil means the run's DNS, if any.
	resolver env.Resolver
	dns      *dns.Client // the stub resolver used then, made on first lookup
	// disk is set by SetDisk, or on first use to a MemDisk; diskCrash
	// decides which unsynced writes a crash tears.
	disk      env.Disk
	diskCrash *rand.Rand
	// clk is the node's clock (nil: a perfect one); clockGen makes jump
	// events scheduled for a clock that was since replaced fire as no-ops.
	clk       *Clock
	clockGen  uint64
	hostAddrs HostResolver

	// While paused, wakeups of the node's tasks and messages delivered to
	// it wait here, in arrival order, for Resume.
	paused    bool
	heldWakes []entry
	heldMsgs  []*message

	out []*linkState // outgoing links, indexed by destination node index

	// date is the HTTP Date of the second dateSec (http.go).
	dateSec int64
	date    string
}

// binding is what listens on a port.
type binding struct {
	ep         endpoint
	persistent bool // survives a crash (a hosted service), unlike an exchange's port
}

// AddNode adds a machine named name. Addresses are allocated in order:
// the i-th node (from 1) gets 10.0.i/256.i%256 and fd00::i. Adding a node
// never changes another node's addresses or random streams. Names must be
// unique and non-empty without spaces; AddNode panics otherwise, since that
// is a bug in the world, not an event in it.
func (s *Sim) AddNode(name string) *Node {
	if name == "" || strings.ContainsAny(name, " \t\r\n/") {
		panic(fmt.Sprintf("sim: invalid node name %q", name))
	}
	if _, dup := s.byName[name]; dup {
		panic(fmt.Sprintf("sim: node %q added twice", name))
	}
	i := len(s.nodes) + 1
	if i > 0xffff {
		panic("sim: too many nodes")
	}
	n := &Node{
		s:         s,
		name:      name,
		idx:       len(s.nodes),
		v4:        netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
		v6:        netip.AddrFrom16([16]byte{0: 0xfd, 14: byte(i >> 8), 15: byte(i)}),
		ports:     make(map[uint16]binding),
		ephemeral: ephemeralFirst,
	}
	n.env = &nodeEnv{n: n, rand: &randReader{src: streams.PCG(s.seed, "node/"+name+"/env")}}
	s.nodes = append(s.nodes, n)
	s.byName[name] = n
	s.net.addNode(n)
	return n
}

// Node returns the node named name, or nil.
func (s *Sim) Node(name string) *Node { return s.byName[name] }

// Nodes returns the nodes in the order they were added.
func (s *Sim) Nodes() []*Node { return append([]*Node(nil), s.nodes...) }

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Sim returns the simulation the node belongs to.
func (n *Node) Sim() *Sim { return n.s }

// Addr4 and Addr6 return the node's addresses.
func (n *Node) Addr4() netip.Addr { return n.v4 }

// Addr6 returns the node's IPv6 address.
func (n *Node) Addr6() netip.Addr { return n.v6 }

// Env returns the Env that code running on this node uses.
func (n *Node) Env() env.Env { return n.env }

// Down reports whether the node is crashed.
func (n *Node) Down() bool { return n.down }

// Incarnation counts restarts.
func (n *Node) Incarnation() uint64 { return n.inc }

// Start sets the node's boot function and runs it as a task named "main".
// Restart runs it again.
func (n *Node) Start(boot func(env.Env)) {
	n.boot = boot
	if !n.down {
		n.env.Go("main", func() { boot(n.env) })
	}
}

// Go starts fn as a task on the node (the same as Env().Go).
func (n *Node) Go(name string, fn func()) { n.env.Go(name, fn) }

// Rand returns the node's random stream for one subsystem ("disk",
// "clock"...), independent of every other stream.
func (n *Node) Rand(subsystem string) *rand.Rand {
	return n.s.Rand("node/" + n.name + "/" + subsystem)
}

// OnCrash registers fn to run (in kernel order) whenever the node crashes,
// after its tasks are killed: a disk drops unsynced writes there.
func (n *Node) OnCrash(fn func()) { n.onCrash = append(n.onCrash, fn) }

// OnRestart registers fn to run whenever the node restarts, before the boot
// function.
func (n *Node) OnRestart(fn func()) { n.onRestart = append(n.onRestart, fn) }

// Crash stops the machine: every task on it is killed, ports opened by its
// exchanges are closed, messages in flight to or from it (or waiting for a
// paused node) are dropped, its MemDisk loses every unsynced write (tearing
// some, see disk.Faults.TornWriteProb), and a Crash event is recorded.
// Hosted services stay configured and answer again after Restart, whose
// boot function finds on the disk what was synced. A crash ends a pause.
// Crashing a down node does nothing. If the running task is on this node,
// it is unwound when Crash returns.
func (n *Node) Crash() {
	if n.down {
		return
	}
	s := n.s
	n.down = true
	n.inc++
	s.Log(n, model.Crash, "crash", nil)
	n.dropPaused()
	for t := n.tasks.head; t != nil; t = t.next {
		s.kill(t)
	}
	for p, b := range n.ports {
		if !b.persistent {
			delete(n.ports, p)
		}
	}
	// Killed tasks unwind later, but a dead process cannot sync: the disk
	// crashes now, and nodeDisk refuses calls from the unwinding code.
	if md, ok := n.disk.(*disk.MemDisk); ok {
		md.Crash(n.diskCrashRand())
	}
	for _, fn := range n.onCrash {
		fn()
	}
	if t := s.cur; t != nil && t.node == n {
		panic(errKilled)
	}
}

// Restart brings a crashed node back: a new incarnation, a Restart event,
// the OnRestart hooks, then boot (or, if boot is nil, the function given to
// Start) as a new "main" task.
func (n *Node) Restart(boot func(env.Env)) {
	if !n.down {
		return
	}
	n.down = false
	n.inc++
	n.s.Log(n, model.Restart, "restart", nil)
	for _, fn := range n.onRestart {
		fn()
	}
	if boot != nil {
		n.boot = boot
	}
	if n.boot != nil {
		b := n.boot
		n.env.Go("main", func() { b(n.env) })
	}
}

// SetResolver installs the node's name resolver, in place of the run's
// DNS (see ServeDNS); nil goes back to it.
func (n *Node) SetResolver(r env.Resolver) { n.resolver = r }

// HostResolver turns the host of a URL into an address, for the node whose
// Env is given. It runs inside the calling task and may block.
type HostResolver func(ctx context.Context, env env.Env, host string) (netip.Addr, error)

// SetHostResolver replaces how the node's HTTP transport turns a URL host
// into an address. The default accepts a node name or an IP literal. The
// function runs inside the calling task and may block (a DNS exchange).
func (n *Node) SetHostResolver(f HostResolver) {
	n.hostAddrs = f
}

// HostHTTP hosts h on port: each request that arrives is parsed with
// http.ReadRequest and served in a new task. The service survives crashes
// (it is the machine's configuration) but answers only while the node is up.
func (n *Node) HostHTTP(port uint16, h http.Handler) {
	n.bind(port, &httpServer{n: n, port: port, h: h}, true)
}

func (n *Node) bind(port uint16, ep endpoint, persistent bool) {
	n.ports[port] = binding{ep: ep, persistent: persistent}
}

const ephemeralFirst = 49152

// ephemeralPort reserves a free port for an outgoing exchange.
func (n *Node) ephemeralPort(ep endpoint) (uint16, error) {
	for range 0x10000 - ephemeralFirst {
		p := n.ephemeral
		n.ephemeral++
		if n.ephemeral == 0 {
			n.ephemeral = ephemeralFirst
		}
		if _, used := n.ports[p]; !used {
			n.ports[p] = binding{ep: ep}
			return p, nil
		}
	}
	return 0, fmt.Errorf("sim: node %s: no free ephemeral port", n.name)
}

func (n *Node) unbind(port uint16, ep endpoint) {
	if b, ok := n.ports[port]; ok && b.ep == ep {
		delete(n.ports, port)
	}
}
