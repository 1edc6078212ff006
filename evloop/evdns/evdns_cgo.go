//go:build cgo && linux

package evdns

/*
#cgo pkg-config: libevent_core libevent_extra

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <event2/dns.h>

#define PTSDNS_MAXADDRS 32

// States of a question's record.
#define PTSDNS_INFLIGHT  0 // evdns owns the callback; Go waits
#define PTSDNS_DONE      1 // the callback queued it; Go frees it
#define PTSDNS_ABANDONED 2 // Go gave up; the callback frees it

#define PTSDNS_KIND_A    1
#define PTSDNS_KIND_AAAA 2
#define PTSDNS_KIND_PTR  3

struct ptsdns_hub;

// One question: what the callback reports, copied out of evdns's buffers.
typedef struct ptsdns_q {
	struct ptsdns_q *next;          // completion queue
	struct ptsdns_q *lprev, *lnext; // every live record, for the final free
	struct ptsdns_hub *hub;
	struct evdns_request *req;      // while in flight
	uint64_t id;
	int64_t started, finished;      // CLOCK_MONOTONIC, ns
	int state, result, type, count;
	unsigned char addrs[PTSDNS_MAXADDRS * 16];
	char name[256];
} ptsdns_q;

// The completion queue of a Client and the eventfd that announces it.
typedef struct ptsdns_hub {
	int efd;
	ptsdns_q *head, *tail;
	ptsdns_q live; // sentinel of the live list
} ptsdns_hub;

static int64_t ptsdns_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void ptsdns_quiet(int warn, const char *msg) { (void)warn; (void)msg; }

static ptsdns_hub *ptsdns_hub_new(int efd) {
	ptsdns_hub *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->efd = efd;
	h->live.lprev = h->live.lnext = &h->live;
	// evdns would log nameserver state changes to stderr; errors reach Go
	// as result codes instead.
	evdns_set_log_fn(ptsdns_quiet);
	return h;
}

static ptsdns_q *ptsdns_q_new(ptsdns_hub *h, uint64_t id) {
	ptsdns_q *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->hub = h;
	q->id = id;
	q->lnext = &h->live;
	q->lprev = h->live.lprev;
	h->live.lprev->lnext = q;
	h->live.lprev = q;
	return q;
}

static void ptsdns_q_free(ptsdns_q *q) {
	q->lprev->lnext = q->lnext;
	q->lnext->lprev = q->lprev;
	free(q);
}

// ptsdns_cb is evdns's callback for every question. It runs inside
// event_base_loop (the backend's Wait) on the loop's thread.
static void ptsdns_cb(int result, char type, int count, int ttl, void *addresses, void *arg) {
	ptsdns_q *q = arg;
	ptsdns_hub *h = q->hub;
	uint64_t one = 1;
	(void)ttl;
	q->req = NULL; // evdns frees the request after this callback
	if (q->state == PTSDNS_ABANDONED) {
		ptsdns_q_free(q);
		return;
	}
	q->finished = ptsdns_now();
	q->state = PTSDNS_DONE;
	q->result = result;
	q->type = type;
	if (result == DNS_ERR_NONE && addresses != NULL && count > 0) {
		switch (type) {
		case DNS_IPv4_A:
			if (count > PTSDNS_MAXADDRS)
				count = PTSDNS_MAXADDRS;
			memcpy(q->addrs, addresses, (size_t)count * 4);
			q->count = count;
			break;
		case DNS_IPv6_AAAA:
			if (count > PTSDNS_MAXADDRS)
				count = PTSDNS_MAXADDRS;
			memcpy(q->addrs, addresses, (size_t)count * 16);
			q->count = count;
			break;
		case DNS_PTR: {
			// evdns passes a pointer to the name pointer.
			const char *name = *(char **)addresses;
			if (name != NULL) {
				strncpy(q->name, name, sizeof q->name - 1);
				q->count = 1;
			}
			break;
		}
		}
	}
	q->next = NULL;
	if (h->tail != NULL)
		h->tail->next = q;
	else
		h->head = q;
	h->tail = q;
	// The eventfd cannot overflow here; a failed write would only delay
	// the drain to the next one.
	if (write(h->efd, &one, sizeof one) < 0) {
	}
}

// ptsdns_pop takes the oldest finished question off the queue.
static ptsdns_q *ptsdns_pop(ptsdns_hub *h) {
	ptsdns_q *q = h->head;
	if (q == NULL)
		return NULL;
	h->head = q->next;
	if (h->head == NULL)
		h->tail = NULL;
	q->next = NULL;
	return q;
}

// ptsdns_base_new makes an evdns_base on eb that asks server ("ip:port")
// only, each question transmitted once with the given timeout (seconds, as
// a decimal string). It returns NULL on failure, with *stage saying where.
static struct evdns_base *ptsdns_base_new(struct event_base *eb, const char *server, const char *timeout, int *stage) {
	struct evdns_base *b;
	*stage = 1;
	b = evdns_base_new(eb, 0);
	if (b == NULL)
		return NULL;
	*stage = 2;
	if (evdns_base_nameserver_ip_add(b, server) != 0)
		goto fail;
	*stage = 3;
	if (evdns_base_set_option(b, "timeout:", timeout) != 0 ||
	    evdns_base_set_option(b, "attempts:", "1") != 0)
		goto fail;
	*stage = 0;
	return b;
fail:
	evdns_base_free(b, 0);
	return NULL;
}

// ptsdns_start sends q's question. It returns 0 when the callback will
// report (or already queued) the outcome, -1 when evdns refused the
// question (no callback will come).
static int ptsdns_start(struct evdns_base *b, ptsdns_q *q, int kind, const char *name, const unsigned char *addr) {
	struct evdns_request *req = NULL;
	q->started = ptsdns_now();
	switch (kind) {
	case PTSDNS_KIND_A:
		req = evdns_base_resolve_ipv4(b, name, DNS_QUERY_NO_SEARCH, ptsdns_cb, q);
		break;
	case PTSDNS_KIND_AAAA:
		req = evdns_base_resolve_ipv6(b, name, DNS_QUERY_NO_SEARCH, ptsdns_cb, q);
		break;
	case PTSDNS_KIND_PTR:
		if (name[0] == '4') {
			struct in_addr in;
			memcpy(&in, addr, 4);
			req = evdns_base_resolve_reverse(b, &in, DNS_QUERY_NO_SEARCH, ptsdns_cb, q);
		} else {
			struct in6_addr in6;
			memcpy(&in6, addr, 16);
			req = evdns_base_resolve_reverse_ipv6(b, &in6, DNS_QUERY_NO_SEARCH, ptsdns_cb, q);
		}
		break;
	}
	if (q->state != PTSDNS_INFLIGHT)
		return 0; // answered during the call: already queued
	if (req == NULL)
		return -1;
	q->req = req;
	return 0;
}

// ptsdns_abandon gives q up: freed now if its outcome is queued, else
// freed by its callback, which evdns_cancel_request makes come soon.
static void ptsdns_abandon(struct evdns_base *b, ptsdns_q *q) {
	ptsdns_hub *h = q->hub;
	struct evdns_request *req;
	if (q->state == PTSDNS_DONE) {
		ptsdns_q **pp = &h->head, *prev = NULL;
		while (*pp != NULL && *pp != q) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp == q) {
			*pp = q->next;
			if (h->tail == q)
				h->tail = prev;
		}
		ptsdns_q_free(q);
		return;
	}
	q->state = PTSDNS_ABANDONED;
	req = q->req;
	q->req = NULL;
	if (req != NULL)
		evdns_cancel_request(b, req); // the callback comes later and frees q
}

// ptsdns_hub_free frees every record still alive. Call it only after the
// evdns_bases are freed and when no event loop iteration will run again.
static void ptsdns_hub_free(ptsdns_hub *h) {
	while (h->live.lnext != &h->live)
		ptsdns_q_free(h->live.lnext);
	free(h);
}

*/
import "C"

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// shutdownHook is how far in the future the Client's shutdown timer is
// armed: it never fires in practice, except when the loop closes, which
// fires every pending timer once before freeing its backend.
const shutdownHook = 100 * 365 * 24 * time.Hour

