// Package examples tests the example guests of examples/wasm: each is
// built from source, run with host.Module.Run on a runtime configured as
// `ptsevent run` configures its own (the compat WASI overlay, one loop),
// on every loop backend, against real loopback sockets and, for
// dns-lookup, a real DNS server on 127.0.0.1.
package examples

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/dnsclient/dnstest"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// hangGuard bounds every wait of these tests so that a bug fails the test
// instead of hanging it; it is not a performance threshold.
const hangGuard = 60 * time.Second

// forEachBackend runs fn as a subtest per compiled-in loop backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range evloop.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// load starts a one-loop runtime on backend, as `ptsevent run` does, and
// compiles the example guest in dir (built from source) on it.
func load(t *testing.T, backend, dir string, res host.ResolverConfig) *host.Module {
	t.Helper()
	wasm := testguest.Go(t, dir)
	rt, err := host.NewRuntime(context.Background(), host.Config{
		Backend:  backend,
		Loops:    1,
		CacheDir: testguest.CompileCacheDir(),
		WASI:     compat.Module,
		Resolver: res,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	mod, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

// lockedBuffer is a bytes.Buffer safe for the guest and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// guest is an example running on its own goroutine.
type guest struct {
	out    *testguest.LineWriter
	stderr lockedBuffer
	done   chan struct{}
	code   uint32
	err    error
}

// start runs mod with args (after the program name) and caps.
func start(mod *host.Module, caps host.Capabilities, args ...string) *guest {
	g := &guest{out: testguest.NewLineWriter(), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		g.code, g.err = mod.Run(context.Background(), host.InstanceConfig{
			Args:     append([]string{"example"}, args...),
			Stdout:   g.out,
			Stderr:   &g.stderr,
			Caps:     caps,
			Deadline: hangGuard,
		})
	}()
	return g
}

// wait waits for the guest to exit and checks its exit status.
func (g *guest) wait(t *testing.T, wantCode uint32) {
	t.Helper()
	select {
	case <-g.done:
	case <-time.After(hangGuard + 10*time.Second):
		t.Fatalf("guest did not exit; stdout:\n%s\nstderr:\n%s", g.out.String(), g.stderr.String())
	}
	if g.err != nil || g.code != wantCode {
		t.Fatalf("guest: exit %d (want %d), %v; stdout:\n%s\nstderr:\n%s", g.code, wantCode, g.err, g.out.String(), g.stderr.String())
	}
}

// wantLines checks that out has each of want as a whole line.
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

var loopbackAny = host.MustParseAddrPatterns("127.0.0.1:*")

// client is a test-side TCP client reading lines.
type client struct {
	t    *testing.T
	name string
	c    net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, name, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(hangGuard))
	return &client{t: t, name: name, c: c, r: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// expect reads the next line and checks it (without its '\n').
func (c *client) expect(want string) {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v (got %q, want %q)", c.name, err, l, want)
	}
	if got := strings.TrimSuffix(l, "\n"); got != want {
		c.t.Fatalf("%s: got line %q, want %q", c.name, got, want)
	}
}

// expectEOF checks that the server closed the connection.
func (c *client) expectEOF() {
	c.t.Helper()
	if l, err := c.r.ReadString('\n'); err != io.EOF {
		c.t.Fatalf("%s: got %q, %v; want EOF", c.name, l, err)
	}
}

func TestEchoServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := load(t, backend, "examples/wasm/echo-server", host.ResolverConfig{})
		g := start(mod, host.Capabilities{Bind: loopbackAny}, "-addr", "127.0.0.1:0", "-max-conns", "3")
		addr := g.out.WaitLine(t, "listening on ")

		// Three clients connected at once; the second is served while the
		// first is connected and silent, which needs one goroutine per
		// connection in the guest.
		c1 := dial(t, "c1", addr)
		c2 := dial(t, "c2", addr)
		c2.send("hello from c2\n")
		c2.expect("hello from c2")
		c3 := dial(t, "c3", addr)
		c1.send("hello from c1\n")
		c3.send("hello from c3\n")
		c3.expect("hello from c3")
		c1.expect("hello from c1")
		big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB, more than socket buffers
		go func() { io.WriteString(c2.c, big+"\n") }()
		c2.expect(big)
		for _, c := range []*client{c1, c2, c3} {
			c.c.(*net.TCPConn).CloseWrite()
			c.expectEOF()
		}
		g.wait(t, 0)
		wantLines(t, g.out.String(),
			"conn 1 closed after 14 bytes",
			fmt.Sprintf("conn 2 closed after %d bytes", 14+len(big)+1),
			"conn 3 closed after 14 bytes",
			"bye")
	})
}

func TestEchoServerNoGrant(t *testing.T) {
	mod := load(t, evloop.DefaultBackend(), "examples/wasm/echo-server", host.ResolverConfig{})
	g := start(mod, host.Capabilities{}, "-addr", "127.0.0.1:0")
	g.wait(t, 1)
	if s := g.stderr.String(); !strings.Contains(s, "EACCES") {
		t.Errorf("stderr %q does not mention EACCES", s)
	}
}

func TestHTTPGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Example", "yes")
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprintf(w, "hello from the test server, path %s\n", r.URL.Path)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := load(t, backend, "examples/wasm/http-get", host.ResolverConfig{})
		caps := host.Capabilities{Connect: host.MustParseAddrPatterns(fmt.Sprintf("127.0.0.1:%d", port))}
		g := start(mod, caps, "-head", srv.URL+"/some/path")
		g.wait(t, 0)
		out := g.out.String()
		if !strings.HasPrefix(out, "HTTP/1.1 418 I'm a teapot\n") ||
			!strings.HasSuffix(out, "\nhello from the test server, path /some/path\n") ||
			!strings.Contains(out, "X-Example: yes\r\n") {
			t.Errorf("output:\n%s", out)
		}

		// Without a connect grant the dial fails with EACCES.
		g = start(mod, host.Capabilities{}, srv.URL+"/")
		g.wait(t, 1)
		if s := g.stderr.String(); !strings.Contains(s, "EACCES") {
			t.Errorf("without a grant: stderr %q does not mention EACCES", s)
		}
	})
}

