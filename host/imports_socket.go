package host

// The socket imports. Every OS socket is created non-blocking and
// close-on-exec and registered with the instance's loop; whether the guest
// sees it as blocking is Desc.NonBlock (SOCK_NONBLOCK, set_nonblock). A call
// on a blocking descriptor that cannot finish parks the calling task until
// the loop reports readiness, bounded by the descriptor's SO_RCVTIMEO
// (accept, recv, recvfrom) or SO_SNDTIMEO (connect, send, sendto), which are
// kept on the Desc and enforced with loop timers (ETIMEDOUT). Every guest
// pointer is checked before the operation, so a bad pointer (EFAULT) has no
// side effect. Connect and sendto need a connect grant, bind (and listen on
// an unbound IP socket, which the kernel would bind to a port of its
// choosing) a bind grant: EACCES otherwise.
//
// Desc.Family and Desc.SockType hold the OS's values (unix.AF_INET,
// unix.SOCK_STREAM, ...).

import (
	"encoding/binary"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

func init() {
	register("socket", hostSocket)
	register("bind", hostBind)
	register("listen", hostListen)
	register("accept", hostAccept)
	register("connect", hostConnect)
	register("send", hostSend)
	register("recv", hostRecv)
	register("sendto", hostSendto)
	register("recvfrom", hostRecvfrom)
	register("shutdown", hostShutdown)
	register("getsockname", hostGetsockname)
	register("getpeername", hostGetpeername)
	register("setsockopt", hostSetsockopt)
	register("getsockopt", hostGetsockopt)
	register("socketpair", hostSocketpair)
}

// osFamily maps an ABI address family to the OS's.
func osFamily(af uint32) (int, abi.Errno) {
	switch af {
	case abi.AF_INET:
		return unix.AF_INET, 0
	case abi.AF_INET6:
		return unix.AF_INET6, 0
	case abi.AF_UNIX:
		return unix.AF_UNIX, 0
	}
	return 0, abi.EAFNOSUPPORT
}

// osSockType splits an ABI socket type into the OS's type and the guest's
// non-blocking flag. Unknown flag bits are EINVAL, unknown types
// EPROTOTYPE.
func osSockType(typ uint32) (int, bool, abi.Errno) {
	if typ&^(abi.SOCK_TYPEMASK|abi.SOCK_NONBLOCK|abi.SOCK_CLOEXEC) != 0 {
		return 0, false, abi.EINVAL
	}
	nb := typ&abi.SOCK_NONBLOCK != 0
	switch typ & abi.SOCK_TYPEMASK {
	case abi.SOCK_STREAM:
		return unix.SOCK_STREAM, nb, 0
	case abi.SOCK_DGRAM:
		return unix.SOCK_DGRAM, nb, 0
	}
	return 0, false, abi.EPROTOTYPE
}

// checkProtocol accepts protocol 0 or the one protocol the family and type
// imply (TCP for IP streams, UDP for IP datagrams).
func checkProtocol(family, typ int, proto int32) abi.Errno {
	switch {
	case proto == 0:
		return 0
	case family == unix.AF_UNIX:
	case typ == unix.SOCK_STREAM && proto == abi.IPPROTO_TCP:
		return 0
	case typ == unix.SOCK_DGRAM && proto == abi.IPPROTO_UDP:
		return 0
	}
	return abi.EPROTONOSUPPORT
}

// sock returns the descriptor in parameter i if it is an OS socket, else
// EBADF or ENOTSOCK.
func (c *call) sock(i int) (*Desc, abi.Errno) {
	d, e := c.desc(i)
	if e != 0 {
		return nil, e
	}
	if d.Kind != KindSocket || d.OSFd < 0 {
		return nil, abi.ENOTSOCK
	}
	return d, 0
}

// hasRoom reports EMFILE unless the table has room for n more descriptors.
func (c *call) hasRoom(n int) abi.Errno {
	if c.in.fds.count+n > c.in.fds.max {
		return abi.EMFILE
	}
	return 0
}

// retry runs op, the try of a non-blocking operation, until it stops
// returning EAGAIN: a non-blocking descriptor (or a dontWait call) returns
// EAGAIN at once, a blocking one parks until the descriptor is ready for
// mode and tries again, failing with ETIMEDOUT once timeout (0: none) has
// passed since the first wait. readInto and writeFrom are the same loop
// for plain reads and writes.
func (c *call) retry(d *Desc, mode evloop.Readiness, timeout time.Duration, dontWait bool, op func() abi.Errno) abi.Errno {
	var dl time.Time
	for {
		e := op()
		if e != abi.EAGAIN {
			return e
		}
		if d.NonBlock || dontWait {
			d.PD.ClearReady(mode)
			return abi.EAGAIN
		}
		if dl.IsZero() && timeout > 0 {
			dl = deadline(timeout)
		}
		if e := c.wait(d, mode, dl); e != 0 {
			return e
		}
	}
}

// hostSocket: socket(family, type, protocol, fd).
func hostSocket(c *call) abi.Errno {
	out := c.u32(3)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	fam, e := osFamily(c.u32(0))
	if e != 0 {
		return e
	}
	typ, nb, e := osSockType(c.u32(1))
	if e != 0 {
		return e
	}
	if e := checkProtocol(fam, typ, c.i32(2)); e != 0 {
		return e
	}
	if e := c.hasRoom(1); e != 0 {
		return e
	}
	s, err := unix.Socket(fam, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ToErrno(err)
	}
	fd, d, e := c.in.fds.AddOS(KindSocket, s, nb)
	if e != 0 {
		return e
	}
	d.setSocket(fam, typ)
	return c.mem.putU32(out, uint32(fd))
}

// hostBind: bind(fd, addr).
func hostBind(c *call) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	sa, e := c.readSockaddr(c.u32(1))
	if e != 0 {
		return e
	}
	if !sockaddrGranted(c.in.caps.Bind, sa) {
		return abi.EACCES
	}
	return ToErrno(unix.Bind(d.OSFd, sa))
}

