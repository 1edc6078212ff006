//go:build wasip1

package main

import (
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// TLSName is the name the runner's certificates are issued for.
const tlsName = "conformance.test"

// tls-client GOOD UNKNOWN: GOOD is a TLS line-echo server whose certificate
// the host trusts (the runner's CA, for conformance.test and 127.0.0.1);
// UNKNOWN presents a certificate from a CA nobody trusts.
func tlsClient(args []string) {
	good, unknown := arg(args, 0), arg(args, 1)
	fd := dial("connect", good)
	check.Errno("tls_client/bad-flags", sys.TLSClient(fd, tlsName, 0x80), abi.EINVAL)
	check.Errno("tls_client/empty-name", sys.TLSClient(fd, "", 0), abi.EINVAL)
	check.Errno("tls_client/verified", sys.TLSClient(fd, tlsName, 0))
	writeAll("write", fd, []byte("hello tls\n"))
	buf := make([]byte, 64)
	l, e := readline(fd, buf)
	check.That("tls/readline", e == 0 && l == "hello tls\n", "readline: %s %q", check.Name(e), l)
	n, e := send(fd, []byte("again\n"), 0)
	check.That("tls/send", e == 0 && n == 6, "send: %s %d", check.Name(e), n)
	got, e := recvFull(fd, 6)
	check.That("tls/recv", e == 0 && got == "again\n", "recv: %s %q", check.Name(e), got)
	sys.Close(fd)

	fd = dial("connect", good)
	check.Errno("tls_client/wrong-name", sys.TLSClient(fd, "wrong.test", 0), abi.EPROTO)
	sys.Close(fd)
	fd = dial("connect", unknown)
	check.Errno("tls_client/unknown-ca", sys.TLSClient(fd, tlsName, 0), abi.EPROTO)
	sys.Close(fd)
	fd = dial("connect", unknown)
	check.Errno("tls_client/insecure", sys.TLSClient(fd, tlsName, abi.TLS_INSECURE_SKIP_VERIFY))
	writeAll("write", fd, []byte("insecure\n"))
	l, e = readline(fd, buf)
	check.That("tls/insecure-echo", e == 0 && l == "insecure\n", "readline: %s %q", check.Name(e), l)
	sys.Close(fd)

	// Non-blocking: the handshake runs in the host while the guest sees
	// EAGAIN and polls.
	sa := sockaddr(good)
	fd = mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	sys.Connect(fd, sa)
	pollOne(fd, abi.POLLOUT, 10*time.Second)
	check.Errno("tls_client/nonblocking", sys.TLSClient(fd, tlsName, 0), 0, abi.EAGAIN)
	msg := []byte("non-blocking\n")
	eagain := 0
	for len(msg) > 0 {
		n, e := write(fd, msg)
		if e == uint32(abi.EAGAIN) {
			eagain++
			pollOne(fd, abi.POLLOUT, 10*time.Second)
			continue
		}
		if e != 0 {
			check.Failf("tls/nonblocking-write", "write: %s", check.Name(e))
			break
		}
		msg = msg[n:]
	}
	var line []byte
	for len(line) == 0 || line[len(line)-1] != '\n' {
		n, e := read(fd, buf)
		if e == uint32(abi.EAGAIN) {
			eagain++
			if rev, _, _ := pollOne(fd, abi.POLLIN, 10*time.Second); rev == 0 {
				break
			}
			continue
		}
		if e != 0 || n == 0 {
			break
		}
		line = append(line, buf[:n]...)
	}
	check.That("tls/nonblocking-io", string(line) == "non-blocking\n", "read %q (%d EAGAIN)", line, eagain)
	sys.Close(fd)
}

// tls-server: a TLS server the runner connects to. It prints "listening
// ADDR"; the runner's first connection does a TLS handshake (verifying the
// host's certificate), sends "hello\n" and expects "HELLO\n"; its second
// connection sends plain text, so the handshake fails.
func tlsServer([]string) {
	ln, local := listen("listen", "127.0.0.1:0", 0)
	check.Line("listening %s", addrPort(local))
	var fd int32
	check.Must("accept", sys.Accept(ln, 0, &fd, nil))
	check.Errno("tls_server/bad-flags", sys.TLSServer(fd, 0x80), abi.EINVAL)
	check.Errno("tls_server/handshake", sys.TLSServer(fd, 0))
	buf := make([]byte, 64)
	l, e := readline(fd, buf)
	check.That("tls_server/readline", e == 0 && l == "hello\n", "readline: %s %q", check.Name(e), l)
	writeAll("write", fd, []byte("HELLO\n"))
	sys.Close(fd)
	check.Must("accept", sys.Accept(ln, 0, &fd, nil))
	check.Errno("tls_server/eproto", sys.TLSServer(fd, 0), abi.EPROTO)
	sys.Close(fd)
	sys.Close(ln)
}

// tls-noserver: on a host with no server certificate, tls_server is
// ENOTSUP.
func tlsNoServer([]string) {
	var p [2]int32
	check.Must("socketpair", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, &p))
	check.Errno("tls_server/enotsup", sys.TLSServer(p[0], 0), abi.ENOTSUP)
	sys.Close(p[0])
	sys.Close(p[1])
}
