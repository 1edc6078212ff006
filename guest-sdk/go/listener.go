package ptsevent

import (
	"net"
	"os"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// Listener is a listening stream socket (TCP or AF_UNIX). It implements
// net.Listener, so net/http's Server can serve on it (http.Serve(ln, h)):
// it replaces net.TCPListener and net.UnixListener.
type Listener struct {
	d       fdesc
	network string
	addr    net.Addr
	// unlink is the socket file Close removes: the path of an AF_UNIX
	// listener Listen bound, "" otherwise (see SetUnlinkOnClose).
	unlink string
	path   string
}

var _ net.Listener = (*Listener)(nil)

// Accept waits for and returns the next connection (accept), as a net.Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptConn is Accept returning the *Conn.
func (l *Listener) AcceptConn() (*Conn, error) {
	var sa RawSockaddr
	var fd int32
	var nb bool
	_, e := l.d.io(dirRead, func() (int, Errno) {
		// A connection accepted while goroutines exist starts
		// non-blocking, saving a set_nonblock on its first operation.
		nb = goroutines()
		flags := int32(0)
		if nb {
			flags = abi.SOCK_NONBLOCK
		}
		return 0, errno(sys.Accept(l.d.fd, flags, &fd, &sa))
	})
	if e != 0 {
		return nil, opError("accept", l.network, nil, l.addr, &l.d, e)
	}
	c := newConn(fd, l.network, nb, AddrFromSockaddr(&sa, l.network))
	if isTCP(l.network) {
		c.d.setsockoptInt(abi.IPPROTO_TCP, abi.TCP_NODELAY, 1)
	}
	return c, nil
}

// Close stops listening; a goroutine blocked in Accept returns an error
// matching net.ErrClosed. As net.UnixListener's, the Close of an AF_UNIX
// listener made by Listen also removes its socket file (unlink; errors
// ignored), unless SetUnlinkOnClose(false) said otherwise.
func (l *Listener) Close() error {
	if e := l.d.close(); e != 0 {
		return opError("close", l.network, nil, l.addr, &l.d, e)
	}
	if p := l.unlink; p != "" {
		l.unlink = ""
		sys.Unlink(p)
	}
	return nil
}

// SetUnlinkOnClose sets whether Close removes the socket file of an
// AF_UNIX listener, as net.UnixListener.SetUnlinkOnClose does. By default
// it does for listeners made by Listen, and not for FileListener's. It does
// nothing for TCP listeners and abstract socket names.
func (l *Listener) SetUnlinkOnClose(unlink bool) {
	l.unlink = ""
	if unlink {
		l.unlink = l.path
	}
}

// Unlink removes a file (unlink(2)): one under a directory the embedder
// mounted (read-write), or an AF_UNIX socket file at a path the bind grant
// covers. Directories are not removed. It replaces os.Remove for files.
func Unlink(path string) error {
	if e := errno(sys.Unlink(path)); e != 0 {
		return &os.PathError{Op: "unlink", Path: path, Err: e}
	}
	return nil
}

// Addr returns the address the listener is bound to (with the port the
// host chose for port 0).
func (l *Listener) Addr() net.Addr { return l.addr }

// Fd returns the listening socket's descriptor number.
func (l *Listener) Fd() Fd { return l.d.fd }

// SetDeadline sets a deadline for Accept (SO_RCVTIMEO on a blocking
// socket), like net.TCPListener's.
func (l *Listener) SetDeadline(t time.Time) error { l.d.dl[dirRead] = t; return nil }

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}
