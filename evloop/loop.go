// Package evloop is ptsevent's event loop: a Loop over a pluggable readiness
// Backend (libevent through cgo, or epoll in pure Go), timers, wake-up from
// other goroutines, and the task scheduler that runs guest calls as
// coroutines.
//
// A Loop is owned by one goroutine, the one that calls Run. Everything but
// Post, Stop and Wake must be called on that goroutine: from Run's
// callbacks, from timer functions, or from tasks. Tasks are coroutines
// (iter.Pull): a task runs until it waits, parks, and the loop resumes it
// when the descriptor it waits on becomes ready, its deadline passes or the
// descriptor is closed. Exactly one task runs at a time, so loop state needs
// no locks. Go queues a job that takes an idle coroutine when it runs; an
// owner with nothing to do until a descriptor is ready can give its
// coroutine back and wait with PollDesc.Notify instead (a server's idle
// connections), so coroutines are held only by work in progress.
package evloop

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// busyTurnsPerPoll bounds the turns a loop runs only runnable tasks before
// it polls the backend again.
const busyTurnsPerPoll = 8

// Loop is one event loop. Create it with New, run it with Run on a goroutine
// of its own (or use Start), and stop it with Stop.
type Loop struct {
	backend Backend
	start   time.Time
	// turnNow is the time read when the current turn's wait returned, zero
	// outside event handling (CoarseNow).
	turnNow time.Time

	descs   []*PollDesc // by fd; nil where no descriptor is registered
	seq     uint32
	events  []Event
	pending []Event // collectPending's batch
	// busyTurns counts turns run without polling the backend.
	busyTurns int
	timers    timerHeap
	runq      []*Task
	runnext   []*Task
	// jobq holds the jobs started with Go, which take an idle coroutine
	// only when they run (see Go).
	jobq    []func(*Task)
	jobnext []func(*Task)
	// batch is the jobs runTasks is running, batch[batchPos:] those not
	// started yet: a pooled task whose job ends takes the next one itself
	// (Task.body) instead of switching back to the loop to be handed it.
	batch    []func(*Task)
	batchPos int
	idle     []*Task // finished tasks kept for reuse (their coroutines live on)
	ntasks   int     // tasks alive (running, runnable or parked), jobs queued included

	mu     sync.Mutex
	posted []func()
	spare  []func()
	// nposted is len(posted), readable without the lock: the loop checks
	// it every turn and takes mu only when something was posted.
	nposted atomic.Int32
	// wake is the wake-up protocol between Wake (any goroutine) and the
	// loop's blocking waits, in one word (wakeSleeping, wakeReq,
	// wakeWritten bits) so that each side costs one atomic operation.
	wake     atomic.Uint32
	stopping atomic.Bool
	closed   bool
	running  atomic.Bool
	done     chan struct{}
}

// New makes a loop on the named backend ("" for DefaultBackend).
func New(backend string) (*Loop, error) {
	b, err := NewBackend(backend)
	if err != nil {
		return nil, err
	}
	return NewWithBackend(b), nil
}

// NewWithBackend makes a loop on a backend the caller made.
func NewWithBackend(b Backend) *Loop {
	return &Loop{backend: b, start: time.Now(), events: make([]Event, 0, 256), done: make(chan struct{})}
}

// Backend returns the loop's backend.
func (l *Loop) Backend() Backend { return l.backend }

// now is the loop's monotonic clock.
func (l *Loop) now() time.Duration { return time.Since(l.start) }

// Now returns the current time; deadlines passed to waits compare against it.
func (l *Loop) Now() time.Time { return time.Now() }

// CoarseNow returns, while the loop handles the events of a wait, the time
// it read when that wait returned, without reading the clock again; at
// other times (before the first wait of a turn, outside Run and RunOnce) it
// is time.Now. It lags the real time by as long as the turn's tasks have
// run so far, so a deadline computed from it comes that much early: good
// enough for limits of seconds and for an HTTP Date header, which is what
// the gateway uses it for, saving clock reads per request. Use Now for
// anything that must not end early (socket timeouts, sleeps).
func (l *Loop) CoarseNow() time.Time {
	if l.turnNow.IsZero() {
		return time.Now()
	}
	return l.turnNow
}

