package ptsevent

import (
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// PollFd is one entry of Poll's array (pts_pollfd): Fd (negative:
// ignored), Events (POLLIN, POLLOUT) and Revents, which Poll sets.
type PollFd = sys.PollFd

// Poll waits until one of fds is ready or timeout passes (negative: no
// limit, 0: check only) and returns how many have a non-zero Revents
// (poll). It waits for every descriptor in one host call, blocking the
// whole instance: the seed's select for many descriptors.
func Poll(fds []PollFd, timeout time.Duration) (int, error) {
	ns := int64(timeout)
	if timeout < 0 {
		ns = -1
	}
	var n uint32
	var p *PollFd
	if len(fds) > 0 {
		p = &fds[0]
	}
	if e := errno(sys.Poll(p, int32(len(fds)), ns, &n)); e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Select waits until some of readers are readable or writers writable, or
// timeout passes (negative: no limit), and returns those that are ready:
// it replaces the seed's select.select for any number of descriptors. A
// hung-up or failed descriptor counts as ready (the next read or write
// reports what happened); a descriptor that is not open fails with EBADF.
func Select(readers, writers []Fd, timeout time.Duration) (rready, wready []Fd, err error) {
	fds := make([]PollFd, 0, len(readers)+len(writers))
	for _, fd := range readers {
		fds = append(fds, PollFd{Fd: fd, Events: abi.POLLIN})
	}
	for _, fd := range writers {
		fds = append(fds, PollFd{Fd: fd, Events: abi.POLLOUT})
	}
	if _, err := Poll(fds, timeout); err != nil {
		return nil, nil, err
	}
	for i, p := range fds {
		if p.Revents&abi.POLLNVAL != 0 {
			return nil, nil, eBADF
		}
		if p.Revents == 0 {
			continue
		}
		if i < len(readers) {
			rready = append(rready, p.Fd)
		} else {
			wready = append(wready, p.Fd)
		}
	}
	return rready, wready, nil
}

// Sleep pauses the calling goroutine for d on a host timer (sleep): the
// instance is suspended and costs nothing meanwhile, other guests run;
// with goroutines, the others run too. It replaces time.Sleep, which in a
// guest would block the host's thread.
func Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	sleep(d)
}
