package evloop

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startLoop runs a loop on backend name for the test's duration.
func startLoop(t *testing.T, name string) *Loop {
	t.Helper()
	l, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	t.Cleanup(func() {
		l.Stop()
		select {
		case <-l.Done():
		case <-time.After(10 * time.Second):
			t.Error("loop did not stop")
		}
	})
	return l
}

// onLoop runs fn on the loop goroutine and waits for it.
func onLoop(t *testing.T, l *Loop, fn func()) {
	t.Helper()
	done := make(chan struct{})
	l.Post(func() { fn(); close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("loop did not run the posted function")
	}
}

// readTask reads from pd the internal/poll way: try, park on EAGAIN, retry.
func readTask(t *Task, pd *PollDesc, buf []byte, deadline time.Time) (int, error) {
	for {
		n, err := unix.Read(pd.Fd(), buf)
		if err == unix.EAGAIN {
			if werr := t.WaitFD(pd, Readable, deadline); werr != nil {
				return 0, werr
			}
			continue
		}
		return n, err
	}
}

func TestLoop(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		cases := []struct {
			name string
			run  func(t *testing.T, l *Loop)
		}{
			{"ParkAndResumeOnReadiness", testParkResume},
			{"OtherTasksRunWhileOneParks", testOthersRun},
			{"CloseEvictsWaiters", testEvict},
			{"StaleReadinessAfterReuse", testStaleReuse},
			{"WaitDeadline", testWaitDeadline},
			{"Timers", testTimers},
			{"PollMany", testPollMany},
			{"PollTimeout", testPollTimeout},
			{"SleepAndInterrupt", testSleepInterrupt},
			{"VirtualDescriptor", testVirtual},
			{"ReusableTask", testReusableTask},
			{"CoarseNowWithinTurn", testCoarseNow},
			{"NotifyWithoutTask", testNotify},
			{"JobsShareCoroutine", testJobsShareCoroutine},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, startLoop(t, name)) })
		}
	})
}

func TestStopWakesParkedTasks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := socketpair(t)
		got := make(chan error, 1)
		l.Post(func() {
			pd, err := l.Register(a)
			if err != nil {
				got <- err
				return
			}
			l.Go(func(t *Task) {
				_, err := readTask(t, pd, make([]byte, 1), time.Time{})
				got <- err
			})
			l.Post(l.Stop)
		})
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if !errors.Is(err, ErrLoopClosed) {
				t.Fatalf("parked task got %v, want ErrLoopClosed", err)
			}
		default:
			t.Fatal("parked task was not woken at stop")
		}
	})
}

func testParkResume(t *testing.T, l *Loop) {
	a, b := socketpair(t)
	var pd *PollDesc
	onLoop(t, l, func() { pd, _ = l.Register(a) })
	got := make(chan string, 1)
	parked := make(chan bool, 1)
	onLoop(t, l, func() {
		l.Go(func(t *Task) {
			buf := make([]byte, 16)
			n, err := readTask(t, pd, buf, time.Time{})
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(buf[:n])
		})
	})
	onLoop(t, l, func() { parked <- l.Stats().Tasks == 1 })
	if !<-parked {
		t.Fatal("task is not parked")
	}
	unix.Write(b, []byte("hello"))
	if s := <-got; s != "hello" {
		t.Fatalf("got %q", s)
	}
}

