package ptsevent

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// RawSockaddr is pts_sockaddr, the fixed-size (abi.SockaddrSize) socket
// address every socket import reads or writes.
type RawSockaddr = sys.Sockaddr

// SockaddrFromAddrPort encodes an IP address and port. An IPv4-mapped IPv6
// address is encoded as AF_INET; a numeric IPv6 zone becomes the scope ID
// (other zones are dropped).
func SockaddrFromAddrPort(ap netip.AddrPort) RawSockaddr {
	var sa RawSockaddr
	ip := ap.Addr()
	sa.Port = ap.Port()
	if ip.Is4() || ip.Is4In6() {
		sa.Family = abi.AF_INET
		a := ip.Unmap().As4()
		copy(sa.Addr[:], a[:])
		return sa
	}
	sa.Family = abi.AF_INET6
	sa.Addr = ip.As16()
	if z := ip.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ScopeID = uint32(n)
		}
	}
	return sa
}

// SockaddrFromUnix encodes an AF_UNIX path; a path that does not fit with
// its terminating NUL (abi.SockaddrPathMax bytes) fails with ENAMETOOLONG.
func SockaddrFromUnix(path string) (RawSockaddr, error) {
	var sa RawSockaddr
	if len(path) >= len(sa.Path) || strings.IndexByte(path, 0) >= 0 {
		return sa, eTOOLONG
	}
	sa.Family = abi.AF_UNIX
	copy(sa.Path[:], path)
	return sa, nil
}

// SockaddrFromAddr encodes a *net.TCPAddr, *net.UDPAddr, *net.IPAddr or
// *net.UnixAddr (net.Addr to pts_sockaddr).
func SockaddrFromAddr(a net.Addr) (RawSockaddr, error) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return sockaddrFromIP(a.IP, a.Port, a.Zone)
	case *net.UDPAddr:
		return sockaddrFromIP(a.IP, a.Port, a.Zone)
	case *net.IPAddr:
		return sockaddrFromIP(a.IP, 0, a.Zone)
	case *net.UnixAddr:
		return SockaddrFromUnix(a.Name)
	}
	return RawSockaddr{}, eAFNOSUP
}

func sockaddrFromIP(ip net.IP, port int, zone string) (RawSockaddr, error) {
	if port < 0 || port > 0xffff {
		return RawSockaddr{}, eINVAL
	}
	if len(ip) == 0 {
		ip = net.IPv4zero
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return RawSockaddr{}, eINVAL
	}
	if zone != "" {
		if _, err := strconv.ParseUint(zone, 10, 32); err != nil {
			return RawSockaddr{}, eINVAL // only numeric zones: there is no interface table
		}
		addr = addr.WithZone(zone)
	}
	return SockaddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))), nil
}

// AddrPortFromSockaddr decodes an AF_INET or AF_INET6 address; ok is false
// for other families.
func AddrPortFromSockaddr(sa *RawSockaddr) (ap netip.AddrPort, ok bool) {
	switch sa.Family {
	case abi.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(sa.Addr[:4])), sa.Port), true
	case abi.AF_INET6:
		ip := netip.AddrFrom16(sa.Addr)
		if sa.ScopeID != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(sa.ScopeID), 10))
		}
		return netip.AddrPortFrom(ip, sa.Port), true
	}
	return netip.AddrPort{}, false
}

// UnixPathFromSockaddr returns an AF_UNIX address's path.
func UnixPathFromSockaddr(sa *RawSockaddr) (string, bool) {
	if sa.Family != abi.AF_UNIX {
		return "", false
	}
	p := sa.Path[:]
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	return string(p), true
}

// AddrFromSockaddr decodes a pts_sockaddr into the net.Addr the network
// uses: *net.TCPAddr for "tcp*", *net.UDPAddr for "udp*", *net.UnixAddr for
// "unix*", *net.IPAddr otherwise. It returns nil for an unknown family (an
// unbound or unnamed socket's AF_UNSPEC, say).
func AddrFromSockaddr(sa *RawSockaddr, network string) net.Addr {
	if path, ok := UnixPathFromSockaddr(sa); ok {
		n := "unix"
		if strings.HasPrefix(network, "unix") {
			n = network
		}
		return &net.UnixAddr{Name: path, Net: n}
	}
	ap, ok := AddrPortFromSockaddr(sa)
	if !ok {
		return nil
	}
	switch {
	case strings.HasPrefix(network, "tcp"):
		return net.TCPAddrFromAddrPort(ap)
	case strings.HasPrefix(network, "udp"):
		return net.UDPAddrFromAddrPort(ap)
	}
	return &net.IPAddr{IP: ap.Addr().AsSlice(), Zone: ap.Addr().Zone()}
}
