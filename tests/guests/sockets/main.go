//go:build wasip1

// Command sockets is the test guest of the socket imports
// (host/socket_test.go). os.Args[1] names a scenario, the other arguments
// are its parameters; it prints one line per step, "name: result", where a
// result is "ok ..." or an errno's name, and ends with "done". A line
// "listening PORT" tells the test it may connect, "waiting" that the guest
// is about to block.
//
// Most scenarios use the Go guest SDK (guest-sdk/go) as an application
// would. The raw ones (raw.go) call the imports directly, through package
// sys (guest-sdk/go/sys, the bindings generated from package abi), to pass
// what the SDK's typed API cannot: bad pointers, recv flags, a second
// connect, options of any size.
//
// ADDR is an address with port ("127.0.0.1:8080", "[::1]:8080").
//
//	echo ADDR             dial, send "hello", read the echo
//	serve ADDR            listen, accept one connection, echo it upper-cased
//	udp ADDR              sendto "ping", recvfrom the answer
//	unix PATH             unix stream and datagram sockets at PATH
//	socketpair            stream and datagram socketpairs
//	halfclose ADDR        send, shutdown(SHUT_WR), read the answer to EOF
//	reset ADDR            read on a connection the peer resets
//	refused ADDR          blocking and non-blocking connect to a closed port
//	nbconnect ADDR        non-blocking connect (poll POLLOUT, SO_ERROR), echo
//	rcvtimeo ADDR MS      read, accept and recvfrom bounded by SO_RCVTIMEO
//	sndtimeo ADDR MS      write bounded by SO_SNDTIMEO to a peer that never reads
//	options ADDR          integer options on a TCP connection
//	denied ADDR LOCAL     connect, bind, sendto without grants
//	emfile                sockets until the descriptor table is full
//
// Raw scenarios (raw.go):
//
//	pending ADDR          non-blocking connect that stays pending: EALREADY
//	conntimeo ADDR MS     blocking connect bounded by SO_SNDTIMEO
//	rawoptions            SO_LINGER and the timeouts, sizes, bad options
//	deferaccept ADDR      a listener with TCP_DEFER_ACCEPT
//	flags ADDR            MSG_PEEK and MSG_DONTWAIT
//	rawdenied ADDR        listen on an unbound socket without a bind grant
//	badaddr               malformed pts_sockaddr values
//	efault ADDR           bad pointers, each without side effect
//	lingerclose ADDR      close with SO_LINGER waits for the peer to take the data
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

var scenarios = map[string]func(args []string){
	"echo":       func(a []string) { echo(a[0]) },
	"serve":      func(a []string) { serve(a[0]) },
	"udp":        func(a []string) { udp(a[0]) },
	"unix":       func(a []string) { unixSockets(a[0]) },
	"socketpair": func(a []string) { socketpair() },
	"halfclose":  func(a []string) { halfclose(a[0]) },
	"reset":      func(a []string) { reset(a[0]) },
	"refused":    func(a []string) { refused(a[0]) },
	"nbconnect":  func(a []string) { nbconnect(a[0]) },
	"rcvtimeo":   func(a []string) { rcvtimeo(a[0], atoi(a[1])) },
	"sndtimeo":   func(a []string) { sndtimeo(a[0], atoi(a[1])) },
	"options":    func(a []string) { options(a[0]) },
	"denied":     func(a []string) { denied(a[0], a[1]) },
	"emfile":     func(a []string) { emfile() },
	// raw.go
	"pending":     func(a []string) { pending(a[0]) },
	"conntimeo":   func(a []string) { conntimeo(a[0], atoi(a[1])) },
	"rawoptions":  func(a []string) { rawOptions() },
	"deferaccept": func(a []string) { deferaccept(a[0]) },
	"flags":       func(a []string) { flags(a[0]) },
	"rawdenied":   func(a []string) { rawDenied(a[0]) },
	"badaddr":     func(a []string) { badAddr() },
	"efault":      func(a []string) { efault(a[0]) },
	"lingerclose": func(a []string) { lingerClose(a[0]) },
}

