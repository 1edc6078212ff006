package ptsevent

import (
	"net"
	"time"

	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// PacketConn is an unconnected datagram socket (UDP or unixgram). It
// implements net.PacketConn with the host's recvfrom and sendto, replacing
// net.UDPConn from net.ListenPacket.
type PacketConn struct {
	d       fdesc
	network string
	laddr   net.Addr
}

var _ net.PacketConn = (*PacketConn)(nil)

// ReadFrom reads one datagram into b and returns its size and sender
// (recvfrom); a datagram longer than b is truncated.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	var sa RawSockaddr
	n, e := p.d.io(dirRead, func() (int, Errno) {
		var n uint32
		e := errno(sys.Recvfrom(p.d.fd, ptr(b), uint32(len(b)), 0, &sa, &n))
		return int(n), e
	})
	if e != 0 {
		return 0, nil, opError("read", p.network, p.laddr, nil, &p.d, e)
	}
	return n, AddrFromSockaddr(&sa, p.network), nil
}

// WriteTo sends b as one datagram to addr (sendto), which needs a connect
// grant for the destination.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	sa, err := SockaddrFromAddr(addr)
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: p.network, Addr: addr, Err: err}
	}
	n, e := p.d.io(dirWrite, func() (int, Errno) {
		var n uint32
		e := errno(sys.Sendto(p.d.fd, ptr(b), uint32(len(b)), 0, &sa, &n))
		return int(n), e
	})
	if e != 0 {
		return 0, opError("write", p.network, p.laddr, addr, &p.d, e)
	}
	return n, nil
}

// Close closes the socket.
func (p *PacketConn) Close() error {
	if e := p.d.close(); e != 0 {
		return opError("close", p.network, p.laddr, nil, &p.d, e)
	}
	return nil
}

// LocalAddr returns the bound address.
func (p *PacketConn) LocalAddr() net.Addr { return p.laddr }

// Fd returns the socket's descriptor number.
func (p *PacketConn) Fd() Fd { return p.d.fd }

// SetDeadline sets the read and write deadlines.
func (p *PacketConn) SetDeadline(t time.Time) error {
	p.d.dl = [2]time.Time{t, t}
	return nil
}

// SetReadDeadline sets the deadline for ReadFrom.
func (p *PacketConn) SetReadDeadline(t time.Time) error { p.d.dl[dirRead] = t; return nil }

// SetWriteDeadline sets the deadline for WriteTo.
func (p *PacketConn) SetWriteDeadline(t time.Time) error { p.d.dl[dirWrite] = t; return nil }
