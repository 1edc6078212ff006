package ptsevent

import (
	"net"
	"net/netip"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// The resolver. Every lookup is one host import that resolves without
// blocking the host's loop (the guest instance waits, others run); it needs
// the DNS grant (EACCES otherwise). A lookup blocks every goroutine of the
// instance until it ends.

// maxResults bounds the addresses one lookup returns.
const maxResults = 32

// AddrInfoHints narrows GetAddrInfo (pts_addrinfo_hints): Flags is a set of
// abi.AI_* flags, Family AF_UNSPEC/AF_INET/AF_INET6, SockType 0 (any),
// SOCK_STREAM or SOCK_DGRAM, Protocol 0 (any), abi.IPPROTO_TCP or
// abi.IPPROTO_UDP.
type AddrInfoHints struct {
	Flags, Family, SockType, Protocol int
}

// AddrInfo is one result of GetAddrInfo.
type AddrInfo struct {
	Family   int // AF_INET or AF_INET6
	SockType int // SOCK_STREAM or SOCK_DGRAM
	Protocol int // abi.IPPROTO_TCP or abi.IPPROTO_UDP
	Addr     netip.AddrPort
	raw      RawSockaddr
}

// NetAddr returns the address as a *net.TCPAddr (SOCK_STREAM) or
// *net.UDPAddr.
func (ai AddrInfo) NetAddr() net.Addr {
	if ai.SockType == abi.SOCK_DGRAM {
		return net.UDPAddrFromAddrPort(ai.Addr)
	}
	return net.TCPAddrFromAddrPort(ai.Addr)
}

// GetAddrInfo resolves node and service (either may be empty) with the
// host's getaddrinfo, filtered by hints (nil for none): the seed's
// socket.getaddrinfo. Errors are *net.DNSError values wrapping the Errno
// (EAI_NONAME, EAI_AGAIN, ...).
func GetAddrInfo(node, service string, hints *AddrInfoHints) ([]AddrInfo, error) {
	var h *sys.AddrinfoHints
	if hints != nil {
		h = &sys.AddrinfoHints{
			Flags: int32(hints.Flags), Family: int32(hints.Family),
			Socktype: int32(hints.SockType), Protocol: int32(hints.Protocol),
		}
	}
	res := make([]sys.Addrinfo, maxResults)
	var n uint32
	if e := errno(sys.Getaddrinfo(node, service, h, &res[0], maxResults, &n)); e != 0 {
		return nil, dnsError(e, node)
	}
	out := make([]AddrInfo, 0, n)
	for _, r := range res[:n] {
		ap, ok := AddrPortFromSockaddr(&r.Addr)
		if !ok {
			continue
		}
		out = append(out, AddrInfo{
			Family: int(r.Addr.Family), SockType: int(r.Socktype), Protocol: int(r.Protocol),
			Addr: ap, raw: r.Addr,
		})
	}
	return out, nil
}

// lookup resolves name to addresses of family (gethostbyname).
func lookup(name string, family int32) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs := make([]RawSockaddr, maxResults)
	var n uint32
	if e := errno(sys.Gethostbyname(name, family, &addrs[0], maxResults, &n)); e != 0 {
		return nil, dnsError(e, name)
	}
	out := make([]netip.Addr, 0, n)
	for i := range addrs[:n] {
		if ap, ok := AddrPortFromSockaddr(&addrs[i]); ok {
			out = append(out, ap.Addr())
		}
	}
	if len(out) == 0 {
		return nil, dnsError(eNODATA, name)
	}
	return out, nil
}

// LookupNetIP returns the IPv4 and IPv6 addresses of host, like
// net.Resolver.LookupNetIP with network "ip" (AF_UNSPEC), "ip4" or "ip6".
func LookupNetIP(network, host string) ([]netip.Addr, error) {
	fam := int32(abi.AF_UNSPEC)
	switch network {
	case "ip4":
		fam = abi.AF_INET
	case "ip6":
		fam = abi.AF_INET6
	}
	return lookup(host, fam)
}

// LookupIP returns host's addresses; it replaces net.LookupIP.
func LookupIP(host string) ([]net.IP, error) {
	addrs, err := lookup(host, abi.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	out := make([]net.IP, len(addrs))
	for i, a := range addrs {
		out[i] = a.AsSlice()
	}
	return out, nil
}

// LookupHost returns host's addresses as strings; it replaces
// net.LookupHost.
func LookupHost(host string) ([]string, error) {
	addrs, err := lookup(host, abi.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// GetHostByName returns the first IPv4 address of name as a string: the
// seed's socket.gethostbyname.
func GetHostByName(name string) (string, error) {
	addrs, err := lookup(name, abi.AF_INET)
	if err != nil {
		return "", err
	}
	return addrs[0].String(), nil
}

// GetHostByAddr returns the host name of an IP address (a PTR lookup,
// without the trailing dot): the seed's socket.gethostbyaddr.
func GetHostByAddr(addr string) (string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "", &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	sa := SockaddrFromAddrPort(netip.AddrPortFrom(ip, 0))
	buf := make([]byte, 256)
	for {
		var n uint32
		e := errno(sys.Gethostbyaddr(&sa, ptr(buf), uint32(len(buf)), &n))
		if e == eRANGE && int(n) > len(buf) {
			buf = make([]byte, n)
			continue
		}
		if e != 0 {
			return "", dnsError(e, addr)
		}
		return string(buf[:n]), nil
	}
}

// LookupAddr returns the names of an address, rooted with a trailing dot
// as net.LookupAddr returns them; it replaces net.LookupAddr.
func LookupAddr(addr string) ([]string, error) {
	name, err := GetHostByAddr(addr)
	if err != nil {
		return nil, err
	}
	return []string{name + "."}, nil
}

func dnsError(e Errno, name string) error {
	return &net.DNSError{
		UnwrapErr:   e,
		Err:         e.Error(),
		Name:        name,
		IsNotFound:  e == eNONAME || e == eNODATA,
		IsTemporary: e == eAIAGAIN,
		IsTimeout:   e == eAIAGAIN,
	}
}
