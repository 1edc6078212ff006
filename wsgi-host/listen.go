package wsgihost

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// sockAddr is a socket address in the text forms the environ needs.
type sockAddr struct {
	ip       string // "127.0.0.1", "::1"; "" when unknown
	port     string
	wildcard bool // 0.0.0.0 or ::
}

func toSockAddr(sa unix.Sockaddr) sockAddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip := netip.AddrFrom4(a.Addr)
		return sockAddr{ip: ip.String(), port: strconv.Itoa(a.Port), wildcard: ip.IsUnspecified()}
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr).Unmap()
		return sockAddr{ip: ip.String(), port: strconv.Itoa(a.Port), wildcard: ip.IsUnspecified()}
	case *unix.SockaddrUnix:
		return sockAddr{ip: a.Name, port: "0"}
	}
	return sockAddr{}
}

// listenReusePort opens n listening TCP sockets on addr with SO_REUSEPORT.
// When addr's port is 0 the first socket picks the port and the others
// bind the same one.
func listenReusePort(addr string, n int) (fds []int, bound net.Addr, err error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("wsgihost: listen %s: %w", addr, err)
	}
	defer func() {
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			fds = nil
		}
	}()
	port := ta.Port
	for i := 0; i < n; i++ {
		fd, err := listenOne(ta.IP, port)
		if err != nil {
			return fds, nil, fmt.Errorf("wsgihost: listen %s: %w", addr, err)
		}
		fds = append(fds, fd)
		if i == 0 {
			sa, err := unix.Getsockname(fd)
			if err != nil {
				return fds, nil, fmt.Errorf("wsgihost: listen %s: %w", addr, err)
			}
			switch a := sa.(type) {
			case *unix.SockaddrInet4:
				port = a.Port
				bound = &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
			case *unix.SockaddrInet6:
				port = a.Port
				bound = &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
			}
		}
	}
	return fds, bound, nil
}

func listenOne(ip net.IP, port int) (int, error) {
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ip.To4(); ip4 != nil || ip == nil {
		a := &unix.SockaddrInet4{Port: port}
		copy(a.Addr[:], ip4)
		sa = a
		if ip == nil {
			// ":8080": every address, IPv4 and IPv6.
			family = unix.AF_INET6
			sa = &unix.SockaddrInet6{Port: port}
		}
	} else {
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil && family == unix.AF_INET6 && ip == nil {
		// No IPv6 on this machine: fall back to IPv4's wildcard.
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: port}
		fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return -1, err
	}
	opts := [][2]int{{unix.SOL_SOCKET, unix.SO_REUSEADDR}, {unix.SOL_SOCKET, unix.SO_REUSEPORT}}
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, o[0], o[1], 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if family == unix.AF_INET6 && ip == nil {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, 4096); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
