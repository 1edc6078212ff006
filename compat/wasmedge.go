package compat

import (
	"encoding/binary"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// The WasmEdge socket extension (WasmEdge lib/host/wasi/wasifunc.cpp,
// thirdparty/wasi/api.hpp; used by wasmedge_wasi_socket in Rust and by
// WasmEdge-targeted Go and C socket libraries), on the ptsevent socket
// imports: the same sockets in the same table, the same connect and bind
// grants (EACCES), the same DNS grant and resolver.
//
// Addresses are a __wasi_address_t {u32 buf, u32 buf_len} naming a buffer
// of 4 bytes (IPv4), 16 (IPv6), or 128 (WasmEdge v2's storage: u16 family
// then the address bytes, with AF_UNIX paths NUL-terminated); the port is
// a separate argument or out-pointer.

// WasmEdge's enums.
const (
	weAFInet4 = 1
	weAFInet6 = 2
	weAFUnix  = 3

	weSockDgram  = 1
	weSockStream = 2

	weProtoIP  = 0
	weProtoTCP = 1
	weProtoUDP = 2

	weAddrStorage  = 128
	weAddrinfo     = 28 // __wasi_addrinfo_t
	weSockaddrSize = 12 // __wasi_sockaddr_t
)

// WasmEdge's resolver errnos (77-87) for the ABI's EAI_* values.
var weEAI = map[abi.Errno]abi.Errno{
	abi.EAI_AGAIN:   78,
	abi.EAI_FAIL:    80,
	abi.EAI_FAMILY:  81,
	abi.EAI_NODATA:  83,
	abi.EAI_NONAME:  84,
	abi.EAI_SERVICE: 85,
}

const (
	weEAIBadFlag = 79
	weEAIMemory  = 82
)

// weAddrBuf reads the __wasi_address_t at ptr and returns its buffer.
func weAddrBuf(g mem, ptr uint32) ([]byte, abi.Errno) {
	hdr, e := g.bytes(ptr, 8)
	if e != 0 {
		return nil, e
	}
	return g.bytes(le.Uint32(hdr), le.Uint32(hdr[4:]))
}

// weSockaddr decodes an address buffer and port.
func weSockaddr(b []byte, port uint32) (unix.Sockaddr, abi.Errno) {
	if port > 0xffff {
		return nil, abi.EINVAL
	}
	switch len(b) {
	case 4:
		return &unix.SockaddrInet4{Port: int(port), Addr: [4]byte(b)}, 0
	case 16:
		return &unix.SockaddrInet6{Port: int(port), Addr: [16]byte(b)}, 0
	case weAddrStorage:
		data := b[2:]
		switch le.Uint16(b) {
		case weAFInet4:
			return &unix.SockaddrInet4{Port: int(port), Addr: [4]byte(data[:4])}, 0
		case weAFInet6:
			return &unix.SockaddrInet6{Port: int(port), Addr: [16]byte(data[:16])}, 0
		case weAFUnix:
			n := 0
			for n < len(data) && data[n] != 0 {
				n++
			}
			if n == 0 || n == len(data) {
				return nil, abi.EINVAL
			}
			return &unix.SockaddrUnix{Name: string(data[:n])}, 0
		}
		return nil, abi.EAFNOSUPPORT
	}
	return nil, abi.EINVAL
}

// putWeAddr stores sa in an address buffer: the bare address for a v1
// buffer of 4 or 16 bytes, family and address for a 128-byte one. It
// returns the port and v1's address type (4 or 6). A nil sa (an unnamed
// or unconnected socket) stores zeros.
func putWeAddr(b []byte, sa unix.Sockaddr) (port uint32, addrType uint32, e abi.Errno) {
	clear(b)
	storage := len(b) == weAddrStorage
	data := b
	if storage {
		data = b[2:]
	}
	var fam uint16
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if !storage && len(b) < 4 {
			return 0, 0, abi.EINVAL
		}
		fam, port, addrType = weAFInet4, uint32(sa.Port), 4
		copy(data, sa.Addr[:])
	case *unix.SockaddrInet6:
		if !storage && len(b) < 16 {
			return 0, 0, abi.EINVAL
		}
		fam, port, addrType = weAFInet6, uint32(sa.Port), 6
		copy(data, sa.Addr[:])
	case *unix.SockaddrUnix:
		if !storage {
			return 0, 0, abi.EAFNOSUPPORT
		}
		fam = weAFUnix
		copy(data[:len(data)-1], sa.Name)
	case nil:
	default:
		return 0, 0, abi.EAFNOSUPPORT
	}
	if storage {
		le.PutUint16(b, fam)
	}
	return port, addrType, 0
}