func main() {
	if len(os.Args) < 2 || scenarios[os.Args[1]] == nil {
		fmt.Println("usage: sockets SCENARIO ARGS...")
		os.Exit(2)
	}
	args := append(os.Args[2:], "", "", "")
	scenarios[os.Args[1]](args)
	fmt.Println("done")
}

// errName returns the name of the errno in err ("EOF" for io.EOF).
func errName(err error) string {
	var e ptsevent.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &e):
		return e.Name()
	case err == io.EOF:
		return "EOF"
	}
	return err.Error()
}

// step prints "name: ok detail" or "name: ERRNO".
func step(name string, err error, detail ...any) {
	if err != nil {
		fmt.Printf("%s: %s\n", name, errName(err))
		return
	}
	if len(detail) == 0 {
		fmt.Printf("%s: ok\n", name)
		return
	}
	fmt.Printf("%s: ok %s\n", name, fmt.Sprint(detail...))
}

// must is step that exits on failure.
func must(name string, err error, detail ...any) {
	step(name, err, detail...)
	if err != nil {
		os.Exit(1)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fmt.Println("bad number", s)
		os.Exit(2)
	}
	return n
}

// tcpNet returns "tcp4" or "tcp6" for addr, so the SDK needs no resolver.
func tcpNet(addr string, base string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err == nil && ap.Addr().Is6() {
		return base + "6"
	}
	return base + "4"
}

func echo(addr string) {
	c, err := ptsevent.Dial(tcpNet(addr, "tcp"), addr)
	must("dial", err)
	step("remote", nil, c.RemoteAddr())
	n, err := c.Write([]byte("hello"))
	must("send", err, n)
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	must("recv", err, string(buf))
	must("close", c.Close())
}

func serve(addr string) {
	ln, err := ptsevent.Listen(tcpNet(addr, "tcp"), addr)
	must("listen", err)
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	c, err := ln.AcceptConn()
	must("accept", err)
	fmt.Printf("peer: %s\n", c.RemoteAddr())
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	must("recv", err, string(buf))
	n, err := c.Write(bytes.ToUpper(buf))
	must("send", err, n)
	must("close", c.Close())
	must("close listener", ln.Close())
}

func udp(addr string) {
	netw := tcpNet(addr, "udp")
	local := "127.0.0.1:0"
	if netw == "udp6" {
		local = "[::1]:0"
	}
	pc, err := ptsevent.ListenPacket(netw, local)
	must("listen", err)
	to, err := net.ResolveUDPAddr(netw, addr)
	must("resolve", err)
	n, err := pc.WriteTo([]byte("ping"), to)
	must("sendto", err, n)
	buf := make([]byte, 100)
	n, from, err := pc.ReadFrom(buf)
	must("recvfrom", err, string(buf[:n]), " from ", from.String() == to.String())
	must("close", pc.Close())
}

func unixSockets(path string) {
	ln, err := ptsevent.Listen("unix", path)
	must("listen", err, ln.Addr())
	c, err := ptsevent.Dial("unix", path)
	must("dial", err)
	s, err := ln.AcceptConn()
	must("accept", err)
	_, err = c.Write([]byte("over unix"))
	must("send", err)
	buf := make([]byte, 9)
	_, err = io.ReadFull(s, buf)
	must("recv", err, string(buf))
	_, err = s.Write([]byte("and back"))
	must("send back", err)
	_, err = io.ReadFull(c, buf[:8])
	must("recv back", err, string(buf[:8]))
	step("local", nil, ln.Addr())
	c.Close()
	s.Close()
	ln.Close()

	// A datagram socket sends to itself.
	pc, err := ptsevent.ListenPacket("unixgram", path+"d")
	must("dgram listen", err)
	n, err := pc.WriteTo([]byte("self"), pc.LocalAddr())
	must("dgram sendto", err, n)
	n, from, err := pc.ReadFrom(buf)
	must("dgram recvfrom", err, string(buf[:n]), " from ", from)
	pc.Close()
}

