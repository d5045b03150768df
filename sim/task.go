package sim

// This file holds simulated tasks: coroutines built on iter.Pull. Exactly
// one task runs at a time; it gives control back to the kernel only by
// parking inside an Env call (Sleep, Notifier.Wait, an HTTP round trip), and
// the kernel resumes it when the event it waits for comes due.
//
// Coroutines are pooled: when a task's function returns, its coroutine
// (a goroutine whose stack has already grown to fit HTTP parsing) waits
// for the next task instead of exiting, so a request handler does not pay
// for a new goroutine and its stack growth every time.

import (
	"iter"
	"runtime/debug"
)

type taskState uint8

const (
	taskNew taskState = iota
	taskRunning
	taskParked
	taskDone
	taskKilled
)

// task is one coroutine on one node.
type task struct {
	s    *Sim
	node *Node
	name string
	id   uint64
	fn   func()

	co *coroutine // while started and not finished

	state taskState
	// gen counts resumptions. A wakeup carries the gen it was issued for,
	// so a stale one (the task already woke for another reason) is dead.
	gen uint64
	on  string // what the task is parked on, for reports
	// notified is set by Notifier.Notify when it wakes this task, so Wait
	// can tell a notification from a context expiring at the same instant.
	notified bool

	panicked any
	stack    []byte

	prev, next *task // the node's task list
}

// killSignal unwinds a killed task's stack. It is recovered by the task's
// own frame and never escapes the coroutine.
type killSignal struct{}

var errKilled any = &killSignal{}

func (t *task) fire(s *Sim, n uint64) { s.run(t) }

func (t *task) dead(n uint64) bool {
	return (t.state != taskParked && t.state != taskNew) || t.gen != n
}

func (t *task) blockedOn() string {
	if t.state == taskNew {
		return "start"
	}
	return t.on
}

// exec runs the task's function to its end, recording a panic other than
// the kill signal.
func (t *task) exec() {
	defer func() {
		if r := recover(); r != nil && r != errKilled {
			t.panicked = r
			t.stack = debug.Stack()
		}
	}()
	t.fn()
}

// coroutine runs tasks one after another.
type coroutine struct {
	s       *Sim
	resume  func() (struct{}, bool)
	stop    func()
	yield   func(struct{}) bool
	t       *task
	stopped bool // yield returned false: the coroutine must end
}

// maxIdle bounds the pool of idle coroutines.
const maxIdle = 64

func (c *coroutine) body(yield func(struct{}) bool) {
	c.yield = yield
	for {
		t := c.t
		t.exec()
		t.co = nil
		c.t = nil
		if c.stopped || len(c.s.idle) >= maxIdle {
			return
		}
		c.s.idle = append(c.s.idle, c)
		if !yield(struct{}{}) {
			return
		}
	}
}

// coroutineFor gives t a coroutine, reusing an idle one if there is one.
func (s *Sim) coroutineFor(t *task) *coroutine {
	var c *coroutine
	if n := len(s.idle); n > 0 {
		c = s.idle[n-1]
		s.idle[n-1] = nil
		s.idle = s.idle[:n-1]
	} else {
		c = &coroutine{s: s}
		c.resume, c.stop = iter.Pull(c.body)
	}
	c.t = t
	t.co = c
	return c
}

// stopIdle ends the pooled coroutines.
func (s *Sim) stopIdle() {
	for len(s.idle) > 0 {
		c := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		c.stop()
	}
}

// spawn creates a task on node n that starts at the current virtual time,
// after the tasks already due now.
func (s *Sim) spawn(n *Node, name string, fn func()) *task {
	s.taskIDs++
	t := &task{s: s, node: n, name: name, id: s.taskIDs, fn: fn}
	n.tasks.add(t)
	s.push(s.now, t, 0)
	return t
}

// run resumes t until it parks or finishes. Only the kernel calls it.
func (s *Sim) run(t *task) {
	c := t.co
	if c == nil {
		c = s.coroutineFor(t)
	}
	prev := s.cur
	s.cur = t
	t.state = taskRunning
	t.gen++
	c.resume()
	s.cur = prev
	if t.co == nil {
		s.finished(t)
	}
}

// finished unlinks a task whose function returned (or was killed).
func (s *Sim) finished(t *task) {
	if t.state != taskKilled {
		t.state = taskDone
	}
	t.node.tasks.remove(t)
	if t.panicked != nil {
		s.fail(&TaskPanic{Node: t.node.name, Task: t.name, At: s.now, Value: t.panicked, Stack: string(t.stack)})
	}
}

