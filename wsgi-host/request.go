package wsgihost

import (
	"bytes"
	"errors"
	"io"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
	"golang.org/x/sys/unix"
)

// Response framings.
const (
	framingNone    = iota // no body (HEAD, 204, 304)
	framingLength         // Content-Length
	framingChunked        // Transfer-Encoding: chunked
	framingClose          // delimited by closing the connection (HTTP/1.0)
)

// maxResponseHeader bounds the headers a guest passes to start_response.
const maxResponseHeader = 64 << 10

// request is the current request of a connection as the guest sees it: a
// host.GatewayRequest stream in the instance's descriptor table, sharing
// the connection's poll registration. The connection reuses it.
type request struct {
	c *conn

	env                 []byte
	methodOff, methodTo int // REQUEST_METHOD's value in env
	uriOff, uriTo       int // REQUEST_URI's value in env

	isHead     bool
	protoMinor int
	keepAlive  bool
	expect100  bool
	sent100    bool // 100 Continue sent, or no longer to be sent

	// Request body.
	chunked  bool
	bodyLeft int64 // Content-Length bytes not read yet
	bodyDone bool
	bodyErr  *http1.Error // framing error in a chunked body
	ioErr    error        // the connection failed mid-body
	dec      http1.ChunkedDecoder

	// Response.
	poisoned   bool // start_response refused the guest's status or headers
	started    bool // start_response succeeded
	committed  bool // the head is in the output buffer and framing chosen
	ended      bool // the response is complete (close, or the call ended)
	callDone   bool // the guest call returned: closes come from the host
	aborted    bool // the guest failed the response (req_abort)
	status     int
	sentStatus int
	statusLine []byte
	hdr        []byte // the guest's header lines, "Name: Value\r\n"
	declCL     int64  // the guest's Content-Length, or -1
	hasDate    bool
	guestClose bool // the guest sent "Connection: close"
	noBody     bool
	framing    int
	written    int64 // body bytes the guest wrote
	bodyStart  int   // where this response's body starts in c.out

	// Scheduler style: the command serving the request, whether the
	// guest closed the request, and why the command failed it.
	cmd         *host.Command
	guestClosed bool
	cmdErr      error
	cmdStatus   int
}

var _ host.GatewayRequest = (*request)(nil)

// begin sets r up for the parsed head req (still in the read buffer) and
// builds the environ.
func (r *request) begin(req *http1.Request) error {
	c := r.c
	*r = request{
		c:          c,
		env:        r.env[:0],
		statusLine: r.statusLine[:0],
		hdr:        r.hdr[:0],
		dec:        r.dec,
		declCL:     -1,
		bodyStart:  len(c.out),
		sentStatus: 0,
	}
	if err := r.buildEnviron(req); err != nil {
		return err
	}
	r.isHead = string(req.Method) == "HEAD"
	r.protoMinor = req.ProtoMinor
	r.keepAlive = req.KeepAlive && !c.s.shuttingDown()
	r.chunked = req.Chunked
	switch {
	case req.Chunked:
		r.dec.Reset(&c.s.limits)
	case req.ContentLength > 0:
		r.bodyLeft = req.ContentLength
	default:
		r.bodyDone = true
	}
	r.expect100 = req.ExpectContinue && !r.bodyDone
	r.sent100 = !r.expect100
	return nil
}

func (r *request) method() []byte { return r.env[r.methodOff:r.methodTo] }
func (r *request) uri() []byte    { return r.env[r.uriOff:r.uriTo] }

// Environ implements host.GatewayRequest.
func (r *request) Environ() []byte { return r.env }

// bodyErrno is what a guest reading a body with broken framing gets.
func bodyErrno(e *http1.Error) error {
	if e.Status == 413 || e.Status == 431 {
		return unix.EMSGSIZE
	}
	return unix.EBADMSG
}

