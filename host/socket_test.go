package host_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
	"github.com/ptsevent/ptsevent/internal/testnet"
	"golang.org/x/sys/unix"
)

// The socket imports' tests run real guests (tests/guests/sockets, built
// from source) on every loop backend against real loopback sockets.

// guestRuntimes holds one runtime (one loop) per backend, shared by the
// socket and file tests, with the guests compiled on it.
var guestRuntimes struct {
	sync.Mutex
	rts  map[string]*host.Runtime
	mods map[string]*host.Module // backend + "\x00" + guest dir
}

// guestModule returns the guest in dir compiled on backend's runtime.
func guestModule(t *testing.T, backend, dir string) *host.Module {
	t.Helper()
	wasm := testguest.Go(t, dir)
	g := &guestRuntimes
	g.Lock()
	defer g.Unlock()
	if g.rts == nil {
		g.rts = map[string]*host.Runtime{}
		g.mods = map[string]*host.Module{}
	}
	key := backend + "\x00" + dir
	if m, ok := g.mods[key]; ok {
		return m
	}
	rt, ok := g.rts[backend]
	if !ok {
		var err error
		rt, err = host.NewRuntime(context.Background(), host.Config{Backend: backend, Loops: 1})
		if err != nil {
			t.Fatal(err)
		}
		g.rts[backend] = rt
	}
	m, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	g.mods[key] = m
	return m
}

// forEachBackend runs fn as a subtest per loop backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range evloop.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// guestRun is a guest started with startGuest.
type guestRun struct {
	out  *testguest.LineWriter
	done chan struct{}
	code uint32
	err  error
	end  time.Time
}

// startGuest runs mod with args (after the program name) on a goroutine.
func startGuest(mod *host.Module, caps host.Capabilities, maxFDs int, args ...string) *guestRun {
	g := &guestRun{out: testguest.NewLineWriter(), done: make(chan struct{})}
	var stderr bytes.Buffer
	go func() {
		defer close(g.done)
		g.code, g.err = mod.Run(context.Background(), host.InstanceConfig{
			Args:           append([]string{"guest"}, args...),
			Stdout:         g.out,
			Stderr:         &stderr,
			Caps:           caps,
			MaxDescriptors: maxFDs,
			Deadline:       30 * time.Second,
		})
		g.end = time.Now()
		if stderr.Len() > 0 {
			fmt.Fprintf(g.out, "stderr: %s", stderr.String())
		}
	}()
	return g
}

// wait waits for the guest and returns its output, failing the test
// unless it exited 0 after printing "done".
func (g *guestRun) wait(t *testing.T) string {
	t.Helper()
	select {
	case <-g.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("guest did not end; output so far:\n%s", g.out.String())
	}
	out := g.out.String()
	if g.err != nil || g.code != 0 || !strings.HasSuffix(out, "done\n") {
		t.Fatalf("guest: exit %d, %v; output:\n%s", g.code, g.err, out)
	}
	return out
}

// runGuest runs the guest to its end and returns its output.
func runGuest(t *testing.T, mod *host.Module, caps host.Capabilities, args ...string) string {
	t.Helper()
	return startGuest(mod, caps, 0, args...).wait(t)
}

// wantLines checks that out has each line of want.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("missing line %q in output:\n%s", w, out)
		}
	}
}

// grant returns capabilities with connect and bind grants.
func grant(connect, bind []string) host.Capabilities {
	var c host.Capabilities
	if connect != nil {
		c.Connect = host.MustParseAddrPatterns(connect...)
	}
	if bind != nil {
		c.Bind = host.MustParseAddrPatterns(bind...)
	}
	return c
}

var loopback = grant([]string{"127.0.0.1:*", "[::1]:*"}, []string{"127.0.0.1:*", "[::1]:*"})

const socketsGuest = "tests/guests/sockets"

// serveTCP accepts connections on a new listener at addr and hands each
// to handle on its own goroutine. It returns the listener's address.
func serveTCP(t *testing.T, network, addr string, handle func(c *net.TCPConn)) string {
	t.Helper()
	return serveTCPRcvBuf(t, network, addr, 0, handle)
}

// serveTCPRcvBuf is serveTCP with the accepted connections' receive buffer
// set to rcvbuf bytes, set before listen (testnet.ListenRcvBuf says why).
func serveTCPRcvBuf(t *testing.T, network, addr string, rcvbuf int, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := testnet.ListenRcvBuf(network, addr, rcvbuf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

func echoHandler(c *net.TCPConn) { io.Copy(c, c) }

func TestSocketTCPEcho(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		out := runGuest(t, mod, loopback, "echo", addr)
		wantLines(t, out, "dial: ok", "remote: ok "+addr, "send: ok 5", "recv: ok hello", "close: ok")
	})
}