func testOthersRun(t *testing.T, l *Loop) {
	a, b := socketpair(t)
	var pd *PollDesc
	onLoop(t, l, func() { pd, _ = l.Register(a) })
	res := make(chan string, 2)
	err := l.Submit(func(tk *Task) {
		l.Go(func(t *Task) {
			buf := make([]byte, 8)
			n, err := readTask(t, pd, buf, time.Time{})
			if err != nil {
				res <- err.Error()
				return
			}
			res <- "reader:" + string(buf[:n])
		})
		// The reader is runnable or parked; this task keeps running and
		// sleeps, then feeds it.
		if err := tk.Sleep(5 * time.Millisecond); err != nil {
			t.Error(err)
		}
		res <- "other ran"
		unix.Write(b, []byte("go"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := <-res; s != "other ran" {
		t.Fatalf("first = %q, want the other task to run while the reader waits", s)
	}
	if s := <-res; s != "reader:go" {
		t.Fatalf("second = %q", s)
	}
}

func testEvict(t *testing.T, l *Loop) {
	a, _ := socketpair(t)
	got := make(chan error, 1)
	onLoop(t, l, func() {
		pd, _ := l.Register(a)
		l.Go(func(t *Task) {
			_, err := readTask(t, pd, make([]byte, 1), time.Time{})
			got <- err
		})
		l.Go(func(t *Task) { pd.Close() })
	})
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter got %v, want ErrClosed", err)
	}
	// A wait on an already closed descriptor fails at once.
	onLoop(t, l, func() {
		pd, _ := l.Register(a)
		pd.Close()
		l.Go(func(t *Task) { got <- t.WaitFD(pd, Readable, time.Time{}) })
	})
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("wait on closed = %v", err)
	}
}

func testStaleReuse(t *testing.T, l *Loop) {
	a, b := socketpair(t)
	onLoop(t, l, func() {
		old, _ := l.Register(a)
		staleToken := uint64(old.seq)<<32 | uint64(uint32(a))
		old.Close()
		// Same number registered again, as after close+reopen.
		fresh, _ := l.Register(a)
		fresh.ClearReady(Readable | Writable)
		l.dispatch(Event{Token: staleToken, Ready: Readable})
		if fresh.Ready()&Readable != 0 {
			t.Error("stale event delivered readiness to a reused descriptor number")
		}
		fresh.Close()
	})
	_ = b
}

func testWaitDeadline(t *testing.T, l *Loop) {
	a, _ := socketpair(t)
	got := make(chan error, 1)
	onLoop(t, l, func() {
		pd, _ := l.Register(a)
		l.Go(func(t *Task) {
			_, err := readTask(t, pd, make([]byte, 1), time.Now().Add(20*time.Millisecond))
			got <- err
		})
	})
	select {
	case err := <-got:
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deadline never fired")
	}
	// A deadline already passed fails without parking.
	onLoop(t, l, func() {
		pd, _ := l.Register(a)
		l.Go(func(t *Task) { got <- t.WaitFD(pd, Readable, time.Now().Add(-time.Second)) })
	})
	if err := <-got; !errors.Is(err, ErrTimeout) {
		t.Fatalf("past deadline = %v", err)
	}
}

func testTimers(t *testing.T, l *Loop) {
	var once, stopped atomic.Int32
	ticks := make(chan struct{}, 10)
	var every *Timer
	onLoop(t, l, func() {
		l.AfterFunc(time.Millisecond, func() { once.Add(1) })
		st := l.AfterFunc(5*time.Millisecond, func() { stopped.Add(1) })
		if !st.Stop() {
			t.Error("Stop of a pending timer reported false")
		}
		every = l.Every(2*time.Millisecond, func() {
			select {
			case ticks <- struct{}{}:
			default:
			}
		})
	})
	for range 3 {
		select {
		case <-ticks:
		case <-time.After(10 * time.Second):
			t.Fatal("repeating timer stopped firing")
		}
	}
	onLoop(t, l, func() { every.Stop() })
	time.Sleep(10 * time.Millisecond)
	if once.Load() != 1 {
		t.Errorf("one-shot timer fired %d times", once.Load())
	}
	if stopped.Load() != 0 {
		t.Error("stopped timer fired")
	}
	onLoop(t, l, func() {
		if l.Stats().Timers != 0 {
			t.Errorf("timers left: %d", l.Stats().Timers)
		}
	})
}

func testPollMany(t *testing.T, l *Loop) {
	const n = 300
	reads := make([]int, n)
	writes := make([]int, n)
	for i := range n {
		reads[i], writes[i] = socketpair(t)
	}
	got := make(chan []int, 1)
	onLoop(t, l, func() {
		items := make([]PollItem, n)
		for i := range n {
			pd, err := l.Register(reads[i])
			if err != nil {
				t.Error(err)
				return
			}
			items[i] = PollItem{PD: pd, Want: Readable}
		}
		l.Go(func(t *Task) {
			k, err := t.Poll(items, -1)
			if err != nil {
				got <- nil
				return
			}
			var ready []int
			for i, it := range items {
				if it.Got&Readable != 0 {
					ready = append(ready, i)
				}
			}
			if len(ready) != k {
				ready = append(ready, -1)
			}
			got <- ready
		})
	})
	unix.Write(writes[217], []byte("x"))
	select {
	case ready := <-got:
		if len(ready) != 1 || ready[0] != 217 {
			t.Fatalf("ready = %v, want [217]", ready)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("poll never woke")
	}
}

func testPollTimeout(t *testing.T, l *Loop) {
	a, _ := socketpair(t)
	type result struct {
		n   int
		err error
	}
	got := make(chan result, 2)
	onLoop(t, l, func() {
		pd, _ := l.Register(a)
		pd.ClearReady(Readable | Writable)
		items := []PollItem{{PD: pd, Want: Readable}}
		l.Go(func(t *Task) {
			n, err := t.Poll(items, 10*time.Millisecond)
			got <- result{n, err}
			// A descriptor closed during a poll is reported, not an error.
			l.Go(func(*Task) { pd.Close() })
			n, err = t.Poll(items, -1)
			if items[0].Got&Closed == 0 {
				err = errors.New("closed descriptor not reported")
			}
			got <- result{n, err}
		})
	})
	if r := <-got; r.n != 0 || r.err != nil {
		t.Fatalf("timed-out poll = %+v", r)
	}
	if r := <-got; r.n != 1 || r.err != nil {
		t.Fatalf("poll on closed = %+v", r)
	}
}

func testSleepInterrupt(t *testing.T, l *Loop) {
	got := make(chan error, 2)
	start := time.Now()
	onLoop(t, l, func() {
		l.Go(func(t *Task) { got <- t.Sleep(5 * time.Millisecond) })
	})
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 5*time.Millisecond {
		t.Error("Sleep returned early")
	}
	boom := errors.New("deadline")
	onLoop(t, l, func() {
		tk := l.NewTask()
		tk.Start(func(t *Task) { got <- t.Sleep(time.Hour) })
		l.AfterFunc(time.Millisecond, func() { tk.Interrupt(boom) })
	})
	if err := <-got; err != boom {
		t.Fatalf("interrupted sleep = %v", err)
	}
}

func testVirtual(t *testing.T, l *Loop) {
	got := make(chan error, 1)
	onLoop(t, l, func() {
		pd := l.NewVirtual()
		l.Go(func(t *Task) { got <- t.WaitFD(pd, Readable, time.Time{}) })
		l.AfterFunc(time.Millisecond, func() { pd.SetReady(Writable) })
		l.AfterFunc(2*time.Millisecond, func() { pd.SetReady(Readable) })
	})
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func testReusableTask(t *testing.T, l *Loop) {
	got := make(chan int, 3)
	onLoop(t, l, func() {
		tk := l.NewTask()
		i := 0
		tk.OnDone(func() {
			i++
			got <- i
			if i < 3 {
				tk.Start(func(t *Task) { t.Yield() })
			}
		})
		tk.Start(func(t *Task) { t.Sleep(time.Millisecond) })
	})
	for want := 1; want <= 3; want++ {
		if g := <-got; g != want {
			t.Fatalf("job %d ended as %d", want, g)
		}
	}
}

// TestPollSeesUncollectedReadiness: readiness that arrived in the kernel but
// was not yet collected by the loop is reported by a zero-timeout Poll, and
// a Poll reports every ready item, not only the first one seen.
func TestPollSeesUncollectedReadiness(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l := startLoop(t, name)
		r, w := socketpair(t)
		r2, w2 := socketpair(t)
		got := make(chan []Readiness, 1)
		onLoop(t, l, func() {
			l.Go(func(tk *Task) {
				pr, _ := l.Register(r)
				pw, _ := l.Register(w2)
				unix.Write(w, []byte("x")) // r becomes readable now, inside this task
				items := []PollItem{{PD: pr, Want: Readable}, {PD: pw, Want: Writable}}
				tk.Poll(items, 0)
				got <- []Readiness{items[0].Got, items[1].Got}
			})
		})
		g := <-got
		if g[0]&Readable == 0 || g[1]&Writable == 0 {
			t.Fatalf("zero-timeout poll got %v, want readable and writable", g)
		}
		_ = r2
	})
}

// step is the result of one read.
type step struct {
	n   int
	err error
}

// tryReadWait reads once the internal/poll way through TryRead: try, park
// on EAGAIN (up to 5 s: a wait error is the step's, with n -1), retry.
func tryReadWait(tk *Task, pd *PollDesc, buf []byte) step {
	for {
		n, err := pd.TryRead(buf)
		if err != unix.EAGAIN {
			return step{n, err}
		}
		if werr := tk.WaitFD(pd, Readable, time.Now().Add(5*time.Second)); werr != nil {
			return step{-1, werr}
		}
	}
}

// TestTryReadLevels: TryRead skips the system call once a short read on a
// stream drained the queue, yet still reaches the end of file after the
// peer shuts down (no edge announces it again).
func TestTryReadLevels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l := startLoop(t, name)
		a, b := socketpair(t)
		got := make(chan []step, 1)
		onLoop(t, l, func() {
			pd, _ := l.Register(a)
			pd.SetStream(true)
			l.Go(func(tk *Task) {
				var steps []step
				buf := make([]byte, 64)
				read := func() { steps = append(steps, tryReadWait(tk, pd, buf)) }
				unix.Write(b, []byte("abc"))
				read() // 3: a short read lowers the level
				if n, err := pd.TryRead(buf); err != unix.EAGAIN {
					steps = append(steps, step{n, err}) // must not happen
				}
				unix.Write(b, []byte("de"))
				unix.Shutdown(b, unix.SHUT_WR)
				read() // 2, short, but the peer shut down: the level stays up
				read() // 0: end of file without waiting for an edge
				got <- steps
			})
		})
		select {
		case s := <-got:
			want := []step{{3, nil}, {2, nil}, {0, nil}}
			if len(s) != len(want) {
				t.Fatalf("steps %v, want %v", s, want)
			}
			for i := range want {
				if s[i] != want[i] {
					t.Fatalf("steps %v, want %v", s, want)
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reader hung")
		}
	})
}

// TestTryWriteAfterDrainedRead: a read that finds a new descriptor drained
// says nothing about its write side. Before the loop has collected any
// event for it, TryWrite must still make the system call (a server that
// reads a request head, then writes "100 Continue", must not park on a
// Writable bit that no event has set yet).
func TestTryWriteAfterDrainedRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l := startLoop(t, name)
		a, b := socketpair(t)
		type result struct {
			rerr error
			wn   int
			werr error
		}
		got := make(chan result, 1)
		onLoop(t, l, func() {
			pd, _ := l.Register(a)
			pd.SetStream(true)
			// Still on the loop's turn: no event for a collected yet.
			_, rerr := pd.TryRead(make([]byte, 8))
			wn, werr := pd.TryWrite([]byte("100"))
			got <- result{rerr, wn, werr}
		})
		r := <-got
		if r.rerr != unix.EAGAIN || r.wn != 3 || r.werr != nil {
			t.Fatalf("TryRead: %v; TryWrite: %d, %v; want EAGAIN, then 3 bytes written", r.rerr, r.wn, r.werr)
		}
		buf := make([]byte, 8)
		if n, _ := unix.Read(b, buf); string(buf[:n]) != "100" {
			t.Fatalf("peer read %q", buf[:n])
		}
	})
}

