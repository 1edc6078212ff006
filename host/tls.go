package host

// TLS done by the host (the seed's sslsocket_compat): tls_client and
// tls_server wrap a descriptor's OS socket in crypto/tls, and from then on
// read/write (and everything else that goes through Desc.rawRead/rawWrite)
// carry plaintext.
//
// crypto/tls is written for blocking net.Conns; here it runs over the raw
// non-blocking socket, on the loop goroutine only, through tlsRawConn. How
// far crypto/tls tolerates a Read or Write that cannot proceed decides the
// design (Go 1.26, crypto/tls/conn.go):
//
//   - Record reads are retry-safe. readRecordOrCCS leaves a temporary
//     net.Error unrecorded (lines 633 and 678: setErrorLocked only when
//     !Temporary()), and readFromUntil (828) keeps partial bytes in
//     c.rawInput, so the next Read resumes the record. Post-handshake
//     messages (handlePostHandshakeMessage, 1305) accumulate in c.hand
//     (readHandshakeBytes, 1083) and resume likewise. Read may return n > 0
//     together with the temporary error when it peeks for a close_notify
//     (1412): the bytes count, the error is dropped.
//   - The handshake is not: handshakeContext stores whatever the handshake
//     function returns in c.handshakeErr (1562) and returns it from every
//     later call (1552), and the handshake is straight-line code that
//     cannot resume mid-flight. So a handshake must never see "would
//     block": it runs in a task whose tlsRawConn parks on EAGAIN
//     (Task.WaitFD) — the calling guest's task for a blocking descriptor,
//     a loop task of its own for a non-blocking one — and the descriptor's
//     reads and writes return EAGAIN without touching the tls.Conn until it
//     ends (the parked handshake holds c.handshakeMutex and c.in).
//   - Writes are not retry-safe. writeRecordLocked (980) returns after a
//     partial c.write of a record (1035); Write (1255) then records the
//     error with setErrorLocked, which wraps even a temporary net.Error
//     into a permanentError (196), so every later Write fails; flush (959)
//     drops c.sendBuf whatever was written (966); handleKeyUpdate's reply
//     (1356) "surfaces the error at the next write". So tlsRawConn.Write
//     never fails for lack of room: it appends the ciphertext to a pending
//     buffer and sends what the socket takes. tlsState.write flushes that
//     buffer first and returns EAGAIN while the socket is full; it hands
//     crypto/tls at most tlsWriteChunk bytes at a time and, when their
//     ciphertext does not all leave at once, returns EAGAIN and reports
//     them written on the retry that flushes the rest (so no ciphertext the
//     guest counts as written is stranded while it waits to read). As with
//     SSL_write, a write that returned EAGAIN must be retried with the same
//     bytes; the SDK's writes and writeFrom do.
//   - Renegotiation (handleRenegotiation, 1259) runs a whole client
//     handshake inside Read (1297), so tls_client forces RenegotiateNever
//     (TLS 1.3 has none).

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// TLSConfig configures TLS for guests: the roots tls_client verifies
// against and the certificate tls_server presents.
type TLSConfig struct {
	// Client is the base configuration for tls_client (RootCAs nil: the
	// system roots). ServerName is set per call.
	Client *tls.Config
	// Server is the configuration for tls_server; nil makes tls_server
	// fail with ENOTSUP.
	Server *tls.Config
}

func init() {
	register("tls_client", hostTLSClient)
	register("tls_server", hostTLSServer)
}

// maxServerName bounds tls_client's server_name (a DNS name is at most 253
// bytes).
const maxServerName = 255

// tlsWriteChunk is the most plaintext one write hands to crypto/tls, which
// bounds the ciphertext a descriptor buffers while its socket is full.
const tlsWriteChunk = 64 << 10

// tlsPhase is where a descriptor's TLS session stands.
type tlsPhase uint8

const (
	tlsHandshaking tlsPhase = iota // a handshake is running (parked inside crypto/tls)
	tlsReady                       // handshake done: plaintext I/O
	tlsFailed                      // handshake failed: I/O returns s.errno
	tlsClosed
)

// tlsState is a descriptor's TLS session once tls_client or tls_server
// wrapped it. Loop goroutine only.
type tlsState struct {
	conn  *tls.Conn
	raw   *tlsRawConn
	phase tlsPhase
	errno abi.Errno // what I/O returns once the handshake failed
	// owed is the plaintext of the last write, accepted by crypto/tls but
	// whose ciphertext is still (partly) pending: the write returned EAGAIN
	// and the retry with the same bytes reports it written once flushed.
	owed []byte
}

