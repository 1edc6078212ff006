//go:build cgo && linux

package cbench

/*
#cgo pkg-config: libevent_core

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <event2/event.h>

// Each read offers a buffer of CBENCH_BUF bytes (and gets the one byte in
// flight), as evloop's benchmark does; keep the two equal.
#define CBENCH_BUF 64

typedef struct {
	struct event_base *base;
	int fd[2];
	long rounds, done;
	int err;
} cbench_pp;

static int64_t cbench_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cbench_fail(cbench_pp *p, int err) {
	if (p->err == 0)
		p->err = err ? err : EIO;
	event_base_loopbreak(p->base);
}

// Side 0 sent the ball: its echo back completes one round trip.
static void cbench_a(evutil_socket_t fd, short what, void *arg) {
	cbench_pp *p = arg;
	char buf[CBENCH_BUF];
	(void)what;
	if (read(fd, buf, sizeof buf) != 1) {
		cbench_fail(p, errno);
		return;
	}
	if (++p->done >= p->rounds) {
		event_base_loopbreak(p->base);
		return;
	}
	if (write(fd, buf, 1) != 1)
		cbench_fail(p, errno);
}

// Side 1 echoes.
static void cbench_b(evutil_socket_t fd, short what, void *arg) {
	cbench_pp *p = arg;
	char buf[CBENCH_BUF];
	(void)what;
	if (read(fd, buf, sizeof buf) != 1) {
		cbench_fail(p, errno);
		return;
	}
	if (write(fd, buf, 1) != 1)
		cbench_fail(p, errno);
}

// cbench_pingpong runs rounds round trips of one byte over a socketpair,
// both ends on one event_base (epoll method), and returns the time taken
// in nanoseconds, or -errno.
static int64_t cbench_pingpong(long rounds) {
	cbench_pp p = {0};
	struct event_config *cfg;
	struct event *ea = NULL, *eb = NULL;
	int64_t start, elapsed = -EIO;

	if (rounds <= 0)
		return 0;
	p.rounds = rounds;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p.fd) < 0)
		return -errno;
	cfg = event_config_new();
	if (cfg == NULL)
		goto out;
	event_config_require_features(cfg, EV_FEATURE_ET | EV_FEATURE_O1);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV);
	p.base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (p.base == NULL)
		goto out;
	ea = event_new(p.base, p.fd[0], EV_READ | EV_PERSIST, cbench_a, &p);
	eb = event_new(p.base, p.fd[1], EV_READ | EV_PERSIST, cbench_b, &p);
	if (ea == NULL || eb == NULL || event_add(ea, NULL) < 0 || event_add(eb, NULL) < 0)
		goto out;

	start = cbench_now();
	if (write(p.fd[0], "x", 1) != 1) {
		elapsed = -errno;
		goto out;
	}
	if (event_base_dispatch(p.base) < 0)
		p.err = p.err ? p.err : EIO;
	elapsed = cbench_now() - start;
	if (p.err)
		elapsed = -p.err;
	else if (p.done != p.rounds)
		elapsed = -EIO;
out:
	if (ea) event_free(ea);
	if (eb) event_free(eb);
	if (p.base) event_base_free(p.base);
	close(p.fd[0]);
	close(p.fd[1]);
	return elapsed;
}
*/
import "C"

import (
	"fmt"
	"syscall"
	"time"
)

// PingPong bounces one byte between the two ends of a non-blocking unix
// socketpair rounds times, with two persistent (level-triggered) libevent
// read events on one event_base whose C callbacks read into a BufSize-byte
// buffer (getting the one byte) and write the byte back. Per event that is
// one epoll_wait returning one event, one read and one write. It runs
// entirely in C, in one cgo call, and returns the time the exchange took
// (setup excluded).
func PingPong(rounds int) (time.Duration, error) {
	if rounds <= 0 {
		return 0, nil
	}
	r := C.cbench_pingpong(C.long(rounds))
	if r < 0 {
		return 0, fmt.Errorf("cbench: ping-pong: %w", syscall.Errno(-r))
	}
	return time.Duration(r), nil
}

// BufSize is the read buffer size of PingPong's callbacks.
const BufSize = C.CBENCH_BUF
