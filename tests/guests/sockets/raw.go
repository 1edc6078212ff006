//go:build wasip1

package main

// The raw scenarios call the imports through package sys, the generated
// raw bindings of the ABI, for what the SDK's typed API cannot say.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// badPtr is past the end of the guest's memory.
const badPtr = 0xfffffff0

// report prints "name: ok detail" or "name: ERRNO" for an import's errno.
func report(name string, e uint32, detail ...any) {
	var err error
	if e != 0 {
		err = ptsevent.Errno(e)
	}
	step(name, err, detail...)
}

func mustRaw(name string, e uint32, detail ...any) {
	report(name, e, detail...)
	if e != 0 {
		os.Exit(1)
	}
}

// bad returns a pointer to wasm32 address a, which need not be inside
// the guest's memory: the bindings pass a pointer as its i32 address.
func bad[T any](a uintptr) *T { return (*T)(unsafe.Add(unsafe.Pointer(nil), a)) }

// ptr returns a pointer to b's first byte (nil for none).
func ptr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// sockaddr encodes ADDR as a pts_sockaddr and returns it with its family.
func sockaddr(s string) (*ptsevent.RawSockaddr, uint32) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		fmt.Println("bad address", s)
		os.Exit(2)
	}
	sa := ptsevent.SockaddrFromAddrPort(ap)
	return &sa, uint32(sa.Family)
}

func sockaddrString(sa *ptsevent.RawSockaddr) string {
	if ap, ok := ptsevent.AddrPortFromSockaddr(sa); ok {
		return ap.String()
	}
	if p, ok := ptsevent.UnixPathFromSockaddr(sa); ok {
		return "unix:" + p
	}
	return fmt.Sprintf("family %d", sa.Family)
}

func socket(fam, typ uint32) (int32, uint32) {
	var fd int32
	e := sys.Socket(int32(fam), int32(typ), 0, &fd)
	return fd, e
}

func connect(fd int32, sa *ptsevent.RawSockaddr) uint32 { return sys.Connect(fd, sa) }
func bind(fd int32, sa *ptsevent.RawSockaddr) uint32    { return sys.Bind(fd, sa) }

func recv(fd int32, b []byte, flags uint32) (int, uint32) {
	var n uint32
	e := sys.Recv(fd, ptr(b), uint32(len(b)), int32(flags), &n)
	return int(n), e
}

func send(fd int32, b []byte, flags uint32) (int, uint32) {
	var n uint32
	e := sys.Send(fd, ptr(b), uint32(len(b)), int32(flags), &n)
	return int(n), e
}

func setsockopt(fd int32, level, name uint32, v []byte) uint32 {
	return sys.Setsockopt(fd, int32(level), int32(name), ptr(v), uint32(len(v)))
}

func getsockopt(fd int32, level, name uint32, v []byte) (int, uint32) {
	var n uint32
	e := sys.Getsockopt(fd, int32(level), int32(name), ptr(v), uint32(len(v)), &n)
	return int(n), e
}

func setI32(fd int32, level, name uint32, v int32) uint32 {
	return setsockopt(fd, level, name, binary.LittleEndian.AppendUint32(nil, uint32(v)))
}

func getI32(fd int32, level, name uint32) (int32, uint32) {
	b := make([]byte, 4)
	_, e := getsockopt(fd, level, name, b)
	return int32(binary.LittleEndian.Uint32(b)), e
}

