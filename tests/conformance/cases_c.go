package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
)

// EfaultChecks derives from the ABI table the checks of the bad-pointer
// cases: "efault/FUNCTION/PARAMETER" for each pointer and out-pointer
// parameter, and "efault/FUNCTION/PARAMETER-wrap" for a pointer followed
// by its length (a valid pointer whose length runs past memory). gateway
// selects the gateway group's functions (which need a request) or the
// others.
func EfaultChecks(gateway bool) (checks, funcs []string) {
	for _, f := range abi.Functions {
		if (f.Group == abi.GroupGateway) != gateway {
			continue
		}
		n := len(checks)
		for i, p := range f.Params {
			switch p.Kind {
			case abi.Ptr:
				checks = append(checks, "efault/"+f.Name+"/"+p.Name)
				if i+1 < len(f.Params) && f.Params[i+1].Kind == abi.Len {
					checks = append(checks, "efault/"+f.Name+"/"+p.Name+"-wrap")
				}
			case abi.OutPtr:
				checks = append(checks, "efault/"+f.Name+"/"+p.Name)
			}
		}
		if len(checks) > n {
			funcs = append(funcs, f.Name)
		}
	}
	return checks, funcs
}

// EbadfChecks derives from the ABI table the checks of the bad-descriptor
// case: "ebadf/FUNCTION" for each function that takes a descriptor.
func EbadfChecks() (checks, funcs []string) {
	for _, f := range abi.Functions {
		for _, p := range f.Params {
			if p.Kind == abi.Fd {
				checks = append(checks, "ebadf/"+f.Name)
				funcs = append(funcs, f.Name)
				break
			}
		}
	}
	return checks, funcs
}

// cCases run GuestC, the C guest on guest-sdk/c.
func cCases() []Case {
	efault, efaultFuncs := EfaultChecks(false)
	ebadf, ebadfFuncs := EbadfChecks()
	return []Case{
		{
			Name: "c/bad-descriptors", Guest: GuestC, Args: w("ebadf"),
			Covers: append(ebadfFuncs, "pipe"),
			Want:   append(ebadf, "ebadf/closed", "ebadf/negative"),
		},
		{
			Name: "c/bad-pointers", Guest: GuestC, Args: w("efault"),
			Covers: efaultFuncs,
			Want: append(efault, w(`efault/readv/iov-buf efault/writev/iov-buf efault/no-bytes-consumed
				efault/no-descriptor-leaked efault/connection-still-queued efault/datagram-still-queued
				efault/stream-still-there`)...),
			Setup: func(s *Setup) error {
				// Loopback for the guest's own listener, /data for open,
				// "pipe" for fromfd; no DNS grant: EFAULT comes first.
				s.GrantLoopback()
				if _, err := mountData(s); err != nil {
					return err
				}
				return grantPipe(s)
			},
		},
		{
			Name: "c/blocking", Guest: GuestC, Args: w("blocking"),
			Covers: w("abi_version socket connect getpeername write read readline setsockopt close sendto recvfrom pipe poll sleep"),
			Want: w(`c/check-abi c/tcp-connect c/sockaddr-format c/write-all c/read-line c/read-full c/read-full-data
				c/rcvtimeo c/close c/sendto c/recvfrom c/recvfrom-data c/pipe-eagain c/wait-timeout c/wait-ready c/sleep`),
			Setup: func(s *Setup) error {
				s.GrantLoopback()
				tcp, err := s.EchoTCP()
				if err != nil {
					return err
				}
				udp, err := s.ServeUDP(func(b []byte) []byte { return append([]byte("pong:"), b...) })
				s.Arg(tcp, udp)
				return err
			},
		},
	}
}

