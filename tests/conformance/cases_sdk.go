package conformance

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
)

// sdkCases run GuestGoSDK, an application written with the Go guest SDK.
func sdkCases() []Case {
	return []Case{
		{
			Name: "sdk/abi", Guest: GuestGoSDK, Args: w("abi"),
			Covers: w("abi_version"),
			Want:   w("sdk/check-abi sdk/abi-version"),
		},
		{
			Name: "sdk/tcp", Guest: GuestGoSDK, Args: w("tcp"),
			Covers: w("socket connect getsockname getpeername write read readline setsockopt shutdown close"),
			Want: w(`sdk/dial sdk/remote-addr sdk/local-addr sdk/write sdk/linereader sdk/read sdk/set-nodelay
				sdk/set-keepalive sdk/close-write sdk/read-to-eof sdk/close sdk/write-after-close sdk/dial-silent
				sdk/read-deadline sdk/dial-refused sdk/dial-denied`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				echo, err := s.EchoTCP()
				if err != nil {
					return err
				}
				silent, err := s.ServeTCP("tcp4", "127.0.0.1:0", func(*net.TCPConn) { <-s.Context().Done() })
				if err != nil {
					return err
				}
				closed, err := s.ClosedPort()
				s.Arg(echo, silent, closed)
				return err
			},
		},
		{
			Name: "sdk/goroutines", Guest: GuestGoSDK, Args: w("goroutines"),
			Covers: w("set_nonblock poll sleep read write close"),
			Want:   w("sdk/goroutines-echo sdk/goroutines-sleep sdk/dial sdk/close-wakes-reader"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				echo, err := s.EchoTCP()
				s.Arg(echo)
				return err
			},
		},
		{
			Name: "sdk/listen", Guest: GuestGoSDK, Args: w("listen"),
			Covers: w("bind listen accept setsockopt"),
			Want:   w("sdk/listen sdk/accept sdk/listen-roundtrip sdk/accept-deadline sdk/listener-close"),
			Setup:  func(s *Setup) error { s.GrantLoopback(); return nil },
		},
		{
			Name: "sdk/net-http", Guest: GuestGoSDK, Args: w("http"),
			Covers: w("connect tls_client read write poll"),
			Want:   w("sdk/http-get sdk/https-get sdk/http-listen sdk/http-server sdk/http-shutdown"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, "hello from the runner\n")
				})
				plain := httptest.NewServer(h)
				s.Cleanup(plain.Close)
				secure := httptest.NewUnstartedServer(h)
				secure.TLS = &tls.Config{Certificates: []tls.Certificate{s.Env.Cert}}
				secure.StartTLS()
				s.Cleanup(secure.Close)
				s.Arg(plain.URL, secure.URL)
				return nil
			},
		},
		{
			Name: "sdk/udp", Guest: GuestGoSDK, Args: w("udp"),
			Covers: w("sendto recvfrom bind"),
			Want:   w("sdk/listen-packet sdk/write-to sdk/read-from"),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				addr, err := s.ServeUDP(func(b []byte) []byte { return append([]byte("pong:"), b...) })
				s.Arg(addr)
				return err
			},
		},
		{
			Name: "sdk/unix", Guest: GuestGoSDK, Args: w("unix"),
			Covers: w("socket bind listen accept connect socketpair sendto recvfrom"),
			Want: w(`sdk/unix-listen sdk/unix-dial sdk/unix-echo sdk/unixgram sdk/unixgram-self
				sdk/socketpair sdk/socketpair-read`),
			Setup: func(s *Setup) error {
				dir, err := s.TempDir()
				s.Grant([]string{"unix:" + dir + "/*"}, []string{"unix:" + dir + "/*"})
				s.Arg(dir)
				return err
			},
		},
		{
			Name: "sdk/files", Guest: GuestGoSDK, Args: w("files"),
			Covers: w("pipe open read write readline poll close"),
			Want: w(`sdk/pipe sdk/select-writable sdk/select-readable sdk/pipe-line sdk/poll-timeout
				sdk/poll-hangup sdk/select-closed sdk/open sdk/open-read sdk/open-create sdk/file-write
				sdk/open-missing sdk/open-outside peer/sdk-file`),
			Setup: func(s *Setup) error {
				dir, err := mountData(s)
				s.afterRun(func() {
					b, err := os.ReadFile(filepath.Join(dir, "sdk.txt"))
					if err == nil {
						err = expectEqual("sdk.txt on the host", string(b), "from the sdk\n")
					}
					s.Check("peer/sdk-file", err)
				})
				return err
			},
		},
		{
			Name: "sdk/dns", Guest: GuestGoSDK, Args: w("dns"),
			Covers: w("getaddrinfo gethostbyname gethostbyaddr"),
			Want: w(`sdk/lookup-host sdk/lookup-ip sdk/lookup-addr sdk/gethostbyname sdk/gethostbyaddr
				sdk/getaddrinfo sdk/lookup-nxdomain sdk/dial-by-name`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				s.Caps.DNS = true
				return nil
			},
		},
		{
			Name: "sdk/tls", Guest: GuestGoSDK, Args: w("tls"),
			Covers: w("tls_client tls_server"),
			Want: w(`sdk/dial-tls sdk/tls-echo sdk/tls-wrong-name sdk/tls-listen sdk/tls-self-dial
				sdk/tls-self-echo sdk/tls-server`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				good, err := s.ServeTLS(s.Env.Cert)
				s.Arg(good)
				return err
			},
		},
		{
			Name: "sdk/fromfd", Guest: GuestGoSDK, Args: w("fromfd"),
			Covers: w("fromfd accept"),
			Want: w(`sdk/file-conn sdk/file-conn-read sdk/fromfd sdk/fromfd-read sdk/file-listener
				sdk/file-listener-accept sdk/file-listener-read sdk/fromfd-missing peer/granted-conn
				peer/granted-listener`),
			Setup: grantDescriptors,
		},
	}
}
