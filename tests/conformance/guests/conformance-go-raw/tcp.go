//go:build wasip1

package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// recvFull receives until n bytes came, the stream ended or an error.
func recvFull(fd int32, n int) (string, uint32) {
	var out []byte
	buf := make([]byte, n)
	for len(out) < n {
		k, e := recv(fd, buf[:n-len(out)], 0)
		if e != 0 {
			return string(out), e
		}
		if k == 0 {
			break
		}
		out = append(out, buf[:k]...)
	}
	return string(out), 0
}

// tcp-client ECHO: a blocking client of an echo server.
func tcpClient(args []string) {
	addr := arg(args, 0)
	fd := dial("connect/blocking", addr)
	check.OK("connect/blocking")
	check.Errno("connect/eisconn-blocking", sys.Connect(fd, sockaddr(addr)), abi.EISCONN)
	var local, peer sys.Sockaddr
	e := sys.Getsockname(fd, &local)
	lap := addrPort(&local)
	check.That("getsockname/tcp", e == 0 && local.Family == abi.AF_INET && lap.Addr() == netip.MustParseAddr("127.0.0.1") && lap.Port() != 0,
		"getsockname: %s %v", check.Name(e), lap)
	e = sys.Getpeername(fd, &peer)
	check.That("getpeername/tcp", e == 0 && addrPort(&peer).String() == addr, "getpeername: %s %v, want %s", check.Name(e), addrPort(&peer), addr)

	n, e := send(fd, []byte("hello\n"), 0)
	check.That("send/tcp", e == 0 && n == 6, "send: %s %d", check.Name(e), n)
	got, e := recvFull(fd, 6)
	check.That("recv/tcp", e == 0 && got == "hello\n", "recv: %s %q", check.Name(e), got)

	writeAll("write/tcp", fd, []byte("line one\nline two\n"))
	check.OK("write/tcp")
	buf := make([]byte, 64)
	l1, e1 := readline(fd, buf)
	l2, e2 := readline(fd, buf)
	check.That("readline/tcp", e1 == 0 && e2 == 0 && l1 == "line one\n" && l2 == "line two\n", "readline: %s %q, %s %q", check.Name(e1), l1, check.Name(e2), l2)

	a, b := []byte("gath"), []byte("ered")
	iov := iovecs(a, b)
	var cnt uint32
	e = sys.Writev(fd, &iov[0], 2, &cnt)
	check.That("writev/tcp", e == 0 && cnt == 8, "writev: %s %d", check.Name(e), cnt)
	x, y := make([]byte, 3), make([]byte, 5)
	iov = iovecs(x, y)
	total := 0
	for range 200 {
		// readv returns what is there: wait until all 8 bytes came back.
		var peek [8]byte
		if k, _ := recv(fd, peek[:], abi.MSG_PEEK); k == 8 {
			e = sys.Readv(fd, &iov[0], 2, &cnt)
			total = int(cnt)
			break
		}
		sys.Sleep(int64(10 * time.Millisecond))
	}
	check.That("readv/tcp", e == 0 && total == 8 && string(x)+string(y) == "gathered", "readv: %s %d %q %q", check.Name(e), total, x, y)
	keep(a, b, x, y)

	var from sys.Sockaddr
	send(fd, []byte("r"), 0)
	var k uint32
	e = sys.Recvfrom(fd, ptr(buf), 1, 0, &from, &k)
	check.That("recvfrom/stream", e == 0 && k == 1 && buf[0] == 'r', "recvfrom: %s %d", check.Name(e), k)

	check.Errno("shutdown/rdwr", sys.Shutdown(fd, abi.SHUT_RDWR))
	n, e = recv(fd, buf, 0)
	check.That("recv/after-shutdown", e == 0 && n == 0, "recv: %s %d", check.Name(e), n)
	check.Errno("close/tcp", sys.Close(fd))
	_, e = send(fd, []byte("x"), 0)
	check.Errno("send/closed", e, abi.EBADF)
}