func socketpair() {
	for _, typ := range []int{abi.SOCK_STREAM, abi.SOCK_DGRAM} {
		a, b, err := ptsevent.Socketpair(abi.AF_UNIX, typ)
		must("socketpair", err)
		_, err = a.Write([]byte("a->b"))
		must("send a", err)
		buf := make([]byte, 16)
		n, err := b.Read(buf)
		must("recv b", err, string(buf[:n]))
		_, err = b.Write([]byte("b->a"))
		must("send b", err)
		n, err = a.Read(buf)
		must("recv a", err, string(buf[:n]))
		a.Close()
		b.Close()
	}
	_, _, err := ptsevent.Socketpair(abi.AF_INET, abi.SOCK_STREAM)
	step("socketpair inet", err)
	a, b, err := ptsevent.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM)
	must("socketpair", err)
	b.Close()
	_, err = a.Read(make([]byte, 4))
	step("recv after peer close", err)
	a.Close()
}

func halfclose(addr string) {
	c, err := ptsevent.Dial("tcp4", addr)
	must("dial", err)
	_, err = c.Write([]byte("request"))
	must("send", err)
	must("shutdown", c.CloseWrite())
	_, err = c.Write([]byte("more"))
	step("send after shutdown", err)
	got, err := io.ReadAll(c)
	must("read to EOF", err, string(got))
	c.Close()
}

func reset(addr string) {
	c, err := ptsevent.Dial("tcp4", addr)
	must("connect", err)
	_, err = c.Read(make([]byte, 16))
	step("recv", err)
	c.Close()
}

func refused(addr string) {
	_, err := ptsevent.Dial("tcp4", addr) // one blocking connect
	step("connect", err)
	_, err = ptsevent.DialTimeout("tcp4", addr, 10*time.Second) // non-blocking
	step("nonblocking", err)
}

