package evloop

import (
	"container/heap"
	"time"
)

// Timer is a one-shot or repeating timer on a Loop. Its function runs on the
// loop goroutine, outside any task. Timers are not safe for use from other
// goroutines; use Loop.Post to reach the loop first.
type Timer struct {
	loop   *Loop
	when   time.Duration // loop clock (since loop start)
	period time.Duration // > 0 for repeating timers
	fn     func()
	index  int // in the heap; -1 when not scheduled
}

// AfterFunc runs fn on the loop once, after d.
func (l *Loop) AfterFunc(d time.Duration, fn func()) *Timer {
	t := &Timer{loop: l, fn: fn, index: -1}
	t.Reset(d)
	return t
}

// Every runs fn on the loop every period, first after one period. It panics
// on a period <= 0.
func (l *Loop) Every(period time.Duration, fn func()) *Timer {
	if period <= 0 {
		panic("evloop: Every with non-positive period")
	}
	t := &Timer{loop: l, fn: fn, index: -1, period: period}
	t.Reset(period)
	return t
}

// Reset (re)schedules the timer to fire after d, keeping its period.
func (t *Timer) Reset(d time.Duration) {
	l := t.loop
	if d < 0 {
		d = 0
	}
	t.when = l.now() + d
	if t.index >= 0 {
		heap.Fix(&l.timers, t.index)
		return
	}
	heap.Push(&l.timers, t)
}

// Stop unschedules the timer. It reports whether the timer was pending.
func (t *Timer) Stop() bool {
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.loop.timers, t.index)
	return true
}

// Pending reports whether the timer is scheduled.
func (t *Timer) Pending() bool { return t.index >= 0 }

type timerHeap []*Timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].when < h[j].when }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// fireTimers runs every timer due at turnNow, rescheduling repeating ones.
func (l *Loop) fireTimers(turnNow time.Time) {
	if len(l.timers) == 0 {
		return
	}
	now := turnNow.Sub(l.start)
	for len(l.timers) > 0 && l.timers[0].when <= now {
		t := l.timers[0]
		if t.period > 0 {
			t.when += t.period
			if t.when <= now { // fell behind: do not burst
				t.when = now + t.period
			}
			heap.Fix(&l.timers, 0)
		} else {
			heap.Pop(&l.timers)
		}
		t.fn()
	}
}

// nextTimeout is how long Wait may block before the next timer is due.
func (l *Loop) nextTimeout() time.Duration {
	if len(l.timers) == 0 {
		return -1
	}
	d := l.timers[0].when - l.now()
	if d < 0 {
		return 0
	}
	return d
}