// hostListen: listen(fd, backlog).
func hostListen(c *call) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	if d.Family == unix.AF_INET || d.Family == unix.AF_INET6 {
		// listen on an unbound socket binds it to the wildcard address
		// and an ephemeral port: that needs the grant bind would.
		sa, err := unix.Getsockname(d.OSFd)
		if err != nil {
			return ToErrno(err)
		}
		if ap, ok := sockaddrAddrPort(sa); ok && ap.Port() == 0 && !sockaddrGranted(c.in.caps.Bind, sa) {
			return abi.EACCES
		}
	}
	backlog := int(c.i32(1))
	if backlog < 0 {
		backlog = 0
	}
	return ToErrno(unix.Listen(d.OSFd, backlog))
}

// hostAccept: accept(fd, flags, newfd, addr).
func hostAccept(c *call) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	flags := c.u32(1)
	out, addr := c.u32(2), c.u32(3)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	if e := c.checkSockaddrOut(addr); e != 0 {
		return e
	}
	if flags&^(abi.SOCK_NONBLOCK|abi.SOCK_CLOEXEC) != 0 {
		return abi.EINVAL
	}
	// Refuse before accepting: a connection taken off the queue and then
	// closed for want of a number would reset the peer.
	if e := c.hasRoom(1); e != 0 {
		return e
	}
	var nfd int
	var peer unix.Sockaddr
	e = c.retry(d, evloop.Readable, d.RecvTimeout, false, func() abi.Errno {
		for {
			var err error
			nfd, peer, err = unix.Accept4(d.OSFd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			if err == unix.ECONNABORTED || err == unix.EINTR {
				continue // the peer gave up while queued: take the next one
			}
			return errnoOf(err)
		}
	})
	if e != 0 {
		return e
	}
	fd, nd, e := c.in.fds.AddOS(KindSocket, nfd, flags&abi.SOCK_NONBLOCK != 0)
	if e != 0 {
		return e
	}
	nd.setSocket(d.Family, d.SockType)
	if addr != 0 {
		c.writeSockaddr(addr, peer)
	}
	return c.mem.putU32(out, uint32(fd))
}

