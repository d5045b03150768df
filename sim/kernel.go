package sim

// This file holds the simulation kernel: one goroutine pops actions off an
// event heap in (virtual time, sequence) order and performs them. Virtual
// time only moves forward, and only here.

import (
	"errors"
	"fmt"
	"time"

	"github.com/edgelab/edgelab/model"
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
	// MaxSteps bounds the actions one run may perform, so that a run that
	// keeps working without finishing fails with a *StepLimitError instead
	// of holding its caller for ever. Zero means DefaultMaxSteps.
	MaxSteps uint64
	// MaxStepsAtOneInstant bounds the actions performed without virtual
	// time moving. Time that stands still while work goes on is a livelock
	// (a loop whose every wait returns at once), never progress. Zero
	// means DefaultMaxStepsAtOneInstant.
	MaxStepsAtOneInstant uint64
}

// DefaultMaxSteps and DefaultMaxStepsAtOneInstant are the step bounds of a
// Config that sets none. The worlds' soak plans perform about ten
// thousand actions a run, at most a few hundred at one instant; the bounds
// sit thousands of times above that, and a run that reaches one spends
// seconds, not hours, of wall time doing so.
const (
	DefaultMaxSteps             = 50_000_000
	DefaultMaxStepsAtOneInstant = 1_000_000
)

// StepLimitError is the error of a run stopped by a step bound.
type StepLimitError struct {
	// AtOneInstant is true when the bound was the one on actions without
	// virtual time moving.
	AtOneInstant bool
	Steps        uint64
	At           time.Duration
	// Trace is what the run recorded until it was stopped, so the run
	// can still be judged and identified by its hash.
	Trace *model.Trace
}

func (e *StepLimitError) Error() string {
	if e.AtOneInstant {
		return fmt.Sprintf("sim: livelock: %d actions at virtual time %v without time moving", e.Steps, e.At)
	}
	return fmt.Sprintf("sim: step bound: %d actions performed by virtual time %v and work remains", e.Steps, e.At)
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

	// maxSteps and maxInstant are the step bounds; instantSteps counts the
	// actions performed since virtual time last moved.
	maxSteps, maxInstant uint64
	instantSteps         uint64

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

		maxSteps:   cfg.MaxSteps,
		maxInstant: cfg.MaxStepsAtOneInstant,
	}
	if s.limit <= 0 {
		s.limit = DefaultLimit
	}
	if s.maxSteps == 0 {
		s.maxSteps = DefaultMaxSteps
	}
	if s.maxInstant == 0 {
		s.maxInstant = DefaultMaxStepsAtOneInstant
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
			if !s.count(e.at) {
				return false
			}
			s.run(t)
		} else {
			if e.a.dead(e.n) {
				continue
			}
			if !s.count(e.at) {
				return false
			}
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

// count moves the clock to at and counts the action about to be performed
// there against the step bounds. On reaching one it fails the run and
// reports false; the action is not performed.
func (s *Sim) count(at time.Duration) bool {
	if at > s.now {
		s.now = at
		s.instantSteps = 0
	}
	switch {
	case s.instantSteps >= s.maxInstant:
		s.fail(&StepLimitError{AtOneInstant: true, Steps: s.instantSteps, At: s.now})
		return false
	case s.fired >= s.maxSteps:
		s.fail(&StepLimitError{Steps: s.fired, At: s.now})
		return false
	}
	s.instantSteps++
	s.fired++
	return true
}

// RunUntil performs every action due at or before virtual time t, then sets
// the clock to t. Tasks still blocked stay blocked, so a run can be resumed;
// Run or Close ends it.
func (s *Sim) RunUntil(t time.Duration) error {
	for s.failure == nil && s.step(t) {
	}
	if s.failure == nil && t > s.now {
		s.now = t
		s.instantSteps = 0
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
	if sl, stopped := s.failure.(*StepLimitError); stopped {
		sl.Trace = s.Trace()
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
