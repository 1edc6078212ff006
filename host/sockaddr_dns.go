package host

// The pts_sockaddr encoding of IP addresses as netip values, written for
// the DNS imports and shared with the socket imports (host/sockaddr.go).

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"

	"github.com/ptsevent/ptsevent/abi"
)

// putSockaddrIP encodes ip and port as a pts_sockaddr into b, which must
// hold abi.SockaddrSize bytes: AF_INET for IPv4 addresses, AF_INET6 for
// IPv6 ones (IPv4-mapped included: unmap first to get AF_INET), with the
// zone as scope_id. Every other byte is zeroed.
func putSockaddrIP(b []byte, ip netip.Addr, port int) {
	b = b[:abi.SockaddrSize]
	clear(b)
	binary.LittleEndian.PutUint16(b[abi.SockaddrOffPort:], uint16(port))
	if ip.Is4() {
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_INET)
		a := ip.As4()
		copy(b[abi.SockaddrOffAddr:], a[:])
		return
	}
	binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_INET6)
	binary.LittleEndian.PutUint32(b[abi.SockaddrOffScopeID:], scopeID(ip.Zone()))
	a := ip.As16()
	copy(b[abi.SockaddrOffAddr:], a[:])
}

// sockaddrIP decodes an AF_INET or AF_INET6 pts_sockaddr (b holds
// abi.SockaddrSize bytes). Other families give EAFNOSUPPORT.
func sockaddrIP(b []byte) (netip.Addr, int, abi.Errno) {
	b = b[:abi.SockaddrSize]
	port := int(binary.LittleEndian.Uint16(b[abi.SockaddrOffPort:]))
	switch binary.LittleEndian.Uint16(b[abi.SockaddrOffFamily:]) {
	case abi.AF_INET:
		return netip.AddrFrom4([4]byte(b[abi.SockaddrOffAddr:])), port, 0
	case abi.AF_INET6:
		ip := netip.AddrFrom16([16]byte(b[abi.SockaddrOffAddr:]))
		if id := binary.LittleEndian.Uint32(b[abi.SockaddrOffScopeID:]); id != 0 {
			ip = ip.WithZone(zoneName(id))
		}
		return ip, port, 0
	}
	return netip.Addr{}, 0, abi.EAFNOSUPPORT
}

// scopeID turns an IPv6 zone (an interface name or a number) into a
// scope_id; 0 when there is none or it is unknown.
func scopeID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// zoneName turns a scope_id into a zone: the interface's name when it
// exists, else the number.
func zoneName(id uint32) string {
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}
