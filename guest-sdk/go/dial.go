package ptsevent

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// netKind describes a network name: its address family (AF_UNSPEC for
// "tcp" and "udp": either) and socket type.
type netKind struct {
	family int32
	sotype int32
	unix   bool
}

func parseNetwork(network string) (netKind, error) {
	switch network {
	case "tcp":
		return netKind{abi.AF_UNSPEC, abi.SOCK_STREAM, false}, nil
	case "tcp4":
		return netKind{abi.AF_INET, abi.SOCK_STREAM, false}, nil
	case "tcp6":
		return netKind{abi.AF_INET6, abi.SOCK_STREAM, false}, nil
	case "udp":
		return netKind{abi.AF_UNSPEC, abi.SOCK_DGRAM, false}, nil
	case "udp4":
		return netKind{abi.AF_INET, abi.SOCK_DGRAM, false}, nil
	case "udp6":
		return netKind{abi.AF_INET6, abi.SOCK_DGRAM, false}, nil
	case "unix":
		return netKind{abi.AF_UNIX, abi.SOCK_STREAM, true}, nil
	case "unixgram":
		return netKind{abi.AF_UNIX, abi.SOCK_DGRAM, true}, nil
	}
	return netKind{}, net.UnknownNetworkError(network)
}

// wellKnownPorts resolves the common service names without the host's
// resolver (which needs a DNS grant).
var wellKnownPorts = map[string]uint16{
	"http": 80, "https": 443, "ftp": 21, "ssh": 22, "smtp": 25, "domain": 53,
	"pop3": 110, "imap": 143, "imaps": 993, "pop3s": 995, "submission": 587,
}

// resolve turns address into the socket addresses to try, in order. An IP
// literal, "localhost" and an empty host need no DNS; other names go
// through the host's getaddrinfo. passive selects the wildcard address for
// an empty host (Listen) instead of the loopback (Dial).
func resolve(k netKind, network, address string, passive bool) ([]RawSockaddr, error) {
	if k.unix {
		sa, err := SockaddrFromUnix(address)
		if err != nil {
			return nil, err
		}
		return []RawSockaddr{sa}, nil
	}
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, numeric := uint16(0), false
	if n, err := strconv.ParseUint(service, 10, 16); err == nil {
		port, numeric = uint16(n), true
	} else if p, ok := wellKnownPorts[service]; ok {
		port, numeric = p, true
	}
	var ip netip.Addr
	switch {
	case host == "" && passive:
		ip = netip.IPv4Unspecified()
		if k.family == abi.AF_INET6 {
			ip = netip.IPv6Unspecified()
		}
	case host == "" || host == "localhost":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if k.family == abi.AF_INET6 {
			ip = netip.IPv6Loopback()
		}
	default:
		ip, _ = netip.ParseAddr(host)
	}
	if ip.IsValid() && numeric {
		if (k.family == abi.AF_INET && !ip.Unmap().Is4()) || (k.family == abi.AF_INET6 && ip.Is4()) {
			return nil, &net.AddrError{Err: "no suitable address", Addr: host}
		}
		return []RawSockaddr{SockaddrFromAddrPort(netip.AddrPortFrom(ip, port))}, nil
	}
	hints := AddrInfoHints{Family: int(k.family), SockType: int(k.sotype)}
	if passive {
		hints.Flags |= abi.AI_PASSIVE
	}
	node := host
	if ip.IsValid() {
		node = ip.String()
		hints.Flags |= abi.AI_NUMERICHOST
	}
	ais, err := GetAddrInfo(node, service, &hints)
	if err != nil {
		return nil, err
	}
	out := make([]RawSockaddr, 0, len(ais))
	for _, ai := range ais {
		out = append(out, ai.raw)
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no suitable address", Name: host, IsNotFound: true}
	}
	return out, nil
}

// Dialer holds options for connecting, as net.Dialer does. The zero value
// dials with no timeout. Its DialContext and DialTLSContext fit
// http.Transport's fields of the same names, so an unmodified net/http
// client connects through the host:
//
//	d := &ptsevent.Dialer{Timeout: 30 * time.Second}
//	http.DefaultTransport = &http.Transport{DialContext: d.DialContext, DialTLSContext: d.DialTLSContext}
type Dialer struct {
	// Timeout bounds the whole dial, name resolution included (0: none).
	Timeout time.Duration
	// Deadline is an absolute bound (zero: none); the earlier of Timeout,
	// Deadline and the context's deadline applies.
	Deadline time.Time
	// LocalAddr, if set, is bound before connecting (needs a bind grant).
	LocalAddr net.Addr
	// InsecureSkipVerify makes DialTLSContext skip the certificate check
	// (TLS_INSECURE_SKIP_VERIFY; tests only).
	InsecureSkipVerify bool
}

