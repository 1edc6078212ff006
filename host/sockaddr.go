package host

// The pts_sockaddr layout (abi.Sockaddr*) and its conversions:
//
//	guest bytes  <->  unix.Sockaddr  (socket imports: decodeSockaddr, putSockaddr)
//	guest bytes  <->  netip.Addr     (DNS imports: putSockaddrIP, sockaddrIP in sockaddr_dns.go)
//	unix.Sockaddr  ->  netip.AddrPort (sockaddrAddrPort)
//
// IPv4 addresses are AF_INET with the address in the first 4 bytes of addr;
// IPv6 addresses are AF_INET6 with all 16 bytes and the zone as a numeric
// scope_id (an interface index). Addresses the OS reports are encoded as the
// OS gave them: an IPv4-mapped address accepted on an AF_INET6 socket stays
// AF_INET6, so the guest can hand it back to the same socket.
//
// AF_UNIX paths are NUL-terminated at offset SockaddrOffPath, at most
// SockaddrPathMax-1 bytes. Following Linux tooling (and x/sys/unix), a path
// starting with '@' names the abstract namespace. A socket with no name
// (unbound, or from socketpair) encodes as an empty path.

import (
	"encoding/binary"
	"net/netip"

	"github.com/ptsevent/ptsevent/abi"
	"golang.org/x/sys/unix"
)

// readSockaddr reads and decodes the pts_sockaddr at guest pointer ptr.
func (c *call) readSockaddr(ptr uint32) (unix.Sockaddr, abi.Errno) {
	b, e := c.mem.bytes(ptr, abi.SockaddrSize)
	if e != 0 {
		return nil, e
	}
	return decodeSockaddr(b)
}

// decodeSockaddr decodes a pts_sockaddr (b holds at least abi.SockaddrSize
// bytes). An unknown family is EAFNOSUPPORT; an AF_UNIX path that is empty,
// not NUL-terminated within the path field, or too long is EINVAL.
func decodeSockaddr(b []byte) (unix.Sockaddr, abi.Errno) {
	b = b[:abi.SockaddrSize]
	port := int(binary.LittleEndian.Uint16(b[abi.SockaddrOffPort:]))
	switch binary.LittleEndian.Uint16(b[abi.SockaddrOffFamily:]) {
	case abi.AF_INET:
		sa := &unix.SockaddrInet4{Port: port}
		copy(sa.Addr[:], b[abi.SockaddrOffAddr:abi.SockaddrOffAddr+4])
		return sa, 0
	case abi.AF_INET6:
		sa := &unix.SockaddrInet6{Port: port, ZoneId: binary.LittleEndian.Uint32(b[abi.SockaddrOffScopeID:])}
		copy(sa.Addr[:], b[abi.SockaddrOffAddr:abi.SockaddrOffAddr+16])
		return sa, 0
	case abi.AF_UNIX:
		path := b[abi.SockaddrOffPath:abi.SockaddrSize]
		n := indexByte(path, 0)
		if n <= 0 { // no NUL in the field (too long), or empty
			return nil, abi.EINVAL
		}
		if n == 1 && path[0] == '@' { // an abstract name needs a name
			return nil, abi.EINVAL
		}
		return &unix.SockaddrUnix{Name: string(path[:n])}, 0
	}
	return nil, abi.EAFNOSUPPORT
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// putSockaddr encodes sa as a pts_sockaddr into b (abi.SockaddrSize bytes),
// zeroing every other byte. A nil sa (or one of a family the ABI has no
// number for) encodes as AF_UNSPEC: all zeros.
func putSockaddr(b []byte, sa unix.Sockaddr) {
	b = b[:abi.SockaddrSize]
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		putSockaddrIP(b, netip.AddrFrom4(sa.Addr), sa.Port)
	case *unix.SockaddrInet6:
		clear(b)
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_INET6)
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffPort:], uint16(sa.Port))
		binary.LittleEndian.PutUint32(b[abi.SockaddrOffScopeID:], sa.ZoneId)
		copy(b[abi.SockaddrOffAddr:], sa.Addr[:])
	case *unix.SockaddrUnix:
		clear(b)
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_UNIX)
		name := sa.Name
		if name == "@" { // x/sys/unix's rendering of an unnamed socket
			name = ""
		}
		// A name longer than the field (only possible for descriptors the
		// embedder handed in) is cut to keep the terminating NUL.
		if len(name) > abi.SockaddrPathMax-1 {
			name = name[:abi.SockaddrPathMax-1]
		}
		copy(b[abi.SockaddrOffPath:], name)
	default:
		clear(b)
	}
}

// writeSockaddr stores sa at guest pointer ptr (which the caller checked).
func (c *call) writeSockaddr(ptr uint32, sa unix.Sockaddr) abi.Errno {
	b, e := c.mem.bytes(ptr, abi.SockaddrSize)
	if e != 0 {
		return e
	}
	putSockaddr(b, sa)
	return 0
}

// checkSockaddrOut checks an optional out-pointer for a pts_sockaddr: 0
// means "not wanted".
func (c *call) checkSockaddrOut(ptr uint32) abi.Errno {
	if ptr == 0 {
		return 0
	}
	return c.mem.check(ptr, abi.SockaddrSize)
}

// sockaddrAddrPort returns the address and port of an AF_INET or AF_INET6
// sockaddr; ok is false for other families. An IPv6 scope_id becomes the
// zone (the interface name when it exists, else the number).
func sockaddrAddrPort(sa unix.Sockaddr) (ap netip.AddrPort, ok bool) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), true
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(zoneName(sa.ZoneId))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// sockaddrGranted reports whether the patterns ps admit sa: IP addresses
// by address and port (zones ignored, IPv4-mapped addresses match IPv4
// patterns), AF_UNIX sockets by path.
func sockaddrGranted(ps []AddrPattern, sa unix.Sockaddr) bool {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return allowIP(ps, netip.AddrFrom4(sa.Addr), sa.Port)
	case *unix.SockaddrInet6:
		return allowIP(ps, netip.AddrFrom16(sa.Addr), sa.Port)
	case *unix.SockaddrUnix:
		if hasDotDot(sa.Name) {
			return false
		}
		return allowUnix(ps, sa.Name)
	}
	return false
}

// hasDotDot reports whether path has a ".." element: a grant such as
// "unix:/run/app/*" must not admit "/run/app/../../etc/x".
func hasDotDot(path string) bool {
	for i := 0; i < len(path); {
		j := i
		for j < len(path) && path[j] != '/' {
			j++
		}
		if path[i:j] == ".." {
			return true
		}
		i = j + 1
	}
	return false
}