// gatewayCases run GuestCGateway behind wsgi-host's server.
func gatewayCases() []Case {
	efault, efaultFuncs := EfaultChecks(true)
	return []Case{
		{
			Name: "gateway/environ", Guest: GuestCGateway,
			Covers: w("req_environ start_response pipe close"),
			Want: w(`gw/req_environ-erange gw/req_environ-size gw/req_environ-exact gw/env-first-key
				gw/env/REQUEST_METHOD gw/env/SCRIPT_NAME gw/env/PATH_INFO gw/env/QUERY_STRING gw/env/REQUEST_URI
				gw/env/SERVER_PROTOCOL gw/env/REMOTE_ADDR gw/env/URL_SCHEME gw/env/HTTP_X_CONFORMANCE
				gw/env/HTTP_COOKIE gw/env/SERVER_NAME gw/env/SERVER_PORT gw/env/REMOTE_PORT
				gw/env-no-content-length http/environ gw/req_environ-einval gw/start_response-einval
				gw/req_abort-einval http/not-a-request`),
			Gateway: func(g *Gateway) {
				h := http.Header{"X-Conformance": {"yes"}, "Cookie": {"a=1", "b=2"}}
				resp, body, err := g.Do("GET", "/environ?x=1&y=2", h, "")
				g.Check("http/environ", wantResponse(resp, body, err, 200, "environ checked\n"))
				resp, body, err = g.Do("GET", "/not-a-request", nil, "")
				g.Check("http/not-a-request", wantResponse(resp, body, err, 200, "not a request\n"))
			},
		},
		{
			Name: "gateway/body", Guest: GuestCGateway,
			Covers: w("read readline readv write writev start_response"),
			Want: w(`gw/readline-body gw/readline-first-line gw/read-body gw/start_response gw/write-body
				gw/readv-body gw/writev gw/start_response-headers gw/flush gw/write-after-flush
				http/echo http/readv-chunked http/headers`),
			Gateway: func(g *Gateway) {
				body := "first line\n" + strings.Repeat("0123456789abcdef", 200<<10/16)
				resp, got, err := g.Do("POST", "/echo", nil, body)
				if err == nil && resp.Header.Get("X-Echo") != "yes" {
					err = fmt.Errorf("X-Echo: %q", resp.Header.Get("X-Echo"))
				}
				g.Check("http/echo", wantResponse(resp, got, err, 200, body))

				// A chunked body (no Content-Length: the length is unknown).
				req, _ := http.NewRequest("POST", g.URL+"/readv", io.MultiReader(bytes.NewReader(make([]byte, 150000))))
				r, err := g.Client.Do(req)
				var b []byte
				if err == nil {
					b, err = io.ReadAll(r.Body)
					r.Body.Close()
				}
				g.Check("http/readv-chunked", wantResponse(r, string(b), err, 200, "length 150000\n"))

				resp, got, err = g.Do("GET", "/headers", nil, "")
				if err == nil && (resp.Header.Get("X-One") != "a" || resp.Header.Get("X-Two") != "b c") {
					err = fmt.Errorf("headers %v", resp.Header)
				}
				g.Check("http/headers", wantResponse(resp, got, err, 201, "gathered body\nmore\n"))
			},
		},
		{
			Name: "gateway/start-response", Guest: GuestCGateway,
			Covers: w("start_response write"),
			Want: w(`gw/bad-status gw/after-failure gw/write-after-failure gw/bad-header gw/bad-header-name
				gw/write-before-start gw/start_response gw/second-ealready gw/exc-info-replaces
				gw/exc-info-too-late http/bad-status http/bad-header http/write-first http/exc-info
				http/exc-info-too-late`),
			Gateway: func(g *Gateway) {
				resp, _, err := g.Do("GET", "/bad-status", nil, "")
				g.Check("http/bad-status", wantStatus(resp, err, 500))
				resp, _, err = g.Do("GET", "/bad-header", nil, "")
				if err == nil && resp.Header.Get("Injected") != "" {
					err = fmt.Errorf("a header was injected: %v", resp.Header)
				}
				g.Check("http/bad-header", wantStatus(resp, err, 500))
				resp, body, err := g.Do("GET", "/write-first", nil, "")
				g.Check("http/write-first", wantResponse(resp, body, err, 200, "started late\n"))
				resp, body, err = g.Do("GET", "/twice", nil, "")
				g.Check("http/exc-info", wantResponse(resp, body, err, 203, "replaced\n"))
				resp, body, err = g.Do("GET", "/late", nil, "")
				g.Check("http/exc-info-too-late", wantResponse(resp, body, err, 200, "sent anyway\n"))
			},
		},
		{
			Name: "gateway/bad-pointers", Guest: GuestCGateway,
			Covers: efaultFuncs,
			Want:   append(efault, "http/efault"),
			Gateway: func(g *Gateway) {
				resp, body, err := g.Do("GET", "/efault", nil, "")
				g.Check("http/efault", wantResponse(resp, body, err, 200, "pointers checked\n"))
			},
		},
		{
			Name: "gateway/abort", Guest: GuestCGateway,
			Covers: w("req_abort"),
			Want: w(`gw/start_response gw/abort-early gw/abort-early-epipe gw/abort-late gw/abort-late-epipe
				http/abort-early http/abort-late`),
			Gateway: func(g *Gateway) {
				resp, body, err := g.Do("GET", "/abort-early", nil, "")
				g.Check("http/abort-early", wantStatus(resp, err, 500))
				if err == nil && strings.Contains(body, "dropped") {
					g.Check("http/abort-early", fmt.Errorf("the aborted body went out: %q", body))
				}
				resp, body, err = g.Do("GET", "/abort-late", nil, "")
				switch {
				case resp == nil:
					err = fmt.Errorf("no response: %v", err)
				case resp.StatusCode != 200 || !strings.HasPrefix(body, "partial "):
					err = fmt.Errorf("got %d %q, want 200 and the body cut short after %q", resp.StatusCode, body, "partial ")
				case err == nil:
					err = fmt.Errorf("the response looks complete: %q", body)
				default:
					err = nil // cut short, as it must be
				}
				g.Check("http/abort-late", err)
			},
		},
		{
			Name: "gateway/close", Guest: GuestCGateway,
			Covers: w("close req_environ"),
			Want:   w("gw/close gw/after-close http/close"),
			Gateway: func(g *Gateway) {
				resp, body, err := g.Do("GET", "/close", nil, "")
				g.Check("http/close", wantResponse(resp, body, err, 200, "closed early\n"))
			},
		},
	}
}

func wantStatus(resp *http.Response, err error, status int) error {
	if err != nil {
		return err
	}
	return expectEqual("status", resp.StatusCode, status)
}

func wantResponse(resp *http.Response, body string, err error, status int, want string) error {
	if err := wantStatus(resp, err, status); err != nil {
		return err
	}
	if body != want {
		if len(body) > 80 {
			body = body[:80] + "..."
		}
		return fmt.Errorf("body %q (%d bytes), want %d bytes", body, len(body), len(want))
	}
	return nil
}