// Post queues fn to run on the loop goroutine, outside any task. It is safe
// to call from any goroutine and never blocks. Functions posted after Stop
// may never run.
func (l *Loop) Post(fn func()) {
	l.mu.Lock()
	l.posted = append(l.posted, fn)
	l.nposted.Store(int32(len(l.posted)))
	l.mu.Unlock()
	l.Wake()
}

// Wake makes the loop return from its current backend wait promptly, or
// not block in its next one. Safe from any goroutine. It costs a system
// call only when the loop is blocked (or about to block) in the backend:
// a loop that is busy, or a Wake from the loop goroutine itself, only
// sets a flag the loop reads before it blocks.
func (l *Loop) Wake() {
	for {
		w := l.wake.Load()
		switch {
		case w&wakeSleeping == 0:
			// The loop is running: it reads wakeReq before it blocks.
			if w&wakeReq != 0 || l.wake.CompareAndSwap(w, w|wakeReq) {
				return
			}
		case w&wakeWritten != 0:
			return // a wake-up is on its way already
		case l.wake.CompareAndSwap(w, w|wakeReq|wakeWritten):
			_ = l.backend.Wake()
			return
		}
	}
}

// Bits of Loop.wake.
const (
	// wakeSleeping: the loop goroutine is in, or about to enter, a
	// blocking backend wait; a Wake must interrupt it with the backend's
	// wake-up (an eventfd write).
	wakeSleeping = 1 << iota
	// wakeReq: Wake was called; the loop's next wait must not block.
	wakeReq
	// wakeWritten: the backend's wake-up was sent for this wait, so
	// further Wakes need not send another.
	wakeWritten
)

// Stop asks Run to return after the current iteration. Safe from any
// goroutine.
func (l *Loop) Stop() {
	l.stopping.Store(true)
	l.Wake()
}

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Start runs the loop on a new goroutine and returns at once.
func (l *Loop) Start() {
	go func() { _ = l.Run() }()
}

// Run runs the loop until Stop. It then closes the loop: parked tasks are
// woken with ErrLoopClosed and run to their end, descriptors are
// unregistered and the backend is closed.
func (l *Loop) Run() error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("evloop: Run called twice")
	}
	defer close(l.done)
	var err error
	for !l.stopping.Load() {
		if err = l.iterate(); err != nil {
			break
		}
	}
	l.shutdown()
	return err
}

// RunOnce runs one loop iteration, blocking up to timeout for events
// (timeout < 0: until something happens). It is for tests and for
// embedders that drive the loop from their own goroutine.
func (l *Loop) RunOnce(timeout time.Duration) error { return l.iterateTimeout(timeout) }

func (l *Loop) iterate() error { return l.iterateTimeout(-1) }

func (l *Loop) iterateTimeout(max time.Duration) error {
	l.runPosted()
	l.runTasks()
	posted, stopping := l.nposted.Load() > 0, l.stopping.Load()
	if l.runnable() && !posted && !stopping && l.busyTurns < busyTurnsPerPoll {
		// Tasks are runnable and nothing else asks for the loop: run them
		// again without polling the backend, but poll at least every
		// busyTurnsPerPoll turns so a task that keeps yielding cannot
		// starve I/O.
		l.busyTurns++
		l.turnNow = time.Now()
		l.fireTimers(l.turnNow)
		l.runTasks()
		l.turnNow = time.Time{}
		return nil
	}
	l.busyTurns = 0
	timeout := l.nextTimeout()
	if l.runnable() || posted || stopping {
		timeout = 0
	}
	if max >= 0 && (timeout < 0 || timeout > max) {
		timeout = max
	}
	evs, err := l.wait(timeout, l.events[:0])
	if err != nil {
		return fmt.Errorf("evloop: %s wait: %w", l.backend.Name(), err)
	}
	l.turnNow = time.Now()
	for _, ev := range evs {
		l.dispatch(ev)
	}
	l.events = evs[:0]
	l.fireTimers(l.turnNow)
	l.runPosted()
	l.runTasks()
	// Whatever runs before the next wait returns (the next turn's first
	// tasks, or a caller's code between RunOnce calls) reads the clock.
	l.turnNow = time.Time{}
	return nil
}