// Dial connects to address on network (see DialContext).
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address on network: "tcp", "tcp4", "tcp6",
// "udp", "udp4", "udp6", "unix" or "unixgram". Host names are resolved
// with the host's getaddrinfo (a DNS grant); each address is tried in turn.
// The destination needs a connect grant (EACCES otherwise). It replaces
// net.Dialer.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialTLSContext connects like DialContext, then wraps the connection as a
// TLS client done by the host (tls_client), verifying the server against
// the host's roots for the host part of address. It fits
// http.Transport.DialTLSContext, so https needs no certificates in the
// guest.
func (d *Dialer) DialTLSContext(ctx context.Context, network, address string) (net.Conn, error) {
	dl := d.deadline(ctx)
	c, err := d.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	c.SetWriteDeadline(dl) // bounds the handshake too
	if err := TLSClient(c, host, d.InsecureSkipVerify); err != nil {
		c.Close()
		return nil, err
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

func (d *Dialer) deadline(ctx context.Context) time.Time {
	dl := d.Deadline
	if d.Timeout > 0 {
		if t := time.Now().Add(d.Timeout); dl.IsZero() || t.Before(dl) {
			dl = t
		}
	}
	if t, ok := ctx.Deadline(); ok && (dl.IsZero() || t.Before(dl)) {
		dl = t
	}
	return dl
}

func (d *Dialer) dial(ctx context.Context, network, address string) (*Conn, error) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: nil, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, opErr(err)
	}
	k, err := parseNetwork(network)
	if err != nil {
		return nil, opErr(err)
	}
	dl := d.deadline(ctx)
	addrs, err := resolve(k, network, address, false)
	if err != nil {
		return nil, opErr(err)
	}
	var local *RawSockaddr
	if d.LocalAddr != nil {
		sa, err := SockaddrFromAddr(d.LocalAddr)
		if err != nil {
			return nil, opErr(err)
		}
		local = &sa
	}
	var first error
	for i := range addrs {
		if err := ctx.Err(); err != nil {
			return nil, opErr(err)
		}
		c, err := dialOne(k, network, &addrs[i], local, dl)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if errors.Is(err, eTIMEDOUT) {
			break // the deadline covers every address
		}
	}
	return nil, first
}

// dialOne connects one socket to sa. With a deadline or goroutines the
// connect is non-blocking (socket with SOCK_NONBLOCK, connect returns
// EINPROGRESS, wait for POLLOUT, read SO_ERROR); otherwise it is one
// blocking connect.
func dialOne(k netKind, network string, sa, local *RawSockaddr, dl time.Time) (*Conn, error) {
	raddr := AddrFromSockaddr(sa, network)
	fail := func(e Errno) error { return &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: e} }
	if !dl.IsZero() && !time.Now().Before(dl) {
		return nil, fail(eTIMEDOUT)
	}
	nb := !dl.IsZero() || goroutines()
	typ := k.sotype
	if nb {
		typ |= abi.SOCK_NONBLOCK
	}
	var fd int32
	if e := errno(sys.Socket(int32(sa.Family), typ, 0, &fd)); e != 0 {
		return nil, fail(e)
	}
	c := newConn(fd, network, nb, raddr)
	if local != nil {
		if e := errno(sys.Bind(fd, local)); e != 0 {
			c.d.close()
			return nil, fail(e)
		}
	}
	e := errno(sys.Connect(fd, sa))
	if e == eINPROG && nb {
		c.d.dl[dirWrite] = dl
		e = wait(&c.d, abi.POLLOUT, dirWrite)
		c.d.dl[dirWrite] = time.Time{}
		if e == 0 {
			var soerr int
			soerr, e = c.d.getsockoptInt(abi.SOL_SOCKET, abi.SO_ERROR)
			if e == 0 {
				e = Errno(soerr)
			}
		}
	}
	if e != 0 {
		c.d.close()
		return nil, fail(e)
	}
	if nb && !goroutines() {
		// Connected under a deadline by a single goroutine: back to a
		// blocking descriptor, whose reads and writes cost one host call.
		c.d.setNonblock(false)
	}
	if k.sotype == abi.SOCK_STREAM && !k.unix {
		c.d.setsockoptInt(abi.IPPROTO_TCP, abi.TCP_NODELAY, 1)
	}
	return c, nil
}

// Dial connects to address on network with no timeout: it replaces
// net.Dial (the seed's socket.socket + connect). See Dialer.DialContext.
func Dial(network, address string) (*Conn, error) {
	return DialContext(context.Background(), network, address)
}

// DialContext is Dial bounded by ctx's deadline.
func DialContext(ctx context.Context, network, address string) (*Conn, error) {
	var d Dialer
	return d.dial(ctx, network, address)
}

// DialTimeout is Dial bounded by timeout, as net.DialTimeout.
func DialTimeout(network, address string, timeout time.Duration) (*Conn, error) {
	d := Dialer{Timeout: timeout}
	return d.dial(context.Background(), network, address)
}

