package wsgihost

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

// Buffer sizes of a connection.
const (
	readBufSize = 4 << 10  // initial read buffer; grows to the head limit
	headroom    = 512      // room before the body for the response head
	flushAt     = 32 << 10 // output flushed once this much is pending
	maxChunk    = 32 << 10 // largest chunk a write is framed as
	drainMax    = 256 << 10
	lingerTime  = 500 * time.Millisecond
)

// conn is one client connection, served by one task on its worker's loop.
// The task reads and parses heads, answers framing errors, calls the guest
// for each request and writes the responses in order.
type conn struct {
	w   *worker
	s   *Server
	t   *evloop.Task
	fd  int
	pd  *evloop.PollDesc
	tls *tls.Conn

	remote, local sockAddr

	rbuf       []byte // read buffer; rbuf[rpos:rend] is unconsumed input
	rpos, rend int

	out    []byte // output; out[outOff:] is not written yet
	outOff int
	head   []byte // scratch for the response head

	req  http1.Request
	r    request
	breq *timedStream // r as a blocking-style guest's stream (made on first use)
	// reqDesc is r's descriptor in the guest's table during a blocking-style
	// call, reused from call to call (FDTable.AddStreamInto).
	reqDesc host.Desc

	idle   bool // waiting for the first byte of a next request
	killed bool // Close: stop at once

	// A plain connection waiting for its next request has no task: it
	// waits with PollDesc.Notify and takes one of the loop's idle
	// coroutines when bytes come (detach, readable). So a busy worker
	// serves from a few hot coroutine stacks instead of one cold stack per
	// connection, and an idle connection costs no stack. idleAt is when it
	// is closed for idleness; idleTimer fires at timerAt or earlier and is
	// re-armed lazily (a busy connection leaves it running).
	detached   bool
	idleAt     time.Time
	timerAt    time.Time
	idleTimer  *evloop.Timer
	onReadable func(error)        // c.readable, bound once
	resumeJob  func(*evloop.Task) // c.resume, bound once
	werr       error

	// Deadlines of the blocking reads and writes of a TLS connection.
	rdDeadline, wrDeadline time.Time

	// nonblock is set while a scheduler-style guest serves the request:
	// the guest's task, not the connection's, calls read and write, so TLS
	// I/O must not park. tlsPending is then the ciphertext the socket did
	// not take yet (a TLS record cannot be written in part).
	nonblock   bool
	tlsPending []byte
}

func newConn(w *worker) *conn {
	c := &conn{w: w, s: w.srv}
	c.r.c = c
	c.onReadable = c.readable
	c.resumeJob = c.resume
	c.outOff = headroom
	return c
}

// Spare buffers a worker keeps for its connections (see takeBufs).
const spareBufs = 64

// takeBufs gives the connection its read and output buffers for a run of
// requests: the ones its worker got back last when it has some, so that a
// busy worker cycles through a few buffers that stay in cache, instead of
// one read and one output buffer per connection.
func (c *conn) takeBufs() {
	w := c.w
	if c.rbuf == nil {
		if b, ok := popFree(&w.rbufs); ok {
			c.rbuf = b
		} else {
			c.rbuf = make([]byte, readBufSize)
		}
	}
	if c.out == nil {
		if b, ok := popFree(&w.outs); ok {
			c.out = b[:headroom]
		} else {
			c.out = make([]byte, headroom, headroom+4<<10)
		}
		c.outOff = headroom
	}
}

// giveBufs hands the buffers back to the worker: when the connection
// detaches (no input buffered, all output written) or closes. Buffers that
// grew large are dropped.
func (c *conn) giveBufs() {
	w := c.w
	if c.rbuf != nil {
		if cap(c.rbuf) <= readBufSize*4 && len(w.rbufs) < spareBufs {
			w.rbufs = append(w.rbufs, c.rbuf)
		}
		c.rbuf, c.rpos, c.rend = nil, 0, 0
	}
	if c.out != nil {
		if cap(c.out) <= headroom+flushAt*2 && len(w.outs) < spareBufs {
			w.outs = append(w.outs, c.out[:0])
		}
		c.out, c.outOff = nil, headroom
	}
}