func setI64(fd int32, level, name uint32, v int64) uint32 {
	return setsockopt(fd, level, name, binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

func getI64(fd int32, level, name uint32) (int64, uint32) {
	b := make([]byte, 8)
	_, e := getsockopt(fd, level, name, b)
	return int64(binary.LittleEndian.Uint64(b)), e
}

func closeFd(fd int32) { sys.Close(fd) }

// pollOne polls fd for events and returns revents and the count.
func pollOne(fd int32, events uint16, timeout time.Duration) (uint16, int, uint32) {
	p := ptsevent.PollFd{Fd: fd, Events: events}
	var n uint32
	e := sys.Poll(&p, 1, int64(timeout), &n)
	return p.Revents, int(n), e
}

func pending(a string) {
	sa, fam := sockaddr(a)
	fd, e := socket(fam, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	mustRaw("socket", e)
	report("connect", connect(fd, sa))
	report("connect again", connect(fd, sa))
	rev, n, e := pollOne(fd, abi.POLLOUT, 200*time.Millisecond)
	mustRaw("poll", e, n, " ", rev)
	closeFd(fd)
}

func conntimeo(a string, ms int) {
	sa, fam := sockaddr(a)
	fd, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	mustRaw("setsockopt", setI64(fd, abi.SOL_SOCKET, abi.SO_SNDTIMEO, int64(ms)*1e6))
	start := time.Now()
	report("connect", connect(fd, sa))
	fmt.Printf("elapsed ok: %v\n", elapsed(start, ms))
	closeFd(fd)
}

func rawOptions() {
	fd, e := socket(abi.AF_INET, abi.SOCK_STREAM)
	mustRaw("socket", e)
	lin := make([]byte, abi.LingerSize)
	binary.LittleEndian.PutUint32(lin, 1) // on, 0s: close resets the connection
	mustRaw("SO_LINGER set", setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, lin))
	got := make([]byte, 16)
	n, e := getsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, got)
	report("SO_LINGER", e, n, " ", binary.LittleEndian.Uint32(got), " ", binary.LittleEndian.Uint32(got[4:]))
	binary.LittleEndian.PutUint32(lin[4:], 7)
	mustRaw("SO_LINGER 7s set", setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, lin))
	n, e = getsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, got)
	report("SO_LINGER 7s", e, n, " ", binary.LittleEndian.Uint32(got), " ", binary.LittleEndian.Uint32(got[4:]))
	for _, o := range []struct {
		name string
		opt  uint32
		ns   int64
	}{{"SO_RCVTIMEO", abi.SO_RCVTIMEO, 1500 * 1e6}, {"SO_SNDTIMEO", abi.SO_SNDTIMEO, 250 * 1e3}} {
		mustRaw(o.name+" set", setI64(fd, abi.SOL_SOCKET, o.opt, o.ns))
		v, e := getI64(fd, abi.SOL_SOCKET, o.opt)
		report(o.name, e, v == o.ns)
	}
	report("SO_RCVTIMEO negative", setI64(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, -1))
	report("wrong length", setsockopt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, make([]byte, 2)))
	report("wrong length long", setsockopt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, make([]byte, 8)))
	v, e := getI32(fd, abi.SOL_SOCKET, abi.SO_TYPE)
	report("SO_TYPE", e, v == abi.SOCK_STREAM)
	closeFd(fd)
	u, e := socket(abi.AF_INET, abi.SOCK_DGRAM)
	mustRaw("socket dgram", e)
	v, e = getI32(u, abi.SOL_SOCKET, abi.SO_TYPE)
	report("SO_TYPE dgram", e, v == abi.SOCK_DGRAM)
	closeFd(u)

	// Options on something that is not a socket, or nothing.
	var fds [2]int32
	mustRaw("pipe", sys.Pipe(0, &fds))
	report("setsockopt on pipe", setI32(fds[0], abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
	closeFd(fds[0])
	closeFd(fds[1])
	report("setsockopt bad fd", setI32(99, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
	// socket's argument checks.
	_, e = socket(77, abi.SOCK_STREAM)
	report("socket family 77", e)
	_, e = socket(abi.AF_INET, 9)
	report("socket type 9", e)
	_, e = socket(abi.AF_INET, abi.SOCK_STREAM|0x10000)
	report("socket bad flag", e)
	var fd2 int32
	report("socket udp protocol tcp", sys.Socket(abi.AF_INET, abi.SOCK_DGRAM, abi.IPPROTO_TCP, &fd2))
}

func deferaccept(a string) {
	sa, fam := sockaddr(a)
	ln, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	mustRaw("TCP_DEFER_ACCEPT", setI32(ln, abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT, 2))
	mustRaw("bind", bind(ln, sa))
	mustRaw("listen", sys.Listen(ln, 8))
	var local ptsevent.RawSockaddr
	mustRaw("getsockname", sys.Getsockname(ln, &local))
	v, e := getI32(ln, abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT)
	report("TCP_DEFER_ACCEPT get", e, v > 0)
	fmt.Printf("listening %d\n", local.Port)
	var c int32
	mustRaw("accept", sys.Accept(ln, 0, &c, nil))
	// The connection is accepted only once its first data is there.
	buf := make([]byte, 16)
	n, e := recv(c, buf, abi.MSG_DONTWAIT)
	report("recv at once", e, string(buf[:n]))
	send(c, []byte("ack"), 0)
	closeFd(c)
	closeFd(ln)
}

func flags(a string) {
	sa, fam := sockaddr(a)
	fd, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	mustRaw("connect", connect(fd, sa))
	buf := make([]byte, 16)
	_, e = recv(fd, buf, abi.MSG_DONTWAIT)
	report("dontwait empty", e)
	n, e := send(fd, []byte("peek"), abi.MSG_DONTWAIT)
	mustRaw("send dontwait", e, n)
	n, e = recv(fd, buf, abi.MSG_PEEK)
	mustRaw("peek", e, string(buf[:n]))
	n, e = recv(fd, buf, 0)
	mustRaw("recv", e, string(buf[:n]))
	_, e = recv(fd, buf, 0x8000)
	report("bad flags", e)
	_, e = send(fd, buf, abi.MSG_PEEK)
	report("send peek", e)
	n, e = send(fd, []byte("x"), 0)
	mustRaw("send", e, n)
	var from ptsevent.RawSockaddr
	var got uint32
	e = sys.Recvfrom(fd, ptr(buf), uint32(len(buf)), 0, &from, &got)
	report("recvfrom stream", e, string(buf[:got]), " family ", from.Family)
	closeFd(fd)
}

func rawDenied(a string) {
	_, fam := sockaddr(a)
	fd, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	report("listen unbound", sys.Listen(fd, 1))
	closeFd(fd)
}

func badAddr() {
	var long ptsevent.RawSockaddr // the path field has no NUL
	long.Family = abi.AF_UNIX
	for i := range long.Path {
		long.Path[i] = 'x'
	}
	s, _ := socket(abi.AF_UNIX, abi.SOCK_STREAM)
	report("connect no NUL", connect(s, &long))
	empty := ptsevent.RawSockaddr{Family: abi.AF_UNIX}
	report("connect empty", connect(s, &empty))
	bad := ptsevent.RawSockaddr{Family: 77}
	report("connect family 77", connect(s, &bad))
	report("bind family 77", bind(s, &bad))
	closeFd(s)
}

// efault passes one bad pointer at a time; each call must fail with
// EFAULT and leave no trace: no descriptor, no connection, no byte
// consumed or sent.
func efault(a string) {
	sa, fam := sockaddr(a)
	probe, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	report("socket bad out", sys.Socket(int32(fam), abi.SOCK_STREAM, 0, bad[int32](badPtr)))
	next, _ := socket(fam, abi.SOCK_STREAM)
	fmt.Printf("no descriptor leaked: %v\n", next == probe+1)
	closeFd(next)
	report("socketpair bad out", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, bad[[2]int32](badPtr)))
	report("socketpair out wraps", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, bad[[2]int32](0xfffffffc)))
	next, _ = socket(fam, abi.SOCK_STREAM)
	fmt.Printf("no pair leaked: %v\n", next == probe+1)
	closeFd(next)

	fd := probe
	report("connect bad addr", sys.Connect(fd, bad[sys.Sockaddr](badPtr)))
	report("connect addr wraps", sys.Connect(fd, bad[sys.Sockaddr](0xffffffff)))
	var peer ptsevent.RawSockaddr
	report("not connected", sys.Getpeername(fd, &peer))
	mustRaw("connect", connect(fd, sa))
	report("getpeername bad", sys.Getpeername(fd, bad[sys.Sockaddr](badPtr)))
	report("getsockname bad", sys.Getsockname(fd, bad[sys.Sockaddr](badPtr)))

	// Wait until the peer's bytes are here, so a recv that consumed
	// anything would show.
	rev, _, e := pollOne(fd, abi.POLLIN, 10*time.Second)
	mustRaw("poll", e, rev&abi.POLLIN != 0)
	buf := make([]byte, 16)
	var n uint32
	report("recv bad buf", sys.Recv(fd, bad[byte](badPtr), 16, 0, &n))
	report("recv buf wraps", sys.Recv(fd, ptr(buf), 0xffffffff, 0, &n))
	report("recv bad out", sys.Recv(fd, ptr(buf), 16, 0, bad[uint32](badPtr)))
	report("read bad buf", sys.Read(fd, bad[byte](badPtr), 16, &n))
	report("recvfrom bad addr", sys.Recvfrom(fd, ptr(buf), 16, 0, bad[sys.Sockaddr](badPtr), &n))
	got, e := recv(fd, buf, 0)
	mustRaw("recv", e, string(buf[:got]))

	report("send bad buf", sys.Send(fd, bad[byte](badPtr), 4, 0, &n))
	report("send buf wraps", sys.Send(fd, ptr(buf), 0xfffffff0, 0, &n))
	report("send bad out", sys.Send(fd, ptr(buf), 4, 0, bad[uint32](badPtr)))
	report("sendto bad addr", sys.Sendto(fd, ptr(buf), 4, 0, bad[sys.Sockaddr](badPtr), &n))
	sent, e := send(fd, []byte("ok!"), 0)
	mustRaw("send", e, sent)

	val := make([]byte, 4)
	report("setsockopt bad val", sys.Setsockopt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, bad[byte](badPtr), 4))
	report("getsockopt bad val", sys.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, bad[byte](badPtr), 4, &n))
	report("getsockopt bad size", sys.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, ptr(val), 4, bad[uint32](badPtr)))
	report("poll bad fds", sys.Poll(bad[sys.PollFd](badPtr), 1, 0, &n))
	closeFd(fd)

	// accept with a bad pointer leaves the connection queued.
	local, _ := sockaddr("127.0.0.1:0")
	ln, e := socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	mustRaw("listener", e)
	mustRaw("bind", bind(ln, local))
	mustRaw("listen", sys.Listen(ln, 4))
	var lsa ptsevent.RawSockaddr
	mustRaw("getsockname", sys.Getsockname(ln, &lsa))
	cl, e := socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	mustRaw("client", e)
	if e := connect(cl, &lsa); e != 0 && e != uint32(abi.EINPROGRESS) {
		mustRaw("self connect", e)
	}
	rev, _, e = pollOne(ln, abi.POLLIN, 10*time.Second)
	mustRaw("poll listener", e, rev&abi.POLLIN != 0)
	var nfd int32
	report("accept bad newfd", sys.Accept(ln, 0, bad[int32](badPtr), nil))
	report("accept bad addr", sys.Accept(ln, 0, &nfd, bad[sys.Sockaddr](badPtr)))
	mustRaw("accept", sys.Accept(ln, 0, &nfd, &peer), sockaddrString(&peer) != "")
	report("accept again", sys.Accept(ln, 0, &nfd, nil))
	closeFd(nfd)
	closeFd(cl)
	closeFd(ln)

	// recvfrom with a bad address leaves the datagram queued.
	u, e := socket(abi.AF_INET, abi.SOCK_DGRAM)
	mustRaw("udp", e)
	mustRaw("udp bind", bind(u, local))
	var usa ptsevent.RawSockaddr
	mustRaw("udp getsockname", sys.Getsockname(u, &usa))
	msg := []byte("dgram")
	mustRaw("udp sendto", sys.Sendto(u, ptr(msg), uint32(len(msg)), 0, &usa, &n))
	report("recvfrom bad addr", sys.Recvfrom(u, ptr(buf), 16, 0, bad[sys.Sockaddr](badPtr), &n))
	var from ptsevent.RawSockaddr
	mustRaw("udp recvfrom", sys.Recvfrom(u, ptr(buf), 16, 0, &from, &n), string(buf[:n]))
	closeFd(u)
}

// lingerClose fills the connection to a peer that does not read yet, then
// closes it with SO_LINGER {1, 2}: close waits until the peer has taken
// everything.
func lingerClose(a string) {
	sa, fam := sockaddr(a)
	fd, e := socket(fam, abi.SOCK_STREAM)
	mustRaw("socket", e)
	mustRaw("connect", connect(fd, sa))
	mustRaw("sndbuf", setI32(fd, abi.SOL_SOCKET, abi.SO_SNDBUF, 4096))
	mustRaw("sndtimeo", setI64(fd, abi.SOL_SOCKET, abi.SO_SNDTIMEO, 200e6))
	chunk := make([]byte, 64<<10)
	total := 0
	for {
		n, e := send(fd, chunk, 0)
		total += n
		if e != 0 || n < len(chunk) {
			break
		}
	}
	fmt.Printf("sent %d\n", total)
	lin := make([]byte, abi.LingerSize)
	binary.LittleEndian.PutUint32(lin, 1)
	binary.LittleEndian.PutUint32(lin[4:], 2)
	mustRaw("SO_LINGER", setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, lin))
	start := time.Now()
	report("close", sys.Close(fd))
	fmt.Printf("close waited: %v\n", time.Since(start) >= 200*time.Millisecond)
}