func nbconnect(addr string) {
	// With a timeout the SDK connects non-blocking: EINPROGRESS, poll for
	// POLLOUT, then SO_ERROR.
	c, err := ptsevent.DialTimeout("tcp4", addr, 10*time.Second)
	must("dial", err)
	soerr, err := c.GetsockoptInt(abi.SOL_SOCKET, abi.SO_ERROR)
	must("so_error", err, soerr)
	_, err = c.Write([]byte("hello"))
	must("send", err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	must("recv", err, string(buf))
	c.Close()
}

func elapsed(start time.Time, ms int) bool {
	return time.Since(start) >= time.Duration(ms)*time.Millisecond*9/10
}

func rcvtimeo(addr string, ms int) {
	c, err := ptsevent.Dial("tcp4", addr)
	must("dial", err)
	// One goroutine: the SDK turns the deadline into SO_RCVTIMEO.
	c.SetReadDeadline(time.Now().Add(time.Duration(ms) * time.Millisecond))
	fmt.Println("waiting")
	start := time.Now()
	_, err = c.Read(make([]byte, 16))
	step("recv", err)
	fmt.Printf("elapsed ok: %v\n", elapsed(start, ms))
	c.Close()

	// The receive timeout bounds accept and recvfrom too.
	ln, err := ptsevent.Listen("tcp4", "127.0.0.1:0")
	must("listen", err)
	ln.SetDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = ln.Accept()
	step("accept", err)
	ln.Close()
	pc, err := ptsevent.ListenPacket("udp4", "127.0.0.1:0")
	must("listen udp", err)
	pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err = pc.ReadFrom(make([]byte, 16))
	step("recvfrom", err)
	pc.Close()
}

func sndtimeo(addr string, ms int) {
	c, err := ptsevent.Dial("tcp4", addr)
	must("dial", err)
	must("sndbuf", c.SetWriteBuffer(4096))
	// Allocate before the deadline starts: growing wasm memory by 64 MiB
	// can itself take longer than the deadline on a loaded machine.
	buf := make([]byte, 64<<20)
	c.SetWriteDeadline(time.Now().Add(time.Duration(ms) * time.Millisecond))
	start := time.Now()
	n, err := c.Write(buf)
	step("send", err)
	fmt.Printf("sent some: %v\n", n > 0)
	fmt.Printf("elapsed ok: %v\n", elapsed(start, ms))
	c.Close()
}

func options(addr string) {
	c, err := ptsevent.Dial("tcp4", addr)
	must("dial", err)
	ints := []struct {
		name        string
		level, opt  int
		set         int
		wantAtLeast bool
	}{
		{"SO_REUSEADDR", abi.SOL_SOCKET, abi.SO_REUSEADDR, 1, false},
		{"SO_REUSEPORT", abi.SOL_SOCKET, abi.SO_REUSEPORT, 1, false},
		{"SO_KEEPALIVE", abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1, false},
		{"SO_RCVBUF", abi.SOL_SOCKET, abi.SO_RCVBUF, 32768, true},
		{"SO_SNDBUF", abi.SOL_SOCKET, abi.SO_SNDBUF, 32768, true},
		{"TCP_NODELAY", abi.IPPROTO_TCP, abi.TCP_NODELAY, 1, false},
		{"TCP_DEFER_ACCEPT", abi.IPPROTO_TCP, abi.TCP_DEFER_ACCEPT, 3, false},
		{"TCP_KEEPIDLE", abi.IPPROTO_TCP, abi.TCP_KEEPIDLE, 42, false},
	}
	for _, o := range ints {
		if err := c.SetsockoptInt(o.level, o.opt, o.set); err != nil {
			step(o.name, err)
			continue
		}
		v, err := c.GetsockoptInt(o.level, o.opt)
		step(o.name, err, v == o.set || (o.wantAtLeast && v >= o.set))
	}
	c.SetKeepAlive(false)
	v, err := c.GetsockoptInt(abi.SOL_SOCKET, abi.SO_KEEPALIVE)
	step("SO_KEEPALIVE off", err, v)
	step("SO_LINGER set", c.SetLinger(7))
	v, err = c.GetsockoptInt(abi.SOL_SOCKET, abi.SO_TYPE)
	step("SO_TYPE", err, v == abi.SOCK_STREAM)
	step("SO_TYPE set", c.SetsockoptInt(abi.SOL_SOCKET, abi.SO_TYPE, 1))
	v, err = c.GetsockoptInt(abi.SOL_SOCKET, abi.SO_ERROR)
	step("SO_ERROR", err, v)
	step("unknown option", c.SetsockoptInt(abi.SOL_SOCKET, 99, 1))
	step("unknown level", c.SetsockoptInt(1234, abi.SO_REUSEADDR, 1))
	_, err = c.GetsockoptInt(abi.SOL_SOCKET, 99)
	step("get unknown option", err)
	// An i32 is the wrong size for SO_LINGER (a pts_linger) and the
	// timeouts (an i64).
	step("wrong length linger", c.SetsockoptInt(abi.SOL_SOCKET, abi.SO_LINGER, 1))
	step("wrong length timeout", c.SetsockoptInt(abi.SOL_SOCKET, abi.SO_RCVTIMEO, 1))
	_, err = c.GetsockoptInt(abi.SOL_SOCKET, abi.SO_LINGER)
	step("get short buffer", err)
	c.Close()
}

func denied(addr, local string) {
	_, err := ptsevent.Dial("tcp4", addr)
	step("connect", err)
	_, err = ptsevent.Listen("tcp4", "127.0.0.1:0")
	step("bind", err)
	_, err = ptsevent.Dial("unix", "/tmp/nowhere.sock")
	step("connect unix", err)
	pc, err := ptsevent.ListenPacket("udp4", local)
	if err != nil {
		step("bind udp", err)
		return
	}
	to, _ := net.ResolveUDPAddr("udp4", addr)
	_, err = pc.WriteTo([]byte("x"), to)
	step("sendto", err)
	pc.Close()
}

func emfile() {
	var first *ptsevent.PacketConn
	count := 0
	for ; count <= 100; count++ {
		pc, err := ptsevent.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			fmt.Printf("sockets: %d %s\n", count, errName(err))
			break
		}
		if first == nil {
			first = pc
		}
	}
	_, _, err := ptsevent.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM)
	step("socketpair", err)
	_, _, err = ptsevent.Pipe()
	step("pipe", err)
	fd := first.Fd()
	first.Close()
	pc, err := ptsevent.ListenPacket("udp4", "127.0.0.1:0")
	step("after close", err, pc != nil && pc.Fd() == fd)
}
