package host

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/internal/dnsclient"
)

// The DNS imports. Lookups run on the instance's loop through that loop's
// resolver (internal/dnsclient, whose queries libevent's evdns carries on
// the libevent backend and its own Go exchange on the others; guests see
// the same answers and errors either way): the calling guest is suspended
// while a query is in flight and every other task of the loop keeps
// running. All
// three need the DNS grant (EACCES without it), checked after the bounds
// of every pointer, and before any lookup.

func init() {
	register("getaddrinfo", hostGetaddrinfo)
	register("gethostbyname", hostGethostbyname)
	register("gethostbyaddr", hostGethostbyaddr)
}

// maxHostName bounds the names the DNS imports accept (NI_MAXHOST); longer
// ones cannot exist (EAI_NONAME).
const maxHostName = 1025

// resolver returns the resolver of the instance's loop.
func (c *call) resolver() (*dnsclient.Resolver, abi.Errno) {
	if c.in.rt == nil || c.in.rt.dns == nil {
		return nil, abi.EAI_FAIL
	}
	r, err := c.in.rt.dns.get(c.in.loop)
	if err != nil {
		return nil, abi.EAI_FAIL
	}
	return r, 0
}

// dnsErrno maps a resolver error to the EAI_* errno. A wait cut short by
// the call's deadline or the loop closing unwinds the guest (waitErr).
func (c *call) dnsErrno(err error) abi.Errno {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, dnsclient.ErrNotFound):
		return abi.EAI_NONAME
	case errors.Is(err, dnsclient.ErrNoData):
		return abi.EAI_NODATA
	case errors.Is(err, dnsclient.ErrTimeout):
		return abi.EAI_AGAIN
	case errors.Is(err, dnsclient.ErrServerFailure):
		return abi.EAI_FAIL
	case errors.Is(err, evloop.ErrCanceled):
		return c.waitErr(evloop.ErrCanceled)
	case errors.Is(err, evloop.ErrLoopClosed):
		return c.waitErr(evloop.ErrLoopClosed)
	}
	return abi.EAI_FAIL
}

// dnsFamily maps an AF_* value to the resolver's family, or EAI_FAMILY.
func dnsFamily(af int32) (dnsclient.Family, abi.Errno) {
	switch af {
	case abi.AF_UNSPEC:
		return dnsclient.AnyFamily, 0
	case abi.AF_INET:
		return dnsclient.IPv4, 0
	case abi.AF_INET6:
		return dnsclient.IPv6, 0
	}
	return 0, abi.EAI_FAMILY
}

// outArray checks the guest array of n elements of size bytes at ptr.
func (c *call) outArray(ptr, n, size uint32) ([]byte, abi.Errno) {
	total := uint64(n) * uint64(size)
	if total > uint64(^uint32(0)) {
		return nil, abi.EFAULT
	}
	return c.mem.bytes(ptr, uint32(total))
}

// sockKind is one (socktype, protocol) pair getaddrinfo answers with.
type sockKind struct{ typ, proto int32 }

var (
	kindStream = sockKind{abi.SOCK_STREAM, abi.IPPROTO_TCP}
	kindDgram  = sockKind{abi.SOCK_DGRAM, abi.IPPROTO_UDP}
)

// sockKinds returns the socket kinds hints ask for: socktype 0 means both
// stream and datagram, as getaddrinfo(3) does; a protocol narrows it.
func sockKinds(socktype, proto int32) ([]sockKind, abi.Errno) {
	switch {
	case socktype == 0 && proto == 0:
		return []sockKind{kindStream, kindDgram}, 0
	case (socktype == 0 || socktype == abi.SOCK_STREAM) && (proto == 0 || proto == abi.IPPROTO_TCP):
		return []sockKind{kindStream}, 0
	case (socktype == 0 || socktype == abi.SOCK_DGRAM) && (proto == 0 || proto == abi.IPPROTO_UDP):
		return []sockKind{kindDgram}, 0
	}
	return nil, abi.EAI_SERVICE
}

// service is an entry of the built-in services table.
type service struct {
	port     int
	tcp, udp bool
}