// park suspends the running task until the kernel resumes it. A killed task
// does not come back: park unwinds it instead.
func (t *task) park(on string) {
	if t.state == taskKilled {
		panic(errKilled)
	}
	t.state = taskParked
	t.on = on
	c := t.co
	if !c.yield(struct{}{}) {
		c.stopped = true
		t.state = taskKilled
		panic(errKilled)
	}
	if t.state == taskKilled {
		panic(errKilled)
	}
}

// current returns the running task; op names the Env call for the panic
// raised when there is none.
func (s *Sim) current(op string) *task {
	t := s.cur
	if t == nil {
		notInTask(op)
	}
	return t
}

func notInTask(op string) { panic(ErrNotInTask.Error() + ": " + op) }

// wake schedules t to resume now if it is still parked in generation gen.
func (s *Sim) wake(t *task, gen uint64) {
	if t.state == taskParked && t.gen == gen {
		s.push(s.now, t, gen)
	}
}

// kill marks t dead so it never resumes normally; from the kernel loop
// (reapTasks) its coroutine is resumed once more to unwind it, running its
// deferred functions. Killing
// the running task takes effect when it next parks or returns to Env code
// that checks (see Node.Crash).
func (s *Sim) kill(t *task) {
	switch t.state {
	case taskDone, taskKilled:
		return
	}
	t.state = taskKilled
	s.reap = append(s.reap, t)
}

// reapTasks unwinds killed tasks, in the order they were killed.
func (s *Sim) reapTasks() {
	for len(s.reap) > 0 {
		t := s.reap[0]
		s.reap = s.reap[1:]
		if t.co != nil && t != s.cur {
			prev := s.cur
			s.cur = t
			t.co.resume()
			s.cur = prev
		}
		if t.node.tasks.has(t) {
			s.finished(t)
		}
	}
	s.reap = s.reap[:0]
}

// waiter is a task parked in a given generation.
type waiter struct {
	t   *task
	gen uint64
}

func (w waiter) live() bool { return w.t.state == taskParked && w.t.gen == w.gen }

// stale reports that the waiter can no longer be woken by this registration.
func (w waiter) stale() bool {
	return w.t.gen != w.gen || w.t.state == taskDone || w.t.state == taskKilled
}

// waitQ is the set of tasks parked on one condition (data to read, room to
// write, a connection to accept, a context to be cancelled).
type waitQ struct {
	ws []waiter
}

// add registers t, in its current generation, to be woken by wake.
func (q *waitQ) add(t *task) {
	if len(q.ws) >= 8 {
		// Drop registrations of tasks that have since moved on.
		live := q.ws[:0]
		for _, w := range q.ws {
			if !w.stale() {
				live = append(live, w)
			}
		}
		clear(q.ws[len(live):])
		q.ws = live
	}
	q.ws = append(q.ws, waiter{t, t.gen})
}

// park suspends the running task until wake (or another wakeup: callers
// re-check their condition in a loop).
func (q *waitQ) park(s *Sim, op, on string) {
	t := s.current(op)
	q.add(t)
	t.park(on)
}

// wake resumes every task registered on q, now.
func (q *waitQ) wake(s *Sim) {
	for _, w := range q.ws {
		s.wake(w.t, w.gen)
	}
	clear(q.ws)
	q.ws = q.ws[:0]
}

// waiting reports whether a task is parked on q.
func (q *waitQ) waiting() bool {
	for _, w := range q.ws {
		if w.live() {
			return true
		}
	}
	return false
}

// taskList is a node's tasks in creation order (an intrusive list, so a
// finishing task unlinks in O(1) and crash kills in a stable order).
type taskList struct {
	head, tail *task
	n          int
}

func (l *taskList) add(t *task) {
	t.prev = l.tail
	t.next = nil
	if l.tail != nil {
		l.tail.next = t
	} else {
		l.head = t
	}
	l.tail = t
	l.n++
}

func (l *taskList) has(t *task) bool { return t.prev != nil || l.head == t }

func (l *taskList) remove(t *task) {
	if !l.has(t) {
		return
	}
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		l.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		l.tail = t.prev
	}
	t.prev, t.next = nil, nil
	l.n--
}