// reset prepares a closed connection for reuse.
func (c *conn) reset() {
	c.t, c.tls, c.pd, c.fd = nil, nil, nil, -1
	c.giveBufs()
	c.r.bodyStart = headroom
	c.idle, c.killed, c.werr, c.detached = false, false, nil, false
	c.idleAt = time.Time{}
	c.nonblock, c.tlsPending = false, c.tlsPending[:0]
	c.rdDeadline, c.wrDeadline = time.Time{}, time.Time{}
}

// resetOut empties the output buffer once everything in it went out.
func (c *conn) resetOut() {
	c.out = c.out[:headroom]
	c.outOff = headroom
	if !c.r.committed {
		c.r.bodyStart = headroom
	}
}

func (c *conn) pending() int { return len(c.out) - c.outOff }

// deadlineAfter is the deadline d from now (the zero Time, no deadline, when
// d <= 0). It reads the loop's turn clock, not the system clock: the
// gateway's limits are seconds long, and a deadline that comes up to one
// turn early costs nothing, while a clock read per wait is measurable.
func (c *conn) deadlineAfter(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return c.w.loop.CoarseNow().Add(d)
}

// serve is the connection's first task.
func (c *conn) serve(t *evloop.Task) {
	c.t = t
	c.takeBufs()
	if c.s.tlsConfig != nil {
		c.tls = tls.Server(loopConn{c}, c.s.tlsConfig)
		c.rdDeadline = c.deadlineAfter(c.s.headerTO)
		c.wrDeadline = c.rdDeadline
		if err := c.tls.Handshake(); err != nil {
			c.s.log.Debug("wsgihost: TLS handshake", "remote", c.remote.ip, "err", err)
			c.close()
			return
		}
	}
	c.run(true)
}

// resume is the task of a detached connection whose next request began.
func (c *conn) resume(t *evloop.Task) {
	c.t = t
	c.takeBufs()
	c.run(false)
}

// run serves requests until the connection closes or detaches.
func (c *conn) run(first bool) {
	for !c.killed {
		switch c.readHead(first) {
		case headDetached:
			return
		case headClose:
			c.close()
			return
		}
		first = false
		if !c.handle() {
			break
		}
	}
	c.close()
}

// detach gives the connection's task back to the loop while it waits for
// a next request, which must begin by dl (the zero Time: no limit).
func (c *conn) detach(dl time.Time) {
	c.t = nil
	c.detached = true
	c.giveBufs()
	c.idleAt = dl
	if !dl.IsZero() && (c.idleTimer == nil || !c.idleTimer.Pending() || dl.Before(c.timerAt)) {
		c.armIdleTimer(dl)
	}
	c.pd.Notify(evloop.Readable, c.onReadable)
}

func (c *conn) armIdleTimer(at time.Time) {
	d := at.Sub(c.w.loop.CoarseNow())
	if c.idleTimer == nil {
		c.idleTimer = c.w.loop.AfterFunc(d, c.idleExpired)
	} else {
		c.idleTimer.Reset(d)
	}
	c.timerAt = at
}

// readable is a detached connection's Notify callback: its next request
// began (err nil), or its descriptor was closed or its loop is stopping.
func (c *conn) readable(err error) {
	if !c.detached {
		return
	}
	if err != nil {
		c.close()
		return
	}
	// Busy from here: the timers and posted functions that run before
	// the job (the idle timer, a shutdown's closeIdle) must leave the
	// connection to it, which sees a shutdown or Close itself.
	c.detached = false
	c.w.loop.Go(c.resumeJob)
}

// idleExpired runs when the idle timer fires: a connection detached past
// its idle deadline is closed; one that is busy, or detached again since
// with a later deadline, is left alone (re-armed for that deadline).
func (c *conn) idleExpired() {
	if !c.detached || c.idleAt.IsZero() {
		return
	}
	if now := c.w.loop.CoarseNow(); now.Before(c.idleAt) {
		c.armIdleTimer(c.idleAt)
		return
	}
	c.close()
}

// close ends the connection: a lingering close when the client may still
// be sending (so that it reads the response before a reset), else a plain
// one.
func (c *conn) close() {
	if c.pd == nil {
		return
	}
	c.pd.CancelNotify()
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	c.pd.Close()
	unix.Close(c.fd)
	c.w.release(c)
}

