package ptsevent

import (
	"io"
	"net"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// Conn is a connected socket: TCP, connected UDP or AF_UNIX. It implements
// net.Conn (and CloseRead/CloseWrite like *net.TCPConn) with the host's
// read and write imports, replacing net.TCPConn, net.UDPConn and
// net.UnixConn (the seed's socket_compat and realsocket_compat). After
// TLSClient or TLSServer it carries plaintext.
type Conn struct {
	d       fdesc
	network string
	laddr   net.Addr
	raddr   net.Addr
}

var _ net.Conn = (*Conn)(nil)

func newConn(fd Fd, network string, nb bool, raddr net.Addr) *Conn {
	c := &Conn{d: fdesc{fd: fd, sock: true, nb: nb, dgram: isDgram(network)}, network: network}
	if raddr != nil {
		c.raddr = raddr
	}
	return c
}

func isDgram(network string) bool {
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		return true
	}
	return false
}

// Fd returns the socket's descriptor number.
func (c *Conn) Fd() Fd { return c.d.fd }

// Read reads up to len(b) bytes (read); at end of stream it returns 0,
// io.EOF.
func (c *Conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, e := c.d.read(b)
	if e != 0 {
		return n, c.opErr("read", e)
	}
	if n == 0 && !c.d.dgram {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of b (write), unless an error or the write deadline
// stops it.
func (c *Conn) Write(b []byte) (int, error) {
	n, e := c.d.write(b)
	if e != 0 {
		return n, c.opErr("write", e)
	}
	return n, nil
}

// Close closes the socket. Goroutines blocked in its Read or Write return
// an error matching net.ErrClosed.
func (c *Conn) Close() error {
	if e := c.d.close(); e != 0 {
		return c.opErr("close", e)
	}
	return nil
}

// CloseRead shuts down the reading side (shutdown SHUT_RD).
func (c *Conn) CloseRead() error { return c.shutdown(abi.SHUT_RD) }

// CloseWrite shuts down the writing side (shutdown SHUT_WR): the peer
// reads end of stream.
func (c *Conn) CloseWrite() error { return c.shutdown(abi.SHUT_WR) }

func (c *Conn) shutdown(how int32) error {
	if c.d.closed {
		return c.opErr("shutdown", eBADF)
	}
	if e := errno(sys.Shutdown(c.d.fd, how)); e != 0 {
		return c.opErr("shutdown", e)
	}
	return nil
}

// LocalAddr returns the local address (getsockname, asked once).
func (c *Conn) LocalAddr() net.Addr {
	if c.laddr == nil && !c.d.closed {
		c.laddr = sockname(c.d.fd, c.network, sys.Getsockname)
	}
	return c.laddr
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	if c.raddr == nil && !c.d.closed {
		c.raddr = sockname(c.d.fd, c.network, sys.Getpeername)
	}
	return c.raddr
}

func sockname(fd Fd, network string, get func(int32, *RawSockaddr) uint32) net.Addr {
	var sa RawSockaddr
	if get(fd, &sa) != 0 {
		return nil
	}
	return AddrFromSockaddr(&sa, network)
}

// SetDeadline sets the read and write deadlines (see SetReadDeadline).
func (c *Conn) SetDeadline(t time.Time) error {
	c.d.dl = [2]time.Time{t, t}
	return nil
}

// SetReadDeadline sets the deadline for Read (and ReadLine): a call waiting
// past it fails with an error matching os.ErrDeadlineExceeded; a deadline
// in the past fails calls at once. On a blocking socket each call sets
// SO_RCVTIMEO to the time left; with goroutines it bounds the wait. The
// zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { c.d.dl[dirRead] = t; return nil }

// SetWriteDeadline sets the deadline for Write (SO_SNDTIMEO, see
// SetReadDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error { c.d.dl[dirWrite] = t; return nil }

// SetNoDelay sets TCP_NODELAY (on by default for dialed and accepted TCP
// connections).
func (c *Conn) SetNoDelay(on bool) error {
	return c.setopt("set TCP_NODELAY", abi.IPPROTO_TCP, abi.TCP_NODELAY, b2i(on))
}

// SetKeepAlive sets SO_KEEPALIVE.
func (c *Conn) SetKeepAlive(on bool) error {
	return c.setopt("set SO_KEEPALIVE", abi.SOL_SOCKET, abi.SO_KEEPALIVE, b2i(on))
}

// SetLinger sets SO_LINGER: sec < 0 restores the default (close returns at
// once, data is sent in the background), sec >= 0 lingers that long.
func (c *Conn) SetLinger(sec int) error {
	l := sys.Linger{Onoff: 1, Seconds: int32(sec)}
	if sec < 0 {
		l = sys.Linger{}
	}
	if e := errno(sys.Setsockopt(c.d.fd, abi.SOL_SOCKET, abi.SO_LINGER, (*byte)(unsafe.Pointer(&l)), abi.LingerSize)); e != 0 {
		return c.opErr("set SO_LINGER", e)
	}
	return nil
}

// SetReadBuffer sets SO_RCVBUF.
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.setopt("set SO_RCVBUF", abi.SOL_SOCKET, abi.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets SO_SNDBUF.
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.setopt("set SO_SNDBUF", abi.SOL_SOCKET, abi.SO_SNDBUF, bytes)
}

// SetsockoptInt sets an integer socket option (setsockopt), with package
// abi's level and name numbers.
func (c *Conn) SetsockoptInt(level, name, value int) error {
	return c.setopt("setsockopt", level, name, value)
}

// GetsockoptInt reads an integer socket option (getsockopt).
func (c *Conn) GetsockoptInt(level, name int) (int, error) {
	v, e := c.d.getsockoptInt(level, name)
	if e != 0 {
		return 0, c.opErr("getsockopt", e)
	}
	return v, nil
}

func (c *Conn) setopt(op string, level, name, value int) error {
	if e := c.d.setsockoptInt(level, name, value); e != 0 {
		return c.opErr(op, e)
	}
	return nil
}

// LineReader returns a LineReader over the connection (lines of at most
// size bytes, abi.ReadlineMax when size <= 0) that honours its read
// deadline.
func (c *Conn) LineReader(size int) *LineReader { return newLineReader(&c.d, size) }

func (c *Conn) opErr(op string, e Errno) error {
	return opError(op, c.network, c.laddr, c.raddr, &c.d, e)
}

// opError builds the *net.OpError the net package would return.
func opError(op, network string, source, addr net.Addr, d *fdesc, e Errno) error {
	var err error = e
	if e == eBADF && d.closed {
		err = net.ErrClosed
	}
	oe := &net.OpError{Op: op, Net: network, Err: err}
	if source != nil {
		oe.Source = source
	}
	if addr != nil {
		oe.Addr = addr
	}
	return oe
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
