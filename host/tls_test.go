package host

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evlooptest"
	"github.com/ptsevent/ptsevent/internal/testguest"
	"golang.org/x/sys/unix"
)

// tlsTestName is the name the test certificates are issued for.
const tlsTestName = "tls.test"

// tlsPKI is a throwaway CA and certificates made for one test run.
type tlsPKI struct {
	pool    *x509.CertPool  // trusts ca
	server  tls.Certificate // tlsTestName and 127.0.0.1, issued by ca
	unknown tls.Certificate // the same names, issued by a CA nobody trusts
}

func newTLSPKI(t testing.TB) *tlsPKI {
	t.Helper()
	caCert, caKey := tlsTestCA(t, "ptsevent test CA")
	otherCert, otherKey := tlsTestCA(t, "ptsevent unknown CA")
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tlsPKI{
		pool:    pool,
		server:  tlsTestLeaf(t, caCert, caKey),
		unknown: tlsTestLeaf(t, otherCert, otherKey),
	}
}

// serverConfig returns a server configuration presenting cert.
func (p *tlsPKI) serverConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func tlsTestKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func tlsTestSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func tlsTestCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := tlsTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          tlsTestSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func tlsTestLeaf(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey) tls.Certificate {
	t.Helper()
	key := tlsTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: tlsTestSerial(t),
		Subject:      pkix.Name{CommonName: tlsTestName},
		DNSNames:     []string{tlsTestName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}
}

// tlsPattern is the deterministic payload of the large transfers: n bytes
// of a counter stream, seeded so the two directions differ.
func tlsPattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i>>9) ^ seed
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestTLSSessionSocketpair drives the host side of a TLS session directly
// (no guest): a descriptor over one end of a socketpair is wrapped as a TLS
// client and exchanges 1 MiB each way with a Go TLS server on the other
// end, through the same readInto/writeFrom the read and write imports use.
// Blocking descriptors park in the handshake and on back-pressure;
// non-blocking ones see EAGAIN and wait with Task.Poll, as a guest's poll
// would, and their handshake runs in a task of its own.
func TestTLSSessionSocketpair(t *testing.T) {
	pki := newTLSPKI(t)
	const size = 1 << 20
	up, down := tlsPattern(size, 0x5a), tlsPattern(size, 0xa5)
	for _, backend := range evloop.Backends() {
		for _, nb := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nonblock=%v", backend, nb), func(t *testing.T) {
				loop := evlooptest.Start(t, backend)
				fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				// Small buffers, so 1 MiB takes many rounds of back-pressure.
				for _, fd := range fds {
					_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 16<<10)
					_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 16<<10)
				}
				peerFile := os.NewFile(uintptr(fds[1]), "peer")
				pc, err := net.FileConn(peerFile)
				peerFile.Close()
				if err != nil {
					t.Fatal(err)
				}
				srv := tls.Server(pc, pki.serverConfig(pki.server))
				defer srv.Close()
				type result struct {
					sni, sum string
					err      error
				}
				peerDone := make(chan result, 1)
				go func() {
					var r result
					if r.err = srv.Handshake(); r.err != nil {
						peerDone <- r
						return
					}
					r.sni = srv.ConnectionState().ServerName
					werr := make(chan error, 1)
					go func() { _, err := srv.Write(down); werr <- err }()
					got := make([]byte, size)
					if _, r.err = io.ReadFull(srv, got); r.err == nil {
						r.err = <-werr
					}
					r.sum = sha256Hex(got)
					peerDone <- r
				}()

				var got []byte
				var eagains int
				var gerr error
				serr := loop.Submit(func(task *evloop.Task) {
					rt := &Runtime{log: slog.New(slog.DiscardHandler),
						cfg: Config{TLS: TLSConfig{Client: &tls.Config{RootCAs: pki.pool}}}}
					in := &Instance{rt: rt, loop: loop, task: task, fds: newFDTable(loop, 16)}
					defer in.fds.CloseAll()
					c := &call{ctx: context.Background(), in: in}
					_, d, e := in.fds.AddOS(KindSocket, fds[0], nb)
					if e != 0 {
						gerr = e
						return
					}
					if e := tlsSocket(d); e != 0 {
						gerr = fmt.Errorf("tlsSocket: %v", e)
						return
					}
					cfg := rt.cfg.TLS.Client.Clone()
					cfg.ServerName = tlsTestName
					if e := c.startTLS(d, true, cfg); e != 0 {
						gerr = fmt.Errorf("startTLS: %v", e)
						return
					}
					got, eagains, gerr = tlsPump(c, d, up, size)
				})
				if serr != nil {
					t.Fatal(serr)
				}
				if gerr != nil {
					t.Fatal(gerr)
				}
				r := <-peerDone
				if r.err != nil {
					t.Fatalf("peer: %v", r.err)
				}
				if r.sni != tlsTestName {
					t.Errorf("SNI = %q, want %q", r.sni, tlsTestName)
				}
				if r.sum != sha256Hex(up) {
					t.Errorf("peer received the wrong bytes")
				}
				if !bytes.Equal(got, down) {
					t.Errorf("host side received the wrong bytes (%d of %d)", len(got), size)
				}
				if nb && eagains == 0 {
					t.Errorf("non-blocking session never saw EAGAIN")
				}
				t.Logf("EAGAINs: %d", eagains)
			})
		}
	}
}