// services is a small services(5) table of well-known names, so a guest
// can say "http" without the host reading /etc/services (whose content
// varies between systems).
var services = map[string]service{
	"ftp-data": {20, true, false}, "ftp": {21, true, false}, "ssh": {22, true, false},
	"telnet": {23, true, false}, "smtp": {25, true, false}, "domain": {53, true, true},
	"dns": {53, true, true}, "tftp": {69, false, true}, "gopher": {70, true, false},
	"http": {80, true, false}, "www": {80, true, false}, "kerberos": {88, true, true},
	"pop3": {110, true, false}, "sunrpc": {111, true, true}, "ntp": {123, false, true},
	"imap": {143, true, false}, "imap2": {143, true, false}, "snmp": {161, true, true},
	"ldap": {389, true, false}, "https": {443, true, true}, "submissions": {465, true, false},
	"smtps": {465, true, false}, "syslog": {514, false, true}, "submission": {587, true, false},
	"ldaps": {636, true, false}, "domain-s": {853, true, true}, "imaps": {993, true, false},
	"pop3s": {995, true, false}, "socks": {1080, true, false}, "openvpn": {1194, true, true},
	"mysql": {3306, true, false}, "postgresql": {5432, true, false}, "postgres": {5432, true, false},
	"amqp": {5672, true, false}, "redis": {6379, true, false}, "http-alt": {8080, true, false},
	"git": {9418, true, false}, "memcache": {11211, true, true}, "memcached": {11211, true, true},
}

// servicePort resolves service for the kinds asked for and returns the
// port and the kinds it exists for. An empty service is port 0.
func servicePort(svc string, flags int32, kinds []sockKind) (int, []sockKind, abi.Errno) {
	if svc == "" {
		return 0, kinds, 0
	}
	if n, err := strconv.Atoi(svc); err == nil {
		if n < 0 || n > 65535 {
			return 0, nil, abi.EAI_SERVICE
		}
		return n, kinds, 0
	}
	if flags&abi.AI_NUMERICSERV != 0 {
		return 0, nil, abi.EAI_NONAME
	}
	s, ok := services[strings.ToLower(svc)]
	if !ok {
		return 0, nil, abi.EAI_SERVICE
	}
	var out []sockKind
	for _, k := range kinds {
		if (k == kindStream && s.tcp) || (k == kindDgram && s.udp) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return 0, nil, abi.EAI_SERVICE
	}
	return s.port, out, 0
}

// wellKnown returns the addresses of an empty node: the wildcard
// addresses for AI_PASSIVE, the loopback addresses otherwise.
func wellKnown(flags int32, fam dnsclient.Family) []netip.Addr {
	v4, v6 := netip.IPv4Unspecified(), netip.IPv6Unspecified()
	if flags&abi.AI_PASSIVE == 0 {
		v4, v6 = netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()
	}
	switch fam {
	case dnsclient.IPv4:
		return []netip.Addr{v4}
	case dnsclient.IPv6:
		return []netip.Addr{v6}
	}
	return []netip.Addr{v4, v6}
}

// familyOK reports whether numeric address a belongs to fam.
func familyOK(a netip.Addr, fam dnsclient.Family) bool {
	switch fam {
	case dnsclient.IPv4:
		return a.Is4()
	case dnsclient.IPv6:
		return a.Is6()
	}
	return true
}

