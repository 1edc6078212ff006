package evloop

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() { RegisterBackend("epoll", 10, newEpoll) }

// epollBackend is the pure-Go backend: epoll(7) in edge-triggered mode plus
// an eventfd for wake-ups, through golang.org/x/sys/unix. It needs no cgo.
type epollBackend struct {
	epfd   int
	wakefd int
	buf    []unix.EpollEvent
}

const epollWakeToken = ^uint64(0)

func newEpoll() (Backend, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	b := &epollBackend{epfd: epfd, wakefd: wfd, buf: make([]unix.EpollEvent, 256)}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	putToken(&ev, epollWakeToken)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		b.Close()
		return nil, fmt.Errorf("epoll_ctl(eventfd): %w", err)
	}
	return b, nil
}

// putToken stores a 64-bit token in the epoll_event data union, which
// x/sys/unix splits into Fd and Pad.
func putToken(ev *unix.EpollEvent, tok uint64) {
	ev.Fd = int32(uint32(tok))
	ev.Pad = int32(uint32(tok >> 32))
}

func getToken(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

func (b *epollBackend) Name() string { return "epoll" }

func (b *epollBackend) Add(fd int, token uint64) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET}
	putToken(&ev, token)
	err := unix.EpollCtl(b.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	if errors.Is(err, unix.EPERM) {
		return ErrNotPollable
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

func (b *epollBackend) Del(fd int) error {
	if err := unix.EpollCtl(b.epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil {
		return fmt.Errorf("epoll_ctl del fd %d: %w", fd, err)
	}
	return nil
}

func (b *epollBackend) Wait(timeout time.Duration, events []Event) ([]Event, error) {
	// Poll first, as a raw system call. On a busy loop events are ready,
	// and this is the only wait, without Syscall's scheduler hand-off
	// (entersyscall/exitsyscall: about 60 ns on the 2-core test VM, 2% of a
	// ping-pong event). Only a wait that finds nothing and may block makes
	// a second epoll_wait, when the loop has nothing else to do. Go's
	// scheduler polls its netpoller the same way before it sleeps.
	n, e := b.poll()
	for e == unix.EINTR {
		n, e = b.poll()
	}
	if e != 0 {
		return events, fmt.Errorf("epoll_wait: %w", e)
	}
	if n == 0 && timeout != 0 {
		var err error
		if n, err = b.block(timeout); err != nil {
			return events, err
		}
	}
	for i := range n {
		ev := &b.buf[i]
		tok := getToken(ev)
		if tok == epollWakeToken {
			var v [8]byte
			unix.Read(b.wakefd, v[:])
			continue
		}
		events = append(events, Event{Token: tok, Ready: epollReadiness(ev.Events)})
	}
	if n == len(b.buf) && len(b.buf) < 1<<16 {
		b.buf = make([]unix.EpollEvent, 2*len(b.buf))
	}
	return events, nil
}

// poll is epoll_wait with a zero timeout, as a raw system call
// (epoll_pwait with no signal mask: the one every Linux port has).
func (b *epollBackend) poll() (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(b.epfd),
		uintptr(unsafe.Pointer(&b.buf[0])), uintptr(len(b.buf)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// block is an epoll_wait that may block for timeout (< 0: without limit),
// through Syscall, so the runtime can run other goroutines on the P
// meanwhile. Interrupted by a signal, it waits out the rest of the
// timeout, as the Backend contract says.
func (b *epollBackend) block(timeout time.Duration) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		ms := -1
		if timeout > 0 {
			// Round up so a timer due in 0.3ms does not spin with timeout 0.
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(b.epfd, b.buf, ms)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, unix.EINTR) {
			return 0, fmt.Errorf("epoll_wait: %w", err)
		}
		if timeout > 0 {
			if timeout = time.Until(deadline); timeout <= 0 {
				return 0, nil
			}
		}
	}
}

func epollReadiness(e uint32) Readiness {
	var r Readiness
	if e&(unix.EPOLLIN|unix.EPOLLPRI) != 0 {
		r |= Readable
	}
	if e&unix.EPOLLOUT != 0 {
		r |= Writable
	}
	if e&(unix.EPOLLRDHUP) != 0 {
		r |= Readable | ReadHangup
	}
	if e&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		r |= Readable | Writable | Hangup | ReadHangup
	}
	return r
}

func (b *epollBackend) Wake() error {
	var one = [8]byte{1}
	_, err := unix.Write(b.wakefd, one[:])
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("eventfd write: %w", err)
	}
	return nil
}

func (b *epollBackend) Close() error {
	unix.Close(b.wakefd)
	return unix.Close(b.epfd)
}
