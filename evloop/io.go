package evloop

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetStream marks the descriptor as a byte stream (a stream socket or a
// pipe). On a stream a read that returns less than asked proves the receive
// queue empty, and a write that takes less than offered proves the send
// buffer full, so TryRead and TryWrite lower the level without waiting for
// an EAGAIN: the next operation parks at once instead of making a system
// call that would fail.
func (pd *PollDesc) SetStream(on bool) { pd.stream = on }

// TryRead reads once from the descriptor without blocking, the first half
// of the internal/poll protocol (try; on EAGAIN WaitFD and try again). It
// trusts the loop's readiness level: when Readable is low the descriptor
// was drained since its last readiness edge, so it returns EAGAIN without
// a system call (readiness the kernel has but the loop has not collected is
// delivered by the wait that follows). It lowers the level on EAGAIN and,
// on streams, on a short read. End of file (0, nil) keeps the level up.
func (pd *PollDesc) TryRead(p []byte) (int, error) {
	if pd.fd < 0 || pd.closed {
		return 0, unix.EBADF
	}
	if !pd.always && pd.leveled&Readable != 0 && pd.ready&Readable == 0 {
		return 0, unix.EAGAIN
	}
	n, e := pd.rawIO(unix.SYS_READ, p)
	switch {
	case e == unix.EAGAIN:
		pd.leveled |= Readable
		pd.ClearReady(Readable)
		return 0, unix.EAGAIN
	case e != 0:
		return 0, e
	case pd.stream && n > 0 && n < len(p) && pd.ready&ReadHangup == 0:
		// A short read drained the queue; but after a hangup no edge will
		// announce the end of file, so the level stays up for it.
		pd.leveled |= Readable
		pd.ClearReady(Readable)
	}
	return n, nil
}

// TryWrite writes once to the descriptor without blocking, with the same
// use of the Writable level as TryRead.
func (pd *PollDesc) TryWrite(p []byte) (int, error) {
	if pd.fd < 0 || pd.closed {
		return 0, unix.EBADF
	}
	if !pd.always && pd.leveled&Writable != 0 && pd.ready&Writable == 0 {
		return 0, unix.EAGAIN
	}
	n, e := pd.rawIO(unix.SYS_WRITE, p)
	switch {
	case e == unix.EAGAIN:
		pd.leveled |= Writable
		pd.ClearReady(Writable)
		return 0, unix.EAGAIN
	case e != 0:
		return 0, e
	case pd.stream && n < len(p):
		pd.leveled |= Writable
		pd.ClearReady(Writable)
	}
	return n, nil
}

// rawIO is read(2) or write(2), retried on EINTR. On a pollable
// non-blocking descriptor it is a raw system call: the call never blocks,
// so Syscall's scheduler hand-off (entersyscall/exitsyscall) is pure cost.
// Regular files ("always ready") may wait for the disk, so they use
// Syscall and let the runtime run other loops meanwhile. The errno comes
// back as a syscall.Errno, so callers test it without comparing
// interfaces.
func (pd *PollDesc) rawIO(trap uintptr, p []byte) (int, syscall.Errno) {
	fd := uintptr(pd.fd)
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	} else {
		ptr = unsafe.Pointer(&zeroByte)
	}
	for {
		var r uintptr
		var e syscall.Errno
		if pd.always {
			r, _, e = syscall.Syscall(trap, fd, uintptr(ptr), uintptr(len(p)))
		} else {
			r, _, e = syscall.RawSyscall6(trap, fd, uintptr(ptr), uintptr(len(p)), 0, 0, 0)
		}
		if e != unix.EINTR {
			if e != 0 {
				return 0, e
			}
			return int(r), 0
		}
	}
}

var zeroByte byte