// hasIPv6Loopback reports whether [::1] can be listened on.
func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func TestSocketTCPEchoIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback on this machine")
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp6", "[::1]:0", echoHandler)
		out := runGuest(t, mod, loopback, "echo", addr)
		wantLines(t, out, "remote: ok "+addr, "recv: ok hello")

		// And a guest listener on [::1].
		g := startGuest(mod, loopback, 0, "serve", "[::1]:0")
		port := g.out.WaitLine(t, "listening ")
		c, err := net.Dial("tcp6", "[::1]:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("hello"))
		got, _ := io.ReadAll(c)
		if string(got) != "HELLO" {
			t.Errorf("got %q from the guest", got)
		}
		wantLines(t, g.wait(t), "peer: "+c.LocalAddr().String())
	})
}

func TestSocketGuestListener(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		g := startGuest(mod, loopback, 0, "serve", "127.0.0.1:0")
		port := g.out.WaitLine(t, "listening ")
		c, err := net.Dial("tcp4", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "HELLO" {
			t.Errorf("got %q, %v from the guest", got, err)
		}
		out := g.wait(t)
		wantLines(t, out, "peer: "+c.LocalAddr().String(), "recv: ok hello", "send: ok 5")
	})
}

func TestSocketUDP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 100)
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("pong:"), buf[:n]...), from)
		}()
		out := runGuest(t, mod, loopback, "udp", pc.LocalAddr().String())
		wantLines(t, out, "sendto: ok 4", "recvfrom: ok pong:ping from true")
	})
}

func TestSocketUnix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		dir := t.TempDir()
		path := filepath.Join(dir, "s")
		caps := grant([]string{"unix:" + dir + "/*"}, []string{"unix:" + dir + "/*"})
		out := runGuest(t, mod, caps, "unix", path)
		wantLines(t, out,
			"listen: ok "+path,
			"recv: ok over unix",
			"recv back: ok and back",
			"dgram recvfrom: ok self from "+path+"d",
		)
		out = runGuest(t, mod, caps, "badaddr")
		wantLines(t, out,
			"connect no NUL: EINVAL",
			"connect empty: EINVAL",
			"connect family 77: EAFNOSUPPORT",
			"bind family 77: EAFNOSUPPORT",
		)
	})
}

func TestSocketSocketpair(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		out := runGuest(t, mod, host.Capabilities{}, "socketpair")
		if n := strings.Count(out, "recv b: ok a->b\n"); n != 2 {
			t.Errorf("stream and datagram pairs: %d of 2 carried a->b:\n%s", n, out)
		}
		wantLines(t, out, "recv a: ok b->a", "socketpair inet: EAFNOSUPPORT", "recv after peer close: EOF")
	})
}

func TestSocketHalfClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
			got, err := io.ReadAll(c) // ends when the guest shuts down writing
			if err != nil {
				return
			}
			c.Write(append([]byte("response:"), got...))
		})
		out := runGuest(t, mod, loopback, "halfclose", addr)
		wantLines(t, out, "shutdown: ok", "send after shutdown: EPIPE", "read to EOF: ok response:request")
	})
}

func TestSocketPeerReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		connected := make(chan struct{})
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
			<-connected
			c.SetLinger(0) // close sends RST
		})
		g := startGuest(mod, loopback, 0, "reset", addr)
		g.out.WaitLine(t, "connect: ok")
		close(connected)
		wantLines(t, g.wait(t), "recv: ECONNRESET")
	})
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestSocketConnectRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		out := runGuest(t, mod, loopback, "refused", closedPort(t))
		wantLines(t, out, "connect: ECONNREFUSED", "nonblocking: ECONNREFUSED")
	})
}

func TestSocketNonblockingConnect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		out := runGuest(t, mod, loopback, "nbconnect", addr)
		wantLines(t, out, "dial: ok", "so_error: ok 0", "recv: ok hello")
	})
}

// fullListener returns the address of a listener whose accept queue is
// full, so that a new connection attempt stays pending (the kernel drops
// its SYNs).
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(sa.(*unix.SockaddrInet4).Port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond)
		if err != nil {
			break // this one stayed pending: the queue is full
		}
		t.Cleanup(func() { c.Close() })
		if i > 16 {
			t.Skip("cannot fill a listener's accept queue on this machine")
		}
	}
	return addr
}