// hostConnect: connect(fd, addr).
//
// The OS socket is non-blocking, so the kernel answers EINPROGRESS for a
// TCP connect. A non-blocking guest descriptor gets that answer (the guest
// polls for POLLOUT, then reads SO_ERROR); a blocking one parks until the
// socket is writable (bounded by SO_SNDTIMEO) and gets the connect's
// outcome. A connect while one is in progress is EALREADY, after success
// EISCONN: the kernel keeps that state.
func hostConnect(c *call) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	sa, e := c.readSockaddr(c.u32(1))
	if e != 0 {
		return e
	}
	if !sockaddrGranted(c.in.caps.Connect, sa) {
		return abi.EACCES
	}
	err := unix.Connect(d.OSFd, sa)
	switch err {
	case nil:
		d.connecting = false
		return 0
	case unix.EINPROGRESS:
	case unix.EAGAIN:
		// AF_UNIX: the listener's backlog is full. No readiness edge tells
		// when it drains, so a blocking connect retries on a backoff.
		if d.NonBlock {
			return abi.EAGAIN
		}
		return c.connectBackoff(d, sa)
	default:
		return ToErrno(err)
	}
	d.connecting = true
	// Readiness seen before the connect started (a fresh socket reports
	// writable and hung up) says nothing about its outcome.
	d.PD.ClearReady(evloop.Readable | evloop.Writable | evloop.Hangup)
	if d.NonBlock {
		return abi.EINPROGRESS
	}
	dl := deadline(d.SendTimeout)
	for {
		if e := c.wait(d, evloop.Writable, dl); e != 0 {
			return e
		}
		soerr, err := unix.GetsockoptInt(d.OSFd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return ToErrno(err)
		}
		if soerr != 0 {
			d.connecting = false
			return ToErrno(unix.Errno(soerr))
		}
		if _, err := unix.Getpeername(d.OSFd); err == nil {
			d.connecting = false
			// Collect the completed connect as a second connect(2) would,
			// so the guest's next connect gets EISCONN, not 0 again.
			_ = unix.Connect(d.OSFd, sa)
			return 0
		}
		// Woken before the handshake ended: wait for the next edge.
	}
}

// connectBackoff retries an AF_UNIX connect that found the listener's
// backlog full, sleeping 1ms, 2ms, ... up to 50ms between tries, until it
// succeeds, fails otherwise, or SO_SNDTIMEO passes.
func (c *call) connectBackoff(d *Desc, sa unix.Sockaddr) abi.Errno {
	dl := deadline(d.SendTimeout)
	pause := time.Millisecond
	for {
		if !dl.IsZero() && !time.Now().Before(dl) {
			return abi.ETIMEDOUT
		}
		if e := c.waitErr(c.task().Sleep(pause)); e != 0 {
			return e
		}
		pause = min(2*pause, 50*time.Millisecond)
		if err := unix.Connect(d.OSFd, sa); err != unix.EAGAIN {
			return ToErrno(err)
		}
	}
}

// recvFlagsMask and sendFlagsMask are the flags recv/recvfrom and
// send/sendto accept.
const (
	recvFlagsMask = abi.MSG_PEEK | abi.MSG_DONTWAIT
	sendFlagsMask = abi.MSG_DONTWAIT
)

// withDontWait runs fn with d made non-blocking when dontWait is set, so
// readInto and writeFrom (and the TLS or stream below them) treat the call
// as MSG_DONTWAIT.
func withDontWait[T any](d *Desc, dontWait bool, fn func() (T, abi.Errno)) (T, abi.Errno) {
	if dontWait && !d.NonBlock {
		d.NonBlock = true
		defer func() { d.NonBlock = false }()
	}
	return fn()
}

