package evloop

import (
	"iter"
	"time"
)

type taskState uint8

const (
	taskIdle     taskState = iota // no job: the coroutine waits for one
	taskRunnable                  // in the run queue
	taskRunning                   // the loop is inside its coroutine
	taskParked                    // waiting for readiness, a timer or an interrupt
)

// Task is one unit of work on a loop, run as a coroutine: typically one guest
// call in progress. A task runs until it waits (WaitFD, Poll, Sleep, Yield);
// the loop then runs other tasks and resumes it on readiness, timeout,
// eviction or Interrupt. The coroutine is long-lived: a Task can run job
// after job (Start), so an instance keeps one coroutine for its whole life.
//
// Task methods must be called on the loop goroutine; the wait methods only
// from inside the task itself.
type Task struct {
	loop   *Loop
	next   func() (struct{}, bool)
	stopCo func()
	yield  func(struct{}) bool
	job    func(*Task)
	onDone func()
	state  taskState
	pooled bool // returned to the loop's idle list when its job ends

	woken    bool
	err      error // why the task was woken
	waitOn   []*PollDesc
	timer    *Timer
	timerErr error

	// Value is free for the task's owner (the host stores its instance here).
	Value any
}

// NewTask makes a task whose coroutine is kept for reuse by the caller, who
// runs jobs on it with Start and frees it with Release.
func (l *Loop) NewTask() *Task { return &Task{loop: l} }

// Go runs job as a new task on the loop's next run of tasks, on an idle
// coroutine when one is available. The coroutine is taken when the job
// runs, not here: jobs started in one turn (a burst of connections
// becoming readable) that end without waiting all run on the same
// coroutine, whose stack stays in cache, instead of one each. Loop
// goroutine only; from elsewhere, wrap it in Post.
func (l *Loop) Go(job func(*Task)) {
	l.ntasks++
	l.jobq = append(l.jobq, job)
}

// runnable reports whether tasks or jobs wait for their turn.
func (l *Loop) runnable() bool { return len(l.runq) > 0 || len(l.jobq) > 0 }

// runJob runs a job queued by Go on an idle coroutine (or a new one).
func (l *Loop) runJob(job func(*Task)) {
	var t *Task
	if n := len(l.idle); n > 0 {
		t = l.idle[n-1]
		l.idle[n-1] = nil
		l.idle = l.idle[:n-1]
	} else {
		t = &Task{loop: l, pooled: true}
	}
	t.job = job
	t.state = taskRunnable
	l.resume(t)
}

// Submit runs job as a task on the loop and waits until it ends. Call it from
// any goroutine but the loop's own. It returns ErrLoopClosed if the loop
// stopped before the job could end.
func (l *Loop) Submit(job func(*Task)) error {
	done := make(chan struct{})
	l.Post(func() {
		l.Go(func(t *Task) {
			defer close(done)
			job(t)
		})
	})
	select {
	case <-done:
		return nil
	case <-l.done:
		select {
		case <-done:
			return nil
		default:
			return ErrLoopClosed
		}
	}
}

// Start schedules job on the task; the loop runs it on its next turn. The
// task must be idle (its previous job ended). onDone, when set by OnDone,
// runs on the loop goroutine after the job returns.
func (t *Task) Start(job func(*Task)) {
	if t.state != taskIdle {
		panic("evloop: Task.Start on a busy task")
	}
	t.job = job
	t.loop.ntasks++
	t.state = taskRunnable
	t.loop.runq = append(t.loop.runq, t)
}

// OnDone sets a function to run on the loop goroutine each time a job of the
// task ends.
func (t *Task) OnDone(fn func()) { t.onDone = fn }

// Busy reports whether a job is in progress (running, runnable or parked).
func (t *Task) Busy() bool { return t.state != taskIdle }

// Parked reports whether the task is waiting.
func (t *Task) Parked() bool { return t.state == taskParked }

// Loop returns the task's loop.
func (t *Task) Loop() *Loop { return t.loop }