// tlsPump sends out and receives want bytes on d. A blocking descriptor
// writes everything, then reads (the peer reads and writes concurrently,
// so both directions fill up and wait); a non-blocking one interleaves
// the two, as a single-threaded guest with poll does, and polls for both
// directions when neither can proceed.
func tlsPump(c *call, d *Desc, out []byte, want int) ([]byte, int, error) {
	got := make([]byte, 0, want)
	buf := make([]byte, 32<<10)
	if !d.NonBlock {
		n, e := c.writeFrom(d, out)
		if e != 0 || n != len(out) {
			return nil, 0, fmt.Errorf("write: %d, %v", n, e)
		}
		for len(got) < want {
			n, e := c.readInto(d, buf)
			if e != 0 || n == 0 {
				return got, 0, fmt.Errorf("read after %d bytes: %d, %v", len(got), n, e)
			}
			got = append(got, buf[:n]...)
		}
		return got, 0, nil
	}
	eagains, sent := 0, 0
	for sent < len(out) || len(got) < want {
		progressed := false
		if sent < len(out) {
			n, e := c.writeFrom(d, out[sent:min(len(out), sent+48<<10)])
			switch e {
			case 0:
				sent += n
				progressed = true
			case abi.EAGAIN:
				eagains++
			default:
				return got, eagains, fmt.Errorf("write: %v", e)
			}
		}
		if len(got) < want {
			n, e := c.readInto(d, buf)
			switch {
			case e == abi.EAGAIN:
				eagains++
			case e != 0:
				return got, eagains, fmt.Errorf("read: %v", e)
			case n == 0:
				return got, eagains, fmt.Errorf("read: EOF after %d bytes", len(got))
			default:
				got = append(got, buf[:n]...)
				progressed = true
			}
		}
		if !progressed {
			mode := evloop.Readable
			if sent < len(out) {
				mode |= evloop.Writable
			}
			items := []evloop.PollItem{{PD: d.PD, Want: mode}}
			if n, err := c.in.task.Poll(items, 10*time.Second); err != nil || n == 0 {
				return got, eagains, fmt.Errorf("poll: %d, %v (sent %d, got %d)", n, err, sent, len(got))
			}
		}
	}
	return got, eagains, nil
}