func TestSocketConnectPending(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := fullListener(t)
		out := runGuest(t, mod, loopback, "pending", addr)
		wantLines(t, out, "connect: EINPROGRESS", "connect again: EALREADY", "poll: ok 0 0")
		// A blocking connect bounded by SO_SNDTIMEO.
		out = runGuest(t, mod, loopback, "conntimeo", addr, "300")
		wantLines(t, out, "connect: ETIMEDOUT", "elapsed ok: true")
	})
}

func TestSocketRecvTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		hold := make(chan struct{})
		defer close(hold)
		silent := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) { <-hold })
		echo := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		slow := startGuest(mod, loopback, 0, "rcvtimeo", silent, "700")
		slow.out.WaitLine(t, "waiting")
		// The loop keeps serving another guest while the first waits.
		quick := startGuest(mod, loopback, 0, "echo", echo)
		wantLines(t, quick.wait(t), "recv: ok hello")
		select {
		case <-slow.done:
			t.Fatalf("the timed-out recv ended before the other guest's echo:\n%s", slow.out.String())
		default:
		}
		out := slow.wait(t)
		wantLines(t, out, "recv: ETIMEDOUT", "elapsed ok: true", "accept: ETIMEDOUT", "recvfrom: ETIMEDOUT")
		if !quick.end.Before(slow.end) {
			t.Errorf("the echo guest ended after the timed-out one")
		}
	})
}

func TestSocketSendTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		hold := make(chan struct{})
		defer close(hold)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
			c.SetReadBuffer(4096)
			<-hold // never reads
		})
		out := runGuest(t, mod, loopback, "sndtimeo", addr, "300")
		wantLines(t, out, "send: ETIMEDOUT", "sent some: true", "elapsed ok: true")
	})
}

func TestSocketOptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		out := runGuest(t, mod, loopback, "options", addr)
		wantLines(t, out,
			"SO_REUSEADDR: ok true",
			"SO_REUSEPORT: ok true",
			"SO_KEEPALIVE: ok true",
			"SO_RCVBUF: ok true",
			"SO_SNDBUF: ok true",
			"TCP_NODELAY: ok true",
			"TCP_DEFER_ACCEPT: ok true",
			"TCP_KEEPIDLE: ok true",
			"SO_KEEPALIVE off: ok 0",
			"SO_LINGER set: ok",
			"SO_TYPE: ok true",
			"SO_TYPE set: ENOPROTOOPT",
			"SO_ERROR: ok 0",
			"unknown option: ENOPROTOOPT",
			"unknown level: ENOPROTOOPT",
			"get unknown option: ENOPROTOOPT",
			"wrong length linger: EINVAL",
			"wrong length timeout: EINVAL",
			"get short buffer: EINVAL",
		)
		out = runGuest(t, mod, host.Capabilities{}, "rawoptions")
		wantLines(t, out,
			"SO_LINGER: ok 8 1 0",
			"SO_LINGER 7s: ok 8 1 7",
			"SO_RCVTIMEO: ok true",
			"SO_SNDTIMEO: ok true",
			"SO_RCVTIMEO negative: EINVAL",
			"wrong length: EINVAL",
			"wrong length long: EINVAL",
			"SO_TYPE: ok true",
			"SO_TYPE dgram: ok true",
			"setsockopt on pipe: ENOTSOCK",
			"setsockopt bad fd: EBADF",
			"socket family 77: EAFNOSUPPORT",
			"socket type 9: EPROTOTYPE",
			"socket bad flag: EINVAL",
			"socket udp protocol tcp: EPROTONOSUPPORT",
		)
	})
}

func TestSocketDeferAccept(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		g := startGuest(mod, loopback, 0, "deferaccept", "127.0.0.1:0")
		port := g.out.WaitLine(t, "listening ")
		c, err := net.Dial("tcp4", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		time.Sleep(200 * time.Millisecond) // connected, but no data yet
		c.Write([]byte("late"))
		got, _ := io.ReadAll(c)
		if string(got) != "ack" {
			t.Errorf("got %q", got)
		}
		wantLines(t, g.wait(t), "TCP_DEFER_ACCEPT get: ok true", "recv at once: ok late")
	})
}

func TestSocketFlags(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		out := runGuest(t, mod, loopback, "flags", addr)
		wantLines(t, out, "dontwait empty: EAGAIN", "send dontwait: ok 4", "peek: ok peek",
			"recv: ok peek", "bad flags: EINVAL", "send peek: EINVAL", "recvfrom stream: ok x family 0")
	})
}

