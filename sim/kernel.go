package sim

// This file holds the simulation kernel: one goroutine pops actions off an
// event heap in (virtual time, sequence) order and performs them. Virtual
// time only moves forward, and only here.

import (
	"errors"
	"fmt"
	"time"
)

// Epoch is virtual time zero: what every simulated clock reads at the start
// of a run.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultLimit is how much virtual time Run allows when Config.Limit is zero.
const DefaultLimit = time.Hour

// Config sets up a simulation.
type Config struct {
	// Seed determines every random choice of the run.
	Seed uint64
	// Limit is the virtual time at which Run stops even if work remains.
	// Zero means DefaultLimit.
	Limit time.Duration
}

// Sim is one deterministic simulation: virtual time, seeded randomness,
// nodes, the network between them, and the trace of what happened. A Sim is
// driven by one goroutine (the caller of Run); its methods must not be
// called concurrently.
type Sim struct {
	seed  uint64
	limit time.Duration
	now   time.Duration
	seq   uint64
	q     queue
	// deadTimers counts queued deadline entries whose context was
	// cancelled first (see deadTimer).
	deadTimers int

	cur     *task   // the task running now, nil in kernel context
	reap    []*task // killed tasks whose coroutines still need unwinding
	idle    []*coroutine
	foreign []ctxWait
	taskIDs uint64
	failure error
	fired   uint64

	nodes  []*Node
	byName map[string]*Node
	net    *Network
	log    traceLog
	words  []string // event kinds and reasons beyond fixedWords (trace.go)

	// dns serves the run's zone (resolver.go), resolverCfg configures the
	// nodes' stub resolvers, bug is BUGGIFY (buggify_env.go) and heal the
	// heal-then-converge schedule (heal.go).
	dns         *dnsServer
	resolverCfg ResolverConfig
	bug         *Buggifier
	heal        healing
}

// New returns an empty simulation at virtual time zero.
func New(cfg Config) *Sim {
	s := &Sim{
		seed:   cfg.Seed,
		limit:  cfg.Limit,
		byName: make(map[string]*Node),
	}
	if s.limit <= 0 {
		s.limit = DefaultLimit
	}
	s.net = newNetwork(s)
	return s
}

// Seed returns the seed the simulation was created with.
func (s *Sim) Seed() uint64 { return s.seed }

// Now returns the current virtual time as an offset from Epoch.
func (s *Sim) Now() time.Duration { return s.now }

// Limit returns the virtual time at which Run stops.
func (s *Sim) Limit() time.Duration { return s.limit }

// SetLimit changes the virtual time at which Run stops.
func (s *Sim) SetLimit(d time.Duration) { s.limit = d }

// Net returns the simulated network.
func (s *Sim) Net() *Network { return s.net }

// push schedules a at virtual time at (never earlier than now).
func (s *Sim) push(at time.Duration, a action, n uint64) {
	if at < s.now {
		at = s.now
	}
	s.seq++
	s.q.push(entry{at: at, seq: s.seq, a: a, n: n})
}

// deadTimer notes that a queued deadline entry died. Requests cancel
// their contexts long before the deadlines (a relay's 10s request timeout
// outlives its request a thousandfold), so dead entries would make up
// most of the queue, and every push and pop would sift through them.
// Once they are the majority they are dropped all at once. Entries are
// ordered by (time, sequence), both unique, so which entries the heap
// holds changes nothing about the order in which live ones run; and a
// dead entry never becomes live again.
func (s *Sim) deadTimer() {
	s.deadTimers++
	if s.deadTimers < 256 || 2*s.deadTimers < len(s.q) {
		return
	}
	live := s.q[:0]
	for _, e := range s.q {
		if !e.a.dead(e.n) {
			live = append(live, e)
		}
	}
	clear(s.q[len(live):])
	s.q = live
	s.q.init()
	s.deadTimers = 0
}

// callback adapts a function to an action; a func value is pointer-shaped,
// so storing it in the interface does not allocate.
type callback func()

func (f callback) fire(*Sim, uint64) { f() }
func (callback) dead(uint64) bool    { return false }

// At runs fn in kernel context (not as a task: it must not block) at virtual
// time t, or now if t has passed. Faults are scheduled this way.
func (s *Sim) At(t time.Duration, fn func()) { s.push(t, callback(fn), 0) }