// lingerClose half-closes the connection and discards what the client
// still sends for a short while, so that the client reads the response
// instead of a connection reset.
func (c *conn) lingerClose() {
	if c.killed {
		return
	}
	if c.tls != nil {
		c.wrDeadline = c.deadlineAfter(lingerTime)
		_ = c.tls.CloseWrite()
	}
	if unix.Shutdown(c.fd, unix.SHUT_WR) != nil {
		return
	}
	dl := time.Now().Add(lingerTime)
	buf := c.w.scratch
	for total := 0; total < drainMax; {
		n, err := unix.Read(c.fd, buf)
		switch {
		case n > 0:
			total += n
		case err == unix.EAGAIN:
			if c.t.WaitFD(c.pd, evloop.Readable, dl) != nil {
				return
			}
		default:
			return
		}
	}
}

// read reads what the connection has, without blocking on a plain socket
// (unix.EAGAIN), or parking until rdDeadline on a TLS one. (0, nil) is the
// end of the input.
func (c *conn) read(p []byte) (int, error) {
	if c.tls != nil {
		n, err := c.tls.Read(p)
		if err == io.EOF {
			err = nil
		}
		if n > 0 {
			err = nil
			if c.nonblock {
				// The TLS layer may hold more plaintext than the
				// socket shows: stay readable until a read says
				// EAGAIN.
				c.pd.SetReady(evloop.Readable)
			}
		}
		if err == errWouldBlock {
			err = unix.EAGAIN
		}
		return n, err
	}
	// A raw read(2) that trusts the loop's readiness level: after a short
	// read or EAGAIN it returns EAGAIN without a system call until the
	// next edge.
	return c.pd.TryRead(p)
}

func (c *conn) write(p []byte) (int, error) {
	if c.tls != nil {
		// Ciphertext left by a scheduler-style request goes first: when
		// it cannot all go out, a guest gets EAGAIN (back-pressure) and
		// the connection's task waits.
		if len(c.tlsPending) > 0 {
			if err := c.sendTLSPending(); err != nil {
				return 0, err
			}
		}
		return c.tls.Write(p)
	}
	return c.pd.TryWrite(p)
}

// sendTLSPending writes tlsPending: without parking in nonblock mode
// (unix.EAGAIN while some is left), else waiting for the socket.
func (c *conn) sendTLSPending() error {
	if !c.nonblock {
		nb := c.tlsPending
		c.tlsPending = nil // loopConn.Write must not see it again
		_, err := loopConn{c}.Write(nb)
		c.tlsPending = nb[:0]
		return err
	}
	for len(c.tlsPending) > 0 {
		n, err := c.pd.TryWrite(c.tlsPending)
		if err != nil {
			return err
		}
		c.tlsPending = c.tlsPending[:copy(c.tlsPending, c.tlsPending[n:])]
	}
	return nil
}

// errWouldBlock is loopConn's answer in nonblock mode when the socket has
// nothing to read: temporary, so crypto/tls keeps the connection usable
// and returns it to the caller (conn.read turns it into EAGAIN).
var errWouldBlock = &wouldBlock{}

type wouldBlock struct{}

func (*wouldBlock) Error() string   { return "wsgihost: the socket would block" }
func (*wouldBlock) Timeout() bool   { return false }
func (*wouldBlock) Temporary() bool { return true }

// headResult is what readHead did.
type headResult uint8

const (
	headReady    headResult = iota // a head is parsed into c.req
	headClose                      // the connection is to be closed (answered if need be)
	headDetached                   // no next request yet: the connection detached
)

