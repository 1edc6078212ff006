package evloop

import (
	"errors"
	"fmt"
	"time"

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
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	var n int
	for {
		ms := -1
		if timeout >= 0 {
			// Round up so a timer due in 0.3ms does not spin with timeout 0.
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		var err error
		n, err = unix.EpollWait(b.epfd, b.buf, ms)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return events, fmt.Errorf("epoll_wait: %w", err)
		}
		// Interrupted by a signal: wait out the rest of the timeout, as
		// the Backend contract says.
		if timeout > 0 {
			if timeout = time.Until(deadline); timeout <= 0 {
				return events, nil
			}
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