// recvMsg receives into p with ABI recv flags. from is the sender's
// address when the socket reports one (datagram sockets), else nil.
// Plain receives go through readInto, so TLS sessions, virtual streams and
// the readline buffer keep working; MSG_PEEK is not supported on TLS
// sessions and streams (ENOTSUP).
func (c *call) recvMsg(d *Desc, p []byte, flags uint32, wantFrom bool) (n int, from unix.Sockaddr, e abi.Errno) {
	if flags&^recvFlagsMask != 0 {
		return 0, nil, abi.EINVAL
	}
	peek, dontWait := flags&abi.MSG_PEEK != 0, flags&abi.MSG_DONTWAIT != 0
	if d.lineOff < len(d.line) { // bytes readline already took in
		n = copy(p, d.line[d.lineOff:])
		if !peek {
			d.lineOff += n
		}
		return n, nil, 0
	}
	if d.tls != nil || d.Stream != nil || d.OSFd < 0 {
		if peek {
			return 0, nil, abi.ENOTSUP
		}
		n, e = withDontWait(d, dontWait, func() (int, abi.Errno) { return c.readInto(d, p) })
		return n, nil, e
	}
	if flags == 0 && !wantFrom {
		n, e = c.readInto(d, p)
		return n, nil, e
	}
	osFlags := 0
	if peek {
		osFlags |= unix.MSG_PEEK
	}
	e = c.retry(d, evloop.Readable, d.RecvTimeout, dontWait, func() abi.Errno {
		var err error
		n, from, err = unix.Recvfrom(d.OSFd, p, osFlags)
		return errnoOf(err)
	})
	if n < 0 || e != 0 {
		n = 0
	}
	return n, from, e
}

// sendMsg sends p with ABI send flags, to the address to when it is not
// nil (datagram sockets; stream sockets ignore it, as Linux's TCP does).
// Plain sends go through writeFrom (TLS sessions, virtual streams, and the
// all-bytes rule of blocking writes).
func (c *call) sendMsg(d *Desc, p []byte, flags uint32, to unix.Sockaddr) (int, abi.Errno) {
	if flags&^sendFlagsMask != 0 {
		return 0, abi.EINVAL
	}
	dontWait := flags&abi.MSG_DONTWAIT != 0
	if d.tls != nil || d.Stream != nil || d.OSFd < 0 || d.SockType == unix.SOCK_STREAM {
		to = nil
	}
	if to == nil {
		return withDontWait(d, dontWait, func() (int, abi.Errno) { return c.writeFrom(d, p) })
	}
	var n int
	e := c.retry(d, evloop.Writable, d.SendTimeout, dontWait, func() abi.Errno {
		var err error
		n, err = unix.SendmsgN(d.OSFd, p, nil, to, unix.MSG_NOSIGNAL)
		return errnoOf(err)
	})
	if n < 0 || e != 0 {
		n = 0
	}
	return n, e
}

// sockOrStream returns the descriptor in parameter i for send/recv: a
// socket or a virtual stream (which reads and writes like one).
func (c *call) sockOrStream(i int) (*Desc, abi.Errno) {
	d, e := c.desc(i)
	if e != 0 {
		return nil, e
	}
	if d.Kind != KindSocket && d.Kind != KindVirtual {
		return nil, abi.ENOTSOCK
	}
	return d, 0
}

