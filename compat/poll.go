package compat

import (
	"math"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// monoBase is the origin of the monotonic clock the overlay gives guests.
// clock_time_get and poll_oneoff's absolute clock subscriptions both use
// it, so an absolute deadline a guest computes from the clock is exact.
var monoBase = time.Now()

// clockNow reads clock id: the wall clock and the monotonic clock; the
// CPU-time clocks are EINVAL, as in wazero (the host's process time would
// mean nothing to one guest among many).
func clockNow(id uint32) (uint64, abi.Errno) {
	switch id {
	case clockRealtime:
		return uint64(time.Now().UnixNano()), 0
	case clockMonotonic:
		return uint64(time.Since(monoBase).Nanoseconds()) + 1, 0
	}
	return 0, abi.EINVAL
}

// clock_res_get(id, resolution).
func clockResGet(_ *host.Sys, g mem, p []uint64) abi.Errno {
	out := u32Arg(p, 1)
	if e := g.check(out, 8); e != 0 {
		return e
	}
	if _, e := clockNow(u32Arg(p, 0)); e != 0 {
		return e
	}
	return g.putU64(out, 1)
}

// clock_time_get(id, precision, time).
func clockTimeGet(_ *host.Sys, g mem, p []uint64) abi.Errno {
	out := u32Arg(p, 2)
	if e := g.check(out, 8); e != 0 {
		return e
	}
	t, e := clockNow(u32Arg(p, 0))
	if e != 0 {
		return e
	}
	return g.putU64(out, t)
}

// sched_yield() lets the loop's other guests and its I/O run first.
func schedYield(s *host.Sys, _ mem, _ []uint64) abi.Errno { return s.Yield() }

// subscription is one parsed poll_oneoff subscription.
type subscription struct {
	userdata uint64
	typ      uint8
	errno    abi.Errno // fires at once with this error
	ready    bool      // fires at once (bytes readline buffered)
	item     int       // index in the poll items, or -1
	desc     *host.Desc
	deadline time.Time // clock subscriptions
}

// poll_oneoff(in, out, nsubscriptions, nevents). FD_READ and FD_WRITE
// subscriptions become poll items on the descriptors' loop registrations,
// clock subscriptions (relative, or absolute on the realtime or monotonic
// clock) the wait's timeout; the instance is suspended on the loop until
// the first fires. Every subscription that has fired by then gets an
// event. A bad descriptor fires at once with EBADF, as does one closed
// during the wait; an unknown clock fires at once with EINVAL. Standard
// output and error are always writable. No subscriptions is EINVAL.
func pollOneoff(s *host.Sys, g mem, p []uint64) abi.Errno {
	in, out, n, outN := u32Arg(p, 0), u32Arg(p, 1), u32Arg(p, 2), u32Arg(p, 3)
	if n == 0 {
		return abi.EINVAL
	}
	inB, e := g.array(in, n, subscriptionSize)
	if e != 0 {
		return e
	}
	outB, e := g.array(out, n, eventSize)
	if e != 0 {
		return e
	}
	if e := g.check(outN, 4); e != 0 {
		return e
	}
	subs := make([]subscription, n)
	items := make([]evloop.PollItem, 0, n)
	now := time.Now()
	immediate, hasClock := false, false
	var earliest time.Time
	for i := range subs {
		b := inB[i*subscriptionSize : (i+1)*subscriptionSize]
		sub := &subs[i]
		sub.userdata = le.Uint64(b[subOffUserdata:])
		sub.typ = b[subOffTag]
		sub.item = -1
		switch sub.typ {
		case eventtypeClock:
			id := le.Uint32(b[subOffClockID:])
			timeout := le.Uint64(b[subOffClockTimeout:])
			var d time.Duration
			if le.Uint16(b[subOffClockFlags:])&subclockAbstime != 0 {
				cur, e := clockNow(id)
				if e != 0 {
					sub.errno, immediate = e, true
					continue
				}
				if timeout > cur {
					d = duration(timeout - cur)
				}
			} else {
				if _, e := clockNow(id); e != 0 {
					sub.errno, immediate = e, true
					continue
				}
				d = duration(timeout)
			}
			sub.deadline = now.Add(d)
			if !hasClock || sub.deadline.Before(earliest) {
				earliest = sub.deadline
			}
			hasClock = true
		case eventtypeFdRead, eventtypeFdWrite:
			d, e := s.FDs().Get(int32(le.Uint32(b[subOffFd:])))
			if e != 0 {
				sub.errno, immediate = e, true
				continue
			}
			sub.desc = d
			want := evloop.Writable
			if sub.typ == eventtypeFdRead {
				want = evloop.Readable
				if d.Buffered() > 0 {
					sub.ready, immediate = true, true
					continue
				}
			}
			sub.item = len(items)
			items = append(items, evloop.PollItem{PD: d.PD, Want: want})
		default:
			return abi.EINVAL
		}
	}
	for {
		timeout := time.Duration(-1)
		switch {
		case immediate:
			timeout = 0
		case hasClock:
			timeout = max(time.Until(earliest), 0)
		}
		if _, e := s.Poll(items, timeout); e != 0 {
			return e
		}
		now = time.Now()
		nev := uint32(0)
		for i := range subs {
			sub := &subs[i]
			var errno abi.Errno
			var flags uint16
			var nbytes uint64
			switch {
			case sub.errno != 0:
				errno = sub.errno
			case sub.typ == eventtypeClock:
				if now.Before(sub.deadline) {
					continue
				}
			case sub.ready:
				nbytes = uint64(sub.desc.Buffered())
			case sub.item >= 0:
				got := items[sub.item].Got
				if got == 0 {
					continue
				}
				if got&evloop.Closed != 0 {
					errno = abi.EBADF
				}
				if got&evloop.Hangup != 0 {
					flags |= eventFdReadwriteHangup
				}
				if errno == 0 && sub.typ == eventtypeFdRead {
					nbytes = readable(sub.desc)
				}
			default:
				continue
			}
			ev := outB[nev*eventSize : (nev+1)*eventSize]
			clear(ev)
			le.PutUint64(ev[evOffUserdata:], sub.userdata)
			le.PutUint16(ev[evOffError:], uint16(errno))
			ev[evOffType] = sub.typ
			if sub.typ != eventtypeClock {
				le.PutUint64(ev[evOffNbytes:], nbytes)
				le.PutUint16(ev[evOffFlags:], flags)
			}
			nev++
		}
		if nev > 0 {
			return g.putU32(outN, nev)
		}
		// Woken before any subscription fired (a timer a hair early):
		// wait for the rest.
	}
}

// duration converts a WASI timeout in nanoseconds, saturating.
func duration(ns uint64) time.Duration {
	if ns > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// readable estimates the bytes a read of d would return at once, for
// FD_READ events' nbytes: what readline buffered, plus the kernel's count
// for sockets, pipes and devices, or the bytes left after the offset for
// a regular file.
func readable(d *host.Desc) uint64 {
	n := uint64(d.Buffered())
	if d.OSFd < 0 {
		return n
	}
	if d.Kind == host.KindFile {
		var st unix.Stat_t
		if unix.Fstat(d.OSFd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			if off, err := unix.Seek(d.OSFd, 0, whenceCur); err == nil && st.Size > off {
				n += uint64(st.Size - off)
			}
		}
		return n
	}
	if v, err := unix.IoctlGetInt(d.OSFd, unix.TIOCINQ); err == nil && v > 0 {
		n += uint64(v)
	}
	return n
}