// After runs fn in kernel context d from now.
func (s *Sim) After(d time.Duration, fn func()) { s.push(s.now+d, callback(fn), 0) }

// step performs the next live action due at or before until. It reports
// false when there is none.
func (s *Sim) step(until time.Duration) bool {
	for len(s.q) > 0 {
		if s.q[0].at > until {
			return false
		}
		e := s.q.pop()
		if e.at < s.now {
			panic(fmt.Sprintf("sim: virtual time would go backwards from %v to %v", s.now, e.at))
		}
		// Waking a task is the commonest action: call it directly.
		if t, ok := e.a.(*task); ok {
			if t.dead(e.n) {
				continue
			}
			if t.node.paused {
				t.node.holdWakeup(e) // pause.go: it runs on resume
				continue
			}
			s.now = e.at
			s.fired++
			s.run(t)
		} else {
			if e.a.dead(e.n) {
				continue
			}
			s.now = e.at
			s.fired++
			e.a.fire(s, e.n)
		}
		if len(s.reap) > 0 {
			s.reapTasks()
		}
		if len(s.foreign) > 0 {
			s.pollForeign()
		}
		return true
	}
	return false
}

// RunUntil performs every action due at or before virtual time t, then sets
// the clock to t. Tasks still blocked stay blocked, so a run can be resumed;
// Run or Close ends it.
func (s *Sim) RunUntil(t time.Duration) error {
	for s.failure == nil && s.step(t) {
	}
	if s.failure == nil && t > s.now {
		s.now = t
	}
	return s.failure
}

// RunFor is RunUntil(Now()+d).
func (s *Sim) RunFor(d time.Duration) error { return s.RunUntil(s.now + d) }

// Report says how a run ended.
type Report struct {
	// End is the virtual time of the last action performed.
	End time.Duration
	// Events counts the actions performed.
	Events uint64
	// Quiescent is true when the run ended because nothing was left to do,
	// false when it hit the time limit.
	Quiescent bool
	// Blocked lists the tasks that were still waiting when the run ended
	// (and were then stopped). After a quiescent run they are deadlocked.
	Blocked []BlockedTask
}

// BlockedTask is a task that never finished.
type BlockedTask struct {
	Node string
	Task string
	On   string // what it waited for: "sleep", "notifier", "http response"...
}

func (b BlockedTask) String() string { return b.Node + "/" + b.Task + " on " + b.On }

// Run performs actions until none are left (quiescence) or the next one is
// past the time limit, then stops every task still blocked and reports them.
// The error is non-nil if a task panicked.
func (s *Sim) Run() (*Report, error) {
	for s.failure == nil && s.step(s.limit) {
	}
	rep := &Report{End: s.now, Events: s.fired, Quiescent: s.pending() == 0}
	for _, n := range s.nodes {
		for t := n.tasks.head; t != nil; t = t.next {
			if t.state == taskParked || t.state == taskNew {
				rep.Blocked = append(rep.Blocked, BlockedTask{Node: n.name, Task: t.name, On: t.blockedOn()})
			}
		}
	}
	s.Close()
	return rep, s.failure
}

// pending counts live queued actions.
func (s *Sim) pending() int {
	n := 0
	for i := range s.q {
		if !s.q[i].a.dead(s.q[i].n) {
			n++
		}
	}
	return n
}

// Close stops every task that has not finished, so no coroutine outlives
// the simulation. It is safe to call more than once.
func (s *Sim) Close() {
	for _, n := range s.nodes {
		for t := n.tasks.head; t != nil; {
			next := t.next
			s.kill(t)
			t = next
		}
	}
	s.reapTasks()
	s.stopIdle()
	s.q = nil
	s.foreign = nil
}

// TaskPanic is the error Run returns when a task panics.
type TaskPanic struct {
	Node, Task string
	At         time.Duration
	Value      any
	Stack      string
}

func (e *TaskPanic) Error() string {
	return fmt.Sprintf("sim: task %s/%s panicked at %v: %v", e.Node, e.Task, e.At, e.Value)
}

// Unwrap exposes a panic value that is an error.
func (e *TaskPanic) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ErrNotInTask is the panic value when a blocking Env call is made outside
// a simulated task (from kernel context or a stray goroutine).
var ErrNotInTask = errors.New("sim: blocking call outside a simulated task")

func (s *Sim) fail(err error) {
	if s.failure == nil {
		s.failure = err
	}
}