// tcp-halfclose SINK: the peer reads to the end of the stream, then
// answers "N SHA256" and closes.
func tcpHalfClose(args []string) {
	fd := dial("connect", arg(args, 0))
	data := pattern(2 << 20)
	writeAll("write/backpressure", fd, data)
	check.OK("write/backpressure")
	check.Errno("shutdown/wr", sys.Shutdown(fd, abi.SHUT_WR))
	_, e := send(fd, []byte("x"), 0)
	check.Errno("send/after-shutdown", e, abi.EPIPE)
	got, e := readAll(fd)
	sum := sha256.Sum256(data)
	want := fmt.Sprintf("%d %s", len(data), hex.EncodeToString(sum[:]))
	check.That("read/after-halfclose", e == 0 && string(got) == want, "read: %s %q, want %q", check.Name(e), got, want)
	check.Errno("shutdown/einval", sys.Shutdown(fd, 7), abi.EINVAL)
	sys.Close(fd)
	u := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("shutdown/enotconn", sys.Shutdown(u, abi.SHUT_WR), abi.ENOTCONN)
	sys.Close(u)
}

// pattern returns n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

// tcp-reset RESETTER: the peer reads one byte and resets the connection
// (SO_LINGER 0), for each of two connections.
func tcpReset(args []string) {
	fd := dial("connect", arg(args, 0))
	send(fd, []byte("x"), 0)
	buf := make([]byte, 16)
	_, e := recv(fd, buf, 0)
	check.Errno("recv/econnreset", e, abi.ECONNRESET)
	sys.Close(fd)

	fd = dial("connect2", arg(args, 0))
	send(fd, []byte("y"), 0)
	rev, _, _ := pollOne(fd, abi.POLLIN, 10*time.Second)
	check.That("poll/reset", rev&(abi.POLLHUP|abi.POLLERR|abi.POLLIN) != 0, "revents %#x", rev)
	_, e = write(fd, []byte("after reset"))
	check.Errno("write/econnreset", e, abi.ECONNRESET, abi.EPIPE)
	sys.Close(fd)
}

// tcp-refused CLOSED: connecting to a port nobody listens on.
func tcpRefused(args []string) {
	sa := sockaddr(arg(args, 0))
	fd := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("connect/econnrefused", sys.Connect(fd, sa), abi.ECONNREFUSED)
	sys.Close(fd)
	fd = mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	e := sys.Connect(fd, sa)
	if e == uint32(abi.EINPROGRESS) {
		rev, _, _ := pollOne(fd, abi.POLLOUT, 10*time.Second)
		soerr, ge := getInt(fd, abi.SOL_SOCKET, abi.SO_ERROR)
		check.That("connect/nonblocking-refused", rev != 0 && ge == 0 && abi.Errno(soerr) == abi.ECONNREFUSED,
			"revents %#x, SO_ERROR %s %s", rev, check.Name(ge), check.Name(uint32(soerr)))
	} else {
		check.Errno("connect/nonblocking-refused", e, abi.ECONNREFUSED)
	}
	sys.Close(fd)
}