// readHead reads until a complete request head is buffered and parsed into
// c.req. It answers framing errors and timeouts itself. A plain connection
// with nothing of a next request detaches instead of waiting.
func (c *conn) readHead(first bool) headResult {
	s := c.s
	started := c.rend > c.rpos
	// The deadline: the header timeout for a connection's first request
	// and once part of a head came, else the idle timeout. It is computed
	// when a read must wait (most heads come whole in one read, and its
	// time arithmetic showed in profiles); zero until then.
	var dl time.Time
	deadline := func() time.Time {
		if dl.IsZero() {
			if first || started {
				dl = c.deadlineAfter(s.headerTO)
			} else {
				dl = c.deadlineAfter(s.idleTO)
			}
		}
		return dl
	}
	for {
		if c.rend > c.rpos {
			if !started {
				started = true
				dl = time.Time{} // from now on, the header timeout
			}
			c.idle = false
			_, err := http1.ParseHead(c.rbuf[c.rpos:c.rend], &s.limits, &c.req)
			if err == nil {
				return headReady
			}
			if err != http1.ErrNeedMore {
				var he *http1.Error
				if errors.As(err, &he) {
					c.s.stats.framing.Add(1)
					c.errorResponse(he.Status, he.Reason)
				}
				return headClose
			}
		} else {
			c.idle = true
			if s.shuttingDown() && !started {
				return headClose
			}
		}
		// Make room, then read more.
		if c.rpos > 0 && (c.rpos == c.rend || c.rend == len(c.rbuf)) {
			n := copy(c.rbuf, c.rbuf[c.rpos:c.rend])
			c.rpos, c.rend = 0, n
		}
		if c.rend == len(c.rbuf) {
			max := s.limits.MaxHeadLen()
			if len(c.rbuf) >= max {
				c.errorResponse(431, "header section too large")
				return headClose
			}
			nb := make([]byte, min(max, 2*len(c.rbuf)))
			copy(nb, c.rbuf[:c.rend])
			c.rbuf = nb
		}
		if c.tls != nil {
			c.rdDeadline = deadline()
		}
		n, err := c.read(c.rbuf[c.rend:])
		if n > 0 {
			c.rend += n
			continue
		}
		switch {
		case isEAGAIN(err):
			if !started && c.tls == nil {
				c.detach(deadline())
				return headDetached
			}
			if !c.waitRead(deadline(), started) {
				return headClose
			}
		case errors.Is(err, evloop.ErrTimeout):
			if started {
				c.errorResponse(408, "request head not received in time")
			}
			return headClose
		default:
			// EOF (a partial head is dropped: there is no one to answer),
			// a reset, or an interrupted wait.
			return headClose
		}
	}
}

// isEAGAIN reports whether err is EAGAIN. It checks the type first:
// err == unix.EAGAIN calls the runtime's interface comparison, once per
// request on the read that finds the next one not there yet.
func isEAGAIN(err error) bool {
	e, ok := err.(unix.Errno)
	return ok && e == unix.EAGAIN
}

// waitRead parks until the socket is readable; on a timeout it answers 408
// if part of a head came.
func (c *conn) waitRead(dl time.Time, started bool) bool {
	err := c.t.WaitFD(c.pd, evloop.Readable, dl)
	if err == nil {
		return true
	}
	if err == evloop.ErrTimeout && started {
		c.errorResponse(408, "request head not received in time")
	}
	return false
}

// errorResponse answers a request the server refuses itself (framing
// errors, timeouts, guest failures) and closes the connection.
func (c *conn) errorResponse(status int, reason string) {
	c.s.stats.requests.Add(1)
	o := http1.AppendStatusLine(c.out, 1, status)
	o = append(o, "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"...)
	o = append(o, c.w.dateHeader()...)
	text := http1.StatusText(status)
	body := len(text) + 1
	if reason != "" {
		body += len(reason) + 2
	}
	o = http1.AppendContentLength(o, int64(body))
	o = append(o, '\r', '\n')
	o = append(o, text...)
	if reason != "" {
		o = append(o, ": "...)
		o = append(o, reason...)
	}
	c.out = append(o, '\n')
	if c.s.AccessLog {
		c.s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("remote", c.remote.ip), slog.Int("status", status), slog.String("error", reason))
	}
	if c.flushAll() == nil {
		c.lingerClose()
	}
}

// flushAll writes all pending output, parking while the socket is full
// (each wait bounded by WriteTimeout).
func (c *conn) flushAll() error {
	if c.killed {
		return errShutdown
	}
	if c.werr != nil {
		return c.werr
	}
	// The clock is read only when a wait is due: most responses go out in
	// one write.
	var dl time.Time
	c.setTLSWriteDeadline()
	for c.outOff < len(c.out) {
		n, err := c.write(c.out[c.outOff:])
		c.outOff += n
		if err == nil {
			continue
		}
		if err == unix.EAGAIN {
			if dl.IsZero() {
				dl = c.deadlineAfter(c.s.writeTO)
			}
			if werr := c.t.WaitFD(c.pd, evloop.Writable, dl); werr != nil {
				c.werr = werr
				return werr
			}
			continue
		}
		c.werr = err
		return err
	}
	c.resetOut()
	return nil
}

// setTLSWriteDeadline bounds the writes a TLS connection makes by parking
// (loopConn); a plain socket's writes here never park.
func (c *conn) setTLSWriteDeadline() {
	if c.tls != nil {
		c.wrDeadline = c.deadlineAfter(c.s.writeTO)
	}
}