// sock_open(af, socktype, fd): a blocking socket.
func weSockOpen(s *host.Sys, g mem, p []uint64) abi.Errno {
	out := u32Arg(p, 2)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	var fam, typ uint32
	switch u32Arg(p, 0) {
	case weAFInet4:
		fam = abi.AF_INET
	case weAFInet6:
		fam = abi.AF_INET6
	case weAFUnix:
		fam = abi.AF_UNIX
	default:
		return abi.EINVAL
	}
	switch u32Arg(p, 1) {
	case weSockDgram:
		typ = abi.SOCK_DGRAM
	case weSockStream:
		typ = abi.SOCK_STREAM
	default:
		return abi.EINVAL
	}
	fd, e := s.Socket(fam, typ)
	if e != 0 {
		return e
	}
	return g.putU32(out, uint32(fd))
}

// sock_bind(fd, addr, port): needs a bind grant.
func weSockBind(s *host.Sys, g mem, p []uint64) abi.Errno {
	b, e := weAddrBuf(g, u32Arg(p, 1))
	if e != 0 {
		return e
	}
	sa, e := weSockaddr(b, u32Arg(p, 2))
	if e != 0 {
		return e
	}
	return s.Bind(fdArg(p, 0), sa)
}

// sock_connect(fd, addr, port): needs a connect grant; a blocking socket
// parks the guest until the connection is made.
func weSockConnect(s *host.Sys, g mem, p []uint64) abi.Errno {
	b, e := weAddrBuf(g, u32Arg(p, 1))
	if e != 0 {
		return e
	}
	sa, e := weSockaddr(b, u32Arg(p, 2))
	if e != 0 {
		return e
	}
	return s.Connect(fdArg(p, 0), sa)
}

// sock_listen(fd, backlog).
func weSockListen(s *host.Sys, _ mem, p []uint64) abi.Errno {
	return s.Listen(fdArg(p, 0), int32(uint32(p[1])))
}

// sock_accept(fd, fd_out), WasmEdge v1: the new socket is blocking.
func weSockAcceptV1(s *host.Sys, g mem, p []uint64) abi.Errno {
	out := u32Arg(p, 1)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	fd, _, e := s.Accept(fdArg(p, 0), 0)
	if e != 0 {
		return e
	}
	return g.putU32(out, uint32(fd))
}

// recvFrom is sock_recv_from: v2 also stores the sender's port (a u16, as
// WasmEdge does) at portOut when it is not nil.
func recvFrom(s *host.Sys, g mem, p []uint64, portOut *uint32, outN, outFlags uint32) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	bufs, e := g.iovecs(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	addr, e := weAddrBuf(g, u32Arg(p, 3))
	if e != 0 {
		return e
	}
	if l := len(addr); l != 4 && l != 16 && l != weAddrStorage {
		return abi.EINVAL
	}
	if portOut != nil {
		if e := g.check(*portOut, 2); e != 0 {
			return e
		}
	}
	if e := g.check(outN, 4); e != 0 {
		return e
	}
	if e := g.check(outFlags, 2); e != 0 {
		return e
	}
	flags, waitall, e := riflags(u32Arg(p, 4))
	if e != 0 {
		return e
	}
	n, from, e := recvInto(s, d, bufs, flags, waitall, true)
	if e != 0 {
		return e
	}
	port, _, _ := putWeAddr(addr, from)
	if portOut != nil {
		g.putU16(*portOut, uint16(port))
	}
	g.putU16(outFlags, 0)
	return g.putU32(outN, uint32(n))
}

// sock_recv_from(fd, ri_data, ri_data_len, addr, ri_flags, port,
// ro_datalen, ro_flags), v2.
func weSockRecvFromV2(s *host.Sys, g mem, p []uint64) abi.Errno {
	port := u32Arg(p, 5)
	return recvFrom(s, g, p, &port, u32Arg(p, 6), u32Arg(p, 7))
}