// errWouldBlock is tlsRawConn's "would block": a temporary net.Error, which
// crypto/tls's record reader does not make sticky.
var errWouldBlock error = &tlsNetError{err: unix.EAGAIN}

// tlsNetError is a socket error as the net.Error crypto/tls inspects.
type tlsNetError struct{ err error }

func (e *tlsNetError) Error() string   { return "tls transport: " + e.err.Error() }
func (e *tlsNetError) Unwrap() error   { return e.err }
func (e *tlsNetError) Timeout() bool   { return errors.Is(e.err, evloop.ErrTimeout) }
func (e *tlsNetError) Temporary() bool { return e.err == unix.EAGAIN }

// tlsRawConn is the net.Conn under crypto/tls: the descriptor's raw
// non-blocking socket. Outside a handshake its Read returns errWouldBlock
// on EAGAIN and its Write always accepts everything into pending, sending
// what the socket takes. During a handshake (task set) both park the task
// on the descriptor instead, so crypto/tls never sees EAGAIN there.
type tlsRawConn struct {
	fd      int
	pd      *evloop.PollDesc
	pre     []byte // bytes read from the socket before TLS (readline's buffer)
	pending []byte // ciphertext not yet sent
	off     int    // pending[:off] is sent
	closed  bool   // the descriptor is closed: never touch fd again

	// Set while a handshake runs.
	task     *evloop.Task
	deadline time.Time
	waitErr  error // why a wait failed (timeout, close, interrupt)
}

func (r *tlsRawConn) Read(p []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(p, r.pre)
		r.pre = r.pre[n:]
		if len(r.pre) == 0 {
			r.pre = nil
		}
		return n, nil
	}
	for {
		if r.closed {
			return 0, net.ErrClosed
		}
		n, err := unix.Read(r.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return 0, &tlsNetError{err: err}
		case r.task == nil:
			return 0, errWouldBlock
		}
		if err := r.wait(evloop.Readable); err != nil {
			return 0, err
		}
	}
}

func (r *tlsRawConn) Write(p []byte) (int, error) {
	if r.closed {
		return 0, net.ErrClosed
	}
	r.pending = append(r.pending, p...)
	for {
		err := r.flush()
		switch {
		case err == nil:
			return len(p), nil
		case err != errWouldBlock:
			return 0, err
		case r.task == nil:
			return len(p), nil // the rest waits in pending
		}
		if err := r.wait(evloop.Writable); err != nil {
			return 0, err
		}
	}
}

// flush sends pending ciphertext without blocking: nil when all is sent,
// errWouldBlock when the socket is full.
func (r *tlsRawConn) flush() error {
	for r.off < len(r.pending) {
		if r.closed {
			return net.ErrClosed
		}
		n, err := unix.Write(r.fd, r.pending[r.off:])
		if n > 0 {
			r.off += n
		}
		switch err {
		case nil, unix.EINTR:
		case unix.EAGAIN:
			return errWouldBlock
		default:
			return &tlsNetError{err: err}
		}
	}
	if cap(r.pending) > 2*tlsWriteChunk {
		r.pending = nil // do not keep a burst's buffer for the connection's life
	} else {
		r.pending = r.pending[:0]
	}
	r.off = 0
	return nil
}

func (r *tlsRawConn) hasPending() bool { return r.off < len(r.pending) }

// wait parks the handshake's task until the socket is ready for mode.
func (r *tlsRawConn) wait(mode evloop.Readiness) error {
	if err := r.task.WaitFD(r.pd, mode, r.deadline); err != nil {
		r.waitErr = err
		return &tlsNetError{err: err}
	}
	return nil
}

// Close is called by tls.Conn.Close; the descriptor owns (and closes) fd.
func (r *tlsRawConn) Close() error {
	r.closed = true
	return nil
}

func (r *tlsRawConn) LocalAddr() net.Addr {
	sa, err := unix.Getsockname(r.fd)
	if err != nil || r.closed {
		return tlsNoAddr{}
	}
	return netAddrOf(sa)
}

func (r *tlsRawConn) RemoteAddr() net.Addr {
	sa, err := unix.Getpeername(r.fd)
	if err != nil || r.closed {
		return tlsNoAddr{}
	}
	return netAddrOf(sa)
}

// Deadlines are the descriptor's (its timeouts); crypto/tls's own (the 5 s
// close_notify deadline) do not apply to a socket that never blocks.
func (r *tlsRawConn) SetDeadline(time.Time) error      { return nil }
func (r *tlsRawConn) SetReadDeadline(time.Time) error  { return nil }
func (r *tlsRawConn) SetWriteDeadline(time.Time) error { return nil }

