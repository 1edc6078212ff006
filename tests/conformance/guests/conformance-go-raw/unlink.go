//go:build wasip1

package main

import (
	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// unlinkScenario: unlink under the runner's mounts (/data read-write with
// in.txt and sub/, /ro read-only with ro.txt) and of unix sockets in the
// directory args[0], which the bind grant covers (the runner left a
// regular file "plain" there). The runner checks the host afterwards.
func unlinkScenario(args []string) {
	dir := arg(args, 0)
	fd, e := open("/data/gone.txt", abi.O_CREAT|abi.O_WRONLY)
	check.Must("open", e)
	sys.Close(fd)
	check.Errno("unlink/file", sys.Unlink("/data/gone.txt"))
	_, e = open("/data/gone.txt", abi.O_RDONLY)
	check.Errno("unlink/gone", e, abi.ENOENT)
	check.Errno("unlink/enoent", sys.Unlink("/data/gone.txt"), abi.ENOENT)
	check.Errno("unlink/eisdir", sys.Unlink("/data/sub"), abi.EISDIR)
	check.Errno("unlink/erofs", sys.Unlink("/ro/ro.txt"), abi.EROFS)
	check.Errno("unlink/outside-mounts", sys.Unlink("/etc/passwd"), abi.ENOTCAPABLE)
	check.Errno("unlink/dotdot-escape", sys.Unlink("/data/../in.txt"), abi.ENOTCAPABLE)
	check.Errno("unlink/empty", sys.Unlink(""), abi.ENOENT)

	// A unix socket: bind, close, unlink, and the path is free again.
	path := dir + "/s"
	s := mustSocket("socket", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Must("bind", sys.Bind(s, unixSockaddr(path)))
	sys.Close(s)
	check.Errno("unlink/unix-socket", sys.Unlink(path))
	s = mustSocket("socket", abi.AF_UNIX, abi.SOCK_STREAM)
	check.Errno("unlink/rebind", sys.Bind(s, unixSockaddr(path)))
	sys.Close(s)
	check.Must("unlink", sys.Unlink(path))
	check.Errno("unlink/unix-enoent", sys.Unlink(path), abi.ENOENT)
	check.Errno("unlink/unix-not-a-socket", sys.Unlink(dir+"/plain"), abi.EACCES)
}