// tcp-nonblock ECHO: a non-blocking client, and send/recv flags.
func tcpNonblock(args []string) {
	sa := sockaddr(arg(args, 0))
	fd := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	check.Errno("connect/einprogress", sys.Connect(fd, sa), abi.EINPROGRESS, 0)
	rev, n, e := pollOne(fd, abi.POLLOUT, 10*time.Second)
	check.That("poll/connected", e == 0 && n == 1 && rev&abi.POLLOUT != 0, "poll: %s %d %#x", check.Name(e), n, rev)
	soerr, e := getInt(fd, abi.SOL_SOCKET, abi.SO_ERROR)
	check.That("getsockopt/so_error", e == 0 && soerr == 0, "SO_ERROR: %s %d", check.Name(e), soerr)
	// Linux reports the completed connection once more (0), then EISCONN.
	check.Errno("connect/after-connected", sys.Connect(fd, sa), 0, abi.EISCONN)
	check.Errno("connect/eisconn", sys.Connect(fd, sa), abi.EISCONN)
	buf := make([]byte, 64)
	_, e = recv(fd, buf, 0)
	check.Errno("recv/eagain", e, abi.EAGAIN)
	k, e := send(fd, []byte("ping"), 0)
	check.That("send/nonblocking", e == 0 && k == 4, "send: %s %d", check.Name(e), k)
	rev, _, _ = pollOne(fd, abi.POLLIN, 10*time.Second)
	k, e = recv(fd, buf, 0)
	check.That("recv/nonblocking", e == 0 && string(buf[:k]) == "ping", "recv: %s %q (revents %#x)", check.Name(e), buf[:k], rev)

	check.Errno("set_nonblock/socket-off", sys.SetNonblock(fd, 0))
	_, e = recv(fd, buf, abi.MSG_DONTWAIT)
	check.Errno("recv/msg_dontwait", e, abi.EAGAIN)
	k, e = send(fd, []byte("peek"), abi.MSG_DONTWAIT)
	check.That("send/msg_dontwait", e == 0 && k == 4, "send: %s %d", check.Name(e), k)
	pollOne(fd, abi.POLLIN, 10*time.Second)
	sys.Sleep(int64(20 * time.Millisecond)) // let all four bytes come back
	k, e = recv(fd, buf, abi.MSG_PEEK)
	check.That("recv/msg_peek", e == 0 && string(buf[:k]) == "peek", "recv peek: %s %q", check.Name(e), buf[:k])
	k, e = recv(fd, buf, 0)
	check.That("recv/after-peek", e == 0 && string(buf[:k]) == "peek", "recv: %s %q", check.Name(e), buf[:k])
	_, e = recv(fd, buf, 0x8000)
	check.Errno("recv/bad-flags", e, abi.EINVAL)
	_, e = send(fd, buf[:1], abi.MSG_PEEK)
	check.Errno("send/bad-flags", e, abi.EINVAL)
	sys.Close(fd)
}

// tcp-pending FULL: a connection attempt that stays pending (the peer's
// accept queue is full).
func tcpPending(args []string) {
	sa := sockaddr(arg(args, 0))
	fd := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	check.Errno("connect/einprogress", sys.Connect(fd, sa), abi.EINPROGRESS)
	check.Errno("connect/ealready", sys.Connect(fd, sa), abi.EALREADY)
	_, n, e := pollOne(fd, abi.POLLOUT, 200*time.Millisecond)
	check.That("poll/connect-pending", e == 0 && n == 0, "poll: %s %d", check.Name(e), n)
	sys.Close(fd)

	fd = mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Must("setsockopt", setTimeout(fd, abi.SO_SNDTIMEO, 300*time.Millisecond))
	start := time.Now()
	check.Errno("connect/etimedout", sys.Connect(fd, sa), abi.ETIMEDOUT)
	check.That("connect/timeout-duration", within(start, 300*time.Millisecond, 10*time.Second), "connect took %v with a 300ms timeout", time.Since(start))
	sys.Close(fd)
}

