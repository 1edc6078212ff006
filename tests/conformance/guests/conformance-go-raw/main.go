//go:build wasip1

// Command conformance-go-raw is a guest of the conformance suite
// (tests/conformance): it calls the ptsevent imports directly through
// package sys (guest-sdk/go/sys, the bindings generated from package abi)
// to check each function's success and error paths, as a C program would.
//
// os.Args[1] names the scenario, the other arguments are its parameters
// (peer addresses, paths); the runner's case table (tests/conformance,
// cases.go) says which. Results are check lines (package check, README.md).
package main

import (
	"encoding/binary"
	"net/netip"
	"os"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

var scenarios = map[string]func(args []string){
	"meta":          meta,
	"pipe":          pipeScenario,
	"readline":      readlineScenario,
	"eof":           eofScenario,
	"fds":           fds,
	"poll":          pollScenario,
	"sleep":         sleepScenario,
	"deadline":      deadline,
	"tcp-client":    tcpClient,
	"tcp-halfclose": tcpHalfClose,
	"tcp-reset":     tcpReset,
	"tcp-refused":   tcpRefused,
	"tcp-nonblock":  tcpNonblock,
	"tcp-pending":   tcpPending,
	"tcp-timeouts":  tcpTimeouts,
	"tcp-listen":    tcpListen,
	"tcp-serve":     tcpServe,
	"tcp-ipv6":      tcpIPv6,
	"options":       options,
	"socket-errors": socketErrors,
	"udp":           udp,
	"unix":          unixScenario,
	"socketpair":    socketpair,
	"files":         files,
	"fromfd":        fromfd,
	"unlink":        unlinkScenario,
	"dns":           dns,
	"dns-denied":    dnsDenied,
	"tls-client":    tlsClient,
	"tls-server":    tlsServer,
	"tls-noserver":  tlsNoServer,
	"caps-denied":   capsDenied,
}

func main() {
	if len(os.Args) < 2 {
		check.Fatalf("usage", "conformance-go-raw SCENARIO ARGS...")
	}
	f, ok := scenarios[os.Args[1]]
	if !ok {
		check.Fatalf("usage", "unknown scenario %q", os.Args[1])
	}
	f(os.Args[2:])
	check.Done()
}

// arg returns args[i], ending the guest when the runner passed too few.
func arg(args []string, i int) string {
	if i >= len(args) {
		check.Fatalf("usage", "scenario %s needs %d arguments", os.Args[1], i+1)
	}
	return args[i]
}

func ptr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// sockaddr parses "ip:port" into a pts_sockaddr.
func sockaddr(s string) *sys.Sockaddr {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		check.Fatalf("usage", "bad address %q", s)
	}
	return sockaddrOf(ap)
}

func sockaddrOf(ap netip.AddrPort) *sys.Sockaddr {
	sa := new(sys.Sockaddr)
	sa.Port = ap.Port()
	if ap.Addr().Is4() {
		sa.Family = abi.AF_INET
		a := ap.Addr().As4()
		copy(sa.Addr[:], a[:])
	} else {
		sa.Family = abi.AF_INET6
		sa.Addr = ap.Addr().As16()
	}
	return sa
}

// unixSockaddr makes an AF_UNIX pts_sockaddr for path.
func unixSockaddr(path string) *sys.Sockaddr {
	sa := &sys.Sockaddr{Family: abi.AF_UNIX}
	if len(path) >= len(sa.Path) {
		check.Fatalf("usage", "unix path too long: %q", path)
	}
	copy(sa.Path[:], path)
	return sa
}

// addrPort decodes an AF_INET or AF_INET6 pts_sockaddr.
func addrPort(sa *sys.Sockaddr) netip.AddrPort {
	switch sa.Family {
	case abi.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(sa.Addr[:4])), sa.Port)
	case abi.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), sa.Port)
	}
	return netip.AddrPort{}
}

// unixPath decodes an AF_UNIX pts_sockaddr's path.
func unixPath(sa *sys.Sockaddr) string {
	for i, c := range sa.Path {
		if c == 0 {
			return string(sa.Path[:i])
		}
	}
	return string(sa.Path[:])
}