// flushSome writes pending output until done or the socket is full
// (unix.EAGAIN); it never parks on a plain socket.
func (c *conn) flushSome() error { return c.flushUpTo(len(c.out)) }

// flushUpTo writes out[outOff:end] without parking on a plain socket: all
// pending output (flushSome), or the bytes before an uncommitted body (a
// 100 Continue).
func (c *conn) flushUpTo(end int) error {
	if c.werr != nil {
		return c.werr
	}
	c.setTLSWriteDeadline()
	for c.outOff < end {
		n, err := c.write(c.out[c.outOff:end])
		c.outOff += n
		if err != nil {
			if err != unix.EAGAIN {
				c.werr = err
			}
			return err
		}
	}
	if c.outOff == len(c.out) {
		c.resetOut()
	}
	return nil
}

// handle serves the parsed request c.req and reports whether the connection
// stays open for another.
func (c *conn) handle() bool {
	s := c.s
	req := &c.req
	r := &c.r
	var start time.Time
	if s.AccessLog {
		start = time.Now()
	}
	if err := r.begin(req); err != nil {
		var he *http1.Error
		errors.As(err, &he)
		s.stats.framing.Add(1)
		c.errorResponse(he.Status, he.Reason)
		return false
	}
	c.rpos += req.HeadLen
	if c.rend > c.rpos && req.HasBody() {
		// Body bytes are buffered: a guest that polls before reading
		// must see the request readable.
		c.pd.SetReady(evloop.Readable)
	}

	s.inflight.Add(1)
	fail, failErr := c.callGuest()
	s.inflight.Add(-1)
	if fail == 0 && r.aborted {
		fail, failErr = 500, errAborted
		s.stats.guestErrors.Add(1)
	}
	keep := c.finish(fail)
	s.stats.requests.Add(1)
	if s.AccessLog {
		attrs := []slog.Attr{
			slog.String("remote", c.remote.ip),
			slog.String("method", string(r.method())),
			slog.String("uri", string(r.uri())),
			slog.Int("status", r.sentStatus),
			slog.Int64("bytes", r.written),
			slog.Duration("dur", time.Since(start)),
		}
		if failErr != nil {
			attrs = append(attrs, slog.String("error", failErr.Error()))
		}
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
	}
	return keep && !c.killed
}

// callGuest runs the guest for the current request. It returns 0 when the
// guest returned 0, else the status the failure calls for (500 or 503) and
// the error.
func (c *conn) callGuest() (int, error) {
	s := c.s
	w := c.w
	if w.sched != nil {
		return c.callSched()
	}
	ctx := context.Background()
	in, err := w.pool.Get(ctx, c.t)
	if err != nil {
		s.log.Error("wsgihost: no guest instance", "err", err)
		return 503, err
	}
	// The stream, not the descriptor, bounds the guest's waits (see
	// timedStream): the descriptor has no RecvTimeout or SendTimeout, which
	// would end a wait without failing the body or the connection.
	q := c.blockStream()
	fd, d, e := in.FDs().AddStreamInto(&c.reqDesc, q, c.pd, false)
	if e != 0 {
		w.pool.Put(in)
		s.log.Error("wsgihost: request descriptor", "errno", e)
		return 503, e
	}
	res, err := in.Call(ctx, c.t, host.GatewayExport, uint64(fd))
	q.stopTimers()
	c.r.callDone = true
	if cur, e := in.FDs().Get(fd); e == 0 && cur == d {
		in.FDs().Close(fd)
	}
	status := 0
	if err == nil && len(res) > 0 && int32(res[0]) != 0 {
		err = errors.New("pts_handle returned " + strconv.Itoa(int(int32(res[0]))))
		status = 500
		s.stats.guestErrors.Add(1)
	} else if err != nil {
		status = 500
		var ee *sys.ExitError
		if errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled) {
			status = 503
			s.stats.guestTimeouts.Add(1)
		} else {
			s.stats.guestErrors.Add(1)
		}
		if in.Broken() {
			s.stats.discarded.Add(1)
		}
	}
	if err != nil && !c.killed {
		// wazero's error text carries the wasm stack trace.
		s.log.Error("wsgihost: guest failed", "module", s.Module.Name,
			"method", string(c.r.method()), "uri", string(c.r.uri()), "status", status, "err", err.Error())
	}
	w.pool.Put(in)
	return status, err
}