type tlsNoAddr struct{}

func (tlsNoAddr) Network() string { return "tcp" }
func (tlsNoAddr) String() string  { return "" }

func netAddrOf(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(bytes.Clone(a.Addr[:])), Port: a.Port}
	case *unix.SockaddrInet6:
		addr := &net.TCPAddr{IP: net.IP(bytes.Clone(a.Addr[:])), Port: a.Port}
		if a.ZoneId != 0 {
			addr.Zone = strconv.FormatUint(uint64(a.ZoneId), 10)
		}
		return addr
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return tlsNoAddr{}
}

// handshake runs the handshake on task t, which parks whenever the socket
// is not ready (until dl, when set). On failure the session is failed and
// the error returned; raw.waitErr tells whether a wait ended it.
func (s *tlsState) handshake(t *evloop.Task, dl time.Time) error {
	s.raw.task, s.raw.deadline, s.raw.waitErr = t, dl, nil
	err := s.conn.Handshake()
	s.raw.task, s.raw.deadline = nil, time.Time{}
	switch {
	case s.phase == tlsClosed:
		if err == nil {
			err = net.ErrClosed
		}
	case err == nil:
		s.phase = tlsReady
	default:
		s.phase = tlsFailed
		s.errno = abi.EPROTO
		if s.raw.waitErr != nil {
			s.errno = ToErrno(s.raw.waitErr)
		}
	}
	return err
}

// read reads plaintext without blocking: unix.EAGAIN when no full record
// is there (or the handshake is still running).
func (s *tlsState) read(d *Desc, p []byte) (int, error) {
	switch s.phase {
	case tlsHandshaking:
		return 0, unix.EAGAIN
	case tlsFailed:
		return 0, s.errno
	case tlsClosed:
		return 0, abi.EBADF
	}
	// Send what is owed first (a post-handshake reply, the tail of a
	// write); a full socket is no reason not to read.
	if s.raw.hasPending() {
		_ = s.raw.flush()
	}
	n, err := s.conn.Read(p)
	if n > 0 || err == nil {
		return n, nil // an error that came with bytes is returned again next time
	}
	return 0, s.ioError(err, false)
}

// write encrypts and sends plaintext without blocking. It returns
// unix.EAGAIN while earlier ciphertext is still pending; bytes it took are
// reported written once their ciphertext is sent, by the retry of the same
// write.
func (s *tlsState) write(d *Desc, p []byte) (int, error) {
	switch s.phase {
	case tlsHandshaking:
		return 0, unix.EAGAIN
	case tlsFailed:
		return 0, s.errno
	case tlsClosed:
		return 0, abi.EBADF
	}
	if s.raw.hasPending() {
		if err := s.raw.flush(); err != nil {
			return 0, s.ioError(err, true)
		}
	}
	if s.owed != nil {
		owed := s.owed
		s.owed = nil
		if bytes.HasPrefix(p, owed) {
			return len(owed), nil
		}
		// The guest gave up on that write; its bytes went out regardless.
	}
	if len(p) == 0 {
		return 0, nil
	}
	chunk := p[:min(len(p), tlsWriteChunk)]
	if _, err := s.conn.Write(chunk); err != nil {
		return 0, s.ioError(err, true)
	}
	if s.raw.hasPending() {
		s.owed = bytes.Clone(chunk)
		return 0, unix.EAGAIN
	}
	return len(chunk), nil
}

// ioError maps a crypto/tls error to what rawRead/rawWrite expect: EAGAIN,
// end of stream (nil for a read, EPIPE for a write), the socket's errno, or
// EPROTO for a TLS failure (a bad record, an alert from the peer).
func (s *tlsState) ioError(err error, write bool) error {
	if err == errWouldBlock {
		return unix.EAGAIN
	}
	if errors.Is(err, io.EOF) {
		if write {
			return unix.EPIPE
		}
		return nil
	}
	var ue unix.Errno
	if errors.As(err, &ue) {
		if ue == unix.EAGAIN { // a sticky copy of a would-block: cannot happen
			return abi.EPROTO
		}
		return ue
	}
	if errors.Is(err, net.ErrClosed) {
		return abi.EBADF
	}
	return abi.EPROTO
}