func TestDNSLookup(t *testing.T) {
	srv := dnstest.Start(t)
	dir := t.TempDir()
	res := host.ResolverConfig{
		Nameservers: []string{srv.Addr},
		ResolvConf:  filepath.Join(dir, "resolv.conf"),
		HostsFile:   filepath.Join(dir, "hosts"),
	}
	if err := os.WriteFile(res.ResolvConf, []byte("options ndots:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res.HostsFile, []byte(dnstest.HostsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := load(t, backend, "examples/wasm/dns-lookup", res)
		g := start(mod, host.Capabilities{DNS: true}, "-service", "8080",
			"a.test", "aaaa.test", "hostsonly.test", "192.0.2.1", "2001:db8::1")
		g.wait(t, 0)
		wantLines(t, g.out.String(),
			"a.test: LookupHost 192.0.2.1",
			"a.test: GetAddrInfo tcp 192.0.2.1:8080",
			"aaaa.test: LookupHost 2001:db8::1",
			"aaaa.test: GetAddrInfo tcp [2001:db8::1]:8080",
			"192.0.2.1: LookupAddr a.test.",
			"2001:db8::1: LookupAddr aaaa.test.",
		)
		if out := g.out.String(); !strings.Contains(out, "hostsonly.test: LookupHost ") || !strings.Contains(out, "192.0.2.100") {
			t.Errorf("hostsonly.test (from the hosts file) not resolved:\n%s", out)
		}

		// A name the server does not know: an error line, exit status 1.
		g = start(mod, host.Capabilities{DNS: true}, "nosuch.test")
		g.wait(t, 1)
		if out := g.out.String(); !strings.HasPrefix(out, "nosuch.test: LookupHost error: ") {
			t.Errorf("output:\n%s", out)
		}

		// Without --allow-dns: EACCES.
		g = start(mod, host.Capabilities{}, "a.test")
		g.wait(t, 1)
		if out := g.out.String(); !strings.Contains(out, "a.test: LookupHost error: ") || !strings.Contains(out, "EACCES") {
			t.Errorf("without a grant: output:\n%s", out)
		}
	})
}

// TestSelectDemo makes three servers answer in an order the test chooses,
// each only after the guest reported the previous answer, and checks the
// guest names them in that order.
func TestSelectDemo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := load(t, backend, "examples/wasm/select-demo", host.ResolverConfig{})
		type server struct {
			name    string
			addr    string
			release chan struct{}
			got     chan string // the request line the guest sent
		}
		servers := make([]*server, 3)
		for i := range servers {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			s := &server{name: string(rune('a' + i)), addr: ln.Addr().String(), release: make(chan struct{}), got: make(chan string, 1)}
			servers[i] = s
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				l, _ := bufio.NewReader(c).ReadString('\n')
				s.got <- l
				<-s.release
				if s.name != "c" { // c closes without answering
					fmt.Fprintf(c, "pong from %s\n", s.name)
				}
			}()
		}
		a, b, c := servers[0], servers[1], servers[2]
		g := start(mod, host.Capabilities{Connect: loopbackAny}, "-send", "hi there", a.addr, b.addr, c.addr)
		g.out.WaitLine(t, "connected to 3 servers")
		for _, s := range servers {
			select {
			case l := <-s.got:
				if l != "hi there\n" {
					t.Errorf("server %s got %q", s.name, l)
				}
			case <-time.After(hangGuard):
				t.Fatalf("server %s got no request", s.name)
			}
		}
		close(b.release)
		g.out.WaitLine(t, "answer 1 from "+b.addr+": pong from b")
		close(a.release)
		g.out.WaitLine(t, "answer 2 from "+a.addr+": pong from a")
		close(c.release)
		g.out.WaitLine(t, "answer 3 from "+c.addr+": (closed without an answer)")
		g.wait(t, 0)
	})
}

func TestChatServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := load(t, backend, "examples/wasm/chat-server", host.ResolverConfig{})
		g := start(mod, host.Capabilities{Bind: loopbackAny}, "-addr", "127.0.0.1:0", "-max-clients", "3")
		addr := g.out.WaitLine(t, "listening on ")

		a := dial(t, "a", addr)
		a.expect("welcome, you are guest1")
		b := dial(t, "b", addr)
		b.expect("welcome, you are guest2")
		a.expect("* guest2 joined")
		c := dial(t, "c", addr)
		c.expect("welcome, you are guest3")
		a.expect("* guest3 joined")
		b.expect("* guest3 joined")

		a.send("hello everyone\n")
		b.expect("guest1: hello everyone")
		c.expect("guest1: hello everyone")

		// Two lines in one write come out as two messages; a line sent
		// in pieces as one.
		b.send("one\ntwo\n")
		for _, x := range []*client{a, c} {
			x.expect("guest2: one")
			x.expect("guest2: two")
		}
		c.send("in ")
		c.send("pieces\n")
		a.expect("guest3: in pieces")
		b.expect("guest3: in pieces")

		a.c.Close()
		b.expect("* guest1 left")
		c.expect("* guest1 left")
		b.c.Close()
		c.expect("* guest2 left")
		c.c.(*net.TCPConn).CloseWrite()
		c.expectEOF()
		g.wait(t, 0)
		wantLines(t, g.out.String(), "guest1 disconnected", "guest2 disconnected", "guest3 disconnected", "everyone left, bye")
	})
}
