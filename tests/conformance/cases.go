package conformance

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ptsevent/ptsevent/host"
)

// w splits a whitespace-separated list (of check or function names).
func w(s string) []string { return strings.Fields(s) }

// Cases returns the suite: every case, in report order.
func Cases() []Case {
	var cs []Case
	cs = append(cs, rawCases()...)
	cs = append(cs, sdkCases()...)
	cs = append(cs, cCases()...)
	cs = append(cs, gatewayCases()...)
	return cs
}

// rawCases run GuestGoRaw, which calls the imports through package sys.
func rawCases() []Case {
	return []Case{
		{
			Name: "meta/abi-version", Guest: GuestGoRaw, Args: w("meta"),
			Covers: w("abi_version"),
			Want:   w("abi_version/major abi_version/minor"),
		},
		{
			Name: "io/pipe", Guest: GuestGoRaw, Args: w("pipe"),
			Covers: w("pipe read write readv writev set_nonblock close poll"),
			Want: w(`pipe/numbers write/pipe read/pipe set_nonblock/on read/eagain set_nonblock/off
				read/blocking-again pipe/o_nonblock writev/pipe readv/pipe readv/too-many writev/too-many
				set_nonblock/write-end write/eagain poll/full-pipe read/drain poll/writable-again
				close/pipe-writer poll/hup read/eof close/again read/closed set_nonblock/closed
				pipe/reuses-numbers write/epipe`),
		},
		{
			Name: "io/readline", Guest: GuestGoRaw, Args: w("readline"),
			Covers: w("readline read write pipe poll set_nonblock"),
			Want: w(`readline/first poll/buffered-line read/after-readline readline/nonblock-set
				readline/eagain readline/closed readline/lines readline/last-partial-line readline/eof`),
			Deadline: 5 * time.Second,
		},
		{
			Name: "io/eof-after-hangup", Guest: GuestGoRaw, Args: w("eof"),
			Covers:   w("pipe read write close socketpair send recv"),
			Want:     w("read/before-eof read/eof-after-short-read recv/before-eof recv/eof-after-short-read"),
			Deadline: 5 * time.Second,
		},
		{
			Name: "io/descriptor-limit", Guest: GuestGoRaw, Args: w("fds"),
			Covers: w("pipe socket socketpair accept open close bind listen connect"),
			Want: w(`connect/nonblocking close/first fds/lowest-free pipe/emfile socket/emfile fds/limit
				socketpair/emfile pipe/emfile-full accept/emfile open/emfile close/one pipe/one-slot
				fds/reuse accept/after-close`),
			Setup: func(s *Setup) error {
				s.MaxDescriptors = 16
				s.GrantLoopback()
				_, err := mountData(s)
				return err
			},
		},
		{
			Name: "poll/many", Guest: GuestGoRaw, Args: w("poll"),
			Covers: w("poll pipe socketpair send close"),
			Want: w(`poll/none-ready poll/many poll/revents poll/pollout poll/negative-fd poll/pollnval
				poll/pollhup poll/count poll/timeout poll/no-fds poll/too-many poll/negative-nfds poll/mixed`),
		},
		{
			Name: "poll/sleep", Guest: GuestGoRaw, Args: w("sleep"),
			Covers: w("sleep"),
			Want:   w("sleep/ok sleep/duration sleep/zero sleep/negative"),
		},
		{
			Name: "poll/deadline", Guest: GuestGoRaw, Args: w("deadline"),
			Covers:   w("sleep"),
			Want:     w("deadline/sleeping"),
			Deadline: time.Second,
			Expect:   ExitDeadline,
		},
		{
			Name: "tcp/client", Guest: GuestGoRaw, Args: w("tcp-client"),
			Covers: w("socket connect getsockname getpeername send recv write readline writev readv recvfrom shutdown close"),
			Want: w(`connect/blocking connect/eisconn-blocking getsockname/tcp getpeername/tcp send/tcp recv/tcp write/tcp readline/tcp
				writev/tcp readv/tcp recvfrom/stream shutdown/rdwr recv/after-shutdown close/tcp send/closed`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.EchoTCP()
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/half-close", Guest: GuestGoRaw, Args: w("tcp-halfclose"),
			Covers:   w("write shutdown send read"),
			Want:     w("write/backpressure shutdown/wr send/after-shutdown read/after-halfclose shutdown/einval shutdown/enotconn"),
			Deadline: 10 * time.Second,
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				// A small receive buffer, so the guest's writes wait.
				addr, err := s.ServeTCPRcvBuf("tcp4", "127.0.0.1:0", 16<<10, func(c *net.TCPConn) {
					h := sha256.New()
					n, err := io.Copy(h, c)
					if err != nil {
						return
					}
					fmt.Fprintf(c, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
				})
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/peer-reset", Guest: GuestGoRaw, Args: w("tcp-reset"),
			Covers: w("recv write poll"),
			Want:   w("recv/econnreset poll/reset write/econnreset"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.ServeTCP("tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
					c.Read(make([]byte, 1))
					c.SetLinger(0) // close sends RST
				})
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/refused", Guest: GuestGoRaw, Args: w("tcp-refused"),
			Covers: w("connect getsockopt poll"),
			Want:   w("connect/econnrefused connect/nonblocking-refused"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.ClosedPort()
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/nonblocking", Guest: GuestGoRaw, Args: w("tcp-nonblock"),
			Covers: w("socket connect poll getsockopt send recv set_nonblock"),
			Want: w(`connect/einprogress poll/connected getsockopt/so_error connect/after-connected connect/eisconn recv/eagain
				send/nonblocking recv/nonblocking set_nonblock/socket-off recv/msg_dontwait send/msg_dontwait
				recv/msg_peek recv/after-peek recv/bad-flags send/bad-flags`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.EchoTCP()
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/connect-pending", Guest: GuestGoRaw, Args: w("tcp-pending"),
			Covers: w("connect poll setsockopt"),
			Want:   w("connect/einprogress connect/ealready poll/connect-pending connect/etimedout connect/timeout-duration"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.FullListener()
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "tcp/timeouts", Guest: GuestGoRaw, Args: w("tcp-timeouts"),
			Covers: w("setsockopt recv read readline readv recvfrom accept send write writev"),
			Want: w(`recv/etimedout recv/etimedout-duration read/etimedout read/etimedout-duration
				readline/etimedout readline/etimedout-duration readv/etimedout readv/etimedout-duration
				recvfrom/etimedout recvfrom/etimedout-duration accept/etimedout accept/timeout-duration
				send/partial-on-timeout send/etimedout send/timeout-duration write/etimedout writev/etimedout`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				hold := func(c *net.TCPConn) { <-s.Context().Done() }
				silent, err := s.ServeTCP("tcp4", "127.0.0.1:0", hold)
				if err != nil {
					return err
				}
				noread, err := s.ServeTCP("tcp4", "127.0.0.1:0", func(c *net.TCPConn) {
					c.SetReadBuffer(4096)
					hold(c)
				})
				s.Arg(silent, noread)
				return err
			},
		},
		{
			Name: "tcp/listen", Guest: GuestGoRaw, Args: w("tcp-listen"),
			Covers: w("socket bind listen accept connect getsockname getpeername set_nonblock poll send recv"),
			Want: w(`listen/ok getsockname/listener set_nonblock/listener accept/eagain connect/self
				poll/listener accept/bad-flags accept/peer-addr accept/sock_nonblock recv/accepted
				bind/eaddrinuse bind/eaddrnotavail bind/einval accept/einval getpeername/enotconn
				listen/enotsock getsockname/enotsock getpeername/enotsock`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				s.Grant(nil, []string{"192.0.2.1:*"})
				return nil
			},
		},
		{
			Name: "tcp/serve", Guest: GuestGoRaw, Args: w("tcp-serve"),
			Covers: w("listen accept readline write close"),
			Want:   w("accept/blocking accept/peer-matches close/served peer/welcome"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				s.OnLine("listening ", func(addr string) {
					s.Check("peer/welcome", func() error {
						c, err := net.DialTimeout("tcp", addr, 5*time.Second)
						if err != nil {
							return err
						}
						defer c.Close()
						c.SetDeadline(time.Now().Add(10 * time.Second))
						me := c.LocalAddr().String()
						fmt.Fprintf(c, "hello from %s\n", me)
						l, err := bufio.NewReader(c).ReadString('\n')
						if err != nil {
							return err
						}
						return expectEqual("answer", l, "welcome "+me+"\n")
					}())
				})
				return nil
			},
		},
		{
			Name: "tcp/ipv6", Guest: GuestGoRaw, Args: w("tcp-ipv6"),
			Covers: w("connect getsockname send recv bind listen accept"),
			Want:   w("connect/ipv6 getsockname/ipv6 recv/ipv6 connect/ipv6-self accept/ipv6"),
			Setup: func(s *Setup) error {
				if !HasIPv6() {
					return fmt.Errorf("%w: no IPv6 loopback on this machine", errSkip)
				}
				s.GrantLoopback()
				addr, err := s.ServeTCP("tcp6", "[::1]:0", func(c *net.TCPConn) { io.Copy(c, c) })
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "socket/options", Guest: GuestGoRaw, Args: w("options"),
			Covers: w("setsockopt getsockopt"),
			Want: w(`setsockopt/so_reuseaddr getsockopt/so_reuseaddr setsockopt/so_reuseport getsockopt/so_reuseport
				setsockopt/so_keepalive getsockopt/so_keepalive setsockopt/so_rcvbuf getsockopt/so_rcvbuf
				setsockopt/so_sndbuf getsockopt/so_sndbuf setsockopt/tcp_nodelay getsockopt/tcp_nodelay
				setsockopt/tcp_keepidle getsockopt/tcp_keepidle getsockopt/so_keepalive-off
				setsockopt/so_linger getsockopt/so_linger setsockopt/so_rcvtimeo getsockopt/so_rcvtimeo
				setsockopt/so_sndtimeo getsockopt/so_sndtimeo setsockopt/negative-timeout getsockopt/so_type
				setsockopt/so_type getsockopt/so_error setsockopt/unknown-option setsockopt/unknown-level
				getsockopt/unknown-option setsockopt/wrong-length setsockopt/linger-length getsockopt/short-buffer
				getsockopt/so_type-dgram setsockopt/tcp_defer_accept getsockopt/tcp_defer_accept
				setsockopt/enotsock getsockopt/enotsock`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.EchoTCP()
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "socket/errors", Guest: GuestGoRaw, Args: w("socket-errors"),
			Covers: w("socket socketpair connect bind"),
			Want: w(`socket/eafnosupport socket/eprototype socket/bad-flags socket/eprotonosupport socket/inet6
				socket/unix-dgram socket/cloexec socket/tcp-protocol socketpair/eafnosupport
				connect/unix-no-nul connect/unix-empty connect/bad-family bind/bad-family`),
		},
		{
			Name: "udp/echo", Guest: GuestGoRaw, Args: w("udp"),
			Covers: w("socket sendto recvfrom getsockname connect send recv getpeername bind set_nonblock setsockopt"),
			Want: w(`sendto/udp recvfrom/udp recvfrom/addr getsockname/udp recvfrom/null-addr set_nonblock/udp
				recvfrom/eagain recvfrom/etimedout recvfrom/timeout-duration sendto/emsgsize connect/udp
				send/connected-udp recv/connected-udp getpeername/udp recv/peek-dgram recvfrom/boundaries
				recvfrom/truncates`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.ServeUDP(func(b []byte) []byte { return append([]byte("pong:"), b...) })
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "unix/stream-dgram", Guest: GuestGoRaw, Args: w("unix"),
			Covers: w("socket bind listen connect accept getsockname getpeername send recv sendto recvfrom"),
			Want: w(`bind/unix listen/unix getsockname/unix connect/unix getpeername/unix recv/unix-stream
				bind/unix-exists connect/unix-missing sendto/unix-dgram recvfrom/unix-dgram`),
			Setup: func(s *Setup) error {
				dir, err := s.TempDir()
				if err != nil {
					return err
				}
				s.Grant([]string{"unix:" + dir + "/*"}, []string{"unix:" + dir + "/*"})
				s.Arg(dir)
				return nil
			},
		},
		{
			Name: "unix/socketpair", Guest: GuestGoRaw, Args: w("socketpair"),
			Covers: w("socketpair send recv shutdown close"),
			Want: w(`socketpair/stream socketpair/a-to-b socketpair/b-to-a shutdown/socketpair
				recv/eof-after-shutdown socketpair/dgram socketpair/dgram-boundaries socketpair/nonblock
				recv/socketpair-eagain poll/socketpair-peer-closed recv/socketpair-peer-closed`),
		},
		{
			Name: "file/open-rw", Guest: GuestGoRaw, Args: w("files"),
			Covers: w("open read write readv writev readline poll close"),
			Want: w(`open/read readline/file read/file-eof poll/file open/o_nonblock readv/file open/create
				write/file writev/file close/file open/append read/file-back open/eexist open/enoent
				open/eisdir open/o_directory open/outside-mounts open/dotdot-escape open/symlink-escape
				open/read-only-mount open/erofs open/erofs-create peer/file-on-host`),
			Setup: func(s *Setup) error {
				data, err := mountData(s)
				if err != nil {
					return err
				}
				if _, err := mountReadOnly(s); err != nil {
					return err
				}
				s.afterRun(func() {
					b, err := os.ReadFile(filepath.Join(data, "out.txt"))
					if err == nil {
						err = expectEqual("out.txt on the host", string(b), "written by guest\nvia writev\nappended\n")
					}
					s.Check("peer/file-on-host", err)
				})
				return nil
			},
		},
		{
			Name: "file/fromfd", Guest: GuestGoRaw, Args: w("fromfd"),
			Covers: w("fromfd read readline write accept setsockopt"),
			Want: w(`fromfd/conn read/granted-conn fromfd/pipe read/granted-pipe fromfd/listener
				accept/granted-listener read/granted-accepted fromfd/enoent peer/granted-conn peer/granted-listener`),
			Setup: grantDescriptors,
		},
		{
			Name: "dns/resolve", Guest: GuestGoRaw, Args: w("dns"),
			Covers: w("getaddrinfo gethostbyname gethostbyaddr"),
			Want: w(`getaddrinfo/a getaddrinfo/a-and-aaaa getaddrinfo/cname getaddrinfo/no-hints getaddrinfo/res-max
				getaddrinfo/numeric-host getaddrinfo/passive getaddrinfo/hosts-file getaddrinfo/eai_noname
				getaddrinfo/eai_fail getaddrinfo/eai_again getaddrinfo/eai_nodata getaddrinfo/eai_family
				getaddrinfo/eai_service getaddrinfo/numericserv gethostbyname/a-and-aaaa gethostbyname/inet6
				gethostbyname/addrs-max gethostbyname/eai_noname gethostbyname/eai_fail gethostbyname/eai_nodata
				gethostbyaddr/ipv4 gethostbyaddr/ipv6 gethostbyaddr/erange gethostbyaddr/exact-buffer
				gethostbyaddr/eai_noname`),
			Setup: func(s *Setup) error { s.Caps.DNS = true; return nil },
		},
		{
			Name: "dns/denied", Guest: GuestGoRaw, Args: w("dns-denied"),
			Covers: w("getaddrinfo gethostbyname gethostbyaddr"),
			Want:   w("getaddrinfo/eacces gethostbyname/eacces gethostbyaddr/eacces"),
		},
		{
			Name: "tls/client", Guest: GuestGoRaw, Args: w("tls-client"),
			Covers: w("tls_client read write readline send recv poll"),
			Want: w(`tls_client/bad-flags tls_client/empty-name tls_client/verified tls/readline tls/send tls/recv
				tls_client/wrong-name tls_client/unknown-ca tls_client/insecure tls/insecure-echo
				tls_client/nonblocking tls/nonblocking-io`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				good, err := s.ServeTLS(s.Env.Cert)
				if err != nil {
					return err
				}
				unknown, err := s.ServeTLS(s.Env.UnknownCert)
				s.Arg(good, unknown)
				return err
			},
		},
		{
			Name: "tls/server", Guest: GuestGoRaw, Args: w("tls-server"),
			Covers: w("tls_server readline write accept"),
			Want:   w("tls_server/bad-flags tls_server/handshake tls_server/readline tls_server/eproto peer/tls-client peer/plain-client"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				s.OnLine("listening ", func(addr string) {
					s.Check("peer/tls-client", tlsEcho(s.Env, addr))
					s.Check("peer/plain-client", plainToTLS(addr))
				})
				return nil
			},
		},
		{
			Name: "file/unlink", Guest: GuestGoRaw, Args: w("unlink"),
			Covers: w("unlink open bind close"),
			Want: w(`unlink/file unlink/gone unlink/enoent unlink/eisdir unlink/erofs unlink/outside-mounts
				unlink/dotdot-escape unlink/empty unlink/unix-socket unlink/rebind unlink/unix-enoent
				unlink/unix-not-a-socket peer/unlinked-on-host`),
			Setup: func(s *Setup) error {
				data, err := mountData(s)
				if err != nil {
					return err
				}
				ro, err := mountReadOnly(s)
				if err != nil {
					return err
				}
				dir, err := s.TempDir()
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, "plain"), []byte("not a socket"), 0o644); err != nil {
					return err
				}
				s.Grant(nil, []string{"unix:" + dir + "/*"})
				s.Arg(dir)
				s.afterRun(func() {
					var err error
					for _, p := range []string{filepath.Join(data, "gone.txt"), filepath.Join(dir, "s")} {
						if _, serr := os.Lstat(p); serr == nil {
							err = fmt.Errorf("%s still exists", p)
						}
					}
					for _, p := range []string{filepath.Join(data, "in.txt"), filepath.Join(data, "sub"), filepath.Join(ro, "ro.txt"), filepath.Join(dir, "plain")} {
						if _, serr := os.Lstat(p); serr != nil {
							err = fmt.Errorf("%s was removed: %w", p, serr)
						}
					}
					s.Check("peer/unlinked-on-host", err)
				})
				return nil
			},
		},
		{
			Name: "tls/no-server-certificate", Guest: GuestGoRaw, Args: w("tls-noserver"),
			Covers:  w("tls_server socketpair"),
			Want:    w("tls_server/enotsup"),
			Runtime: RuntimeNoTLSServer,
		},
		{
			Name: "caps/denied", Guest: GuestGoRaw, Args: w("caps-denied"),
			Covers: w("connect bind listen sendto open fromfd getaddrinfo"),
			Want: w(`connect/eacces connect/eacces-nonblocking bind/eacces listen/eacces sendto/eacces
				connect/udp-eacces connect/unix-eacces bind/unix-eacces open/enotcapable fromfd/enoent
				getaddrinfo/eacces peer/nothing-reached`),
			Setup: func(s *Setup) error { return deniedPeers(s, false) },
		},
		{
			Name: "caps/other-grants", Guest: GuestGoRaw, Args: w("caps-denied"),
			Covers: w("connect bind listen sendto"),
			Want: w(`connect/eacces connect/eacces-nonblocking bind/eacces listen/eacces sendto/eacces
				connect/udp-eacces connect/unix-eacces bind/unix-eacces open/enotcapable fromfd/enoent
				getaddrinfo/eacces peer/nothing-reached`),
			Setup: func(s *Setup) error { return deniedPeers(s, true) },
		},
	}
}

// mountData mounts a new directory at /data holding in.txt
// ("line1\nline2\n"), a directory sub/ and a symlink escape to a file
// outside the mount; it returns the directory.
// mountReadOnly mounts a new directory holding ro.txt at /ro, read-only,
// and returns its host path.
func mountReadOnly(s *Setup) (string, error) {
	ro, err := s.TempDir()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(ro, "ro.txt"), []byte("ro"), 0o644); err != nil {
		return "", err
	}
	s.Caps.Dirs = append(s.Caps.Dirs, host.DirMount{Host: ro, Guest: "/ro", ReadOnly: true})
	return ro, nil
}

func mountData(s *Setup) (string, error) {
	base, err := s.TempDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "data")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("line1\nline2\n"), 0o644); err != nil {
		return "", err
	}
	secret := filepath.Join(base, "outside.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		return "", err
	}
	if err := os.Symlink(secret, filepath.Join(dir, "escape")); err != nil {
		return "", err
	}
	s.Caps.Dirs = append(s.Caps.Dirs, host.DirMount{Host: dir, Guest: "/data"})
	return dir, nil
}

// grantDescriptors grants the fromfd scenario's descriptors: "conn" (a
// unix socket whose peer sent a line and waits for one), "pipe" (see
// grantPipe) and "listener" (a TCP listener with a queued connection that
// sent a line and waits for one).
func grantDescriptors(s *Setup) error {
	if err := grantPipe(s); err != nil {
		return err
	}
	grant := func(name string, f *os.File) {
		s.Cleanup(func() { f.Close() })
		s.Caps.Files[name] = f
	}
	a, b, err := socketpairFiles()
	if err != nil {
		return err
	}
	grant("conn", a)
	peer, err := net.FileConn(b)
	b.Close()
	if err != nil {
		return err
	}
	s.Cleanup(func() { peer.Close() })
	if _, err := io.WriteString(peer, "from runner\n"); err != nil {
		return err
	}
	s.Go("peer/granted-conn", func() error {
		peer.SetReadDeadline(time.Now().Add(15 * time.Second))
		l, err := bufio.NewReader(peer).ReadString('\n')
		if err != nil {
			return err
		}
		return expectEqual("line from the guest", l, "from guest\n")
	})

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	lf, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return err
	}
	grant("listener", lf)
	c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
	if err != nil {
		return err
	}
	s.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "queued\n"); err != nil {
		return err
	}
	s.Go("peer/granted-listener", func() error {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		l, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		return expectEqual("line from the guest", l, "accepted\n")
	})
	return nil
}

// grantPipe grants "pipe": the read end of a pipe holding "piped\n" whose
// writer is closed.
func grantPipe(s *Setup) error {
	r, wr, err := os.Pipe()
	if err != nil {
		return err
	}
	s.Cleanup(func() { r.Close() })
	wr.WriteString("piped\n")
	wr.Close()
	if s.Caps.Files == nil {
		s.Caps.Files = map[string]*os.File{}
	}
	s.Caps.Files["pipe"] = r
	return nil
}

// deniedPeers sets up caps-denied: a TCP and a UDP server that must see
// nobody, a unix socket directory, and either no grants or grants for
// other addresses only.
func deniedPeers(s *Setup, otherGrants bool) error {
	var reached atomic.Int32
	tcp, err := s.ServeTCP("tcp4", "127.0.0.1:0", func(*net.TCPConn) { reached.Add(1) })
	if err != nil {
		return err
	}
	udp, err := s.ServeUDP(func([]byte) []byte { reached.Add(1); return nil })
	if err != nil {
		return err
	}
	dir, err := s.TempDir()
	if err != nil {
		return err
	}
	if otherGrants {
		s.Grant([]string{"127.0.0.1:1-100", "10.0.0.0/8:*", "unix:/nonexistent/*"}, []string{"127.0.0.2:*", "unix:/nonexistent/*"})
		other, err := s.TempDir()
		if err != nil {
			return err
		}
		s.Caps.Dirs = []host.DirMount{{Host: other, Guest: "/elsewhere"}}
	}
	s.Arg(tcp, udp, dir)
	s.afterRun(func() {
		time.Sleep(50 * time.Millisecond) // a datagram or connection in flight
		s.Check("peer/nothing-reached", expectEqual("connections and datagrams that reached the servers", reached.Load(), 0))
	})
	return nil
}

// tlsEcho connects to the guest's TLS server, verifying its certificate
// against the runner's CA, sends "hello\n" and expects "HELLO\n".
func tlsEcho(env *Env, addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, &tls.Config{RootCAs: env.CAPool, ServerName: TLSName})
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if _, err := io.WriteString(tc, "hello\n"); err != nil {
		return err
	}
	l, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil {
		return err
	}
	return expectEqual("answer", l, "HELLO\n")
}

// plainToTLS sends plain text to the guest's TLS server, whose handshake
// must then fail (the guest closes the connection).
func plainToTLS(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	io.Copy(io.Discard, c) // until the guest closes
	return nil
}