// TestTLSCloseDuringHandshake closes a non-blocking descriptor whose
// handshake task is parked (the peer never answers): the task must end
// without touching the closed socket, and the wrap checks refuse what TLS
// cannot run on.
func TestTLSCloseDuringHandshake(t *testing.T) {
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			loop := evlooptest.Start(t, backend)
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[1])
			var failures []string
			check := func(what string, got, want abi.Errno) {
				if got != want {
					failures = append(failures, fmt.Sprintf("%s: %v, want %v", what, got, want))
				}
			}
			serr := loop.Submit(func(task *evloop.Task) {
				rt := &Runtime{log: slog.New(slog.DiscardHandler)}
				in := &Instance{rt: rt, loop: loop, task: task, fds: newFDTable(loop, 16)}
				defer in.fds.CloseAll()
				c := &call{ctx: context.Background(), in: in}

				// Not connected, not a stream, not a socket.
				tcp, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				_, dt, _ := in.fds.AddOS(KindSocket, tcp, false)
				check("unconnected", tlsSocket(dt), abi.ENOTCONN)
				udp, _ := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
				_, du, _ := in.fds.AddOS(KindSocket, udp, false)
				check("datagram", tlsSocket(du), abi.EINVAL)
				var p [2]int
				_ = unix.Pipe2(p[:], unix.O_CLOEXEC)
				_, dp, _ := in.fds.AddOS(KindPipe, p[0], false)
				unix.Close(p[1])
				check("pipe", tlsSocket(dp), abi.EINVAL)

				before := loop.Stats().Tasks
				fd, d, _ := in.fds.AddOS(KindSocket, fds[0], true)
				check("socketpair", tlsSocket(d), 0)
				check("startTLS", c.startTLS(d, true, &tls.Config{InsecureSkipVerify: true}), 0)
				check("wrap twice", tlsSocket(d), abi.EINVAL)
				for range 3 {
					task.Yield()
				}
				if n := loop.Stats().Tasks; n != before+1 {
					failures = append(failures, fmt.Sprintf("tasks during handshake: %d, want %d", n, before+1))
				}
				buf := make([]byte, 16)
				_, e := c.readInto(d, buf)
				check("read during handshake", e, abi.EAGAIN)
				_, e = c.writeFrom(d, buf)
				check("write during handshake", e, abi.EAGAIN)
				check("close", in.fds.Close(fd), 0)
				for range 3 {
					task.Yield()
				}
				if n := loop.Stats().Tasks; n != before {
					failures = append(failures, fmt.Sprintf("tasks after close: %d, want %d", n, before))
				}
			})
			if serr != nil {
				t.Fatal(serr)
			}
			for _, f := range failures {
				t.Error(f)
			}
			// The peer saw the ClientHello, then EOF: nothing after the close.
			_ = unix.SetNonblock(fds[1], true)
			buf := make([]byte, 4096)
			n, _ := unix.Read(fds[1], buf)
			if n <= 0 || buf[0] != 22 { // a handshake record
				t.Errorf("peer read %d bytes (% x), want a ClientHello", n, buf[:max(n, 0)])
			}
			if n, err := unix.Read(fds[1], buf); n != 0 || err != nil {
				t.Errorf("peer read after the ClientHello: %d, %v; want EOF", n, err)
			}
		})
	}
}

// tlsGuest is the TLS test guest compiled on one runtime.
type tlsGuest struct {
	rt  *Runtime
	mod *Module
}

func newTLSGuest(t *testing.T, backend, cacheDir string, wasm []byte, cfg TLSConfig) *tlsGuest {
	t.Helper()
	ctx := context.Background()
	rt, err := NewRuntime(ctx, Config{Backend: backend, Loops: 1, CacheDir: cacheDir, TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.Compile(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return &tlsGuest{rt: rt, mod: mod}
}

// run runs the guest with args (after the program name) and returns its
// result line; out, when not nil, receives its output as it runs.
func (g *tlsGuest) run(t *testing.T, out *testguest.LineWriter, args ...string) string {
	t.Helper()
	if out == nil {
		out = testguest.NewLineWriter()
	}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err := g.mod.Run(ctx, InstanceConfig{
		Args:     append([]string{"tls"}, args...),
		Stdout:   out,
		Stderr:   &stderr,
		Deadline: 20 * time.Second,
		Caps: Capabilities{
			Connect: MustParseAddrPatterns("127.0.0.1:*"),
			Bind:    MustParseAddrPatterns("127.0.0.1:*"),
		},
	})
	if err != nil {
		t.Fatalf("guest %v: exit %d, %v\nstdout:\n%s\nstderr:\n%s", args, code, err, out, &stderr)
	}
	if stderr.Len() > 0 {
		t.Logf("guest %v stderr:\n%s", args, &stderr)
	}
	return out.LastLine()
}

// tlsPeer is a Go TLS server for one connection: it records the SNI the
// client sent and runs handle once the handshake is done.
type tlsPeer struct {
	addr string
	sni  chan string
	done chan error
}

func startTLSPeer(t *testing.T, cert tls.Certificate, handle func(*tls.Conn) error) *tlsPeer {
	t.Helper()
	lc := net.ListenConfig{Control: smallTCPBuffers} // accepted sockets inherit them
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tlsPeer{addr: ln.Addr().String(), sni: make(chan string, 1), done: make(chan error, 1)}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			p.sni <- hello.ServerName
			return nil, nil
		},
	}
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			p.done <- err
			return
		}
		tc := tls.Server(c, cfg)
		defer tc.Close()
		_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
		if err := tc.Handshake(); err != nil {
			p.done <- fmt.Errorf("handshake: %w", err)
			return
		}
		p.done <- handle(tc)
	}()
	return p
}

