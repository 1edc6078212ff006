//go:build wasip1

package main

import (
	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// caps-denied TCP UDP DIR: what the instance's grants do not cover fails
// with EACCES (ENOTCAPABLE for files, ENOENT for fromfd), and nothing
// reaches the peers (the runner checks that its TCP and UDP servers saw
// nobody).
func capsDenied(args []string) {
	tcp, udp, dir := sockaddr(arg(args, 0)), sockaddr(arg(args, 1)), arg(args, 2)
	fd := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("connect/eacces", sys.Connect(fd, tcp), abi.EACCES)
	sys.Close(fd)
	fd = mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	check.Errno("connect/eacces-nonblocking", sys.Connect(fd, tcp), abi.EACCES)
	sys.Close(fd)
	fd = mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.Errno("bind/eacces", sys.Bind(fd, sockaddr("127.0.0.1:0")), abi.EACCES)
	check.Errno("listen/eacces", sys.Listen(fd, 1), abi.EACCES)
	sys.Close(fd)
	u := mustSocket("udp", abi.AF_INET, abi.SOCK_DGRAM)
	_, e := sendto(u, []byte("denied"), udp)
	check.Errno("sendto/eacces", e, abi.EACCES)
	check.Errno("connect/udp-eacces", sys.Connect(u, udp), abi.EACCES)
	sys.Close(u)
	us := mustSocket("unix", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Errno("connect/unix-eacces", sys.Connect(us, unixSockaddr(dir+"/s")), abi.EACCES)
	check.Errno("bind/unix-eacces", sys.Bind(us, unixSockaddr(dir+"/x")), abi.EACCES)
	sys.Close(us)
	_, e = open("/data/in.txt", abi.O_RDONLY)
	check.Errno("open/enotcapable", e, abi.ENOTCAPABLE)
	var ffd int32
	check.Errno("fromfd/enoent", sys.Fromfd("conn", &ffd), abi.ENOENT)
	_, e = gai("a.test", "80", nil, 4)
	check.Errno("getaddrinfo/eacces", e, abi.EACCES)
}