// Release ends the task's coroutine. The task must be idle.
func (t *Task) Release() {
	if t.state != taskIdle {
		panic("evloop: Task.Release on a busy task")
	}
	t.release()
}

func (t *Task) release() {
	if t.stopCo != nil {
		t.stopCo()
		t.next, t.stopCo, t.yield = nil, nil, nil
	}
}

// body is the coroutine: it runs one job per resume from idle, forever.
// When a pooled task's job ends while runTasks has jobs of its batch left,
// the task runs the next one itself: the loop would hand it to this very
// coroutine (the idle list is LIFO), after two coroutine switches.
func (t *Task) body(yield func(struct{}) bool) {
	t.yield = yield
	for {
		job := t.job
		t.job = nil
		job(t)
		t.loop.ntasks--
		if next := t.loop.nextBatchJob(t); next != nil {
			t.job = next
			continue
		}
		t.state = taskIdle
		if !yield(struct{}{}) {
			return
		}
	}
}

// nextBatchJob takes the next job of the batch runTasks is running, for t
// to run without returning to the loop; nil when t must return (it is not
// a pooled task, it has an end-of-job callback, the loop is closing, or
// the batch is done).
func (l *Loop) nextBatchJob(t *Task) func(*Task) {
	if !t.pooled || t.onDone != nil || l.closed || l.batchPos >= len(l.batch) {
		return nil
	}
	job := l.batch[l.batchPos]
	l.batch[l.batchPos] = nil
	l.batchPos++
	return job
}

// runTasks resumes the tasks that were runnable when it started, then runs
// the jobs queued by then; tasks made runnable and jobs queued meanwhile
// wait for the next iteration, after the loop has polled
// for events, so a task that keeps yielding cannot starve I/O.
func (l *Loop) runTasks() {
	q, jobs := l.runq, l.jobq
	if len(q) == 0 && len(jobs) == 0 {
		return
	}
	l.runq, l.jobq = l.runnext[:0], l.jobnext[:0]
	for i, t := range q {
		q[i] = nil
		l.resume(t)
	}
	l.batch, l.batchPos = jobs, 0
	for l.batchPos < len(jobs) {
		job := jobs[l.batchPos]
		jobs[l.batchPos] = nil
		l.batchPos++
		l.runJob(job)
	}
	l.batch = nil
	l.runnext, l.jobnext = q[:0], jobs[:0]
}

func (l *Loop) resume(t *Task) {
	if t.state != taskRunnable {
		return
	}
	t.state = taskRunning
	if t.next == nil {
		// Created here, on the loop goroutine, so the coroutine is always
		// resumed with the thread-lock state it was created with.
		t.next, t.stopCo = iter.Pull(t.body)
	}
	t.next()
	if t.state == taskIdle {
		if t.onDone != nil {
			t.onDone()
		}
		if t.pooled && t.state == taskIdle {
			if l.closed {
				t.release()
			} else {
				l.idle = append(l.idle, t)
			}
		}
	}
}

// park suspends the task until wake. It returns the wake reason.
func (t *Task) park() error {
	if t.state != taskRunning {
		panic("evloop: wait called outside the running task")
	}
	t.state = taskParked
	t.woken = false
	t.err = nil
	if !t.yield(struct{}{}) {
		panic("evloop: task coroutine stopped while parked")
	}
	return t.err
}

func (t *Task) wake(err error) { t.wakeErr(err) }

// wakeErr makes a parked task runnable with err as its wake reason; the
// first reason wins.
func (t *Task) wakeErr(err error) {
	if t.state != taskParked || t.woken {
		return
	}
	t.woken = true
	t.err = err
	t.state = taskRunnable
	t.loop.runq = append(t.loop.runq, t)
}

// Interrupt wakes the task from its current wait with err (for example a
// request deadline); a task that is not waiting is not affected.
func (t *Task) Interrupt(err error) { t.wakeErr(err) }

