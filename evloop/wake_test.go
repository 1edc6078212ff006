package evloop

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// countingBackend counts the backend wake-ups (eventfd writes) a loop asks
// for.
type countingBackend struct {
	Backend
	wakes atomic.Int64
}

func (b *countingBackend) Wake() error {
	b.wakes.Add(1)
	return b.Backend.Wake()
}

func TestWakeOnlyWhenSleeping(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		be := &countingBackend{Backend: newBackend(t, name)}
		l := NewWithBackend(be)
		// From the loop goroutine (a task, a posted function): the loop
		// is not blocked, so no wake-up is written, and the posted
		// functions still run.
		var ran atomic.Int64
		l.Go(func(tk *Task) {
			for range 100 {
				l.Post(func() { ran.Add(1) })
				tk.Yield()
			}
			l.Post(func() {
				ran.Add(1)
				l.Post(func() { ran.Add(1); l.Stop() })
			})
		})
		done := make(chan error, 1)
		go func() { done <- l.Run() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("loop did not stop: a wake-up was lost")
		}
		if got := ran.Load(); got != 102 {
			t.Errorf("ran %d posted functions, want 102", got)
		}
		if n := be.wakes.Load(); n != 0 {
			t.Errorf("%d backend wake-ups for posts from the loop goroutine, want 0", n)
		}
	})
}

func TestNoLostWakeups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		be := &countingBackend{Backend: newBackend(t, name)}
		l := NewWithBackend(be)
		l.Start()
		defer func() {
			l.Stop()
			<-l.Done()
		}()
		// Posters race with the loop going to sleep and waking up; every
		// round trip must complete (a lost wake-up hangs it).
		const posters, rounds = 4, 300
		var wg sync.WaitGroup
		for range posters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ack := make(chan struct{})
				for range rounds {
					l.Post(func() { ack <- struct{}{} })
					select {
					case <-ack:
					case <-time.After(10 * time.Second):
						t.Error("posted function never ran: lost wake-up")
						return
					}
				}
			}()
		}
		wg.Wait()
		if n := be.wakes.Load(); n > posters*rounds {
			t.Errorf("%d backend wake-ups for %d posts", n, posters*rounds)
		}
	})
}

// TestLoopHangup checks the Hangup and ReadHangup levels a task sees
// through the loop, on every backend: a half-close is a ReadHangup only, a
// close is a Hangup, and a pipe whose writer closed has hung up.
func TestLoopHangup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		l := startLoop(t, name)
		check := func(what string, fd int, act func(), want, notWant Readiness) {
			t.Helper()
			var pd *PollDesc
			onLoop(t, l, func() {
				var err error
				if pd, err = l.Register(fd); err != nil {
					t.Fatal(err)
				}
			})
			act()
			got := make(chan Readiness, 1)
			onLoop(t, l, func() {
				l.Go(func(tk *Task) {
					items := []PollItem{{PD: pd, Want: Readable}}
					tk.Poll(items, 5*time.Second)
					got <- pd.Ready()
					pd.Close()
				})
			})
			r := <-got
			if r&want != want || r&notWant != 0 {
				t.Errorf("%s: ready %v, want %v and not %v", what, r, want, notWant)
			}
		}
		a, c := socketpair(t)
		check("peer shut down writing", a, func() { unix.Shutdown(c, unix.SHUT_WR) }, Readable|ReadHangup, Hangup)
		a, c = socketpair(t)
		check("peer closed", a, func() { unix.Close(c) }, Readable|ReadHangup|Hangup, 0)
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[0])
		check("pipe writer closed", p[0], func() { unix.Close(p[1]) }, Readable|Hangup, 0)
		if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[1])
		check("pipe reader closed", p[1], func() { unix.Close(p[0]) }, Writable|Hangup, 0)
	})
}