// hostGetaddrinfo: getaddrinfo(node, node_len, service, service_len,
// hints, res, res_max, nres).
func hostGetaddrinfo(c *call) abi.Errno {
	nodeB, e := c.mem.bytes(c.u32(0), c.u32(1))
	if e != 0 {
		return e
	}
	svcB, e := c.mem.bytes(c.u32(2), c.u32(3))
	if e != 0 {
		return e
	}
	var flags, af, socktype, proto int32
	if hp := c.u32(4); hp != 0 {
		h, e := c.mem.bytes(hp, abi.AddrinfoHintsSize)
		if e != 0 {
			return e
		}
		flags = int32(binary.LittleEndian.Uint32(h[abi.AddrinfoHintsOffFlags:]))
		af = int32(binary.LittleEndian.Uint32(h[abi.AddrinfoHintsOffFam:]))
		socktype = int32(binary.LittleEndian.Uint32(h[abi.AddrinfoHintsOffType:]))
		proto = int32(binary.LittleEndian.Uint32(h[abi.AddrinfoHintsOffProto:]))
	}
	resMax := c.u32(6)
	if _, e := c.outArray(c.u32(5), resMax, abi.AddrinfoSize); e != 0 {
		return e
	}
	nres := c.u32(7)
	if e := c.mem.check(nres, 4); e != 0 {
		return e
	}
	if !c.in.caps.DNS {
		return abi.EACCES
	}

	fam, e := dnsFamily(af)
	if e != 0 {
		return e
	}
	kinds, e := sockKinds(socktype, proto)
	if e != 0 {
		return e
	}
	if len(nodeB) == 0 && len(svcB) == 0 {
		return abi.EAI_NONAME
	}
	if len(nodeB) > maxHostName {
		return abi.EAI_NONAME
	}
	if len(svcB) > 64 {
		return abi.EAI_SERVICE
	}
	node, svc := string(nodeB), string(svcB)
	port, kinds, e := servicePort(svc, flags, kinds)
	if e != 0 {
		return e
	}

	var addrs []netip.Addr
	switch {
	case node == "":
		addrs = wellKnown(flags, fam)
	case flags&abi.AI_NUMERICHOST != 0:
		a, err := netip.ParseAddr(node)
		if err != nil {
			return abi.EAI_NONAME
		}
		if !familyOK(a.Unmap(), fam) {
			return abi.EAI_NODATA
		}
		addrs = []netip.Addr{a.Unmap()}
	default:
		r, e := c.resolver()
		if e != 0 {
			return e
		}
		var err error
		addrs, _, err = r.LookupIP(c.in.task, node, fam)
		if err != nil {
			return c.dnsErrno(err)
		}
	}

	// Views of guest memory are taken again after the lookup: nothing
	// should have grown the memory while the guest was suspended, but a
	// stale view would write to a discarded buffer.
	res, e := c.outArray(c.u32(5), resMax, abi.AddrinfoSize)
	if e != 0 {
		return e
	}
	n := uint32(0)
	for _, a := range addrs {
		for _, k := range kinds {
			if n == resMax {
				break
			}
			ent := res[n*abi.AddrinfoSize : (n+1)*abi.AddrinfoSize]
			clear(ent)
			binary.LittleEndian.PutUint32(ent[abi.AddrinfoOffSocktype:], uint32(k.typ))
			binary.LittleEndian.PutUint32(ent[abi.AddrinfoOffProtocol:], uint32(k.proto))
			putSockaddrIP(ent[abi.AddrinfoOffSockaddr:], a, port)
			n++
		}
	}
	return c.mem.putU32(nres, n)
}

// hostGethostbyname: gethostbyname(name, name_len, family, addrs,
// addrs_max, naddrs).
func hostGethostbyname(c *call) abi.Errno {
	nameB, e := c.mem.bytes(c.u32(0), c.u32(1))
	if e != 0 {
		return e
	}
	addrsMax := c.u32(4)
	if _, e := c.outArray(c.u32(3), addrsMax, abi.SockaddrSize); e != 0 {
		return e
	}
	naddrs := c.u32(5)
	if e := c.mem.check(naddrs, 4); e != 0 {
		return e
	}
	if !c.in.caps.DNS {
		return abi.EACCES
	}
	fam, e := dnsFamily(c.i32(2))
	if e != 0 {
		return e
	}
	if len(nameB) == 0 || len(nameB) > maxHostName {
		return abi.EAI_NONAME
	}
	r, e := c.resolver()
	if e != 0 {
		return e
	}
	addrs, _, err := r.LookupIP(c.in.task, string(nameB), fam)
	if err != nil {
		return c.dnsErrno(err)
	}
	out, e := c.outArray(c.u32(3), addrsMax, abi.SockaddrSize)
	if e != 0 {
		return e
	}
	n := uint32(0)
	for _, a := range addrs {
		if n == addrsMax {
			break
		}
		putSockaddrIP(out[n*abi.SockaddrSize:(n+1)*abi.SockaddrSize], a, 0)
		n++
	}
	return c.mem.putU32(naddrs, n)
}

// hostGethostbyaddr: gethostbyaddr(addr, name, name_len, name_size). The
// name is written without a trailing dot; when it does not fit, *name_size
// still receives its length and the call fails with ERANGE, so the guest
// can retry with a larger buffer.
func hostGethostbyaddr(c *call) abi.Errno {
	sa, e := c.mem.bytes(c.u32(0), abi.SockaddrSize)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	size := c.u32(3)
	if e := c.mem.check(size, 4); e != 0 {
		return e
	}
	if !c.in.caps.DNS {
		return abi.EACCES
	}
	ip, _, e := sockaddrIP(sa)
	if e != 0 {
		return abi.EAI_FAMILY
	}
	r, e := c.resolver()
	if e != 0 {
		return e
	}
	names, err := r.LookupAddr(c.in.task, ip)
	if err != nil {
		return c.dnsErrno(err)
	}
	name := names[0]
	if e := c.mem.putU32(size, uint32(len(name))); e != 0 {
		return e
	}
	if len(name) > len(buf) {
		return abi.ERANGE
	}
	if buf, e = c.mem.bytes(c.u32(1), c.u32(2)); e != 0 {
		return e
	}
	copy(buf, name)
	return 0
}