func (p *tlsPeer) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("peer: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("peer did not finish")
	}
}

// smallTCPBuffers is a net.ListenConfig or net.Dialer Control that gives
// the Go peer's sockets small buffers before they connect, so that 1 MiB
// transfers meet back-pressure in both directions.
func smallTCPBuffers(_, _ string, rc syscall.RawConn) error {
	return rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 16<<10)
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 16<<10)
	})
}

// echoLine reads one line from c and answers "hello from host".
func echoLine(want string) func(*tls.Conn) error {
	return func(c *tls.Conn) error {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if line != want {
			return fmt.Errorf("got line %q, want %q", line, want)
		}
		_, err = c.Write([]byte("hello from host\n"))
		return err
	}
}

// exchange writes send and reads len(recv) bytes at the same time, and
// checks that they equal recv. It starts reading late, so the guest's
// writes find the socket full.
func exchange(c net.Conn, send, recv []byte) error {
	werr := make(chan error, 1)
	go func() { _, err := c.Write(send); werr <- err }()
	time.Sleep(50 * time.Millisecond)
	got := make([]byte, len(recv))
	if n, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read after %d bytes: %w", n, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if !bytes.Equal(got, recv) {
		return errors.New("received the wrong bytes")
	}
	return nil
}

// TestTLSGuest runs the TLS test guest (tests/guests/tls, built with the Go
// guest SDK) against Go TLS peers on every backend.
func TestTLSGuest(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/tls")
	pki := newTLSPKI(t)
	cacheDir := t.TempDir()
	const size = 1 << 20
	up, down := tlsPattern(size, 0x5a), tlsPattern(size, 0xa5)
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			g := newTLSGuest(t, backend, cacheDir, wasm, TLSConfig{
				Client: &tls.Config{RootCAs: pki.pool},
				Server: pki.serverConfig(pki.server),
			})

			t.Run("client", func(t *testing.T) {
				p := startTLSPeer(t, pki.server, echoLine("hello from guest\n"))
				if got := g.run(t, nil, "client", p.addr, tlsTestName); got != "ok hello from host" {
					t.Errorf("guest: %q", got)
				}
				if sni := <-p.sni; sni != tlsTestName {
					t.Errorf("SNI = %q, want %q", sni, tlsTestName)
				}
				p.wait(t)
			})

			t.Run("goroutines", func(t *testing.T) {
				p := startTLSPeer(t, pki.server, echoLine("hello from guest\n"))
				if got := g.run(t, nil, "goroutines", p.addr, tlsTestName); got != "ok hello from host" {
					t.Errorf("guest: %q", got)
				}
				p.wait(t)
			})

			t.Run("unknown-ca", func(t *testing.T) {
				p := startTLSPeer(t, pki.unknown, echoLine(""))
				if got := g.run(t, nil, "client", p.addr, tlsTestName); got != "err EPROTO" {
					t.Errorf("guest: %q, want err EPROTO", got)
				}
				if err := <-p.done; err == nil {
					t.Errorf("peer's handshake succeeded")
				}
			})

			t.Run("wrong-name", func(t *testing.T) {
				p := startTLSPeer(t, pki.server, echoLine(""))
				if got := g.run(t, nil, "client", p.addr, "other.test"); got != "err EPROTO" {
					t.Errorf("guest: %q, want err EPROTO", got)
				}
				if sni := <-p.sni; sni != "other.test" {
					t.Errorf("SNI = %q, want other.test", sni)
				}
				<-p.done
			})

			t.Run("insecure", func(t *testing.T) {
				p := startTLSPeer(t, pki.unknown, echoLine("hello from guest\n"))
				if got := g.run(t, nil, "client", p.addr, tlsTestName, "insecure"); got != "ok hello from host" {
					t.Errorf("guest: %q", got)
				}
				p.wait(t)
			})

			t.Run("big", func(t *testing.T) {
				p := startTLSPeer(t, pki.server, func(c *tls.Conn) error { return exchange(c, down, up) })
				if got, want := g.run(t, nil, "big", p.addr, tlsTestName, strconv.Itoa(size)), "ok "+sha256Hex(down); got != want {
					t.Errorf("guest: %q, want %q", got, want)
				}
				p.wait(t)
			})

			t.Run("server", func(t *testing.T) {
				out := testguest.NewLineWriter()
				peer := make(chan error, 1)
				go func() {
					for line := range out.Lines() {
						addr, ok := strings.CutPrefix(line, "listening ")
						if !ok {
							continue
						}
						peer <- tlsClientPeer(addr, pki.pool, up, down)
						return
					}
				}()
				if got, want := g.run(t, out, "server", strconv.Itoa(size)), "ok "+sha256Hex(up); got != want {
					t.Errorf("guest: %q, want %q", got, want)
				}
				select {
				case err := <-peer:
					if err != nil {
						t.Errorf("client peer: %v", err)
					}
				case <-time.After(20 * time.Second):
					t.Errorf("client peer did not finish")
				}
			})

			t.Run("nonblock", func(t *testing.T) {
				p := startTLSPeer(t, pki.server, echoLine("hello from a non-blocking guest\n"))
				got := g.run(t, nil, "nonblock", p.addr, tlsTestName)
				var n int
				if _, err := fmt.Sscanf(got, "ok eagain=%d hello from host", &n); err != nil || !strings.HasSuffix(got, " hello from host") {
					t.Errorf("guest: %q", got)
				} else if n < 1 {
					t.Errorf("guest saw no EAGAIN: %q", got)
				}
				p.wait(t)
			})

			t.Run("nonblock-unknown-ca", func(t *testing.T) {
				p := startTLSPeer(t, pki.unknown, echoLine(""))
				if got := g.run(t, nil, "nonblock", p.addr, tlsTestName); got != "err EPROTO" {
					t.Errorf("guest: %q, want err EPROTO", got)
				}
				if err := <-p.done; err == nil {
					t.Errorf("peer's handshake succeeded")
				}
			})
		})

		t.Run(backend+"/no-server-config", func(t *testing.T) {
			g := newTLSGuest(t, backend, cacheDir, wasm, TLSConfig{Client: &tls.Config{RootCAs: pki.pool}})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				if c, err := ln.Accept(); err == nil {
					io.Copy(io.Discard, c)
					c.Close()
				}
			}()
			if got := g.run(t, nil, "noserver", ln.Addr().String()); got != "err ENOTSUP" {
				t.Errorf("guest: %q, want err ENOTSUP", got)
			}
		})
	}
}

// tlsClientPeer is the Go TLS client of the guest server: one echoed line,
// then send and recv at the same time.
func tlsClientPeer(addr string, pool *x509.CertPool, send, recv []byte) error {
	d := net.Dialer{Timeout: 10 * time.Second, Control: smallTCPBuffers}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: tlsTestName})
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("hi\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(c, int64(len("echo: hi\n")))).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "echo: hi\n" {
		return fmt.Errorf("echo %q", line)
	}
	if c.ConnectionState().ServerName != tlsTestName {
		return fmt.Errorf("connection state server name %q", c.ConnectionState().ServerName)
	}
	return exchange(c, send, recv)
}