// hostSend: send(fd, buf, buf_len, flags, nsent).
func hostSend(c *call) abi.Errno {
	d, e := c.sockOrStream(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	out := c.u32(4)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	n, e := c.sendMsg(d, buf, c.u32(3), nil)
	return c.ioResult(n, e, out)
}

// hostRecv: recv(fd, buf, buf_len, flags, nrecv).
func hostRecv(c *call) abi.Errno {
	d, e := c.sockOrStream(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	out := c.u32(4)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	n, _, e := c.recvMsg(d, buf, c.u32(3), false)
	return c.ioResult(n, e, out)
}

// hostSendto: sendto(fd, buf, buf_len, flags, addr, nsent). addr 0 sends
// like send.
func hostSendto(c *call) abi.Errno {
	d, e := c.sockOrStream(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	out := c.u32(5)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	var to unix.Sockaddr
	if addr := c.u32(4); addr != 0 {
		if to, e = c.readSockaddr(addr); e != 0 {
			return e
		}
		if !sockaddrGranted(c.in.caps.Connect, to) {
			return abi.EACCES
		}
	}
	n, e := c.sendMsg(d, buf, c.u32(3), to)
	return c.ioResult(n, e, out)
}

// hostRecvfrom: recvfrom(fd, buf, buf_len, flags, addr, nrecv). addr (0 to
// skip) receives the sender's address, AF_UNSPEC when the socket reports
// none (stream sockets).
func hostRecvfrom(c *call) abi.Errno {
	d, e := c.sockOrStream(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	addr, out := c.u32(4), c.u32(5)
	if e := c.checkSockaddrOut(addr); e != 0 {
		return e
	}
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	n, from, e := c.recvMsg(d, buf, c.u32(3), addr != 0)
	if e != 0 {
		return e
	}
	if addr != 0 {
		c.writeSockaddr(addr, from)
	}
	return c.mem.putU32(out, uint32(n))
}

// hostShutdown: shutdown(fd, how).
func hostShutdown(c *call) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	var how int
	switch c.u32(1) {
	case abi.SHUT_RD:
		how = unix.SHUT_RD
	case abi.SHUT_WR:
		how = unix.SHUT_WR
	case abi.SHUT_RDWR:
		how = unix.SHUT_RDWR
	default:
		return abi.EINVAL
	}
	return ToErrno(unix.Shutdown(d.OSFd, how))
}

// hostGetsockname: getsockname(fd, addr).
func hostGetsockname(c *call) abi.Errno {
	return c.sockname(unix.Getsockname)
}

// hostGetpeername: getpeername(fd, addr).
func hostGetpeername(c *call) abi.Errno {
	return c.sockname(unix.Getpeername)
}

func (c *call) sockname(get func(int) (unix.Sockaddr, error)) abi.Errno {
	d, e := c.sock(0)
	if e != 0 {
		return e
	}
	addr := c.u32(1)
	if e := c.mem.check(addr, abi.SockaddrSize); e != 0 {
		return e
	}
	sa, err := get(d.OSFd)
	if err != nil {
		return ToErrno(err)
	}
	return c.writeSockaddr(addr, sa)
}

// optKind is how a socket option's value is laid out and where it lives.
type optKind uint8

const (
	optInt     optKind = iota // an i32 passed to the OS
	optLinger                 // a pts_linger passed to the OS
	optTimeout                // an i64 of nanoseconds kept on the Desc
	optType                   // SO_TYPE: read-only, an ABI SOCK_* value
	optError                  // SO_ERROR: read-only, an ABI errno
)

// sockopt is one supported socket option: its OS level and name.
type sockopt struct {
	kind  optKind
	level int
	name  int
}

// size is the option value's size in guest memory.
func (o sockopt) size() uint32 {
	switch o.kind {
	case optLinger:
		return abi.LingerSize
	case optTimeout:
		return 8
	}
	return 4
}

// sockopts maps (ABI level, ABI name) to the options setsockopt and
// getsockopt support; anything else is ENOPROTOOPT.
var sockopts = map[[2]uint32]sockopt{
	{abi.SOL_SOCKET, abi.SO_REUSEADDR}:      {optInt, unix.SOL_SOCKET, unix.SO_REUSEADDR},
	{abi.SOL_SOCKET, abi.SO_REUSEPORT}:      {optInt, unix.SOL_SOCKET, unix.SO_REUSEPORT},
	{abi.SOL_SOCKET, abi.SO_KEEPALIVE}:      {optInt, unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	{abi.SOL_SOCKET, abi.SO_RCVBUF}:         {optInt, unix.SOL_SOCKET, unix.SO_RCVBUF},
	{abi.SOL_SOCKET, abi.SO_SNDBUF}:         {optInt, unix.SOL_SOCKET, unix.SO_SNDBUF},
	{abi.SOL_SOCKET, abi.SO_LINGER}:         {optLinger, unix.SOL_SOCKET, unix.SO_LINGER},
	{abi.SOL_SOCKET, abi.SO_TYPE}:           {optType, unix.SOL_SOCKET, unix.SO_TYPE},
	{abi.SOL_SOCKET, abi.SO_ERROR}:          {optError, unix.SOL_SOCKET, unix.SO_ERROR},
	{abi.SOL_SOCKET, abi.SO_RCVTIMEO}:       {kind: optTimeout, name: abi.SO_RCVTIMEO},
	{abi.SOL_SOCKET, abi.SO_SNDTIMEO}:       {kind: optTimeout, name: abi.SO_SNDTIMEO},
	{abi.IPPROTO_TCP, abi.TCP_NODELAY}:      {optInt, unix.IPPROTO_TCP, unix.TCP_NODELAY},
	{abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT}: {optInt, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT},
	{abi.IPPROTO_TCP, abi.TCP_KEEPIDLE}:     {optInt, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
}

// optDesc returns the descriptor and option of a setsockopt/getsockopt
// call. The host-side timeouts apply to virtual streams too; the other
// options need an OS socket.
func (c *call) optDesc() (*Desc, sockopt, abi.Errno) {
	d, e := c.sockOrStream(0)
	if e != 0 {
		return nil, sockopt{}, e
	}
	o, ok := sockopts[[2]uint32{c.u32(1), c.u32(2)}]
	if !ok {
		return nil, sockopt{}, abi.ENOPROTOOPT
	}
	if o.kind != optTimeout && d.OSFd < 0 {
		return nil, sockopt{}, abi.ENOTSOCK
	}
	return d, o, 0
}

// hostSetsockopt: setsockopt(fd, level, name, val, val_len).
func hostSetsockopt(c *call) abi.Errno {
	val, e := c.mem.bytes(c.u32(3), c.u32(4))
	if e != 0 {
		return e
	}
	d, o, e := c.optDesc()
	if e != 0 {
		return e
	}
	if uint32(len(val)) != o.size() {
		return abi.EINVAL
	}
	switch o.kind {
	case optInt:
		v := int(int32(binary.LittleEndian.Uint32(val)))
		return ToErrno(unix.SetsockoptInt(d.OSFd, o.level, o.name, v))
	case optLinger:
		l := unix.Linger{
			Onoff:  int32(binary.LittleEndian.Uint32(val)),
			Linger: int32(binary.LittleEndian.Uint32(val[4:])),
		}
		if l.Onoff != 0 && l.Linger != 0 {
			// Linux's close(2) waits up to a positive linger time even on
			// a non-blocking socket, which would stall the loop and every
			// guest on it: the kernel keeps its graceful close and the
			// close import does the waiting (lingerClose).
			if l.Linger < 0 {
				return abi.EINVAL
			}
			if err := unix.SetsockoptLinger(d.OSFd, o.level, o.name, &unix.Linger{}); err != nil {
				return ToErrno(err)
			}
			d.Linger = time.Duration(l.Linger) * time.Second
			return 0
		}
		if err := unix.SetsockoptLinger(d.OSFd, o.level, o.name, &l); err != nil {
			return ToErrno(err)
		}
		d.Linger = 0
		return 0
	case optTimeout:
		ns := int64(binary.LittleEndian.Uint64(val))
		if ns < 0 {
			return abi.EINVAL
		}
		if o.name == abi.SO_RCVTIMEO {
			d.RecvTimeout = time.Duration(ns)
		} else {
			d.SendTimeout = time.Duration(ns)
		}
		return 0
	}
	return abi.ENOPROTOOPT // SO_TYPE and SO_ERROR are read-only
}

// hostGetsockopt: getsockopt(fd, level, name, val, val_len, val_size).
func hostGetsockopt(c *call) abi.Errno {
	val, e := c.mem.bytes(c.u32(3), c.u32(4))
	if e != 0 {
		return e
	}
	out := c.u32(5)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	d, o, e := c.optDesc()
	if e != 0 {
		return e
	}
	size := o.size()
	if uint32(len(val)) < size {
		return abi.EINVAL
	}
	switch o.kind {
	case optInt:
		v, err := unix.GetsockoptInt(d.OSFd, o.level, o.name)
		if err != nil {
			return ToErrno(err)
		}
		binary.LittleEndian.PutUint32(val, uint32(int32(v)))
	case optLinger:
		l, err := unix.GetsockoptLinger(d.OSFd, o.level, o.name)
		if err != nil {
			return ToErrno(err)
		}
		if d.Linger > 0 {
			l = &unix.Linger{Onoff: 1, Linger: int32(d.Linger / time.Second)}
		}
		binary.LittleEndian.PutUint32(val, uint32(l.Onoff))
		binary.LittleEndian.PutUint32(val[4:], uint32(l.Linger))
	case optTimeout:
		t := d.RecvTimeout
		if o.name == abi.SO_SNDTIMEO {
			t = d.SendTimeout
		}
		binary.LittleEndian.PutUint64(val, uint64(t))
	case optType:
		v, err := unix.GetsockoptInt(d.OSFd, o.level, o.name)
		if err != nil {
			return ToErrno(err)
		}
		switch v {
		case unix.SOCK_STREAM:
			v = abi.SOCK_STREAM
		case unix.SOCK_DGRAM:
			v = abi.SOCK_DGRAM
		}
		binary.LittleEndian.PutUint32(val, uint32(v))
	case optError:
		v, err := unix.GetsockoptInt(d.OSFd, o.level, o.name)
		if err != nil {
			return ToErrno(err)
		}
		if v != 0 {
			d.connecting = false
		} else if d.connecting {
			if _, err := unix.Getpeername(d.OSFd); err == nil {
				d.connecting = false
			}
		}
		var errno abi.Errno
		if v != 0 {
			errno = ToErrno(unix.Errno(v))
		}
		binary.LittleEndian.PutUint32(val, uint32(errno))
	}
	return c.mem.putU32(out, size)
}

// hostSocketpair: socketpair(family, type, protocol, fds).
func hostSocketpair(c *call) abi.Errno {
	out := c.u32(3)
	if e := c.mem.check(out, 8); e != 0 {
		return e
	}
	if c.u32(0) != abi.AF_UNIX {
		return abi.EAFNOSUPPORT
	}
	typ, nb, e := osSockType(c.u32(1))
	if e != 0 {
		return e
	}
	if c.i32(2) != 0 {
		return abi.EPROTONOSUPPORT
	}
	if e := c.hasRoom(2); e != 0 {
		return e
	}
	p, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ToErrno(err)
	}
	a, da, e := c.in.fds.AddOS(KindSocket, p[0], nb)
	if e != 0 {
		unix.Close(p[1])
		return e
	}
	b, db, e := c.in.fds.AddOS(KindSocket, p[1], nb)
	if e != 0 {
		c.in.fds.Close(a)
		return e
	}
	da.setSocket(unix.AF_UNIX, typ)
	db.setSocket(unix.AF_UNIX, typ)
	c.mem.putU32(out, uint32(a))
	c.mem.putU32(out+4, uint32(b))
	return 0
}

// lingerClose is the wait of a lingering close (SO_LINGER with a positive
// time) on a blocking socket: it parks the guest until the peer has
// acknowledged everything sent (the send queue, SIOCOUTQ, is empty) or the
// linger time passes, checking on a backoff from 1ms to 50ms. The close
// that follows is the kernel's graceful one. A non-blocking descriptor
// does not wait.
func (c *call) lingerClose(d *Desc) {
	if d.Linger <= 0 || d.NonBlock || d.OSFd < 0 {
		return
	}
	dl := time.Now().Add(d.Linger)
	pause := time.Millisecond
	for {
		n, err := unix.IoctlGetInt(d.OSFd, unix.SIOCOUTQ)
		left := time.Until(dl)
		if err != nil || n == 0 || left <= 0 {
			return
		}
		if c.waitErr(c.task().Sleep(min(pause, left))) != 0 {
			return
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