// tcp-timeouts SILENT NOREAD: SO_RCVTIMEO and SO_SNDTIMEO. SILENT accepts
// and never sends; NOREAD accepts and never reads.
func tcpTimeouts(args []string) {
	const to = 150 * time.Millisecond
	fd := dial("connect", arg(args, 0))
	check.Must("setsockopt", setTimeout(fd, abi.SO_RCVTIMEO, to))
	buf := make([]byte, 64)
	for _, c := range []struct {
		name string
		f    func() uint32
	}{
		{"recv/etimedout", func() uint32 { _, e := recv(fd, buf, 0); return e }},
		{"read/etimedout", func() uint32 { _, e := read(fd, buf); return e }},
		{"readline/etimedout", func() uint32 { _, e := readline(fd, buf); return e }},
		{"readv/etimedout", func() uint32 {
			iov := iovecs(buf)
			var n uint32
			e := sys.Readv(fd, &iov[0], 1, &n)
			keep(buf)
			return e
		}},
		{"recvfrom/etimedout", func() uint32 {
			var n uint32
			return sys.Recvfrom(fd, ptr(buf), 64, 0, nil, &n)
		}},
	} {
		start := time.Now()
		e := c.f()
		if check.Errno(c.name, e, abi.ETIMEDOUT) {
			check.That(c.name+"-duration", within(start, to, 10*time.Second), "timed out after %v, timeout %v", time.Since(start), to)
		}
	}
	sys.Close(fd)

	ln, _ := listen("listener", "127.0.0.1:0", 0)
	check.Must("setsockopt", setTimeout(ln, abi.SO_RCVTIMEO, to))
	var nfd int32
	start := time.Now()
	check.Errno("accept/etimedout", sys.Accept(ln, 0, &nfd, nil), abi.ETIMEDOUT)
	check.That("accept/timeout-duration", within(start, to, 10*time.Second), "timed out after %v", time.Since(start))
	sys.Close(ln)

	fd = dial("connect-noread", arg(args, 1))
	check.Must("sndbuf", setInt(fd, abi.SOL_SOCKET, abi.SO_SNDBUF, 4096))
	check.Must("sndtimeo", setTimeout(fd, abi.SO_SNDTIMEO, to))
	big := make([]byte, 8<<20)
	n, e := send(fd, big, 0)
	check.That("send/partial-on-timeout", e == 0 && n > 0 && n < len(big), "send: %s %d of %d", check.Name(e), n, len(big))
	start = time.Now()
	_, e = send(fd, big, 0)
	if check.Errno("send/etimedout", e, abi.ETIMEDOUT) {
		check.That("send/timeout-duration", within(start, to, 10*time.Second), "timed out after %v", time.Since(start))
	}
	_, e = write(fd, big)
	check.Errno("write/etimedout", e, abi.ETIMEDOUT)
	iov := iovecs(big)
	var cnt uint32
	check.Errno("writev/etimedout", sys.Writev(fd, &iov[0], 1, &cnt), abi.ETIMEDOUT)
	keep(big)
	sys.Close(fd)
}

