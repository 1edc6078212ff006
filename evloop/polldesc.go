package evloop

import (
	"errors"
)

// PollDesc is a descriptor's registration on a loop: its readiness level
// (kept from the backend's edge-triggered events) and the tasks waiting on
// it. A PollDesc either wraps an OS descriptor (Register) or is virtual
// (NewVirtual): the host sets a virtual descriptor's readiness itself, for
// resources that are not kernel objects (DNS queries in flight, HTTP request
// streams, timers).
//
// The protocol is Go's internal/poll: try the operation; on EAGAIN call
// Task.WaitFD, which clears the ready bit and parks until the next
// readiness edge; retry.
type PollDesc struct {
	loop   *Loop
	fd     int // -1 for virtual descriptors
	seq    uint32
	ready  Readiness
	always bool // not pollable: always ready (regular files)
	closed bool
	stream bool // see SetStream
	// leveled holds the directions whose ready bit reflects the kernel:
	// both once an event arrived (an edge reports every ready direction),
	// one once a read (or write) found the descriptor drained (or full).
	// Until then TryRead and TryWrite make the system call whatever the
	// bits say, so the first operation on a new descriptor does not wait a
	// loop turn for its registration event, and a drained read side says
	// nothing about the write side.
	leveled Readiness
	waiters []waiter
	// notify is the callback of a pending Notify, for notifyMode.
	notify     func(error)
	notifyMode Readiness
}

type waiter struct {
	t    *Task
	mode Readiness
}

// Register registers OS descriptor fd with the loop's backend, edge-triggered
// for both directions. Descriptors the kernel cannot poll (regular files)
// are accepted and are always ready. The caller keeps ownership of fd:
// PollDesc.Close unregisters it but does not close it.
func (l *Loop) Register(fd int) (*PollDesc, error) {
	if l.closed {
		return nil, ErrLoopClosed
	}
	if fd < 0 {
		return nil, errors.New("evloop: negative descriptor")
	}
	for fd >= len(l.descs) {
		l.descs = append(l.descs, make([]*PollDesc, len(l.descs)+64)...)
	}
	if old := l.descs[fd]; old != nil {
		// The caller closed the OS descriptor without closing its PollDesc
		// and the kernel reused the number: retire the old registration.
		old.Close()
	}
	l.seq++
	pd := &PollDesc{loop: l, fd: fd, seq: l.seq}
	err := l.backend.Add(fd, uint64(pd.seq)<<32|uint64(uint32(fd)))
	switch {
	case errors.Is(err, ErrNotPollable):
		pd.always = true
		pd.ready = Readable | Writable
		return pd, nil
	case err != nil:
		return nil, err
	}
	l.descs[fd] = pd
	return pd, nil
}

// NewVirtual makes a descriptor with no OS descriptor behind it; its owner
// reports readiness with SetReady.
func (l *Loop) NewVirtual() *PollDesc {
	l.seq++
	return &PollDesc{loop: l, fd: -1, seq: l.seq}
}

// Fd returns the OS descriptor, or -1 for a virtual descriptor.
func (pd *PollDesc) Fd() int { return pd.fd }

// Loop returns the loop the descriptor is registered with.
func (pd *PollDesc) Loop() *Loop { return pd.loop }

// Ready returns the current readiness level.
func (pd *PollDesc) Ready() Readiness {
	if pd.closed {
		return Closed
	}
	return pd.ready
}

// IsClosed reports whether Close was called.
func (pd *PollDesc) IsClosed() bool { return pd.closed }

// SetReady raises readiness r and wakes the tasks waiting for it. Backends'
// events arrive here; owners of virtual descriptors call it directly.
func (pd *PollDesc) SetReady(r Readiness) { pd.setReady(r) }

// ClearReady lowers readiness r, e.g. when an operation returned EAGAIN
// outside a wait, or when a virtual descriptor's buffer drained.
func (pd *PollDesc) ClearReady(r Readiness) {
	if !pd.always {
		pd.ready &^= r
	}
}

func (pd *PollDesc) setReady(r Readiness) {
	if pd.closed {
		return
	}
	pd.leveled = Readable | Writable
	pd.ready |= r
	if fn := pd.notify; fn != nil && pd.notifyMode&r != 0 {
		pd.notify = nil
		fn(nil)
	}
	if len(pd.waiters) == 0 {
		return
	}
	kept := pd.waiters[:0]
	for _, w := range pd.waiters {
		if w.mode&r != 0 {
			w.t.wake(nil)
		} else {
			kept = append(kept, w)
		}
	}
	clear(pd.waiters[len(kept):])
	pd.waiters = kept
}

func (pd *PollDesc) addWaiter(t *Task, mode Readiness) {
	pd.waiters = append(pd.waiters, waiter{t: t, mode: mode})
}

func (pd *PollDesc) removeWaiter(t *Task) {
	for i, w := range pd.waiters {
		if w.t == t {
			last := len(pd.waiters) - 1
			pd.waiters[i] = pd.waiters[last]
			pd.waiters[last] = waiter{}
			pd.waiters = pd.waiters[:last]
			return
		}
	}
}

// Notify arranges for fn to run once, on the loop goroutine, when pd
// becomes ready for mode (fn(nil)) or is closed or evicted (fn with the
// error: ErrClosed, ErrLoopClosed). It is WaitFD without a task: an owner
// that has nothing to do until the descriptor is ready (a server's idle
// keep-alive connection) gives its coroutine back to the loop and starts a
// task from fn. Like WaitFD, call it after the operation returned EAGAIN:
// it clears mode's ready bit and waits for the next edge. A descriptor has
// at most one pending Notify; a second replaces the first. fn runs inside
// event dispatch: it must not wait, and should only schedule work (Go,
// timers) or close things.
func (pd *PollDesc) Notify(mode Readiness, fn func(error)) {
	if pd.closed {
		fn(ErrClosed)
		return
	}
	if pd.loop.closed {
		fn(ErrLoopClosed)
		return
	}
	if pd.always {
		fn(nil)
		return
	}
	pd.ClearReady(mode)
	pd.notify, pd.notifyMode = fn, mode
}

// CancelNotify drops a pending Notify without running it. It reports
// whether one was pending.
func (pd *PollDesc) CancelNotify() bool {
	pending := pd.notify != nil
	pd.notify = nil
	return pending
}

// evict wakes every waiter with err.
func (pd *PollDesc) evict(err error) {
	if fn := pd.notify; fn != nil {
		pd.notify = nil
		fn(err)
	}
	ws := pd.waiters
	pd.waiters = nil
	for _, w := range ws {
		w.t.wakeErr(err)
	}
}

// Close unregisters the descriptor and wakes its waiters with ErrClosed
// (EBADF). It does not close the OS descriptor: close it after Close, so the
// number cannot be reused while still registered. Closing twice is a no-op.
func (pd *PollDesc) Close() {
	if pd.closed {
		return
	}
	pd.closed = true
	pd.evict(ErrClosed)
	l := pd.loop
	if pd.fd >= 0 && !pd.always && pd.fd < len(l.descs) && l.descs[pd.fd] == pd {
		l.descs[pd.fd] = nil
		_ = l.backend.Del(pd.fd)
	}
}
