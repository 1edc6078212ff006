//go:build cgo && linux

package evloop

/*
#cgo pkg-config: libevent_core

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <event2/event.h>

// Readiness bits as evloop.Readiness defines them (checked at compile time
// on the Go side), so Go copies the batch without translating.
#define PTSEV_READABLE 1
#define PTSEV_WRITABLE 2
#define PTSEV_HANGUP   4
#define PTSEV_READHUP  16

// Add's result for descriptors the kernel cannot poll.
#define PTSEV_NOTPOLLABLE 1

// Failure stages of ptsev_new, for the Go error message.
#define PTSEV_ERR_CONFIG   1
#define PTSEV_ERR_BASE     2
#define PTSEV_ERR_METHOD   3
#define PTSEV_ERR_FD       4
#define PTSEV_ERR_EVENT    5
#define PTSEV_ERR_NOMEM    6

typedef struct {
	uint64_t token;
	uint32_t ready;
	uint32_t pad;
} ptsev_event;

struct ptsev_backend;

// One registration: the libevent event of a descriptor and its token.
typedef struct {
	struct event *ev;
	struct ptsev_backend *b;
	uint64_t token;
	uint64_t gen; // b->gen of the Wait whose batch holds this fd's event
	uint32_t idx; // index of that event in the batch
	uint8_t sock; // a socket (else a pipe, FIFO, terminal, eventfd, ...)
	uint8_t hup;  // a socket that hung up: that is final, so no more checks
	int fd;
} ptsev_reg;

typedef struct ptsev_backend {
	struct event_base *base;
	struct event *wake_ev, *timer_ev;
	int wakefd, timerfd;
	int probefd; // epoll set that tests descriptors for pollability; -1 until needed
	int64_t armed; // absolute CLOCK_MONOTONIC deadline set on timerfd; 0 if none

	ptsev_reg **regs; // by fd
	int nregs;

	// The batch of one Wait: filled by the C callbacks, copied by Go.
	ptsev_event *batch;
	uint32_t n, cap;
	uint64_t gen;
} ptsev_backend;

// ptsev_push records readiness for r in the current batch, merging with an
// event already recorded for r in this Wait. When the batch is full it
// stops the loop; libevent keeps the remaining active events queued and runs
// them in the next Wait, so nothing is lost.
static inline void ptsev_push(ptsev_backend *b, ptsev_reg *r, uint32_t ready) {
	if (r->gen == b->gen) {
		b->batch[r->idx].ready |= ready;
		return;
	}
	r->gen = b->gen;
	r->idx = b->n;
	ptsev_event *e = &b->batch[b->n];
	e->token = r->token;
	e->ready = ready;
	if (++b->n == b->cap)
		event_base_loopbreak(b->base);
}

// ptsev_hangup asks the kernel whether fd has hung up or has an error
// pending: one poll(2) with an empty interest set, which reports only
// POLLHUP, POLLERR and POLLNVAL.
static inline int ptsev_hangup(ptsev_reg *r) {
	struct pollfd p;
	p.fd = r->fd;
	p.events = 0;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0 || (p.revents & (POLLHUP | POLLERR)) == 0)
		return 0;
	if ((p.revents & POLLHUP) && r->sock)
		r->hup = 1;
	return 1;
}

// libevent folds EPOLLHUP and EPOLLERR into EV_READ|EV_WRITE (dropping
// EV_CLOSED on EPOLLERR), so its events alone cannot tell a hangup from
// plain readiness. The callback asks the kernel (ptsev_hangup) only for
// events that can be one, which costs nothing per event on a healthy
// connection:
//   - EV_CLOSED: the peer shut down its side, or closed (then the socket
//     has also hung up). Once per such edge.
//   - EV_READ|EV_WRITE on a descriptor that is not a socket: a pipe end is
//     only ever readable or writable, so both at once is a hangup (read
//     end) or an error (write end); other kinds (FIFOs opened read-write,
//     terminals, eventfds) pay one poll(2) for such events.
// A socket's hangup is final: after the first one every event of the
// socket carries it, as epoll's level does, without asking again. (A FIFO's
// is not: a new writer ends it.)
// Not seen: a socket error (a TCP reset, a refused connect) and the hangup
// of a TCP socket not yet connected, which libevent hands over as a plain
// EV_READ|EV_WRITE without EV_CLOSED. Those are reported Readable|Writable;
// the read or write that follows returns the error. Seeing them would take
// a second, private epoll set holding every descriptor with an empty
// interest mask: two more epoll_ctl per registration, and a second
// wait-queue entry woken on every readiness change of every descriptor.
static void ptsev_io_cb(evutil_socket_t fd, short what, void *arg) {
	ptsev_reg *r = arg;
	uint32_t ready = 0;
	(void)fd;
	if (what & (EV_READ | EV_CLOSED))
		ready |= PTSEV_READABLE;
	if (what & EV_CLOSED)
		ready |= PTSEV_READHUP;
	if (what & EV_WRITE)
		ready |= PTSEV_WRITABLE;
	if (r->hup ||
	    (((what & EV_CLOSED) || (!r->sock && (what & (EV_READ | EV_WRITE)) == (EV_READ | EV_WRITE))) &&
	        ptsev_hangup(r)))
		ready |= PTSEV_READABLE | PTSEV_WRITABLE | PTSEV_HANGUP | PTSEV_READHUP;
	if (ready)
		ptsev_push(r->b, r, ready);
}

static void ptsev_wake_cb(evutil_socket_t fd, short what, void *arg) {
	uint64_t v;
	(void)what; (void)arg;
	while (read(fd, &v, sizeof v) > 0) {
	}
}

static void ptsev_timer_cb(evutil_socket_t fd, short what, void *arg) {
	ptsev_backend *b = arg;
	uint64_t v;
	(void)what;
	while (read(fd, &v, sizeof v) > 0) {
	}
	b->armed = 0;
}

static void ptsev_free(ptsev_backend *b) {
	int i;
	if (b == NULL)
		return;
	for (i = 0; i < b->nregs; i++) {
		if (b->regs[i] != NULL) {
			event_free(b->regs[i]->ev);
			free(b->regs[i]);
		}
	}
	free(b->regs);
	if (b->wake_ev) event_free(b->wake_ev);
	if (b->timer_ev) event_free(b->timer_ev);
	if (b->base) event_base_free(b->base);
	if (b->wakefd >= 0) close(b->wakefd);
	if (b->timerfd >= 0) close(b->timerfd);
	if (b->probefd >= 0) close(b->probefd);
	free(b->batch);
	free(b);
}

static ptsev_backend *ptsev_new(int *stage, int *err) {
	ptsev_backend *b = calloc(1, sizeof *b);
	struct event_config *cfg;
	const char *method;
	*stage = PTSEV_ERR_NOMEM;
	*err = ENOMEM;
	if (b == NULL)
		return NULL;
	b->wakefd = b->timerfd = b->probefd = -1;
	b->gen = 1;
	b->cap = 256;
	b->batch = malloc(b->cap * sizeof *b->batch);
	if (b->batch == NULL)
		goto fail;
	*err = 0;

	*stage = PTSEV_ERR_CONFIG;
	cfg = event_config_new();
	if (cfg == NULL)
		goto fail;
	// Edge-triggered, O(1) readiness: on Linux that is the epoll method.
	// Ignore EVENT_NO* environment variables, skip locking (only the loop
	// goroutine touches the base), and skip the clock read after each
	// dispatch that only libevent's own timers would use.
	if (event_config_require_features(cfg, EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE) < 0 ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV |
	        EVENT_BASE_FLAG_NO_CACHE_TIME) < 0) {
		event_config_free(cfg);
		goto fail;
	}
	*stage = PTSEV_ERR_BASE;
	b->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (b->base == NULL)
		goto fail;
	*stage = PTSEV_ERR_METHOD;
	method = event_base_get_method(b->base);
	if (method == NULL || strcmp(method, "epoll") != 0)
		goto fail;

	*stage = PTSEV_ERR_FD;
	b->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->wakefd < 0)
		goto failerrno;
	// libevent's own timers run on CLOCK_MONOTONIC_COARSE (4ms steps here)
	// unless EVENT_BASE_FLAG_PRECISE_TIMER, which costs a timerfd_settime on
	// every dispatch. A timerfd of our own is precise and is only re-armed
	// when the deadline changes.
	b->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->timerfd < 0)
		goto failerrno;

	*stage = PTSEV_ERR_EVENT;
	b->wake_ev = event_new(b->base, b->wakefd, EV_READ | EV_PERSIST, ptsev_wake_cb, b);
	b->timer_ev = event_new(b->base, b->timerfd, EV_READ | EV_PERSIST, ptsev_timer_cb, b);
	if (b->wake_ev == NULL || b->timer_ev == NULL ||
	    event_add(b->wake_ev, NULL) < 0 || event_add(b->timer_ev, NULL) < 0)
		goto fail;
	*stage = 0;
	*err = 0;
	return b;

failerrno:
	*err = errno;
fail:
	ptsev_free(b);
	return NULL;
}

// ptsev_drop frees fd's registration, if any.
static void ptsev_drop(ptsev_backend *b, int fd) {
	ptsev_reg *r;
	if (fd >= b->nregs || (r = b->regs[fd]) == NULL)
		return;
	b->regs[fd] = NULL;
	event_free(r->ev); // event_del first; libevent ignores ENOENT/EBADF/EPERM
	free(r);
}

// ptsev_pollable reports whether epoll accepts fd: 1, 0 (EPERM: the file
// has no poll support, like a regular file or /dev/null), or -errno. It
// tries fd on a private epoll set, so that libevent never sees (and logs)
// the failure.
static int ptsev_pollable(ptsev_backend *b, int fd) {
	struct epoll_event ee;
	if (b->probefd < 0 && (b->probefd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	memset(&ee, 0, sizeof ee);
	if (epoll_ctl(b->probefd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return errno == EPERM ? 0 : -errno;
	epoll_ctl(b->probefd, EPOLL_CTL_DEL, fd, &ee);
	return 1;
}

// ptsev_add registers fd edge-triggered for read, write and early close.
// It returns 0, PTSEV_NOTPOLLABLE, or -errno.
static int ptsev_add(ptsev_backend *b, int fd, uint64_t token) {
	struct stat st;
	ptsev_reg *r;
	if (fd >= b->nregs) {
		int n = b->nregs ? b->nregs : 64;
		ptsev_reg **regs;
		while (n <= fd)
			n *= 2;
		regs = realloc(b->regs, (size_t)n * sizeof *regs);
		if (regs == NULL)
			return -ENOMEM;
		memset(regs + b->nregs, 0, (size_t)(n - b->nregs) * sizeof *regs);
		b->regs = regs;
		b->nregs = n;
	}
	// The descriptor's kind decides the hangup checks (see ptsev_io_cb).
	// Sockets and pipes are always pollable; any other kind is tried on
	// the probe set first, so that the descriptors epoll refuses with
	// EPERM (regular files, directories, /dev/null; the epoll backend's
	// ErrNotPollable) are found before libevent sees them and logs a
	// warning. /proc and sysfs files are regular but may be pollable.
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		int ok = ptsev_pollable(b, fd);
		if (ok < 0)
			return ok;
		if (ok == 0) {
			ptsev_drop(b, fd);
			return PTSEV_NOTPOLLABLE;
		}
	}
	// A registration left for fd means its descriptor was closed without
	// Del and the number reused: the kernel forgot it, libevent did not.
	// Drop it, or libevent would think the new descriptor already added.
	ptsev_drop(b, fd);
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->b = b;
	r->token = token;
	r->fd = fd;
	r->sock = S_ISSOCK(st.st_mode);
	errno = 0;
	r->ev = event_new(b->base, fd, EV_READ | EV_WRITE | EV_PERSIST | EV_ET | EV_CLOSED, ptsev_io_cb, r);
	if (r->ev == NULL || event_add(r->ev, NULL) < 0) {
		int e = errno ? errno : EINVAL;
		if (r->ev)
			event_free(r->ev);
		free(r);
		return -e;
	}
	b->regs[fd] = r;
	return 0;
}

// ptsev_del removes fd's registration. It returns 0 or -errno.
static int ptsev_del(ptsev_backend *b, int fd) {
	if (fd < 0 || fd >= b->nregs || b->regs[fd] == NULL)
		return -ENOENT;
	ptsev_drop(b, fd);
	return 0;
}

// ptsev_wait runs one libevent loop iteration, blocking up to timeout_ns
// (< 0: no limit; 0: poll), and returns the number of events in the batch,
// or -errno.
static int ptsev_wait(ptsev_backend *b, int64_t timeout_ns) {
	int flags = EVLOOP_ONCE;
	if (b->n == b->cap) {
		// The last batch filled up: grow for the next ones.
		uint32_t cap = b->cap * 2;
		ptsev_event *nb = realloc(b->batch, cap * sizeof *nb);
		if (nb != NULL) {
			b->batch = nb;
			b->cap = cap;
		}
	}
	b->n = 0;
	b->gen++;
	if (timeout_ns == 0) {
		flags |= EVLOOP_NONBLOCK;
	} else if (timeout_ns > 0) {
		struct timespec now;
		int64_t want;
		if (timeout_ns > INT64_MAX / 4)
			timeout_ns = INT64_MAX / 4; // a century is "no limit" too; no overflow
		clock_gettime(CLOCK_MONOTONIC, &now);
		want = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + timeout_ns;
		// Round up to the millisecond, as the epoll backend's timeout is,
		// so successive waits for the same deadline reuse the armed timer.
		want = (want + 999999) / 1000000 * 1000000;
		if (b->armed != want) {
			struct itimerspec its;
			memset(&its, 0, sizeof its);
			its.it_value.tv_sec = want / 1000000000;
			its.it_value.tv_nsec = want % 1000000000;
			if (timerfd_settime(b->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
				return -errno;
			b->armed = want;
		}
	}
	// A timer armed by an earlier Wait and not needed now stays armed: it
	// can only cause one early return, which the loop tolerates.
	if (event_base_loop(b->base, flags) < 0)
		return errno ? -errno : -EIO;
	return (int)b->n;
}

// Entry points for Go taking the backend as an integer handle: cgo checks
// pointer arguments on every call (cgocheck), a uintptr_t it does not.
static int ptsev_add_h(uintptr_t h, int fd, uint64_t token) { return ptsev_add((ptsev_backend *)h, fd, token); }
static int ptsev_del_h(uintptr_t h, int fd) { return ptsev_del((ptsev_backend *)h, fd); }
static int ptsev_wait_h(uintptr_t h, int64_t timeout_ns) { return ptsev_wait((ptsev_backend *)h, timeout_ns); }
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() { RegisterBackend("libevent", 20, newLibevent) }

// The C side writes evloop.Readiness bits directly; these fail to compile
// if the two ever disagree.
var (
	_ [Readable - C.PTSEV_READABLE]struct{}
	_ [C.PTSEV_READABLE - Readable]struct{}
	_ [Writable - C.PTSEV_WRITABLE]struct{}
	_ [C.PTSEV_WRITABLE - Writable]struct{}
	_ [Hangup - C.PTSEV_HANGUP]struct{}
	_ [C.PTSEV_HANGUP - Hangup]struct{}
	_ [ReadHangup - C.PTSEV_READHUP]struct{}
	_ [C.PTSEV_READHUP - ReadHangup]struct{}
)

// libeventBackend runs libevent's epoll method through cgo. Readiness is
// edge-triggered per descriptor, as in the epoll backend. There are no
// C-to-Go callbacks: libevent's callbacks (in C) append {token, readiness}
// to a C array, and Wait copies that batch after its one cgo call.
type libeventBackend struct {
	c      *C.ptsev_backend
	h      C.uintptr_t // c, for calls
	wakefd int
}

func newLibevent() (Backend, error) {
	var stage, cerr C.int
	c := C.ptsev_new(&stage, &cerr)
	if c == nil {
		var what string
		switch stage {
		case C.PTSEV_ERR_CONFIG:
			what = "event_config"
		case C.PTSEV_ERR_BASE:
			what = "event_base_new_with_config (edge-triggered O(1) method required)"
		case C.PTSEV_ERR_METHOD:
			what = "event_base_new_with_config: method is not epoll"
		case C.PTSEV_ERR_FD:
			what = "eventfd/timerfd"
		case C.PTSEV_ERR_EVENT:
			what = "event_new/event_add"
		default:
			what = "malloc"
		}
		if cerr != 0 {
			return nil, fmt.Errorf("libevent: %s: %w", what, syscall.Errno(cerr))
		}
		return nil, fmt.Errorf("libevent: %s failed", what)
	}
	return &libeventBackend{c: c, h: C.uintptr_t(uintptr(unsafe.Pointer(c))), wakefd: int(c.wakefd)}, nil
}

func (b *libeventBackend) Name() string { return "libevent" }

func (b *libeventBackend) Add(fd int, token uint64) error {
	if fd < 0 {
		return fmt.Errorf("libevent add fd %d: %w", fd, unix.EBADF)
	}
	r := C.ptsev_add_h(b.h, C.int(fd), C.uint64_t(token))
	switch {
	case r == C.PTSEV_NOTPOLLABLE:
		return ErrNotPollable
	case r < 0:
		return fmt.Errorf("libevent add fd %d: %w", fd, syscall.Errno(-r))
	}
	return nil
}

func (b *libeventBackend) Del(fd int) error {
	if r := C.ptsev_del_h(b.h, C.int(fd)); r < 0 {
		return fmt.Errorf("libevent del fd %d: %w", fd, syscall.Errno(-r))
	}
	return nil
}

func (b *libeventBackend) Wait(timeout time.Duration, events []Event) ([]Event, error) {
	if timeout < 0 {
		timeout = -1
	}
	n := C.ptsev_wait_h(b.h, C.int64_t(timeout))
	if n < 0 {
		if err := syscall.Errno(-n); err != unix.EINTR {
			return events, fmt.Errorf("event_base_loop: %w", err)
		}
		return events, nil
	}
	if n > 0 {
		batch := unsafe.Slice(b.c.batch, int(n))
		for i := range batch {
			events = append(events, Event{Token: uint64(batch[i].token), Ready: Readiness(batch[i].ready)})
		}
	}
	return events, nil
}

func (b *libeventBackend) Wake() error {
	var one = [8]byte{1}
	_, err := unix.Write(b.wakefd, one[:])
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		return fmt.Errorf("eventfd write: %w", err)
	}
	return nil
}

func (b *libeventBackend) Close() error {
	if b.c == nil {
		return nil
	}
	C.ptsev_free(b.c)
	b.c, b.h = nil, 0
	return nil
}

// eventBase returns the backend's struct event_base, for evloop/evdns (see
// LibeventBase); nil once the backend is closed.
func (b *libeventBackend) eventBase() unsafe.Pointer {
	if b.c == nil {
		return nil
	}
	return unsafe.Pointer(b.c.base)
}