// sock_recv_from(fd, ri_data, ri_data_len, addr, ri_flags, ro_datalen,
// ro_flags), v1: no port.
func weSockRecvFromV1(s *host.Sys, g mem, p []uint64) abi.Errno {
	return recvFrom(s, g, p, nil, u32Arg(p, 5), u32Arg(p, 6))
}

// sock_send_to(fd, si_data, si_data_len, addr, port, si_flags,
// so_datalen): needs a connect grant for the address.
func weSockSendTo(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	bufs, e := g.iovecs(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	b, e := weAddrBuf(g, u32Arg(p, 3))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 6)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	sa, e := weSockaddr(b, u32Arg(p, 4))
	if e != 0 {
		return e
	}
	if u32Arg(p, 5) != 0 {
		return abi.EINVAL
	}
	n, e := s.Send(d, gather(bufs), 0, sa)
	if e != 0 {
		return e
	}
	return g.putU32(out, uint32(n))
}

// sockAddr is sock_getlocaladdr and sock_getpeeraddr: v2 (addrType 0)
// needs a 128-byte buffer and stores the family in it; v1 stores the bare
// address in a 4- or 16-byte buffer and 4 or 6 at addrType (WasmEdge's
// kept quirk). The port is a u32.
func sockAddr(s *host.Sys, g mem, p []uint64, peer bool, addrType, portOut uint32, v1 bool) abi.Errno {
	b, e := weAddrBuf(g, u32Arg(p, 1))
	if e != 0 {
		return e
	}
	if v1 {
		if len(b) != 4 && len(b) != 16 {
			return abi.EINVAL
		}
		if e := g.check(addrType, 4); e != 0 {
			return e
		}
	} else if len(b) != weAddrStorage {
		return abi.EINVAL
	}
	if e := g.check(portOut, 4); e != 0 {
		return e
	}
	sa, e := s.SockName(fdArg(p, 0), peer)
	if e != 0 {
		return e
	}
	if v1 {
		var tmp [16]byte
		port, typ, e := putWeAddr(tmp[:], sa)
		if e != 0 {
			return e
		}
		if typ == 6 && len(b) < 16 {
			return abi.EINVAL
		}
		copy(b, tmp[:])
		g.putU32(addrType, typ)
		return g.putU32(portOut, port)
	}
	port, _, e := putWeAddr(b, sa)
	if e != 0 {
		return e
	}
	return g.putU32(portOut, port)
}

func weSockLocalAddrV2(s *host.Sys, g mem, p []uint64) abi.Errno {
	return sockAddr(s, g, p, false, 0, u32Arg(p, 2), false)
}

func weSockPeerAddrV2(s *host.Sys, g mem, p []uint64) abi.Errno {
	return sockAddr(s, g, p, true, 0, u32Arg(p, 2), false)
}

func weSockLocalAddrV1(s *host.Sys, g mem, p []uint64) abi.Errno {
	return sockAddr(s, g, p, false, u32Arg(p, 2), u32Arg(p, 3), true)
}

func weSockPeerAddrV1(s *host.Sys, g mem, p []uint64) abi.Errno {
	return sockAddr(s, g, p, true, u32Arg(p, 2), u32Arg(p, 3), true)
}

// weOpt is a WasmEdge socket option (level SOL_SOCKET, 0) and its ABI
// counterpart; kind says how the value converts.
type weOpt struct {
	name uint32
	kind uint8
}

const (
	weOptInt     = iota // an i32, as is
	weOptLinger         // struct linger {i32 onoff; i32 linger}, as is
	weOptTimeval        // struct timeval {i64 sec; usec} <-> the ABI's i64 ns
	weOptType           // SO_TYPE: the ABI's type as WasmEdge's
	weOptError          // SO_ERROR: the errno, as is (both are WASI's)
)

// weOpts maps WasmEdge's __wasi_sock_opt_so_t to the ABI's options; the
// names WasmEdge defines and the ABI lacks (DONTROUTE, BROADCAST,
// OOBINLINE, RCVLOWAT, ACCEPTCONN) are ENOPROTOOPT.
var weOpts = map[uint32]weOpt{
	0:  {abi.SO_REUSEADDR, weOptInt},
	1:  {abi.SO_TYPE, weOptType},
	2:  {abi.SO_ERROR, weOptError},
	5:  {abi.SO_SNDBUF, weOptInt},
	6:  {abi.SO_RCVBUF, weOptInt},
	7:  {abi.SO_KEEPALIVE, weOptInt},
	9:  {abi.SO_LINGER, weOptLinger},
	11: {abi.SO_RCVTIMEO, weOptTimeval},
	12: {abi.SO_SNDTIMEO, weOptTimeval},
}