// Read implements host.Stream: the request body, never past its end.
func (r *request) Read(p []byte) (int, error) {
	c := r.c
	switch {
	case r.bodyErr != nil:
		return 0, bodyErrno(r.bodyErr)
	case r.ioErr != nil:
		return 0, r.ioErr
	case r.bodyDone || len(p) == 0:
		return 0, nil
	}
	if !r.sent100 {
		r.sent100 = true
		if !r.committed {
			// Nothing of the final response went out: send 100 Continue
			// before the body buffered so far, if any.
			const cont = "HTTP/1.1 100 Continue\r\n\r\n"
			c.out = insertAt(c.out, r.bodyStart, cont)
			r.bodyStart += len(cont)
			if err := c.flushUpTo(r.bodyStart); err != nil && err != unix.EAGAIN {
				r.ioErr = unix.EPIPE
				return 0, r.ioErr
			}
		} else {
			// The guest answered before reading (its head announced
			// Connection: close): let the client see the answer.
			_ = c.flushSome()
		}
	}
	if c.tls != nil {
		c.rdDeadline = c.deadlineAfter(c.s.bodyTO)
	}
	if !r.chunked {
		max := int64(len(p))
		if max > r.bodyLeft {
			max = r.bodyLeft
		}
		var n int
		if c.rend > c.rpos {
			n = copy(p[:max], c.rbuf[c.rpos:c.rend])
			c.rpos += n
		} else {
			var err error
			n, err = c.read(p[:max])
			if err != nil {
				return 0, r.readFailed(err)
			}
			if n == 0 {
				return 0, r.readFailed(io.ErrUnexpectedEOF)
			}
		}
		r.bodyLeft -= int64(n)
		if r.bodyLeft == 0 {
			r.bodyDone = true
		}
		return n, nil
	}
	for {
		if c.rend > c.rpos {
			lim := min(c.rend, c.rpos+len(p))
			data, n, err := r.dec.Decode(c.rbuf[c.rpos:lim])
			c.rpos += n
			if len(data) > 0 {
				return copy(p, data), nil
			}
			if err == io.EOF {
				r.bodyDone = true
				return 0, nil
			}
			if err != nil {
				var he *http1.Error
				if !errors.As(err, &he) {
					he = &http1.Error{Status: 400, Reason: err.Error()}
				}
				r.bodyErr = he
				return 0, bodyErrno(he)
			}
			continue
		}
		c.rpos, c.rend = 0, 0
		n, err := c.read(c.rbuf)
		if err != nil {
			return 0, r.readFailed(err)
		}
		if n == 0 {
			return 0, r.readFailed(io.ErrUnexpectedEOF)
		}
		c.rend = n
	}
}

// readFailed records a failed body read; EAGAIN is not a failure.
func (r *request) readFailed(err error) error {
	if err == unix.EAGAIN {
		return err
	}
	if err == io.ErrUnexpectedEOF {
		err = unix.ECONNRESET
	}
	r.ioErr = err
	return err
}

// StartResponse implements host.GatewayRequest: PEP 3333's start_response.
func (r *request) StartResponse(status, headers []byte, flags uint32) abi.Errno {
	if r.poisoned {
		return abi.EINVAL
	}
	if r.started && (flags&abi.START_RESPONSE_EXC_INFO == 0 || r.committed) {
		return abi.EALREADY
	}
	if r.ended {
		return abi.EALREADY
	}
	code, reason, ok := http1.ParseStatus(status)
	if !ok || code < 200 {
		r.poison()
		return abi.EINVAL
	}
	rh, ok := parseResponseHeaders(r.hdr[:0], headers)
	if !ok {
		r.poison()
		return abi.EINVAL
	}
	r.hdr = rh.lines
	r.declCL = rh.contentLength
	r.hasDate = rh.hasDate
	r.guestClose = rh.connClose
	r.statusLine = http1.AppendStatusLineReason(r.statusLine[:0], 1, code, reason)
	if r.started {
		// exc_info: the new status and headers replace the old ones, and
		// the body written so far (none of it sent) is dropped.
		r.c.out = r.c.out[:r.bodyStart]
		r.written = 0
	}
	r.started = true
	r.status = code
	r.noBody = r.isHead || code == 204 || code == 304
	return 0
}

// poison fails the request: the client gets 500 and none of the guest's
// headers.
func (r *request) poison() {
	r.poisoned = true
	r.started = false
	r.c.out = r.c.out[:r.bodyStart]
}

