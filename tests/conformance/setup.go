package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testnet"
	"golang.org/x/sys/unix"
)

// Setup is one case's preparation: the arguments, capabilities and
// limits of its instance, and the peers the runner runs for it (servers,
// clients, files, granted descriptors). A case's Setup function fills it;
// the runner tears the peers down when the case ends.
type Setup struct {
	// Env is what every case of the run shares (DNS server, certificates).
	Env *Env
	// Args are appended to the case's Args.
	Args []string
	// Caps are the instance's capabilities.
	Caps host.Capabilities
	// MaxDescriptors limits the instance's descriptor table (0: default).
	MaxDescriptors int

	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	checks   []check
	hooks    []lineHook
	wg       sync.WaitGroup
	cleanups []func()
	after    []func()
}

// A check is one result line, from the guest or from a peer.
type check struct {
	name   string
	ok     bool
	detail string
}

type lineHook struct {
	prefix string
	fn     func(rest string)
	fired  bool
}

func newSetup(env *Env) *Setup {
	s := &Setup{Env: env}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Arg appends arguments for the guest.
func (s *Setup) Arg(args ...string) { s.Args = append(s.Args, args...) }

// Context is canceled when the case ends: peers that serve until then
// watch it.
func (s *Setup) Context() context.Context { return s.ctx }

// Cleanup registers f to run when the case ends (last registered, first
// run).
func (s *Setup) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// TempDir makes a directory removed when the case ends. Its path is short,
// so that AF_UNIX socket paths under it fit.
func (s *Setup) TempDir() (string, error) {
	d, err := os.MkdirTemp("", "ptsconf")
	if err != nil {
		return "", err
	}
	s.Cleanup(func() { os.RemoveAll(d) })
	return d, nil
}

// Check records a peer's check: passed when err is nil.
func (s *Setup) Check(name string, err error) {
	c := check{name: name, ok: err == nil}
	if err != nil {
		c.detail = err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, c)
}

// Go runs a peer on a goroutine; its result is the check name. The case
// waits for it after the guest ended (a few seconds at most: a peer still
// running then fails its check).
func (s *Setup) Go(name string, f func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.Check(name, f())
	}()
}

// OnLine calls f, on a goroutine of its own, with the rest of the first
// line the guest prints that starts with prefix ("listening "): how a
// guest tells the runner it is ready for a peer to connect.
func (s *Setup) OnLine(prefix string, f func(rest string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, lineHook{prefix: prefix, fn: f})
}

// line is called with each line the guest prints.
func (s *Setup) line(l string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.hooks {
		h := &s.hooks[i]
		if h.fired {
			continue
		}
		if rest, ok := strings.CutPrefix(l, h.prefix); ok {
			h.fired = true
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				h.fn(rest)
			}()
		}
	}
}

// afterRun registers f to run when the guest has ended, before the case
// is judged: a peer's final check (a file the guest wrote, say).
func (s *Setup) afterRun(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = append(s.after, f)
}

// finish runs the afterRun functions, waits up to grace for the peers started with Go and OnLine, then
// ends the case's context and runs the cleanups.
func (s *Setup) finish(grace time.Duration) {
	s.mu.Lock()
	after := s.after
	s.after = nil
	s.mu.Unlock()
	for _, f := range after {
		f()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		s.Check("peer/finished", fmt.Errorf("a peer was still running %v after the guest ended", grace))
	}
	s.cancel()
	s.mu.Lock()
	fs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

func (s *Setup) peerChecks() []check {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]check(nil), s.checks...)
}

// Grant adds connect and bind grants (host.ParseAddrPattern patterns).
func (s *Setup) Grant(connect, bind []string) {
	s.Caps.Connect = append(s.Caps.Connect, host.MustParseAddrPatterns(connect...)...)
	s.Caps.Bind = append(s.Caps.Bind, host.MustParseAddrPatterns(bind...)...)
}

// GrantLoopback grants connecting to and binding on IPv4 and IPv6
// loopback, any port.
func (s *Setup) GrantLoopback() {
	s.Grant([]string{"127.0.0.1:*", "[::1]:*"}, []string{"127.0.0.1:*", "[::1]:*"})
}

// ---- Peers ----

// ServeTCP listens on addr ("127.0.0.1:0") and runs handle for each
// connection on a goroutine until the case ends; it returns the address.
func (s *Setup) ServeTCP(network, addr string, handle func(c *net.TCPConn)) (string, error) {
	return s.ServeTCPRcvBuf(network, addr, 0, handle)
}

// ServeTCPRcvBuf is ServeTCP with the accepted connections' receive buffer
// set to rcvbuf bytes, set before listen (testnet.ListenRcvBuf says why).
func (s *Setup) ServeTCPRcvBuf(network, addr string, rcvbuf int, handle func(c *net.TCPConn)) (string, error) {
	ln, err := testnet.ListenRcvBuf(network, addr, rcvbuf)
	if err != nil {
		return "", err
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	s.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			go func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String(), nil
}

// EchoTCP serves an echo server on IPv4 loopback.
func (s *Setup) EchoTCP() (string, error) {
	return s.ServeTCP("tcp4", "127.0.0.1:0", func(c *net.TCPConn) { io.Copy(c, c) })
}

// ServeUDP runs handle for each datagram on a UDP socket on IPv4 loopback
// until the case ends, and returns its address; handle's result, when not
// nil, is sent back.
func (s *Setup) ServeUDP(handle func(b []byte) []byte) (string, error) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := handle(buf[:n]); out != nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String(), nil
}

// ClosedPort returns an IPv4 loopback address nothing listens on.
func (s *Setup) ClosedPort() (string, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// FullListener returns the address of a listener whose accept queue is
// full, so that a new connection attempt stays pending. It skips the case
// when the kernel does not let the queue fill.
func (s *Setup) FullListener() (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	s.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return "", err
	}
	if err := unix.Listen(fd, 0); err != nil {
		return "", err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(sa.(*unix.SockaddrInet4).Port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond)
		if err != nil {
			return addr, nil // this one stayed pending: the queue is full
		}
		s.Cleanup(func() { c.Close() })
		if i > 16 {
			return "", fmt.Errorf("%w: cannot fill a listener's accept queue on this machine", errSkip)
		}
	}
}

// ServeTLS serves TLS with cert on IPv4 loopback, echoing lines, and
// returns the address.
func (s *Setup) ServeTLS(cert tls.Certificate) (string, error) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return s.ServeTCP("tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
		tc := tls.Server(c, cfg)
		defer tc.Close()
		if err := tc.Handshake(); err != nil {
			return
		}
		br := bufio.NewReader(tc)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if _, err := io.WriteString(tc, l); err != nil {
				return
			}
		}
	})
}

// HasIPv6 reports whether IPv6 loopback works on this machine.
func HasIPv6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// expectEqual is a peer check's comparison.
func expectEqual[T comparable](what string, got, want T) error {
	if got != want {
		return fmt.Errorf("%s: got %v, want %v", what, got, want)
	}
	return nil
}

// socketpairFiles returns a connected pair of AF_UNIX stream sockets as
// files.
func socketpairFiles() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "conn"), os.NewFile(uintptr(fds[1]), "peer"), nil
}