// tcp-listen: a listener and its errors, with a client in the same guest.
func tcpListen([]string) {
	ln, local := listen("listen/ok", "127.0.0.1:0", 0)
	check.OK("listen/ok")
	check.That("getsockname/listener", local.Port != 0, "port 0")
	check.Errno("set_nonblock/listener", sys.SetNonblock(ln, 1))
	var nfd int32
	check.Errno("accept/eagain", sys.Accept(ln, 0, &nfd, nil), abi.EAGAIN)

	cl := mustSocket("client", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	check.Errno("connect/self", sys.Connect(cl, local), abi.EINPROGRESS, 0)
	rev, _, _ := pollOne(ln, abi.POLLIN, 10*time.Second)
	check.That("poll/listener", rev&abi.POLLIN != 0, "revents %#x", rev)
	var peer, clientAddr sys.Sockaddr
	check.Errno("accept/bad-flags", sys.Accept(ln, 0x4, &nfd, &peer), abi.EINVAL)
	e := sys.Accept(ln, abi.SOCK_NONBLOCK, &nfd, &peer)
	sys.Getsockname(cl, &clientAddr)
	check.That("accept/peer-addr", e == 0 && addrPort(&peer) == addrPort(&clientAddr), "accept: %s %v, client is %v", check.Name(e), addrPort(&peer), addrPort(&clientAddr))
	buf := make([]byte, 16)
	_, e = recv(nfd, buf, 0)
	check.Errno("accept/sock_nonblock", e, abi.EAGAIN)
	pollOne(cl, abi.POLLOUT, 10*time.Second)
	send(cl, []byte("up"), 0)
	pollOne(nfd, abi.POLLIN, 10*time.Second)
	k, e := recv(nfd, buf, 0)
	check.That("recv/accepted", e == 0 && string(buf[:k]) == "up", "recv: %s %q", check.Name(e), buf[:k])
	sys.Close(nfd)
	sys.Close(cl)

	s := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("bind/eaddrinuse", sys.Bind(s, local), abi.EADDRINUSE)
	check.Errno("bind/eaddrnotavail", sys.Bind(s, sockaddr("192.0.2.1:0")), abi.EADDRNOTAVAIL)
	check.Must("bind", sys.Bind(s, sockaddr("127.0.0.1:0")))
	check.Errno("bind/einval", sys.Bind(s, sockaddr("127.0.0.1:0")), abi.EINVAL)
	check.Errno("accept/einval", sys.Accept(s, 0, &nfd, nil), abi.EINVAL)
	check.Errno("getpeername/enotconn", sys.Getpeername(ln, &peer), abi.ENOTCONN)
	r, w := pipe("pipe", 0)
	check.Errno("listen/enotsock", sys.Listen(r, 1), abi.ENOTSOCK)
	check.Errno("getsockname/enotsock", sys.Getsockname(r, &peer), abi.ENOTSOCK)
	check.Errno("getpeername/enotsock", sys.Getpeername(r, &peer), abi.ENOTSOCK)
	sys.Close(r)
	sys.Close(w)
	sys.Close(s)
	sys.Close(ln)
}

// tcp-serve: a server the runner connects to. It prints "listening ADDR";
// the runner sends "hello from ADDR\n" with its own address, the guest
// answers "welcome ADDR\n" with the address accept reported.
func tcpServe([]string) {
	ln, local := listen("listen", "127.0.0.1:0", 0)
	check.Line("listening %s", addrPort(local))
	var fd int32
	var peer sys.Sockaddr
	check.Must("accept", sys.Accept(ln, 0, &fd, &peer))
	check.OK("accept/blocking")
	buf := make([]byte, 128)
	line, e := readline(fd, buf)
	check.That("accept/peer-matches", e == 0 && line == "hello from "+addrPort(&peer).String()+"\n",
		"readline: %s %q, accept said %v", check.Name(e), line, addrPort(&peer))
	writeAll("write", fd, []byte("welcome "+addrPort(&peer).String()+"\n"))
	check.Errno("close/served", sys.Close(fd))
	sys.Close(ln)
}

// tcp-ipv6 ECHO6: the same over IPv6 loopback.
func tcpIPv6(args []string) {
	addr := arg(args, 0)
	fd := dial("connect/ipv6", addr)
	check.OK("connect/ipv6")
	var local sys.Sockaddr
	e := sys.Getsockname(fd, &local)
	check.That("getsockname/ipv6", e == 0 && local.Family == abi.AF_INET6 && addrPort(&local).Addr() == netip.IPv6Loopback(),
		"getsockname: %s %v", check.Name(e), addrPort(&local))
	send(fd, []byte("six\n"), 0)
	got, e := recvFull(fd, 4)
	check.That("recv/ipv6", e == 0 && got == "six\n", "recv: %s %q", check.Name(e), got)
	sys.Close(fd)
	ln, la := listen("listen", "[::1]:0", 0)
	cl := mustSocket("client", abi.AF_INET6, abi.SOCK_STREAM)
	check.Errno("connect/ipv6-self", sys.Connect(cl, la))
	var nfd int32
	var peer sys.Sockaddr
	e = sys.Accept(ln, 0, &nfd, &peer)
	check.That("accept/ipv6", e == 0 && peer.Family == abi.AF_INET6, "accept: %s family %d", check.Name(e), peer.Family)
	sys.Close(nfd)
	sys.Close(cl)
	sys.Close(ln)
}

// options ECHO: setsockopt and getsockopt.
func options(args []string) {
	fd := dial("connect", arg(args, 0))
	for _, o := range []struct {
		name        string
		level, opt  int32
		set         int32
		atLeast     bool
		wantOnRead  int32
		skipReadout bool
	}{
		{"SO_REUSEADDR", abi.SOL_SOCKET, abi.SO_REUSEADDR, 1, false, 1, false},
		{"SO_REUSEPORT", abi.SOL_SOCKET, abi.SO_REUSEPORT, 1, false, 1, false},
		{"SO_KEEPALIVE", abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1, false, 1, false},
		{"SO_RCVBUF", abi.SOL_SOCKET, abi.SO_RCVBUF, 65536, true, 65536, false},
		{"SO_SNDBUF", abi.SOL_SOCKET, abi.SO_SNDBUF, 65536, true, 65536, false},
		{"TCP_NODELAY", abi.IPPROTO_TCP, abi.TCP_NODELAY, 1, false, 1, false},
		{"TCP_KEEPIDLE", abi.IPPROTO_TCP, abi.TCP_KEEPIDLE, 30, false, 30, false},
	} {
		name := "setsockopt/" + strings.ToLower(o.name)
		if !check.Errno(name, setInt(fd, o.level, o.opt, o.set)) {
			continue
		}
		b := make([]byte, 4)
		n, e := getsockopt(fd, o.level, o.opt, b)
		v := int32(binary.LittleEndian.Uint32(b))
		ok := e == 0 && n == 4 && (v == o.wantOnRead || o.atLeast && v >= o.wantOnRead)
		check.That("getsockopt/"+strings.ToLower(o.name), ok, "getsockopt: %s size %d value %d, set %d", check.Name(e), n, v, o.set)
	}
	check.Must("keepalive off", setInt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE, 0))
	v, e := getInt(fd, abi.SOL_SOCKET, abi.SO_KEEPALIVE)
	check.That("getsockopt/so_keepalive-off", e == 0 && v == 0, "%s %d", check.Name(e), v)

	lin := make([]byte, abi.LingerSize)
	binary.LittleEndian.PutUint32(lin, 1)
	binary.LittleEndian.PutUint32(lin[4:], 7)
	check.Errno("setsockopt/so_linger", setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, lin))
	got := make([]byte, 16)
	n, e := getsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, got)
	check.That("getsockopt/so_linger", e == 0 && n == 8 && binary.LittleEndian.Uint32(got) == 1 && binary.LittleEndian.Uint32(got[4:]) == 7,
		"%s size %d %v", check.Name(e), n, got[:8])
	binary.LittleEndian.PutUint32(lin, 0)
	setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, lin)

	for _, o := range []struct {
		name string
		opt  int32
		d    time.Duration
	}{{"so_rcvtimeo", abi.SO_RCVTIMEO, 1500 * time.Millisecond}, {"so_sndtimeo", abi.SO_SNDTIMEO, 250 * time.Microsecond}} {
		check.Errno("setsockopt/"+o.name, setTimeout(fd, o.opt, o.d))
		b := make([]byte, 8)
		n, e := getsockopt(fd, abi.SOL_SOCKET, o.opt, b)
		check.That("getsockopt/"+o.name, e == 0 && n == 8 && time.Duration(binary.LittleEndian.Uint64(b)) == o.d,
			"%s size %d %v", check.Name(e), n, time.Duration(binary.LittleEndian.Uint64(b)))
		setTimeout(fd, o.opt, 0)
	}
	check.Errno("setsockopt/negative-timeout", setTimeout(fd, abi.SO_RCVTIMEO, -1), abi.EINVAL)
	v, e = getInt(fd, abi.SOL_SOCKET, abi.SO_TYPE)
	check.That("getsockopt/so_type", e == 0 && v == abi.SOCK_STREAM, "%s %d", check.Name(e), v)
	check.Errno("setsockopt/so_type", setInt(fd, abi.SOL_SOCKET, abi.SO_TYPE, 1), abi.ENOPROTOOPT)
	v, e = getInt(fd, abi.SOL_SOCKET, abi.SO_ERROR)
	check.That("getsockopt/so_error", e == 0 && v == 0, "%s %d", check.Name(e), v)
	check.Errno("setsockopt/unknown-option", setInt(fd, abi.SOL_SOCKET, 999, 1), abi.ENOPROTOOPT)
	check.Errno("setsockopt/unknown-level", setInt(fd, 999, abi.SO_REUSEADDR, 1), abi.ENOPROTOOPT)
	_, e = getInt(fd, abi.SOL_SOCKET, 999)
	check.Errno("getsockopt/unknown-option", e, abi.ENOPROTOOPT)
	check.Errno("setsockopt/wrong-length", setsockopt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, make([]byte, 2)), abi.EINVAL)
	check.Errno("setsockopt/linger-length", setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, make([]byte, 4)), abi.EINVAL)
	_, e = getsockopt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, make([]byte, 2))
	check.Errno("getsockopt/short-buffer", e, abi.EINVAL)
	sys.Close(fd)

	u := mustSocket("udp", abi.AF_INET, abi.SOCK_DGRAM)
	v, e = getInt(u, abi.SOL_SOCKET, abi.SO_TYPE)
	check.That("getsockopt/so_type-dgram", e == 0 && v == abi.SOCK_DGRAM, "%s %d", check.Name(e), v)
	sys.Close(u)
	ln := mustSocket("listener", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("setsockopt/tcp_defer_accept", setInt(ln, abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT, 2))
	v, e = getInt(ln, abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT)
	check.That("getsockopt/tcp_defer_accept", e == 0 && v > 0, "%s %d", check.Name(e), v)
	sys.Close(ln)
	r, w := pipe("pipe", 0)
	check.Errno("setsockopt/enotsock", setInt(r, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1), abi.ENOTSOCK)
	_, e = getInt(r, abi.SOL_SOCKET, abi.SO_TYPE)
	check.Errno("getsockopt/enotsock", e, abi.ENOTSOCK)
	sys.Close(r)
	sys.Close(w)
}