// wait is one backend wait. A blocking one (timeout != 0) announces itself
// with wakeSleeping, so that Wake knows it must interrupt it, and does not
// block if a Wake came first. Everything a wake-up announces (posted
// functions, a stop) is in flags the loop reads every turn, so the wait
// clears the whole word when it returns.
func (l *Loop) wait(timeout time.Duration, events []Event) ([]Event, error) {
	if timeout == 0 {
		// Never blocks, so Wake need not know; a wakeReq stays for the
		// next blocking wait. It may consume a wake-up written late for
		// an earlier wait, which is harmless.
		return l.backend.Wait(0, events)
	}
	if l.wake.Swap(wakeSleeping)&wakeReq != 0 {
		timeout = 0
	}
	evs, err := l.backend.Wait(timeout, events)
	l.wake.Store(0)
	return evs, err
}

func (l *Loop) hasPosted() bool { return l.nposted.Load() > 0 }

func (l *Loop) runPosted() {
	if l.nposted.Load() == 0 {
		return
	}
	l.mu.Lock()
	fns := l.posted
	l.posted = l.spare[:0]
	l.nposted.Store(0)
	l.mu.Unlock()
	for i, fn := range fns {
		fn()
		fns[i] = nil
	}
	l.spare = fns[:0]
}

// dispatch records readiness on the descriptor the event's token names and
// wakes its waiters. Tokens of closed or replaced descriptors are stale and
// ignored, so a reused descriptor number never sees old readiness.
func (l *Loop) dispatch(ev Event) {
	fd := int(uint32(ev.Token))
	seq := uint32(ev.Token >> 32)
	if fd < 0 || fd >= len(l.descs) {
		return
	}
	pd := l.descs[fd]
	if pd == nil || pd.seq != seq {
		return
	}
	pd.setReady(ev.Ready)
}

// collectPending dispatches the events the backend has ready now, without
// blocking: one non-blocking backend wait.
func (l *Loop) collectPending() {
	evs, err := l.wait(0, l.pending[:0])
	if err != nil {
		return
	}
	for _, ev := range evs {
		l.dispatch(ev)
	}
	l.pending = evs[:0]
}

// shutdown wakes every parked task with ErrLoopClosed, lets them finish,
// unregisters descriptors and closes the backend.
func (l *Loop) shutdown() {
	l.closed = true
	for _, pd := range l.descs {
		if pd != nil {
			pd.evict(ErrLoopClosed)
		}
	}
	// Fire each pending timer once (a task's deadline or sleep timer wakes
	// it); a timer function that re-arms itself is not run again.
	for _, t := range append([]*Timer(nil), l.timers...) {
		if t.Stop() {
			t.fn()
		}
	}
	for i := 0; i < 1000 && (l.runnable() || l.hasPosted()); i++ {
		l.runPosted()
		l.runTasks()
	}
	for _, pd := range l.descs {
		if pd != nil {
			pd.Close()
		}
	}
	for _, t := range l.idle {
		t.release()
	}
	l.idle = nil
	_ = l.backend.Close()
}

// Closed reports whether the loop has shut down (or is shutting down).
func (l *Loop) Closed() bool { return l.closed }

// Stats is a snapshot of loop counters, for tests and diagnostics.
type Stats struct {
	Descriptors int // registered descriptors
	Timers      int // pending timers
	Tasks       int // tasks alive
	Runnable    int // tasks waiting for their turn
}

// Stats returns the loop's counters. Loop goroutine only.
func (l *Loop) Stats() Stats {
	n := 0
	for _, pd := range l.descs {
		if pd != nil {
			n++
		}
	}
	return Stats{Descriptors: n, Timers: len(l.timers), Tasks: l.ntasks, Runnable: len(l.runq) + len(l.jobq)}
}