func (t *Task) armTimer(d time.Duration, err error) {
	t.timerErr = err
	if t.timer == nil {
		t.timer = &Timer{loop: t.loop, index: -1}
		t.timer.fn = func() { t.wakeErr(t.timerErr) }
	}
	t.timer.Reset(d)
}

// cleanup undoes a wait's registrations after the task resumed.
func (t *Task) cleanup() {
	for i, pd := range t.waitOn {
		pd.removeWaiter(t)
		t.waitOn[i] = nil
	}
	t.waitOn = t.waitOn[:0]
	if t.timer != nil {
		t.timer.Stop()
	}
}

// WaitFD parks the task until pd is ready for mode (Readable or Writable),
// the deadline passes (ErrTimeout; a zero deadline waits without limit), pd
// is closed (ErrClosed) or the task is interrupted. Call it after the
// operation returned EAGAIN: it clears mode's ready bit, since EAGAIN
// proved it stale, and waits for the next edge.
func (t *Task) WaitFD(pd *PollDesc, mode Readiness, deadline time.Time) error {
	if pd.closed {
		return ErrClosed
	}
	if pd.always {
		return nil
	}
	if t.loop.closed {
		return ErrLoopClosed
	}
	pd.ClearReady(mode)
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return ErrTimeout
		}
		t.armTimer(d, ErrTimeout)
	}
	pd.addWaiter(t, mode)
	t.waitOn = append(t.waitOn, pd)
	err := t.park()
	t.cleanup()
	return err
}

// PollItem is one descriptor of a Poll: what the caller wants and, after
// Poll, what it got.
type PollItem struct {
	PD   *PollDesc
	Want Readiness
	Got  Readiness
}

// Poll waits until at least one item is ready for what it wants (or hung
// up or closed), or timeout passes (timeout < 0 waits without limit, 0 only
// checks). It fills each item's Got and returns how many items have any.
// It returns an error only when interrupted or when the loop closes.
func (t *Task) Poll(items []PollItem, timeout time.Duration) (int, error) {
	// Readiness the kernel has but the loop has not collected yet (a pipe
	// written a moment ago, a descriptor registered in this very call)
	// must count, as it does for poll(2): collect it first.
	t.loop.collectPending()
	if n := scanPoll(items); n > 0 || timeout == 0 {
		return n, nil
	}
	if t.loop.closed {
		return 0, ErrLoopClosed
	}
	for i := range items {
		pd := items[i].PD
		pd.addWaiter(t, items[i].Want)
		t.waitOn = append(t.waitOn, pd)
	}
	if timeout > 0 {
		t.armTimer(timeout, errPollTimeout)
	}
	err := t.park()
	t.cleanup()
	switch err {
	case nil, ErrClosed, errPollTimeout:
		return scanPoll(items), nil
	}
	return scanPoll(items), err
}

// errPollTimeout wakes a Poll whose timeout passed; it is not an error.
var errPollTimeout = &pollTimeout{}

type pollTimeout struct{}

func (*pollTimeout) Error() string { return "evloop: poll timeout" }

func scanPoll(items []PollItem) int {
	n := 0
	for i := range items {
		it := &items[i]
		r := it.PD.Ready()
		it.Got = r & (it.Want | Hangup | Closed)
		if it.Got != 0 {
			n++
		}
	}
	return n
}

// Sleep parks the task for d. It returns nil when d has passed, or the
// interrupt's error.
func (t *Task) Sleep(d time.Duration) error {
	if t.loop.closed {
		return ErrLoopClosed
	}
	t.armTimer(d, nil)
	err := t.park()
	t.cleanup()
	return err
}

// Yield lets the other runnable tasks and the loop's I/O run, then resumes.
func (t *Task) Yield() error {
	if t.loop.closed {
		return ErrLoopClosed
	}
	t.state = taskRunnable
	t.loop.runq = append(t.loop.runq, t)
	if !t.yield(struct{}{}) {
		panic("evloop: task coroutine stopped while parked")
	}
	return nil
}