// responseHead is what parseResponseHeaders found.
type responseHead struct {
	lines         []byte
	contentLength int64
	hasDate       bool
	connClose     bool
}

// parseResponseHeaders validates a guest's "Name\0Value\0" header block and
// appends the lines to send to dst. Content-Length is taken out (the server
// writes it), Transfer-Encoding is dropped (the server frames the body) and
// so is Connection ("close" is noted). ok is false for a malformed block,
// a name that is not a token, a value with control characters (CR, LF,
// NUL...), a bad or conflicting Content-Length, or more than 64 KiB.
func parseResponseHeaders(dst, block []byte) (h responseHead, ok bool) {
	h.contentLength = -1
	h.lines = dst
	for len(block) > 0 {
		i := bytes.IndexByte(block, 0)
		if i < 0 {
			return h, false
		}
		name := block[:i]
		block = block[i+1:]
		j := bytes.IndexByte(block, 0)
		if j < 0 {
			return h, false
		}
		value := block[:j]
		block = block[j+1:]
		if !http1.ValidHeaderName(name) || !http1.ValidHeaderValue(value) {
			return h, false
		}
		value = trimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseDecimal(value)
			if !ok || (h.contentLength >= 0 && n != h.contentLength) {
				return h, false
			}
			h.contentLength = n
			continue
		case asciiEqualFold(name, "transfer-encoding"):
			continue
		case asciiEqualFold(name, "connection"):
			if hasToken(value, "close") {
				h.connClose = true
			}
			continue
		case asciiEqualFold(name, "date"):
			h.hasDate = true
		}
		h.lines = http1.AppendHeader(h.lines, name, value)
		if len(h.lines) > maxResponseHeader {
			return h, false
		}
	}
	return h, true
}