// earlyTimeout is the margin by which a DNS_ERR_TIMEOUT must precede the
// timeout to count as evdns's rewritten SERVFAIL (libevent's timers run on
// a coarse clock and may fire a few milliseconds early).
func earlyTimeout(timeout time.Duration) time.Duration {
	return max(timeout/10, 20*time.Millisecond)
}

// Supported reports whether New works for l: l runs on the libevent
// backend. It may be called from any goroutine.
func Supported(l *evloop.Loop) bool { return l.Backend().Name() == "libevent" }

// Client asks questions through evdns on one loop. It keeps no lock: use
// it on its loop's goroutine (New may be called anywhere; the evdns state
// is made by the first Start).
type Client struct {
	loop    *evloop.Loop
	servers []netip.AddrPort
	timeout time.Duration

	hub     *C.ptsdns_hub          // nil until the first Start
	bases   []*C.struct_evdns_base // per server
	efd     int
	pd      *evloop.PollDesc // the eventfd's registration, while questions are pending
	pending map[uint64]*Query
	nextID  uint64
	hook    *evloop.Timer
	closed  bool // the loop closed: everything C is freed
}

// Query is a question in flight.
type Query struct {
	c      *Client
	q      *C.ptsdns_q // nil once done or given up
	base   *C.struct_evdns_base
	id     uint64
	pd     *evloop.PollDesc // virtual: ready when the outcome arrived
	task   *evloop.Task     // the task in Wait, to wake at shutdown
	done   bool
	res    Result
	closed bool
}

