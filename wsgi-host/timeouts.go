package wsgihost

import (
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// timedStream is the stream a request is in its guest's descriptor table,
// in both guest styles: the connection's request, with the guest's waits on
// it bounded by BodyReadTimeout and WriteTimeout, so that both styles treat
// a stalled client alike. A read that says EAGAIN (the guest then waits for
// body bytes, parked in the import or in poll/poll_oneoff) starts a
// BodyReadTimeout timer unless one runs, a write that says EAGAIN a
// WriteTimeout one, and the next read (write) that does not say EAGAIN
// stops it. When one fires, the request fails as on a broken connection
// and the guest's wait wakes:
//
//   - a read timeout fails the body (request.readFailed): the guest's read
//     and every later one get ETIMEDOUT, the response says Connection:
//     close (unless its head went out already) and the connection closes
//     after it, lingering, without waiting for the rest of the body: a
//     client that stalled mid-body cannot be trusted to finish it;
//   - a write timeout fails the connection's output (conn.werr, as when its
//     own flush times out): the guest's write and every later one get
//     ETIMEDOUT, nothing more is written, and the connection closes when
//     the request ends.
//
// The timers are the loop's, made once per stream and reused (a blocking
// connection keeps one stream; a scheduler worker keeps a free list), so a
// request costs no goroutine and no allocation. The descriptor's own
// SO_RCVTIMEO/SO_SNDTIMEO (0 unless the guest sets them) only end a wait.
// Loop goroutine only.
type timedStream struct {
	*request
	bodyTO, writeTO time.Duration
	rdTimer         *evloop.Timer // running while the guest waits for body bytes
	wrTimer         *evloop.Timer // running while the guest waits for the client to take output
	wrTimedOut      bool
}

var _ host.GatewayRequest = (*timedStream)(nil)

// newTimedStream makes a stream with its two (stopped) timers on loop.
func newTimedStream(loop *evloop.Loop) *timedStream {
	q := &timedStream{}
	q.rdTimer = loop.AfterFunc(0, q.readTimedOut)
	q.rdTimer.Stop()
	q.wrTimer = loop.AfterFunc(0, q.writeTimedOut)
	q.wrTimer.Stop()
	return q
}

// reset makes q the stream of request r under the server's timeouts. Its
// timers are stopped: every user stops them when its call ends (callGuest,
// putReq).
func (q *timedStream) reset(r *request, s *Server) {
	q.request = r
	q.bodyTO, q.writeTO = s.bodyTO, s.writeTO
	q.wrTimedOut = false
}

func (q *timedStream) stopTimers() {
	q.rdTimer.Stop()
	q.wrTimer.Stop()
}

// Read implements host.Stream: request.Read, its waits bounded by
// BodyReadTimeout.
func (q *timedStream) Read(p []byte) (int, error) {
	n, err := q.request.Read(p)
	switch {
	case err != unix.EAGAIN:
		q.rdTimer.Stop()
	case q.bodyTO > 0 && !q.rdTimer.Pending():
		q.rdTimer.Reset(q.bodyTO)
	}
	return n, err
}

// Write implements host.Stream: request.Write, its waits bounded by
// WriteTimeout.
func (q *timedStream) Write(p []byte) (int, error) {
	if q.wrTimedOut {
		return 0, unix.ETIMEDOUT
	}
	n, err := q.request.Write(p)
	switch {
	case err != unix.EAGAIN:
		q.wrTimer.Stop()
	case q.writeTO > 0 && !q.wrTimer.Pending():
		q.wrTimer.Reset(q.writeTO)
	}
	return n, err
}

// Close implements host.Stream: the guest is done with the request and no
// longer waits on it.
func (q *timedStream) Close() error {
	q.stopTimers()
	return q.request.Close()
}

// readTimedOut fails the body: the guest waited BodyReadTimeout for bytes
// that did not come. Its wait wakes, and its read gets ETIMEDOUT.
func (q *timedStream) readTimedOut() {
	r := q.request
	if r == nil || r.callDone || r.guestClosed || r.ended || r.bodyDone || r.ioErr != nil || r.bodyErr != nil {
		return
	}
	r.readFailed(unix.ETIMEDOUT)
	r.c.pd.SetReady(evloop.Readable)
}

// writeTimedOut fails the connection's output: the guest waited
// WriteTimeout for the client to take some. Its wait wakes, and its write
// gets ETIMEDOUT.
func (q *timedStream) writeTimedOut() {
	r := q.request
	if r == nil || r.callDone || r.guestClosed || r.c.werr != nil {
		return
	}
	q.wrTimedOut = true
	r.c.werr = evloop.ErrTimeout
	r.c.pd.SetReady(evloop.Writable)
}