// Write implements host.Stream: the response body. It buffers, flushing
// once flushAt bytes are pending (unix.EAGAIN when the socket is full); a
// zero-length write flushes what is buffered.
func (r *request) Write(p []byte) (int, error) {
	c := r.c
	if r.aborted {
		return 0, unix.EPIPE
	}
	if !r.started || r.poisoned || r.ended {
		return 0, unix.EPROTO
	}
	if c.werr != nil {
		return 0, writeErrno(c.werr)
	}
	if len(p) == 0 {
		if !r.committed {
			r.commit(false)
		}
		if err := c.flushSome(); err != nil {
			if err == unix.EAGAIN {
				return 0, err
			}
			return 0, writeErrno(err)
		}
		return 0, nil
	}
	if r.declCL >= 0 {
		left := r.declCL - r.written
		if left <= 0 {
			return 0, unix.EFBIG
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	if r.noBody {
		r.written += int64(len(p))
		return len(p), nil
	}
	total := 0
	for len(p) > 0 {
		if c.pending() >= flushAt {
			if !r.committed {
				r.commit(false)
			}
			err := c.flushSome()
			if err != nil && err != unix.EAGAIN {
				if total > 0 {
					return total, nil
				}
				return 0, writeErrno(err)
			}
			if c.pending() >= flushAt {
				if total > 0 {
					return total, nil
				}
				return 0, unix.EAGAIN
			}
		}
		take := min(len(p), maxChunk)
		if r.committed && r.framing == framingChunked {
			c.out = http1.AppendChunkHeader(c.out, take)
			c.out = append(c.out, p[:take]...)
			c.out = append(c.out, '\r', '\n')
		} else {
			c.out = append(c.out, p[:take]...)
		}
		r.written += int64(take)
		total += take
		p = p[take:]
	}
	return total, nil
}

// writeErrno is what a guest writing to a connection whose output failed
// with err gets, that write and every later one (conn.werr is sticky):
// ETIMEDOUT when the client took nothing for WriteTimeout, else EPIPE.
func writeErrno(err error) error {
	if errors.Is(err, evloop.ErrTimeout) {
		return unix.ETIMEDOUT
	}
	return unix.EPIPE
}

// Close implements host.Stream. When the guest closes the descriptor the
// response ends: the rest is sent without waiting for the call to return.
// For a scheduler-style guest, the close ends the request and wakes the
// connection's task; a close by the command's teardown does neither (the
// server fails the request).
func (r *request) Close() error {
	if r.callDone {
		return nil
	}
	if r.cmd != nil {
		if !r.cmd.Running() {
			return nil
		}
		r.guestClosed = true
		r.c.t.Interrupt(errRequestDone)
	}
	if r.ended || r.aborted {
		return nil
	}
	if r.started && !r.poisoned {
		r.end()
		_ = r.c.flushSome()
	}
	return nil
}

// Abort implements host.GatewayRequest (req_abort): the call's end (or,
// for a scheduler guest, the close) fails the response with 500, or
// closes the connection if part of it went out.
func (r *request) Abort() abi.Errno {
	if r.ended {
		return abi.EINVAL // already complete: nothing left to fail
	}
	r.aborted = true
	return 0
}

// end completes the response: its head is placed (with Content-Length when
// the whole body is buffered) and a chunked body gets its last chunk.
func (r *request) end() {
	if !r.committed {
		r.commit(true)
	} else if r.framing == framingChunked {
		r.c.out = http1.AppendLastChunk(r.c.out)
	}
	r.ended = true
}

// commit chooses the response framing, builds the head and places it before
// the body buffered so far. final says the body is complete.
func (r *request) commit(final bool) {
	c := r.c
	h := append(c.head[:0], r.statusLine...)
	h = append(h, r.hdr...)
	if !r.hasDate {
		h = append(h, c.w.dateHeader()...)
	}
	switch {
	case r.noBody:
		r.framing = framingNone
		switch {
		case r.status == 204:
		case r.declCL >= 0:
			h = http1.AppendContentLength(h, r.declCL)
		case r.isHead && final && r.status != 304:
			h = http1.AppendContentLength(h, r.written)
		}
	case r.declCL >= 0:
		r.framing = framingLength
		h = http1.AppendContentLength(h, r.declCL)
	case final:
		r.framing = framingLength
		r.declCL = r.written
		h = http1.AppendContentLength(h, r.written)
	case r.protoMinor == 1:
		r.framing = framingChunked
		h = append(h, "Transfer-Encoding: chunked\r\n"...)
	default:
		r.framing = framingClose
	}
	keep := r.keepAlive && !r.guestClose && r.framing != framingClose && !c.s.shuttingDown() &&
		r.bodyErr == nil && r.ioErr == nil
	if !r.sent100 && !r.bodyDone {
		keep = false // the client waits for 100 Continue or a final answer
	}
	r.keepAlive = keep
	switch {
	case !keep && r.protoMinor == 1:
		h = append(h, "Connection: close\r\n"...)
	case keep && r.protoMinor == 0:
		h = append(h, "Connection: keep-alive\r\n"...)
	}
	h = append(h, '\r', '\n')
	body := len(c.out) - r.bodyStart
	if r.framing == framingChunked && body > 0 {
		h = http1.AppendChunkHeader(h, body)
		c.out = append(c.out, '\r', '\n')
	}
	c.head = h
	// Place the head: in the headroom before the body when nothing else is
	// pending there, else by moving the body.
	if c.outOff == r.bodyStart && r.bodyStart >= len(h) {
		c.outOff -= len(h)
		copy(c.out[c.outOff:], h)
	} else {
		c.out = insertAt(c.out, r.bodyStart, h)
	}
	r.committed = true
	r.sentStatus = r.status
}

// Small byte helpers.

// insertAt inserts s into b at i.
func insertAt[S ~string | ~[]byte](b []byte, i int, s S) []byte {
	n := len(b)
	b = append(b, s...)
	copy(b[i+len(s):], b[i:n])
	copy(b[i:], s)
	return b
}

func asciiEqualFold(s []byte, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}

func trimSpace(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// hasToken reports whether the comma-separated list v has token t (ASCII
// case-insensitive).
func hasToken(v []byte, t string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		m := v
		if i >= 0 {
			m, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if asciiEqualFold(trimSpace(m), t) {
			return true
		}
	}
	return false
}

// parseDecimal parses a non-negative decimal integer of at most 18 digits.
func parseDecimal(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, b := range s {
		if b < '0' || b > '9' {
			return 0, false
		}
		n = n*10 + int64(b-'0')
	}
	return n, true
}