func socket(family, typ int32) (int32, uint32) {
	var fd int32 = -1
	e := sys.Socket(family, typ, 0, &fd)
	return fd, e
}

func mustSocket(name string, family, typ int32) int32 {
	fd, e := socket(family, typ)
	check.Must(name, e)
	return fd
}

// dial makes a blocking TCP connection to addr.
func dial(name, addr string) int32 {
	sa := sockaddr(addr)
	fd := mustSocket(name+"/socket", int32(sa.Family), abi.SOCK_STREAM)
	check.Must(name+"/connect", sys.Connect(fd, sa))
	return fd
}

// listen makes a listening TCP socket on addr and returns it with its
// bound address.
func listen(name, addr string, typ int32) (int32, *sys.Sockaddr) {
	sa := sockaddr(addr)
	fd := mustSocket(name+"/socket", int32(sa.Family), abi.SOCK_STREAM|typ)
	check.Must(name+"/bind", sys.Bind(fd, sa))
	check.Must(name+"/listen", sys.Listen(fd, 16))
	var local sys.Sockaddr
	check.Must(name+"/getsockname", sys.Getsockname(fd, &local))
	return fd, &local
}

func send(fd int32, b []byte, flags int32) (int, uint32) {
	var n uint32
	e := sys.Send(fd, ptr(b), uint32(len(b)), flags, &n)
	return int(n), e
}

func recv(fd int32, b []byte, flags int32) (int, uint32) {
	var n uint32
	e := sys.Recv(fd, ptr(b), uint32(len(b)), flags, &n)
	return int(n), e
}

func write(fd int32, b []byte) (int, uint32) {
	var n uint32
	e := sys.Write(fd, ptr(b), uint32(len(b)), &n)
	return int(n), e
}

func read(fd int32, b []byte) (int, uint32) {
	var n uint32
	e := sys.Read(fd, ptr(b), uint32(len(b)), &n)
	return int(n), e
}

func readline(fd int32, b []byte) (string, uint32) {
	var n uint32
	e := sys.Readline(fd, ptr(b), uint32(len(b)), &n)
	return string(b[:n]), e
}

// writeAll writes b to a blocking descriptor.
func writeAll(name string, fd int32, b []byte) {
	for len(b) > 0 {
		n, e := write(fd, b)
		check.Must(name, e)
		b = b[n:]
	}
}

// readAll reads a blocking descriptor to its end.
func readAll(fd int32) ([]byte, uint32) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, e := read(fd, buf)
		if e != 0 {
			return out, e
		}
		if n == 0 {
			return out, 0
		}
		out = append(out, buf[:n]...)
	}
}

func setsockopt(fd, level, name int32, v []byte) uint32 {
	return sys.Setsockopt(fd, level, name, ptr(v), uint32(len(v)))
}

func getsockopt(fd, level, name int32, v []byte) (int, uint32) {
	var n uint32
	e := sys.Getsockopt(fd, level, name, ptr(v), uint32(len(v)), &n)
	return int(n), e
}

func setInt(fd, level, name int32, v int32) uint32 {
	return setsockopt(fd, level, name, binary.LittleEndian.AppendUint32(nil, uint32(v)))
}

func getInt(fd, level, name int32) (int32, uint32) {
	b := make([]byte, 4)
	_, e := getsockopt(fd, level, name, b)
	return int32(binary.LittleEndian.Uint32(b)), e
}

func setTimeout(fd, name int32, d time.Duration) uint32 {
	return setsockopt(fd, abi.SOL_SOCKET, name, binary.LittleEndian.AppendUint64(nil, uint64(d)))
}

// pollOne polls one descriptor and returns its revents and poll's count.
func pollOne(fd int32, events uint16, timeout time.Duration) (uint16, int, uint32) {
	p := sys.PollFd{Fd: fd, Events: events}
	var n uint32
	e := sys.Poll(&p, 1, int64(timeout), &n)
	return p.Revents, int(n), e
}

func pipe(name string, flags int32) (r, w int32) {
	var fds [2]int32
	check.Must(name, sys.Pipe(flags, &fds))
	return fds[0], fds[1]
}

// within reports whether time since start is at least min and below max.
func within(start time.Time, min, max time.Duration) bool {
	d := time.Since(start)
	return d >= min && d < max
}