// TestEOFAfterOwnShutdown: after shutting down its own write side, a
// descriptor whose peer sends its last bytes and closes (a full hangup,
// announced by one edge the loop collects before the reads) still reads
// them and then the end of file.
func TestEOFAfterOwnShutdown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l := startLoop(t, name)
		a, b := socketpair(t)
		got := make(chan []step, 1)
		onLoop(t, l, func() {
			pd, _ := l.Register(a)
			pd.SetStream(true)
			l.Go(func(tk *Task) {
				var steps []step
				unix.Shutdown(a, unix.SHUT_WR)
				unix.Write(b, []byte("abc"))
				unix.Close(b)
				// Let the loop collect the hangup's one edge first.
				if werr := tk.WaitFD(pd, Readable, time.Now().Add(5*time.Second)); werr != nil {
					got <- []step{{-1, werr}}
					return
				}
				buf := make([]byte, 64)
				for range 2 {
					steps = append(steps, tryReadWait(tk, pd, buf))
				}
				got <- steps
			})
		})
		s := <-got
		if len(s) != 2 || s[0] != (step{3, nil}) || s[1] != (step{0, nil}) {
			t.Fatalf("reads %v, want 3 bytes then end of file", s)
		}
	})
}

// testCoarseNow checks that CoarseNow never runs ahead of the clock and
// never goes back, whether a function runs before or after the turn's wait.
func testCoarseNow(t *testing.T, l *Loop) {
	var last time.Time
	for range 5 {
		var first, second, now time.Time
		onLoop(t, l, func() {
			first = l.CoarseNow()
			second = l.CoarseNow()
			now = time.Now()
		})
		if first.IsZero() || first.After(now) || second.Before(first) || second.After(now) {
			t.Errorf("CoarseNow %v then %v; the clock read after them %v", first, second, now)
		}
		if first.Before(last) {
			t.Errorf("CoarseNow went back: %v after %v", first, last)
		}
		last = now
	}
}