// weOption looks up a WasmEdge level and option name.
func weOption(level, name uint32) (weOpt, abi.Errno) {
	if level != 0 || name > 13 {
		return weOpt{}, abi.EINVAL
	}
	o, ok := weOpts[name]
	if !ok {
		return weOpt{}, abi.ENOPROTOOPT
	}
	return o, 0
}

// weOptSize is the size of an option's value in guest memory.
func weOptSize(o weOpt) int {
	switch o.kind {
	case weOptLinger:
		return 8
	case weOptTimeval:
		return 16
	}
	return 4
}

// sock_setsockopt(fd, level, name, flag, flag_size).
func weSockSetopt(s *host.Sys, g mem, p []uint64) abi.Errno {
	val, e := g.bytes(u32Arg(p, 3), u32Arg(p, 4))
	if e != 0 {
		return e
	}
	o, e := weOption(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	if len(val) != weOptSize(o) {
		return abi.EINVAL
	}
	var v []byte
	switch o.kind {
	case weOptInt, weOptLinger:
		v = val
	case weOptTimeval:
		sec := int64(le.Uint64(val))
		usec := int64(int32(le.Uint32(val[8:])))
		if sec < 0 || usec < 0 || usec >= 1e6 {
			return abi.EINVAL
		}
		v = binary.LittleEndian.AppendUint64(nil, uint64(time.Duration(sec)*time.Second+time.Duration(usec)*time.Microsecond))
	default:
		return abi.ENOPROTOOPT // read-only
	}
	return s.SetSockopt(fdArg(p, 0), abi.SOL_SOCKET, o.name, v)
}

// sock_getsockopt(fd, level, name, flag, flag_size): flag_size points to
// the value's size, in and out.
func weSockGetopt(s *host.Sys, g mem, p []uint64) abi.Errno {
	sizePtr := u32Arg(p, 4)
	size, e := g.u32(sizePtr)
	if e != 0 {
		return e
	}
	val, e := g.bytes(u32Arg(p, 3), size)
	if e != 0 {
		return e
	}
	o, e := weOption(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	want := weOptSize(o)
	if len(val) < want {
		return abi.EINVAL
	}
	var abiVal [8]byte
	abiSize := 4
	switch o.kind {
	case weOptLinger, weOptTimeval:
		abiSize = 8
	}
	if _, e := s.GetSockopt(fdArg(p, 0), abi.SOL_SOCKET, o.name, abiVal[:abiSize]); e != 0 {
		return e
	}
	clear(val[:want])
	switch o.kind {
	case weOptInt, weOptError, weOptLinger:
		copy(val, abiVal[:abiSize])
	case weOptType:
		t := uint32(weSockStream)
		if le.Uint32(abiVal[:]) == abi.SOCK_DGRAM {
			t = weSockDgram
		}
		le.PutUint32(val, t)
	case weOptTimeval:
		d := time.Duration(le.Uint64(abiVal[:]))
		le.PutUint64(val, uint64(d/time.Second))
		le.PutUint64(val[8:], uint64((d%time.Second)/time.Microsecond))
	}
	return g.putU32(sizePtr, uint32(want))
}

// weAddrinfoSlot is one preallocated result of sock_getaddrinfo: the
// __wasi_addrinfo_t, its __wasi_sockaddr_t, and the sa_data buffer.
type weAddrinfoSlot struct {
	ai, sa, data []byte
}

// sock_getaddrinfo(node, node_len, service, service_len, hints, res,
// max_res_len, res_len): the getaddrinfo import (DNS grant, the loop's
// resolver) with WasmEdge's layout. *res points to a chain (ai_next) of
// max_res_len preallocated __wasi_addrinfo_t, each with its
// __wasi_sockaddr_t and sa_data buffer; the answers fill them in order,
// sa_data holding the port (big-endian) and address as in a struct
// sockaddr's sa_data. Resolver errors are WasmEdge's AI errnos (77-87).
func weSockGetaddrinfo(s *host.Sys, g mem, p []uint64) abi.Errno {
	node, e := g.string(u32Arg(p, 0), u32Arg(p, 1))
	if e != 0 {
		return e
	}
	service, e := g.string(u32Arg(p, 2), u32Arg(p, 3))
	if e != 0 {
		return e
	}
	hints, e := g.bytes(u32Arg(p, 4), weAddrinfo)
	if e != 0 {
		return e
	}
	head, e := g.u32(u32Arg(p, 5))
	if e != 0 {
		return e
	}
	outN := u32Arg(p, 7)
	if e := g.check(outN, 4); e != 0 {
		return e
	}
	max := u32Arg(p, 6)
	if node == "" && service == "" {
		return weEAI[abi.EAI_NONAME]
	}
	if max < 1 {
		return weEAIMemory
	}
	var slots []weAddrinfoSlot
	for cur := head; uint32(len(slots)) < max && cur != 0; {
		ai, e := g.bytes(cur, weAddrinfo)
		if e != 0 {
			return e
		}
		sa, e := g.bytes(le.Uint32(ai[12:]), weSockaddrSize)
		if e != 0 {
			return e
		}
		data, e := g.bytes(le.Uint32(sa[8:]), le.Uint32(sa[4:]))
		if e != 0 {
			return e
		}
		slots = append(slots, weAddrinfoSlot{ai, sa, data})
		cur = le.Uint32(ai[24:])
	}

	hf := uint32(le.Uint16(hints[0:]))
	if hf&^0x7f != 0 {
		return weEAIBadFlag
	}
	var flags int32
	for _, m := range [...]struct{ we, abi uint32 }{
		{1 << 0, abi.AI_PASSIVE}, {1 << 1, abi.AI_CANONNAME},
		{1 << 2, abi.AI_NUMERICHOST}, {1 << 3, abi.AI_NUMERICSERV},
	} {
		if hf&m.we != 0 {
			flags |= int32(m.abi)
		}
	}
	var fam, typ, proto int32
	switch hints[2] {
	case 0:
	case weAFInet4:
		fam = abi.AF_INET
	case weAFInet6:
		fam = abi.AF_INET6
	default:
		return weEAI[abi.EAI_FAMILY]
	}
	switch hints[3] {
	case 0:
	case weSockDgram:
		typ = abi.SOCK_DGRAM
	case weSockStream:
		typ = abi.SOCK_STREAM
	default:
		return abi.ENOSYS
	}
	switch hints[4] {
	case weProtoIP:
	case weProtoTCP:
		proto = abi.IPPROTO_TCP
	case weProtoUDP:
		proto = abi.IPPROTO_UDP
	default:
		return abi.ENOSYS
	}

	res, e := s.Getaddrinfo(node, service, flags, fam, typ, proto, len(slots))
	if e != 0 {
		if we, ok := weEAI[e]; ok {
			return we
		}
		return e
	}
	for i, r := range res {
		sl := slots[i]
		var data []byte // sa_data: port (big-endian), then the rest of the sockaddr
		var afam uint8
		var alen uint32
		switch sa := r.Addr.(type) {
		case *unix.SockaddrInet4:
			afam, alen = weAFInet4, 16
			data = make([]byte, 14)
			binary.BigEndian.PutUint16(data, uint16(sa.Port))
			copy(data[2:], sa.Addr[:])
		case *unix.SockaddrInet6:
			afam, alen = weAFInet6, 28
			data = make([]byte, 26)
			binary.BigEndian.PutUint16(data, uint16(sa.Port))
			copy(data[6:], sa.Addr[:])
			binary.LittleEndian.PutUint32(data[22:], sa.ZoneId)
		default:
			continue
		}
		st := uint8(weSockStream)
		if r.SockType == abi.SOCK_DGRAM {
			st = weSockDgram
		}
		pr := uint8(weProtoIP)
		switch r.Protocol {
		case abi.IPPROTO_TCP:
			pr = weProtoTCP
		case abi.IPPROTO_UDP:
			pr = weProtoUDP
		}
		le.PutUint16(sl.ai[0:], 0)
		sl.ai[2], sl.ai[3], sl.ai[4] = afam, st, pr
		le.PutUint32(sl.ai[8:], alen)
		le.PutUint32(sl.ai[20:], 0) // no canonical name
		sl.sa[0] = afam
		n := copy(sl.data, data)
		le.PutUint32(sl.sa[4:], uint32(n))
	}
	return g.putU32(outN, uint32(len(res)))
}
