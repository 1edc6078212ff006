package compat

import (
	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// The WASI preview 1 socket functions, on the sockets of the instance's
// table (preopened listeners, accepted connections, and the sockets the
// ptsevent imports or the WasmEdge functions create). They run the
// ptsevent accept, recv, send and shutdown code through host.Sys.

// sock_accept(fd, flags, result_fd): flags are the new descriptor's
// fdflags; NONBLOCK is honoured. A blocking listener parks the guest until
// a connection arrives; a non-blocking one (preopened listeners start so)
// answers EAGAIN.
func sockAccept(s *host.Sys, g mem, p []uint64) abi.Errno {
	out := u32Arg(p, 2)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	flags := u32Arg(p, 1)
	if flags&^fdflagsMask != 0 {
		return abi.EINVAL
	}
	var af uint32
	if flags&fdflagNonblock != 0 {
		af = abi.SOCK_NONBLOCK
	}
	fd, _, e := s.Accept(fdArg(p, 0), af)
	if e != 0 {
		return e
	}
	return g.putU32(out, uint32(fd))
}

// recvInto receives into bufs with ABI recv flags: one receive (so a
// datagram is never split between calls), into a single buffer when only
// one is non-empty, else through a temporary one. waitall keeps reading a
// stream until the buffers are full, the peer closes or an error (EAGAIN
// on a non-blocking descriptor) stops it.
func recvInto(s *host.Sys, d *host.Desc, bufs [][]byte, flags uint32, waitall, wantFrom bool) (int, unix.Sockaddr, abi.Errno) {
	var buf []byte
	nonEmpty := 0
	for _, b := range bufs {
		if len(b) > 0 {
			nonEmpty++
			buf = b
		}
	}
	if nonEmpty > 1 {
		buf = make([]byte, total(bufs))
	}
	n, from, e := s.Recv(d, buf, flags, wantFrom)
	if e != 0 {
		return 0, nil, e
	}
	if waitall && flags&abi.MSG_PEEK == 0 && d.SockType != unix.SOCK_DGRAM {
		for n > 0 && n < len(buf) {
			m, _, e := s.Recv(d, buf[n:], flags, false)
			if e != 0 || m == 0 {
				break
			}
			n += m
		}
	}
	if nonEmpty > 1 {
		scatter(bufs, buf[:n])
	}
	return n, from, 0
}

// sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags).
func sockRecv(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	bufs, e := g.iovecs(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	outN, outFlags := u32Arg(p, 4), u32Arg(p, 5)
	if e := g.check(outN, 4); e != 0 {
		return e
	}
	if e := g.check(outFlags, 2); e != 0 {
		return e
	}
	flags, waitall, e := riflags(u32Arg(p, 3))
	if e != 0 {
		return e
	}
	n, _, e := recvInto(s, d, bufs, flags, waitall, false)
	if e != 0 {
		return e
	}
	g.putU16(outFlags, 0)
	return g.putU32(outN, uint32(n))
}

// riflags maps WASI riflags to ABI recv flags.
func riflags(f uint32) (uint32, bool, abi.Errno) {
	if f&^(riflagRecvPeek|riflagRecvWaitall) != 0 {
		return 0, false, abi.EINVAL
	}
	var flags uint32
	if f&riflagRecvPeek != 0 {
		flags |= abi.MSG_PEEK
	}
	return flags, f&riflagRecvWaitall != 0, 0
}

// sock_send(fd, si_data, si_data_len, si_flags, so_datalen): one send of
// the gathered buffers; a blocking descriptor sends them all.
func sockSend(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	bufs, e := g.iovecs(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 4)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	if u32Arg(p, 3) != 0 { // no siflags are defined
		return abi.EINVAL
	}
	n, e := s.Send(d, gather(bufs), 0, nil)
	if e != 0 {
		return e
	}
	return g.putU32(out, uint32(n))
}

// sock_shutdown(fd, how): how is RD, WR or both.
func sockShutdown(s *host.Sys, _ mem, p []uint64) abi.Errno {
	var how uint32
	switch u32Arg(p, 1) {
	case sdflagRD:
		how = abi.SHUT_RD
	case sdflagWR:
		how = abi.SHUT_WR
	case sdflagRD | sdflagWR:
		how = abi.SHUT_RDWR
	default:
		return abi.EINVAL
	}
	return s.Shutdown(fdArg(p, 0), how)
}
