package ptsevent

import (
	"runtime"
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// The cooperative wait. A guest instance is one thread, and an import that
// waits suspends all of its goroutines. So when a goroutine must wait for a
// descriptor while other goroutines exist, it parks on a channel instead,
// and one parked goroutine at a time, the poller, waits for all of them:
// it first yields (runtime.Gosched) so every runnable goroutine runs until
// it blocks, then makes one poll import over every parked goroutine's
// descriptor, wakes those that are ready or whose deadline passed, and
// repeats until its own wait is over, when it hands the role to another
// parked goroutine.
//
// The poll blocks without limit (or until the earliest deadline) only when
// every other goroutine is parked here; otherwise some goroutine may be
// waiting for a Go timer or channel the host cannot see, so the poll's
// timeout is capped, from 1ms growing to maxPollCap while nothing happens.

const (
	minPollCap = time.Millisecond
	maxPollCap = 50 * time.Millisecond
)

// waiter is one parked goroutine.
type waiter struct {
	d      *fdesc    // nil for Sleep
	dir    int       // which of d's deadlines applies
	events uint16    // POLLIN or POLLOUT
	until  time.Time // Sleep's end
	wake   chan struct{}
	done   bool
	err    Errno
}

func (w *waiter) deadline() time.Time {
	if w.d == nil {
		return w.until
	}
	return w.d.dl[w.dir]
}

func (w *waiter) fd() Fd {
	if w.d == nil || w.d.closed {
		return -1 // poll ignores negative descriptors
	}
	return w.d.fd
}

var sched struct {
	mu      sync.Mutex
	waiters []*waiter
	polling bool // a goroutine is the poller
	pfds    []PollFd
}

// wait blocks the calling goroutine until d is ready for events, its
// deadline for dir passes (ETIMEDOUT) or it is closed.
func wait(d *fdesc, events uint16, dir int) Errno {
	if !goroutines() {
		return waitAlone(d.fd, events, func() time.Time { return d.dl[dir] })
	}
	return park(&waiter{d: d, dir: dir, events: events})
}

// sleep blocks the calling goroutine for dur, letting others run.
func sleep(dur time.Duration) {
	if !goroutines() {
		sys.Sleep(int64(dur))
		return
	}
	park(&waiter{until: time.Now().Add(dur)})
}

// waitAlone waits with the instance blocked: no other goroutine exists.
func waitAlone(fd Fd, events uint16, deadline func() time.Time) Errno {
	for {
		timeout := int64(-1)
		if dl := deadline(); !dl.IsZero() {
			left := time.Until(dl)
			if left <= 0 {
				return eTIMEDOUT
			}
			timeout = int64(left)
		}
		pfd := PollFd{Fd: fd, Events: events}
		var n uint32
		if e := errno(sys.Poll(&pfd, 1, timeout, &n)); e != 0 {
			return e
		}
		if n > 0 {
			return 0 // ready, hung up or closed: the retried call tells which
		}
	}
}

func park(w *waiter) Errno {
	w.wake = make(chan struct{}, 1)
	sched.mu.Lock()
	sched.waiters = append(sched.waiters, w)
	for !w.done {
		if !sched.polling {
			sched.polling = true
			sched.mu.Unlock()
			pollLoop(w)
			sched.mu.Lock()
			continue
		}
		sched.mu.Unlock()
		<-w.wake
		sched.mu.Lock()
	}
	sched.mu.Unlock()
	return w.err
}

func signal(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pollLoop is the poller's loop; it returns when self is done.
func pollLoop(self *waiter) {
	pollCap := minPollCap
	for {
		runtime.Gosched() // let every runnable goroutine run first

		sched.mu.Lock()
		ws := sched.waiters
		pfds := sched.pfds[:0]
		now := time.Now()
		timeout := time.Duration(-1)
		for _, w := range ws {
			pfds = append(pfds, PollFd{Fd: w.fd(), Events: w.events})
			if w.d != nil && w.d.closed {
				timeout = 0
			}
			if dl := w.deadline(); !dl.IsZero() {
				left := max(dl.Sub(now), 0)
				if timeout < 0 || left < timeout {
					timeout = left
				}
			}
		}
		sched.pfds = pfds
		capped := false
		if runtime.NumGoroutine() > len(ws) && (timeout < 0 || timeout > pollCap) {
			timeout, capped = pollCap, true
		}
		sched.mu.Unlock()

		var n uint32
		var e Errno
		if len(pfds) > 0 {
			e = errno(sys.Poll(&pfds[0], int32(len(pfds)), int64(timeout), &n))
		}

		sched.mu.Lock()
		now = time.Now()
		keep := ws[:0]
		for i, w := range ws {
			switch dl := w.deadline(); {
			case e != 0:
				w.done, w.err = true, e
			case w.d != nil && w.d.closed:
				w.done, w.err = true, eBADF
			case pfds[i].Revents != 0:
				w.done = true
			case !dl.IsZero() && !now.Before(dl):
				w.done, w.err = true, eTIMEDOUT
				if w.d == nil {
					w.err = 0 // a Sleep that ended
				}
			}
			if !w.done {
				keep = append(keep, w)
			} else if w != self {
				signal(w)
			}
		}
		clear(ws[len(keep):])
		sched.waiters = keep
		if self.done {
			sched.polling = false
			if len(keep) > 0 {
				signal(keep[0]) // hand the poller role over
			}
			sched.mu.Unlock()
			return
		}
		sched.mu.Unlock()
		switch {
		case n > 0:
			pollCap = minPollCap
		case capped:
			pollCap = min(2*pollCap, maxPollCap)
		}
	}
}