// Listen binds a stream socket to address and listens on it: network is
// "tcp", "tcp4", "tcp6" or "unix". An empty host listens on every IPv4
// address ("tcp", "tcp4") or every IPv6 one ("tcp6"); port 0 lets the host
// pick (see Listener.Addr). Binding needs a bind grant. It replaces
// net.Listen.
func Listen(network, address string) (*Listener, error) {
	k, err := parseNetwork(network)
	fail := func(err error) error { return &net.OpError{Op: "listen", Net: network, Err: err} }
	if err != nil {
		return nil, fail(err)
	}
	if k.sotype != abi.SOCK_STREAM {
		return nil, fail(net.UnknownNetworkError(network))
	}
	fd, laddr, err := bindSocket(k, network, address)
	if err != nil {
		return nil, fail(err)
	}
	l := &Listener{d: fdesc{fd: fd, sock: true}, network: network, addr: laddr}
	if k.unix && address != "" && address[0] != '@' {
		// net.UnixListener removes the socket file it bound on Close.
		l.path = address
		l.unlink = address
	}
	if e := errno(sys.Listen(fd, 1024)); e != 0 {
		l.d.close()
		return nil, fail(e)
	}
	return l, nil
}

// ListenPacket binds a datagram socket to address: network is "udp",
// "udp4", "udp6" or "unixgram". It replaces net.ListenPacket.
func ListenPacket(network, address string) (*PacketConn, error) {
	k, err := parseNetwork(network)
	fail := func(err error) error { return &net.OpError{Op: "listen", Net: network, Err: err} }
	if err != nil {
		return nil, fail(err)
	}
	if k.sotype != abi.SOCK_DGRAM {
		return nil, fail(net.UnknownNetworkError(network))
	}
	fd, laddr, err := bindSocket(k, network, address)
	if err != nil {
		return nil, fail(err)
	}
	return &PacketConn{d: fdesc{fd: fd, sock: true, dgram: true}, network: network, laddr: laddr}, nil
}

// bindSocket makes a socket bound to the first address address resolves
// to, and returns it with its bound address.
func bindSocket(k netKind, network, address string) (Fd, net.Addr, error) {
	addrs, err := resolve(k, network, address, true)
	if err != nil {
		return -1, nil, err
	}
	sa := addrs[0]
	var fd int32
	if e := errno(sys.Socket(int32(sa.Family), k.sotype, 0, &fd)); e != 0 {
		return -1, nil, e
	}
	d := fdesc{fd: fd, sock: true}
	if !k.unix && k.sotype == abi.SOCK_STREAM {
		d.setsockoptInt(abi.SOL_SOCKET, abi.SO_REUSEADDR, 1)
	}
	if e := errno(sys.Bind(fd, &sa)); e != 0 {
		d.close()
		return -1, nil, e
	}
	laddr := sockname(fd, network, sys.Getsockname)
	if laddr == nil {
		laddr = AddrFromSockaddr(&sa, network)
	}
	return fd, laddr, nil
}

// Socketpair returns a connected pair of sockets (socketpair): family
// AF_UNIX, sotype SOCK_STREAM or SOCK_DGRAM. It replaces the seed's
// socket.socketpair.
func Socketpair(family, sotype int) (*Conn, *Conn, error) {
	var fds [2]int32
	if e := errno(sys.Socketpair(int32(family), int32(sotype), 0, &fds)); e != 0 {
		return nil, nil, &net.OpError{Op: "socketpair", Net: "unix", Err: e}
	}
	network := "unix"
	if sotype&abi.SOCK_TYPEMASK == abi.SOCK_DGRAM {
		network = "unixgram"
	}
	nb := sotype&abi.SOCK_NONBLOCK != 0
	return newConn(fds[0], network, nb, nil), newConn(fds[1], network, nb, nil), nil
}

// FileListener adopts the listening socket the embedder granted under name
// (fromfd): the seed's socket.fromfd for a server socket, like
// net.FileListener.
func FileListener(name string) (*Listener, error) {
	fd, err := fromfd(name)
	if err != nil {
		return nil, err
	}
	network, err := socketNetwork(fd)
	if err != nil {
		sys.Close(fd)
		return nil, &net.OpError{Op: "fromfd", Net: network, Err: err}
	}
	l := &Listener{d: fdesc{fd: fd, sock: true}, network: network}
	l.addr = sockname(fd, network, sys.Getsockname)
	return l, nil
}

// FileConn adopts the connected socket the embedder granted under name
// (fromfd), like net.FileConn.
func FileConn(name string) (*Conn, error) {
	fd, err := fromfd(name)
	if err != nil {
		return nil, err
	}
	network, err := socketNetwork(fd)
	if err != nil {
		sys.Close(fd)
		return nil, &net.OpError{Op: "fromfd", Net: network, Err: err}
	}
	return newConn(fd, network, false, nil), nil
}

// socketNetwork names the network of socket fd from its family and type.
func socketNetwork(fd Fd) (string, error) {
	var sa RawSockaddr
	if e := errno(sys.Getsockname(fd, &sa)); e != 0 {
		return "", e
	}
	d := fdesc{fd: fd}
	typ, e := d.getsockoptInt(abi.SOL_SOCKET, abi.SO_TYPE)
	if e != 0 {
		return "", e
	}
	stream := typ == abi.SOCK_STREAM
	switch {
	case sa.Family == abi.AF_UNIX && stream:
		return "unix", nil
	case sa.Family == abi.AF_UNIX:
		return "unixgram", nil
	case stream:
		return "tcp", nil
	}
	return "udp", nil
}