// testNotify: a Notify callback runs once on the next readable edge (after
// an EAGAIN, not on the stale level), holds no task while pending, is
// dropped by CancelNotify, and runs with ErrClosed when the descriptor is
// closed.
func testNotify(t *testing.T, l *Loop) {
	a, b := socketpair(t)
	var pd *PollDesc
	onLoop(t, l, func() {
		pd, _ = l.Register(a)
		pd.SetStream(true)
	})
	got := make(chan error, 4)
	notify := func(err error) { got <- err }
	expectNone := func(what string) {
		t.Helper()
		select {
		case err := <-got:
			t.Fatalf("%s: callback ran (%v)", what, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// drain reads until EAGAIN, as a server does before it waits.
	drain := func() {
		buf := make([]byte, 8)
		for {
			if _, err := pd.TryRead(buf); err == unix.EAGAIN {
				return
			}
		}
	}
	onLoop(t, l, func() {
		drain()
		pd.Notify(Readable, notify)
	})
	expectNone("before any byte")
	var tasks int
	onLoop(t, l, func() { tasks = l.Stats().Tasks })
	if tasks != 0 {
		t.Fatalf("%d tasks alive while a Notify is pending, want 0", tasks)
	}
	unix.Write(b, []byte("x"))
	if err := <-got; err != nil {
		t.Fatalf("callback got %v, want nil", err)
	}
	unix.Write(b, []byte("y"))
	expectNone("after it ran once")

	// CancelNotify: the next edge runs nothing.
	var pending bool
	onLoop(t, l, func() {
		drain()
		pd.Notify(Readable, notify)
		pending = pd.CancelNotify()
	})
	if !pending {
		t.Fatal("CancelNotify reported no pending Notify")
	}
	unix.Write(b, []byte("z"))
	expectNone("after CancelNotify")

	// Close runs a pending callback with ErrClosed.
	onLoop(t, l, func() {
		drain()
		pd.Notify(Readable, notify)
		pd.Close()
	})
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("callback after Close got %v, want ErrClosed", err)
	}
}

// testJobsShareCoroutine: jobs started together with Go take a coroutine
// only when they run, so those that end without waiting all run on one (a
// pooled task whose job ends takes the next job of the batch itself),
// while one that parks keeps its own and the rest move to another. They
// start in the order they were queued.
func testJobsShareCoroutine(t *testing.T, l *Loop) {
	const n = 50
	type result struct {
		seen    map[*Task]int
		started []int
		ended   []int
	}
	got := make(chan result, 1)
	onLoop(t, l, func() {
		r := result{seen: map[*Task]int{}}
		left := n
		for i := range n {
			l.Go(func(tk *Task) {
				r.started = append(r.started, i)
				if i == 10 {
					tk.Yield() // parks: later jobs cannot use this coroutine
				}
				r.seen[tk]++
				r.ended = append(r.ended, i)
				if left--; left == 0 {
					got <- r
				}
			})
		}
	})
	select {
	case r := <-got:
		if len(r.seen) != 2 {
			t.Fatalf("%d jobs ran on %d coroutines, want 2 (one parked at job 10)", n, len(r.seen))
		}
		for i, j := range r.started {
			if i != j {
				t.Fatalf("jobs started in the order %v, want the order they were queued in", r.started)
			}
		}
		if r.ended[n-1] != 10 {
			t.Fatalf("jobs ended in the order %v, want job 10 (which yielded) last", r.ended)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("jobs did not all run")
	}
}