// close sends close_notify, best-effort and without blocking, and lets go
// of the socket (the descriptor closes it).
func (s *tlsState) close() {
	if s.phase == tlsReady {
		_ = s.conn.Close() // queues close_notify and flushes what fits
	}
	s.phase = tlsClosed
	s.raw.closed = true
	s.raw.pending, s.owed = nil, nil
}

// tlsSocket checks that d is a connected stream socket TLS can wrap.
func tlsSocket(d *Desc) abi.Errno {
	if d.Kind != KindSocket || d.OSFd < 0 || d.tls != nil {
		return abi.EINVAL
	}
	typ, err := unix.GetsockoptInt(d.OSFd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return ToErrno(err)
	}
	if typ != unix.SOCK_STREAM {
		return abi.EINVAL
	}
	if _, err := unix.Getpeername(d.OSFd); err != nil {
		return ToErrno(err) // ENOTCONN for a socket not (yet) connected
	}
	return 0
}

func hostTLSClient(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	nameLen, flags := c.u32(2), c.u32(3)
	// Bounds first: a range outside memory is EFAULT before anything else.
	if e := c.mem.check(c.u32(1), nameLen); e != 0 {
		return e
	}
	if flags&^abi.TLS_INSECURE_SKIP_VERIFY != 0 || nameLen > maxServerName {
		return abi.EINVAL
	}
	name, e := c.mem.string(c.u32(1), nameLen)
	if e != 0 {
		return e
	}
	insecure := flags&abi.TLS_INSECURE_SKIP_VERIFY != 0
	if (name == "" && !insecure) || strings.IndexByte(name, 0) >= 0 {
		return abi.EINVAL
	}
	if e := tlsSocket(d); e != 0 {
		return e
	}
	cfg := &tls.Config{}
	if base := c.in.rt.cfg.TLS.Client; base != nil {
		cfg = base.Clone()
	}
	cfg.ServerName = name
	if insecure {
		cfg.InsecureSkipVerify = true
	}
	// A renegotiation is a whole handshake inside Read, which cannot
	// survive EAGAIN.
	cfg.Renegotiation = tls.RenegotiateNever
	return c.startTLS(d, true, cfg, "server_name", name)
}

func hostTLSServer(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	// TLS_INSECURE_SKIP_VERIFY is accepted and changes nothing: whether
	// and how client certificates are checked is the embedder's policy.
	if c.u32(1)&^abi.TLS_INSECURE_SKIP_VERIFY != 0 {
		return abi.EINVAL
	}
	cfg := c.in.rt.cfg.TLS.Server
	if cfg == nil {
		return abi.ENOTSUP
	}
	if e := tlsSocket(d); e != 0 {
		return e
	}
	return c.startTLS(d, false, cfg, "side", "server")
}

// startTLS wraps d and runs the handshake: now, on the calling task, for a
// blocking descriptor; on a loop task of its own for a non-blocking one,
// whose reads and writes return EAGAIN until it is done.
func (c *call) startTLS(d *Desc, client bool, cfg *tls.Config, logArgs ...any) abi.Errno {
	raw := &tlsRawConn{fd: d.OSFd, pd: d.PD}
	if d.lineOff < len(d.line) {
		// Bytes readline buffered past the last line (say, a ClientHello
		// sent right after a STARTTLS line) belong to the TLS stream.
		raw.pre = bytes.Clone(d.line[d.lineOff:])
	}
	d.line, d.lineOff = nil, 0
	s := &tlsState{raw: raw}
	if client {
		s.conn = tls.Client(raw, cfg)
	} else {
		s.conn = tls.Server(raw, cfg)
	}
	d.tls = s
	log := c.in.rt.log
	dl := deadline(d.SendTimeout)
	s.phase = tlsHandshaking
	if d.NonBlock {
		d.PD.Loop().Go(func(t *evloop.Task) {
			err := s.handshake(t, dl)
			if err != nil && s.phase != tlsClosed {
				logTLSFailure(log, err, logArgs)
			}
			// Wake a guest polling for either direction: the handshake's
			// end may bring no socket event of its own.
			d.PD.SetReady(evloop.Readable | evloop.Writable)
		})
		return 0
	}
	if err := s.handshake(c.in.task, dl); err != nil {
		if werr := s.raw.waitErr; werr != nil {
			return c.waitErr(werr) // a timeout, a close, or the call's deadline
		}
		logTLSFailure(log, err, logArgs)
		return abi.EPROTO
	}
	return 0
}

func logTLSFailure(log *slog.Logger, err error, args []any) {
	log.Debug("ptsevent: TLS handshake failed", append(args, "err", err)...)
}