// New makes a client of loop l asking servers (one evdns_base each), each
// question bounded by timeout. It fails with ErrUnsupported unless l runs
// on the libevent backend.
func New(l *evloop.Loop, servers []netip.AddrPort, timeout time.Duration) (*Client, error) {
	if !Supported(l) {
		return nil, ErrUnsupported
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("evdns: no nameserver")
	}
	if timeout < time.Millisecond {
		timeout = time.Millisecond
	}
	return &Client{loop: l, servers: append([]netip.AddrPort(nil), servers...), timeout: timeout,
		efd: -1, pending: map[uint64]*Query{}}, nil
}

// init makes the hub, the eventfd and the evdns_bases, on the loop
// goroutine.
func (c *Client) init() error {
	if c.hub != nil {
		return nil
	}
	eb := evloop.LibeventBase(c.loop)
	if eb == nil {
		return ErrUnsupported
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("evdns: eventfd: %w", err)
	}
	hub := C.ptsdns_hub_new(C.int(efd))
	if hub == nil {
		unix.Close(efd)
		return fmt.Errorf("evdns: out of memory")
	}
	secs := C.CString(strconv.FormatFloat(c.timeout.Seconds(), 'f', 3, 64))
	defer C.free(unsafe.Pointer(secs))
	var bases []*C.struct_evdns_base
	for _, s := range c.servers {
		addr := C.CString(s.String())
		var stage C.int
		b := C.ptsdns_base_new((*C.struct_event_base)(eb), addr, secs, &stage)
		C.free(unsafe.Pointer(addr))
		if b == nil {
			for _, b := range bases {
				C.evdns_base_free(b, 0)
			}
			C.ptsdns_hub_free(hub)
			unix.Close(efd)
			what := [...]string{"", "evdns_base_new", "evdns_base_nameserver_ip_add", "evdns_base_set_option"}[stage]
			return fmt.Errorf("evdns: nameserver %s: %s failed", s, what)
		}
		bases = append(bases, b)
	}
	c.hub, c.bases, c.efd = hub, bases, efd
	c.hook = c.loop.AfterFunc(shutdownHook, c.shutdown)
	return nil
}

// Start sends a question to server (an index into New's servers): name's
// A or AAAA records, or the PTR record of addr. Call it on the loop
// goroutine; Wait for the outcome, or Cancel.
func (c *Client) Start(server int, kind Kind, name string, addr netip.Addr) (*Query, error) {
	if c.closed || c.loop.Closed() {
		return nil, evloop.ErrLoopClosed
	}
	if server < 0 || server >= len(c.servers) {
		return nil, fmt.Errorf("evdns: no nameserver %d", server)
	}
	if err := c.init(); err != nil {
		return nil, err
	}
	if c.pd == nil {
		pd, err := c.loop.Register(c.efd)
		if err != nil {
			return nil, fmt.Errorf("evdns: register eventfd: %w", err)
		}
		c.pd = pd
		c.loop.Go(func(t *evloop.Task) { c.drainer(t, pd) })
	}
	c.nextID++
	id := c.nextID
	q := C.ptsdns_q_new(c.hub, C.uint64_t(id))
	if q == nil {
		c.idle()
		return nil, fmt.Errorf("evdns: out of memory")
	}
	var ab [16]byte
	var ckind C.int
	switch kind {
	case A:
		ckind = C.PTSDNS_KIND_A
	case AAAA:
		ckind = C.PTSDNS_KIND_AAAA
	case PTR:
		ckind = C.PTSDNS_KIND_PTR
		a := addr.Unmap()
		switch {
		case a.Is4():
			b4 := a.As4()
			copy(ab[:], b4[:])
			name = "4"
		case a.Is6():
			ab = a.As16()
			name = "6"
		default:
			C.ptsdns_q_free(q)
			c.idle()
			return nil, fmt.Errorf("evdns: reverse lookup of invalid address")
		}
	default:
		C.ptsdns_q_free(q)
		c.idle()
		return nil, fmt.Errorf("evdns: unknown question kind %d", kind)
	}
	cname := C.CString(name)
	r := C.ptsdns_start(c.bases[server], q, ckind, cname, (*C.uchar)(unsafe.Pointer(&ab[0])))
	C.free(unsafe.Pointer(cname))
	if r < 0 {
		C.ptsdns_q_free(q)
		c.idle()
		return nil, fmt.Errorf("evdns: cannot ask %q", name)
	}
	qq := &Query{c: c, q: q, base: c.bases[server], id: id, pd: c.loop.NewVirtual()}
	c.pending[id] = qq
	return qq, nil
}