// socket-errors: socket's and socketpair's argument checks, malformed
// addresses.
func socketErrors([]string) {
	_, e := socket(77, abi.SOCK_STREAM)
	check.Errno("socket/eafnosupport", e, abi.EAFNOSUPPORT)
	_, e = socket(abi.AF_INET, 9)
	check.Errno("socket/eprototype", e, abi.EPROTOTYPE)
	_, e = socket(abi.AF_INET, abi.SOCK_STREAM|0x10000)
	check.Errno("socket/bad-flags", e, abi.EINVAL)
	var fd int32
	check.Errno("socket/eprotonosupport", sys.Socket(abi.AF_INET, abi.SOCK_DGRAM, abi.IPPROTO_TCP, &fd), abi.EPROTONOSUPPORT)
	for _, c := range []struct {
		name     string
		fam, typ int32
	}{
		{"socket/inet6", abi.AF_INET6, abi.SOCK_STREAM},
		{"socket/unix-dgram", abi.AF_UNIX, abi.SOCK_DGRAM},
		{"socket/cloexec", abi.AF_INET, abi.SOCK_STREAM | abi.SOCK_CLOEXEC},
		{"socket/tcp-protocol", abi.AF_INET, abi.SOCK_STREAM},
	} {
		var fd int32
		proto := int32(0)
		if c.name == "socket/tcp-protocol" {
			proto = abi.IPPROTO_TCP
		}
		if check.Errno(c.name, sys.Socket(c.fam, c.typ, proto, &fd)) {
			sys.Close(fd)
		}
	}
	var pair [2]int32
	check.Errno("socketpair/eafnosupport", sys.Socketpair(abi.AF_INET, abi.SOCK_STREAM, 0, &pair), abi.EAFNOSUPPORT)

	s := mustSocket("unix", abi.AF_UNIX, abi.SOCK_STREAM)
	long := &sys.Sockaddr{Family: abi.AF_UNIX}
	for i := range long.Path {
		long.Path[i] = 'x'
	}
	check.Errno("connect/unix-no-nul", sys.Connect(s, long), abi.EINVAL)
	check.Errno("connect/unix-empty", sys.Connect(s, &sys.Sockaddr{Family: abi.AF_UNIX}), abi.EINVAL)
	check.Errno("connect/bad-family", sys.Connect(s, &sys.Sockaddr{Family: 77}), abi.EAFNOSUPPORT)
	check.Errno("bind/bad-family", sys.Bind(s, &sys.Sockaddr{Family: 77}), abi.EAFNOSUPPORT)
	sys.Close(s)
}

// keep keeps buffers alive across imports that got their addresses as
// integers (pts_iovec).
func keep(bufs ...[]byte) { runtime.KeepAlive(bufs) }
