//go:build wasip1

package main

import (
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

func sendto(fd int32, b []byte, to *sys.Sockaddr) (int, uint32) {
	var n uint32
	e := sys.Sendto(fd, ptr(b), uint32(len(b)), 0, to, &n)
	return int(n), e
}

func recvfrom(fd int32, b []byte, flags int32, from *sys.Sockaddr) (string, uint32) {
	var n uint32
	e := sys.Recvfrom(fd, ptr(b), uint32(len(b)), flags, from, &n)
	return string(b[:n]), e
}

// udp ECHO: the peer answers each datagram with "pong:" and the datagram.
func udp(args []string) {
	echo := sockaddr(arg(args, 0))
	fd := mustSocket("socket", abi.AF_INET, abi.SOCK_DGRAM)
	n, e := sendto(fd, []byte("ping"), echo)
	check.That("sendto/udp", e == 0 && n == 4, "sendto: %s %d", check.Name(e), n)
	buf := make([]byte, 128)
	var from sys.Sockaddr
	got, e := recvfrom(fd, buf, 0, &from)
	check.That("recvfrom/udp", e == 0 && got == "pong:ping", "recvfrom: %s %q", check.Name(e), got)
	check.That("recvfrom/addr", addrPort(&from) == addrPort(echo), "from %v, want %v", addrPort(&from), addrPort(echo))
	var local sys.Sockaddr
	e = sys.Getsockname(fd, &local)
	check.That("getsockname/udp", e == 0 && local.Port != 0, "getsockname: %s port %d", check.Name(e), local.Port)
	sendto(fd, []byte("again"), echo)
	got, e = recvfrom(fd, buf, 0, nil)
	check.That("recvfrom/null-addr", e == 0 && got == "pong:again", "recvfrom: %s %q", check.Name(e), got)

	check.Errno("set_nonblock/udp", sys.SetNonblock(fd, 1))
	_, e = recvfrom(fd, buf, 0, nil)
	check.Errno("recvfrom/eagain", e, abi.EAGAIN)
	sys.SetNonblock(fd, 0)
	check.Must("rcvtimeo", setTimeout(fd, abi.SO_RCVTIMEO, 100*time.Millisecond))
	start := time.Now()
	_, e = recvfrom(fd, buf, 0, nil)
	if check.Errno("recvfrom/etimedout", e, abi.ETIMEDOUT) {
		check.That("recvfrom/timeout-duration", within(start, 100*time.Millisecond, 10*time.Second), "after %v", time.Since(start))
	}
	setTimeout(fd, abi.SO_RCVTIMEO, 0)
	_, e = sendto(fd, make([]byte, 70000), echo)
	check.Errno("sendto/emsgsize", e, abi.EMSGSIZE)

	check.Errno("connect/udp", sys.Connect(fd, echo))
	k, e := send(fd, []byte("c"), 0)
	check.That("send/connected-udp", e == 0 && k == 1, "send: %s %d", check.Name(e), k)
	k, e = recv(fd, buf, 0)
	check.That("recv/connected-udp", e == 0 && string(buf[:k]) == "pong:c", "recv: %s %q", check.Name(e), buf[:k])
	var peer sys.Sockaddr
	e = sys.Getpeername(fd, &peer)
	check.That("getpeername/udp", e == 0 && addrPort(&peer) == addrPort(echo), "getpeername: %s %v", check.Name(e), addrPort(&peer))
	sys.Close(fd)

	// Datagram boundaries and MSG_PEEK, on a socket that sends to itself.
	self := mustSocket("self", abi.AF_INET, abi.SOCK_DGRAM)
	check.Must("bind", sys.Bind(self, sockaddr("127.0.0.1:0")))
	sys.Getsockname(self, &local)
	sendto(self, []byte("first"), &local)
	sendto(self, []byte("second"), &local)
	got, e = recvfrom(self, buf, abi.MSG_PEEK, nil)
	check.That("recv/peek-dgram", e == 0 && got == "first", "peek: %s %q", check.Name(e), got)
	g1, _ := recvfrom(self, buf, 0, nil)
	g2, _ := recvfrom(self, buf, 0, nil)
	check.That("recvfrom/boundaries", g1 == "first" && g2 == "second", "got %q %q", g1, g2)
	small := make([]byte, 3)
	sendto(self, []byte("truncated"), &local)
	got, e = recvfrom(self, small, 0, nil)
	check.That("recvfrom/truncates", e == 0 && got == "tru", "recvfrom: %s %q", check.Name(e), got)
	sys.Close(self)
}

// unix DIR: AF_UNIX stream and datagram sockets at paths under DIR.
func unixScenario(args []string) {
	dir := arg(args, 0)
	path := dir + "/s"
	ln := mustSocket("socket", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Errno("bind/unix", sys.Bind(ln, unixSockaddr(path)))
	check.Errno("listen/unix", sys.Listen(ln, 4))
	var sa sys.Sockaddr
	e := sys.Getsockname(ln, &sa)
	check.That("getsockname/unix", e == 0 && sa.Family == abi.AF_UNIX && unixPath(&sa) == path, "getsockname: %s %q", check.Name(e), unixPath(&sa))
	cl := mustSocket("client", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Errno("connect/unix", sys.Connect(cl, unixSockaddr(path)))
	var srv int32
	check.Must("accept", sys.Accept(ln, 0, &srv, nil))
	e = sys.Getpeername(cl, &sa)
	check.That("getpeername/unix", e == 0 && unixPath(&sa) == path, "getpeername: %s %q", check.Name(e), unixPath(&sa))
	send(cl, []byte("over unix"), 0)
	buf := make([]byte, 64)
	n, e := recv(srv, buf, 0)
	check.That("recv/unix-stream", e == 0 && string(buf[:n]) == "over unix", "recv: %s %q", check.Name(e), buf[:n])
	other := mustSocket("other", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Errno("bind/unix-exists", sys.Bind(other, unixSockaddr(path)), abi.EADDRINUSE)
	check.Errno("connect/unix-missing", sys.Connect(other, unixSockaddr(dir+"/missing")), abi.ENOENT, abi.ECONNREFUSED)
	sys.Close(other)
	sys.Close(srv)
	sys.Close(cl)
	sys.Close(ln)

	d := mustSocket("dgram", abi.AF_UNIX, abi.SOCK_DGRAM)
	dpath := dir + "/d"
	check.Must("bind dgram", sys.Bind(d, unixSockaddr(dpath)))
	k, e := sendto(d, []byte("self"), unixSockaddr(dpath))
	check.That("sendto/unix-dgram", e == 0 && k == 4, "sendto: %s %d", check.Name(e), k)
	got, e := recvfrom(d, buf, 0, &sa)
	check.That("recvfrom/unix-dgram", e == 0 && got == "self" && unixPath(&sa) == dpath, "recvfrom: %s %q from %q", check.Name(e), got, unixPath(&sa))
	sys.Close(d)
}

// socketpair: connected AF_UNIX pairs.
func socketpair([]string) {
	var p [2]int32
	check.Errno("socketpair/stream", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, &p))
	buf := make([]byte, 64)
	send(p[0], []byte("a->b"), 0)
	n, e := recv(p[1], buf, 0)
	check.That("socketpair/a-to-b", e == 0 && string(buf[:n]) == "a->b", "recv: %s %q", check.Name(e), buf[:n])
	send(p[1], []byte("b->a"), 0)
	n, e = recv(p[0], buf, 0)
	check.That("socketpair/b-to-a", e == 0 && string(buf[:n]) == "b->a", "recv: %s %q", check.Name(e), buf[:n])
	check.Errno("shutdown/socketpair", sys.Shutdown(p[0], abi.SHUT_WR))
	n, e = recv(p[1], buf, 0)
	check.That("recv/eof-after-shutdown", e == 0 && n == 0, "recv: %s %d", check.Name(e), n)
	sys.Close(p[0])
	sys.Close(p[1])

	check.Errno("socketpair/dgram", sys.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM, 0, &p))
	send(p[0], []byte("one"), 0)
	send(p[0], []byte("two"), 0)
	n1, _ := recv(p[1], buf, 0)
	first := string(buf[:n1])
	n2, _ := recv(p[1], buf, 0)
	check.That("socketpair/dgram-boundaries", first == "one" && string(buf[:n2]) == "two", "got %q %q", first, buf[:n2])
	sys.Close(p[0])
	sys.Close(p[1])

	check.Errno("socketpair/nonblock", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0, &p))
	_, e = recv(p[0], buf, 0)
	check.Errno("recv/socketpair-eagain", e, abi.EAGAIN)
	sys.Close(p[1])
	rev, _, _ := pollOne(p[0], abi.POLLIN, 5*time.Second)
	check.That("poll/socketpair-peer-closed", rev&(abi.POLLIN|abi.POLLHUP) != 0, "revents %#x", rev)
	n, e = recv(p[0], buf, 0)
	check.That("recv/socketpair-peer-closed", e == 0 && n == 0, "recv: %s %d", check.Name(e), n)
	sys.Close(p[0])
}