// blockStream returns c.r as a blocking-style guest's stream, ready for a
// call: one timedStream per connection, made on first use.
func (c *conn) blockStream() *timedStream {
	if c.breq == nil {
		c.breq = newTimedStream(c.w.loop)
	}
	c.breq.reset(&c.r, c.s)
	return c.breq
}

// finish completes the response after the guest call and reports whether
// the connection stays open.
func (c *conn) finish(fail int) bool {
	r := &c.r
	switch {
	case r.bodyErr != nil && !r.committed:
		// The request body's framing failed: answer with its status,
		// never with what the guest made of a truncated body.
		c.out = c.out[:r.bodyStart]
		c.s.stats.framing.Add(1)
		r.sentStatus = r.bodyErr.Status
		c.errorResponse(r.bodyErr.Status, r.bodyErr.Reason)
		return false
	case fail != 0 && !r.ended:
		if r.committed {
			// Part of the response may be out: the client can only learn
			// of the failure from a short body.
			return false
		}
		c.out = c.out[:r.bodyStart]
		r.sentStatus = fail
		c.errorResponse(fail, "")
		return false
	case !r.started || r.poisoned:
		if !c.killed {
			if !r.poisoned {
				c.s.stats.guestErrors.Add(1)
				c.s.log.Error("wsgihost: guest returned without start_response", "module", c.s.Module.Name,
					"method", string(r.method()), "uri", string(r.uri()))
			}
		}
		c.out = c.out[:r.bodyStart]
		r.sentStatus = 500
		c.errorResponse(500, "")
		return false
	}
	if !r.ended {
		r.end()
	}
	keep := r.keepAlive && r.ioErr == nil && r.bodyErr == nil
	if r.framing == framingLength && r.written < r.declCL {
		keep = false
	}
	if c.flushAll() != nil {
		return false
	}
	if !keep {
		if !r.bodyDone || c.rend > c.rpos {
			c.lingerClose()
		}
		return false
	}
	if !r.bodyDone && !c.drainBody() {
		c.lingerClose()
		return false
	}
	return true
}

// drainBody reads and discards the rest of a request body the guest did not
// read, so that the connection can carry the next request.
func (c *conn) drainBody() bool {
	r := &c.r
	if r.expect100 && !r.sent100 {
		return false // the client waits for 100 before sending the body
	}
	dl := c.deadlineAfter(c.s.bodyTO)
	c.rdDeadline = dl
	for total := 0; !r.bodyDone; {
		n, err := r.Read(c.w.scratch)
		switch {
		case err == unix.EAGAIN:
			if c.t.WaitFD(c.pd, evloop.Readable, dl) != nil {
				return false
			}
		case err != nil:
			return false
		}
		if total += n; total > drainMax {
			return false
		}
	}
	return true
}

// loopConn is the net.Conn under a TLS connection: reads and writes on the
// non-blocking socket that park the connection's task on EAGAIN, until
// the connection's deadlines; in nonblock mode (a scheduler-style request)
// they never park (see conn.nonblock).
type loopConn struct{ c *conn }

func (l loopConn) Read(p []byte) (int, error) {
	c := l.c
	for {
		n, err := c.pd.TryRead(p)
		switch {
		case n > 0:
			return n, nil
		case n == 0 && err == nil:
			return 0, io.EOF
		case err == unix.EAGAIN && c.nonblock:
			return 0, errWouldBlock
		case err == unix.EAGAIN:
			if werr := c.t.WaitFD(c.pd, evloop.Readable, c.rdDeadline); werr != nil {
				return 0, werr
			}
		default:
			return 0, err
		}
	}
}

func (l loopConn) Write(p []byte) (int, error) {
	c := l.c
	if c.nonblock {
		// Never a partial write (a TLS record would be cut): what the
		// socket does not take waits in tlsPending.
		all := len(p)
		if len(c.tlsPending) == 0 {
			n, err := c.pd.TryWrite(p)
			if err != nil && err != unix.EAGAIN {
				return n, err
			}
			p = p[n:]
		}
		c.tlsPending = append(c.tlsPending, p...)
		return all, nil
	}
	total := 0
	for total < len(p) {
		n, err := c.pd.TryWrite(p[total:])
		if n > 0 {
			total += n
			continue
		}
		switch err {
		case unix.EAGAIN:
			if werr := c.t.WaitFD(c.pd, evloop.Writable, c.wrDeadline); werr != nil {
				return total, werr
			}
		default:
			return total, err
		}
	}
	return total, nil
}