// drainer runs while questions are pending: it parks on the eventfd and
// hands each finished question to its Query.
func (c *Client) drainer(t *evloop.Task, pd *evloop.PollDesc) {
	for {
		if c.closed || c.pd != pd {
			return
		}
		c.drain()
		if len(c.pending) == 0 {
			c.idle()
			return
		}
		if err := t.WaitFD(pd, evloop.Readable, time.Time{}); err != nil {
			return
		}
	}
}

// drain empties the completion queue.
func (c *Client) drain() {
	var b [8]byte
	_, _ = unix.Read(c.efd, b[:])
	for {
		cq := C.ptsdns_pop(c.hub)
		if cq == nil {
			return
		}
		qq := c.pending[uint64(cq.id)]
		if qq != nil {
			delete(c.pending, qq.id)
			qq.res = c.result(cq)
			qq.done = true
			qq.q = nil
			qq.pd.SetReady(evloop.Readable)
		}
		C.ptsdns_q_free(cq)
	}
}

// idle unregisters the eventfd once no question is pending, so an idle
// client holds no descriptor of the loop (its drainer, if parked, wakes
// with ErrClosed and ends).
func (c *Client) idle() {
	if len(c.pending) == 0 && c.pd != nil {
		c.pd.Close()
		c.pd = nil
	}
}

// result copies a finished question's outcome into Go memory.
func (c *Client) result(q *C.ptsdns_q) Result {
	r := Result{Code: Code(q.result)}
	if r.Code == Timeout && time.Duration(q.finished-q.started) < c.timeout-earlyTimeout(c.timeout) {
		// libevent 2.1 handles SERVFAIL by running the request's timeout
		// at once; a real timeout cannot come this early.
		r.Code = ServerFailed
	}
	if r.Code != OK {
		return r
	}
	n := int(q.count)
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&q.addrs[0])), len(q.addrs))
	switch q._type {
	case C.DNS_IPv4_A:
		for i := range n {
			r.Addrs = append(r.Addrs, netip.AddrFrom4([4]byte(raw[i*4:])))
		}
	case C.DNS_IPv6_AAAA:
		for i := range n {
			r.Addrs = append(r.Addrs, netip.AddrFrom16([16]byte(raw[i*16:])))
		}
	case C.DNS_PTR:
		if n > 0 {
			r.Name = C.GoString(&q.name[0])
		}
	}
	return r
}

// Wait parks t until the question's outcome arrives and returns it. When
// the wait is cut short (Task.Interrupt, loop closing) the question is
// canceled and the wait's error returned.
func (q *Query) Wait(t *evloop.Task) (Result, error) {
	for !q.done {
		if q.c.closed {
			q.Cancel()
			return Result{}, evloop.ErrLoopClosed
		}
		q.task = t
		err := t.WaitFD(q.pd, evloop.Readable, time.Time{})
		q.task = nil
		if err != nil {
			q.Cancel()
			return Result{}, err
		}
	}
	return q.res, nil
}

// Cancel gives the question up; its outcome, if it comes, is dropped.
// Canceling a finished question does nothing.
func (q *Query) Cancel() {
	if q.done || q.closed {
		return
	}
	q.closed = true
	c := q.c
	if c.closed || q.q == nil {
		q.q = nil
		return
	}
	delete(c.pending, q.id)
	C.ptsdns_abandon(q.base, q.q)
	q.q = nil
	c.idle()
}

// shutdown runs when the loop closes, before its backend frees the
// event_base: it frees the evdns_bases (no callback runs: fail_requests
// is 0), every record still alive and the eventfd, and wakes the tasks
// still waiting with evloop.ErrLoopClosed.
func (c *Client) shutdown() {
	if c.closed || c.hub == nil {
		return
	}
	c.closed = true
	for _, b := range c.bases {
		C.evdns_base_free(b, 0)
	}
	C.ptsdns_hub_free(c.hub)
	c.hub, c.bases = nil, nil
	for id, q := range c.pending {
		delete(c.pending, id)
		q.q = nil
		if q.task != nil {
			q.task.Interrupt(evloop.ErrLoopClosed)
		}
	}
	if c.pd != nil {
		c.pd.Close()
		c.pd = nil
	}
	unix.Close(c.efd)
	c.efd = -1
}
