//go:build wasip1

package main

import (
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

func open(path string, flags int32) (int32, uint32) {
	fd := int32(-1)
	e := sys.Open(path, flags, 0o644, &fd)
	return fd, e
}

// files: open and I/O on files under the runner's mounts: /data
// (read-write: in.txt holds "line1\nline2\n", sub/ is a directory, escape
// is a symlink to a file outside the mount) and /ro (read-only: ro.txt).
// The runner checks /data/out.txt afterwards.
func files([]string) {
	fd, e := open("/data/in.txt", abi.O_RDONLY)
	check.Errno("open/read", e)
	buf := make([]byte, 64)
	l1, _ := readline(fd, buf)
	l2, _ := readline(fd, buf)
	check.That("readline/file", l1 == "line1\n" && l2 == "line2\n", "got %q %q", l1, l2)
	n, e := read(fd, buf)
	check.That("read/file-eof", e == 0 && n == 0, "read: %s %d", check.Name(e), n)
	rev, k, e := pollOne(fd, abi.POLLIN|abi.POLLOUT, 0)
	check.That("poll/file", e == 0 && k == 1 && rev&abi.POLLIN != 0, "poll: %s %d %#x", check.Name(e), k, rev)
	sys.Close(fd)

	fd, e = open("/data/in.txt", abi.O_RDONLY|abi.O_NONBLOCK)
	check.Errno("open/o_nonblock", e)
	x, y := make([]byte, 4), make([]byte, 20)
	iov := iovecs(x, y)
	var cnt uint32
	e = sys.Readv(fd, &iov[0], 2, &cnt)
	check.That("readv/file", e == 0 && cnt == 12 && string(x)+string(y[:8]) == "line1\nline2\n", "readv: %s %d %q %q", check.Name(e), cnt, x, y)
	keep(x, y)
	sys.Close(fd)

	fd, e = open("/data/out.txt", abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC)
	check.Errno("open/create", e)
	n, e = write(fd, []byte("written by guest\n"))
	check.That("write/file", e == 0 && n == 17, "write: %s %d", check.Name(e), n)
	a, b := []byte("via "), []byte("writev\n")
	iov = iovecs(a, b)
	e = sys.Writev(fd, &iov[0], 2, &cnt)
	check.That("writev/file", e == 0 && cnt == 11, "writev: %s %d", check.Name(e), cnt)
	keep(a, b)
	check.Errno("close/file", sys.Close(fd))
	fd, e = open("/data/out.txt", abi.O_WRONLY|abi.O_APPEND)
	check.Errno("open/append", e)
	writeAll("append", fd, []byte("appended\n"))
	sys.Close(fd)
	fd, e = open("/data/out.txt", abi.O_RDWR)
	got, re := readAll(fd)
	check.That("read/file-back", e == 0 && re == 0 && string(got) == "written by guest\nvia writev\nappended\n", "read back: %s %s %q", check.Name(e), check.Name(re), got)
	sys.Close(fd)

	_, e = open("/data/out.txt", abi.O_CREAT|abi.O_EXCL|abi.O_WRONLY)
	check.Errno("open/eexist", e, abi.EEXIST)
	_, e = open("/data/missing.txt", abi.O_RDONLY)
	check.Errno("open/enoent", e, abi.ENOENT)
	_, e = open("/data/sub", abi.O_WRONLY)
	check.Errno("open/eisdir", e, abi.EISDIR)
	fd, e = open("/data/sub", abi.O_RDONLY|abi.O_DIRECTORY)
	if check.Errno("open/o_directory", e) {
		sys.Close(fd)
	}
	_, e = open("/etc/passwd", abi.O_RDONLY)
	check.Errno("open/outside-mounts", e, abi.ENOTCAPABLE)
	_, e = open("/data/../outside.txt", abi.O_RDONLY)
	check.Errno("open/dotdot-escape", e, abi.ENOTCAPABLE)
	_, e = open("/data/escape", abi.O_RDONLY)
	check.Errno("open/symlink-escape", e, abi.ENOTCAPABLE)
	fd, e = open("/ro/ro.txt", abi.O_RDONLY)
	if check.Errno("open/read-only-mount", e) {
		sys.Close(fd)
	}
	_, e = open("/ro/ro.txt", abi.O_WRONLY)
	check.Errno("open/erofs", e, abi.EROFS)
	_, e = open("/ro/new.txt", abi.O_CREAT|abi.O_WRONLY)
	check.Errno("open/erofs-create", e, abi.EROFS)
}

// fromfd: descriptors the runner granted by name. "conn" is a connected
// unix socket whose peer sent "from runner\n" and waits for a line; "pipe"
// is the read end of a pipe holding "piped\n" whose writer is closed;
// "listener" is a TCP listener with a queued connection that sent
// "queued\n" and waits for a line.
func fromfd([]string) {
	buf := make([]byte, 64)
	var fd int32
	e := sys.Fromfd("conn", &fd)
	if check.Errno("fromfd/conn", e) {
		l, e := readline(fd, buf)
		check.That("read/granted-conn", e == 0 && l == "from runner\n", "readline: %s %q", check.Name(e), l)
		writeAll("write", fd, []byte("from guest\n"))
		sys.Close(fd)
	}
	if check.Errno("fromfd/pipe", sys.Fromfd("pipe", &fd)) {
		got, e := readAll(fd)
		check.That("read/granted-pipe", e == 0 && string(got) == "piped\n", "read: %s %q", check.Name(e), got)
		sys.Close(fd)
	}
	if check.Errno("fromfd/listener", sys.Fromfd("listener", &fd)) {
		var c int32
		check.Must("rcvtimeo", setTimeout(fd, abi.SO_RCVTIMEO, 10*time.Second))
		e := sys.Accept(fd, 0, &c, nil)
		if check.Errno("accept/granted-listener", e) {
			l, e := readline(c, buf)
			check.That("read/granted-accepted", e == 0 && l == "queued\n", "readline: %s %q", check.Name(e), l)
			writeAll("write", c, []byte("accepted\n"))
			sys.Close(c)
		}
		sys.Close(fd)
	}
	check.Errno("fromfd/enoent", sys.Fromfd("missing", &fd), abi.ENOENT)
}