func TestSocketCapabilityDenied(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		accepted := make(chan struct{}, 4)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) { accepted <- struct{}{} })
		out := runGuest(t, mod, host.Capabilities{}, "denied", addr, "127.0.0.1:0")
		wantLines(t, out, "connect: EACCES", "bind: EACCES", "connect unix: EACCES", "bind udp: EACCES")
		out = runGuest(t, mod, host.Capabilities{}, "rawdenied", addr)
		wantLines(t, out, "listen unbound: EACCES")
		// Grants for other ports or addresses do not help.
		other := grant([]string{"127.0.0.1:1-100", "10.0.0.0/8:*", "unix:/run/*"}, []string{"127.0.0.2:*"})
		out = runGuest(t, mod, other, "denied", addr, "127.0.0.2:0")
		wantLines(t, out, "connect: EACCES", "bind: EACCES", "connect unix: EACCES", "sendto: EACCES")
		select {
		case <-accepted:
			t.Error("a denied connect reached the server")
		default:
		}
	})
}

func TestSocketBadPointers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		var mu sync.Mutex
		conns := 0
		gotBack := make(chan string, 4)
		addr := serveTCP(t, "tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
			mu.Lock()
			conns++
			mu.Unlock()
			c.Write([]byte("data"))
			got, _ := io.ReadAll(c)
			gotBack <- string(got)
		})
		out := runGuest(t, mod, loopback, "efault", addr)
		wantLines(t, out,
			"socket bad out: EFAULT",
			"no descriptor leaked: true",
			"socketpair bad out: EFAULT",
			"socketpair out wraps: EFAULT",
			"no pair leaked: true",
			"connect bad addr: EFAULT",
			"connect addr wraps: EFAULT",
			"not connected: ENOTCONN",
			"getpeername bad: EFAULT",
			"getsockname bad: EFAULT",
			"recv bad buf: EFAULT",
			"recv buf wraps: EFAULT",
			"recv bad out: EFAULT",
			"read bad buf: EFAULT",
			"recvfrom bad addr: EFAULT",
			"recv: ok data",
			"send bad buf: EFAULT",
			"send buf wraps: EFAULT",
			"send bad out: EFAULT",
			"sendto bad addr: EFAULT",
			"setsockopt bad val: EFAULT",
			"getsockopt bad val: EFAULT",
			"getsockopt bad size: EFAULT",
			"poll bad fds: EFAULT",
			"accept bad newfd: EFAULT",
			"accept bad addr: EFAULT",
			"accept: ok true",
			"accept again: EAGAIN",
			"udp recvfrom: ok dgram",
		)
		select {
		case got := <-gotBack:
			if got != "ok!" {
				t.Errorf("the server received %q, want only \"ok!\"", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server's connection did not end")
		}
		mu.Lock()
		defer mu.Unlock()
		if conns != 1 {
			t.Errorf("the server saw %d connections, want 1", conns)
		}
	})
}

func TestSocketDescriptorLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		out := startGuest(mod, loopback, 8, "emfile").wait(t)
		wantLines(t, out, "sockets: 8 EMFILE", "socketpair: EMFILE", "pipe: EMFILE", "after close: ok true")
	})
}

// TestSocketLingerClose checks that a close with SO_LINGER waits, parked,
// until the peer has taken the data, while the loop serves other guests.
func TestSocketLingerClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, socketsGuest)
		received := make(chan int, 1)
		start := make(chan struct{})
		// A small receive buffer, so that the guest's close has data
		// in flight to wait for; set before listen, since this peer
		// reads (see serveTCPRcvBuf).
		addr := serveTCPRcvBuf(t, "tcp4", "127.0.0.1:0", 4096, func(c *net.TCPConn) {
			<-start
			n, _ := io.Copy(io.Discard, c)
			received <- int(n)
		})
		echo := serveTCP(t, "tcp4", "127.0.0.1:0", echoHandler)
		g := startGuest(mod, loopback, 0, "lingerclose", addr)
		sent := g.out.WaitLine(t, "sent ")
		// The guest is in close now; another guest runs meanwhile.
		wantLines(t, runGuest(t, mod, loopback, "echo", echo), "recv: ok hello")
		select {
		case <-g.done:
			t.Fatalf("close did not linger:\n%s", g.out.String())
		default:
		}
		time.Sleep(200 * time.Millisecond)
		close(start)
		out := g.wait(t)
		wantLines(t, out, "close: ok", "close waited: true")
		if n := <-received; strconv.Itoa(n) != sent {
			t.Errorf("the peer received %d bytes, the guest sent %s", n, sent)
		}
	})
}
