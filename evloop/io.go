package evloop

import (
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
	if !pd.always && pd.leveled && pd.ready&Readable == 0 {
		return 0, unix.EAGAIN
	}
	n, err := pd.rawIO(unix.SYS_READ, p)
	switch {
	case err == unix.EAGAIN:
		pd.leveled = true
		pd.ClearReady(Readable)
	case err == nil && pd.stream && n > 0 && n < len(p) && pd.ready&ReadHangup == 0:
		// A short read drained the queue; but after a hangup no edge will
		// announce the end of file, so the level stays up for it.
		pd.leveled = true
		pd.ClearReady(Readable)
	}
	return n, err
}

// TryWrite writes once to the descriptor without blocking, with the same
// use of the Writable level as TryRead.
func (pd *PollDesc) TryWrite(p []byte) (int, error) {
	if pd.fd < 0 || pd.closed {
		return 0, unix.EBADF
	}
	if !pd.always && pd.leveled && pd.ready&Writable == 0 {
		return 0, unix.EAGAIN
	}
	n, err := pd.rawIO(unix.SYS_WRITE, p)
	switch {
	case err == unix.EAGAIN:
		pd.leveled = true
		pd.ClearReady(Writable)
	case err == nil && pd.stream && n < len(p):
		pd.leveled = true
		pd.ClearReady(Writable)
	}
	return n, err
}

// rawIO is read(2) or write(2). On a pollable non-blocking descriptor it
// goes through RawSyscall: the call never blocks, so Syscall's scheduler
// hand-off (entersyscall/exitsyscall) is pure cost. Regular files
// ("always ready") may wait for the disk, so they use Syscall and let the
// runtime run other loops meanwhile.
func (pd *PollDesc) rawIO(trap uintptr, p []byte) (int, error) {
	syscall := unix.RawSyscall
	if pd.always {
		syscall = unix.Syscall
	}
	fd := pd.fd
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	} else {
		ptr = unsafe.Pointer(&zeroByte)
	}
	for {
		r, _, e := syscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, unix.EAGAIN
		}
		return 0, e
	}
}

var zeroByte byte
