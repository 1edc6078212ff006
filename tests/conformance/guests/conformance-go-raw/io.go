//go:build wasip1

package main

import (
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// meta: abi_version.
func meta([]string) {
	v := sys.ABIVersion()
	check.That("abi_version/major", v>>16 == abi.Version, "abi_version %#x, want major %d", v, abi.Version)
	check.That("abi_version/minor", v&0xffff >= abi.VersionMinor, "abi_version %#x, want minor >= %d", v, abi.VersionMinor)
}

// iovecs builds a pts_iovec array over bufs (the guest addresses of their
// first bytes).
func iovecs(bufs ...[]byte) []sys.Iovec {
	out := make([]sys.Iovec, len(bufs))
	for i, b := range bufs {
		out[i] = sys.Iovec{Len: uint32(len(b))}
		if len(b) > 0 {
			out[i].Buf = uint32(uintptr(unsafe.Pointer(&b[0])))
		}
	}
	return out
}

// pipe: pipe, read, write, readv, writev, set_nonblock, close, EOF, EPIPE.
func pipeScenario([]string) {
	r, w := pipe("pipe/create", 0)
	check.That("pipe/numbers", r >= 3 && w >= 3 && r != w, "fds %d %d", r, w)
	n, e := write(w, []byte("hello"))
	check.That("write/pipe", e == 0 && n == 5, "write: %s %d", check.Name(e), n)
	buf := make([]byte, 64)
	n, e = read(r, buf)
	check.That("read/pipe", e == 0 && string(buf[:n]) == "hello", "read: %s %q", check.Name(e), buf[:n])

	// Non-blocking: set_nonblock, and the O_NONBLOCK flag.
	check.Errno("set_nonblock/on", sys.SetNonblock(r, 1))
	_, e = read(r, buf)
	check.Errno("read/eagain", e, abi.EAGAIN)
	check.Errno("set_nonblock/off", sys.SetNonblock(r, 0))
	write(w, []byte("x"))
	n, e = read(r, buf)
	check.That("read/blocking-again", e == 0 && n == 1, "read: %s %d", check.Name(e), n)
	nr, nw := pipe("pipe/nonblock", abi.O_NONBLOCK)
	_, e = read(nr, buf)
	check.Errno("pipe/o_nonblock", e, abi.EAGAIN)

	// Gather and scatter.
	a, b, c := []byte("ab"), []byte("cd"), []byte("ef")
	iov := iovecs(a, b, c)
	var cnt uint32
	e = sys.Writev(w, &iov[0], 3, &cnt)
	check.That("writev/pipe", e == 0 && cnt == 6, "writev: %s %d", check.Name(e), cnt)
	x, y, z := make([]byte, 2), make([]byte, 1), make([]byte, 10)
	iov = iovecs(x, y, z)
	e = sys.Readv(r, &iov[0], 3, &cnt)
	check.That("readv/pipe", e == 0 && cnt == 6 && string(x) == "ab" && string(y) == "c" && string(z[:3]) == "def",
		"readv: %s %d %q %q %q", check.Name(e), cnt, x, y, z)
	many := make([]sys.Iovec, abi.MaxIovecs+1)
	for i := range many {
		many[i] = iovecs(x)[0]
	}
	check.Errno("readv/too-many", sys.Readv(r, &many[0], int32(len(many)), &cnt), abi.EINVAL)
	check.Errno("writev/too-many", sys.Writev(w, &many[0], int32(len(many)), &cnt), abi.EINVAL)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	runtime.KeepAlive(x)
	runtime.KeepAlive(y)
	runtime.KeepAlive(z)

	// A full non-blocking pipe: EAGAIN, poll says not writable, then
	// writable once drained.
	check.Errno("set_nonblock/write-end", sys.SetNonblock(w, 1))
	chunk := make([]byte, 16<<10)
	total := 0
	for total < 64<<20 {
		n, e = write(w, chunk)
		total += n
		if e != 0 {
			break
		}
	}
	check.That("write/eagain", e == uint32(abi.EAGAIN) && total > 0, "after %d bytes: %s", total, check.Name(e))
	rev, ready, e := pollOne(w, abi.POLLOUT, 0)
	check.That("poll/full-pipe", e == 0 && ready == 0 && rev == 0, "poll: %s %d %#x", check.Name(e), ready, rev)
	drained := 0
	for drained < total {
		n, e = read(r, chunk)
		if e != 0 {
			break
		}
		drained += n
	}
	check.That("read/drain", drained == total, "drained %d of %d: %s", drained, total, check.Name(e))
	rev, ready, e = pollOne(w, abi.POLLOUT, time.Second)
	check.That("poll/writable-again", e == 0 && ready == 1 && rev&abi.POLLOUT != 0, "poll: %s %d %#x", check.Name(e), ready, rev)

	// End of stream, hang-up and broken pipe.
	check.Errno("close/pipe-writer", sys.Close(w))
	rev, _, _ = pollOne(r, abi.POLLIN, time.Second)
	check.That("poll/hup", rev&(abi.POLLHUP|abi.POLLIN) != 0, "revents %#x", rev)
	n, e = read(r, buf)
	check.That("read/eof", e == 0 && n == 0, "read: %s %d", check.Name(e), n)
	check.Errno("close/again", sys.Close(w), abi.EBADF)
	_, e = read(w, buf)
	check.Errno("read/closed", e, abi.EBADF)
	check.Errno("set_nonblock/closed", sys.SetNonblock(w, 1), abi.EBADF)
	sys.Close(r)
	r2, w2 := pipe("pipe/second", 0)
	check.That("pipe/reuses-numbers", r2 == min(r, w), "new fds %d %d, want the lowest free %d", r2, w2, min(r, w))
	sys.Close(r2)
	_, e = write(w2, []byte("x"))
	check.Errno("write/epipe", e, abi.EPIPE)
	sys.Close(w2)
	sys.Close(nr)
	sys.Close(nw)
}

// readline: the host-side line buffer.
func readlineScenario([]string) {
	// read drains what readline buffered; poll sees the buffered bytes.
	buf := make([]byte, 64)
	r, w := pipe("pipe", 0)
	writeAll("write", w, []byte("head\nb\nbody"))
	s, e := readline(r, buf)
	check.That("readline/first", e == 0 && s == "head\n", "readline: %s %q", check.Name(e), s)
	rev, n, e := pollOne(r, abi.POLLIN, 0)
	check.That("poll/buffered-line", e == 0 && n == 1 && rev&abi.POLLIN != 0, "poll: %s %d %#x", check.Name(e), n, rev)
	k, e := read(r, buf)
	check.That("read/after-readline", e == 0 && string(buf[:k]) == "b\nbody", "read: %s %q", check.Name(e), buf[:k])
	check.Errno("readline/nonblock-set", sys.SetNonblock(r, 1))
	_, e = readline(r, buf)
	check.Errno("readline/eagain", e, abi.EAGAIN)
	sys.Close(r)
	_, e = readline(r, buf)
	check.Errno("readline/closed", e, abi.EBADF)
	sys.Close(w)

	// Lines, a line longer than the buffer, and the last line without
	// '\n' at the end of the stream.
	r, w = pipe("pipe2", 0)
	long := strings.Repeat("L", 100) + "\n"
	writeAll("write", w, []byte("one\ntwo\n"+long))
	var got []string
	for range 4 {
		s, e := readline(r, buf)
		if e != 0 {
			check.Failf("readline/lines", "readline: %s", check.Name(e))
			break
		}
		got = append(got, s)
	}
	want := []string{"one\n", "two\n", long[:64], long[64:]}
	check.That("readline/lines", strings.Join(got, "|") == strings.Join(want, "|"), "got %q", got)
	writeAll("write", w, []byte("last"))
	sys.Close(w)
	check.Line("readline: the last line, then the end of the stream")
	s, e = readline(r, buf)
	check.That("readline/last-partial-line", e == 0 && s == "last", "readline: %s %q", check.Name(e), s)
	s, e = readline(r, buf)
	check.That("readline/eof", e == 0 && s == "", "after the end: %s %q", check.Name(e), s)
	sys.Close(r)
}

// eof: reading to the end of a stream whose writer is gone, after a read
// that took less than the buffer (the bytes and the hang-up arrived
// together).
func eofScenario([]string) {
	buf := make([]byte, 64)
	r, w := pipe("pipe", 0)
	write(w, []byte("abc"))
	sys.Close(w)
	n, e := read(r, buf)
	check.That("read/before-eof", e == 0 && n == 3, "read: %s %d", check.Name(e), n)
	check.Line("pipe: reading at the end of the stream")
	n, e = read(r, buf)
	check.That("read/eof-after-short-read", e == 0 && n == 0, "read: %s %d", check.Name(e), n)
	sys.Close(r)

	var p [2]int32
	check.Must("socketpair", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, &p))
	send(p[1], []byte("xyz"), 0)
	sys.Close(p[1])
	n, e = recv(p[0], buf, 0)
	check.That("recv/before-eof", e == 0 && n == 3, "recv: %s %d", check.Name(e), n)
	check.Line("socketpair: receiving at the end of the stream")
	n, e = recv(p[0], buf, 0)
	check.That("recv/eof-after-short-read", e == 0 && n == 0, "recv: %s %d", check.Name(e), n)
	sys.Close(p[0])
}

// fds: the descriptor table's numbering and limit (the case sets
// MaxDescriptors to 16).
func fds([]string) {
	ln, local := listen("listener", "127.0.0.1:0", 0)
	cl := mustSocket("client", abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK)
	check.Errno("connect/nonblocking", sys.Connect(cl, local), abi.EINPROGRESS, 0)

	a, b := pipe("pipe", 0)
	check.Errno("close/first", sys.Close(a))
	s := mustSocket("socket", abi.AF_INET, abi.SOCK_STREAM)
	check.That("fds/lowest-free", s == a, "socket got %d, the lowest free number is %d", s, a)

	var held []int32
	held = append(held, b, s)
	var e uint32
	for range 64 {
		var p [2]int32
		if e = sys.Pipe(0, &p); e != 0 {
			break
		}
		held = append(held, p[0], p[1])
	}
	check.Errno("pipe/emfile", e, abi.EMFILE)
	for range 64 {
		var fd int32
		if e = sys.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0, &fd); e != 0 {
			break
		}
		held = append(held, fd)
	}
	check.Errno("socket/emfile", e, abi.EMFILE)
	check.That("fds/limit", len(held)+2 <= 16, "%d descriptors open with a limit of 16", len(held)+2)
	var pair [2]int32
	check.Errno("socketpair/emfile", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, &pair), abi.EMFILE)
	var p [2]int32
	check.Errno("pipe/emfile-full", sys.Pipe(0, &p), abi.EMFILE)
	var nfd int32
	check.Errno("accept/emfile", sys.Accept(ln, abi.SOCK_NONBLOCK, &nfd, nil), abi.EMFILE, abi.EAGAIN)
	var ofd int32
	check.Errno("open/emfile", sys.Open("/data/in.txt", abi.O_RDONLY, 0, &ofd), abi.EMFILE)

	// One free slot: a pipe (two descriptors) still fails and leaks
	// nothing, a socket fits.
	freed := held[len(held)-1]
	check.Errno("close/one", sys.Close(freed))
	check.Errno("pipe/one-slot", sys.Pipe(0, &p), abi.EMFILE)
	fd, e := socket(abi.AF_INET, abi.SOCK_STREAM)
	check.That("fds/reuse", e == 0 && fd == freed, "socket: %s %d, want %d", check.Name(e), fd, freed)
	sys.Close(fd)
	rev, _, _ := pollOne(ln, abi.POLLIN, 5*time.Second)
	sys.SetNonblock(ln, 1)
	e = sys.Accept(ln, 0, &nfd, nil)
	check.That("accept/after-close", e == 0 && nfd == freed, "accept: %s %d (poll %#x)", check.Name(e), nfd, rev)
	for _, fd := range held[:len(held)-1] {
		sys.Close(fd)
	}
	sys.Close(nfd)
	sys.Close(cl)
	sys.Close(ln)
}

// poll: many descriptors, timeouts, POLLNVAL, negative descriptors.
func pollScenario([]string) {
	const npipes = 200
	rs := make([]int32, npipes)
	ws := make([]int32, npipes)
	for i := range rs {
		rs[i], ws[i] = pipe("pipe", 0)
	}
	pfds := make([]sys.PollFd, npipes)
	reset := func(fdsOf []int32, events uint16) {
		for i := range pfds {
			pfds[i] = sys.PollFd{Fd: fdsOf[i], Events: events}
		}
	}
	var n uint32
	reset(rs, abi.POLLIN)
	e := sys.Poll(&pfds[0], npipes, 0, &n)
	check.That("poll/none-ready", e == 0 && n == 0, "poll: %s %d", check.Name(e), n)

	ready := []int{7, 99, 150}
	for _, i := range ready {
		write(ws[i], []byte("!"))
	}
	reset(rs, abi.POLLIN)
	e = sys.Poll(&pfds[0], npipes, -1, &n)
	var got []int
	for i, p := range pfds {
		if p.Revents != 0 {
			got = append(got, i)
		}
	}
	check.That("poll/many", e == 0 && n == 3 && len(got) == 3 && got[0] == 7 && got[1] == 99 && got[2] == 150,
		"poll: %s %d ready %v", check.Name(e), n, got)
	check.That("poll/revents", pfds[7].Revents == abi.POLLIN, "revents %#x, want POLLIN", pfds[7].Revents)

	reset(ws, abi.POLLOUT)
	e = sys.Poll(&pfds[0], npipes, 0, &n)
	check.That("poll/pollout", e == 0 && n == npipes, "poll: %s %d of %d writable", check.Name(e), n, npipes)

	// A negative descriptor is ignored; a closed one is POLLNVAL.
	sys.Close(ws[0])
	sys.Close(rs[1])
	mix := []sys.PollFd{
		{Fd: -1, Events: abi.POLLIN},
		{Fd: rs[1], Events: abi.POLLIN},
		{Fd: rs[0], Events: abi.POLLIN},
		{Fd: rs[7], Events: abi.POLLIN},
	}
	e = sys.Poll(&mix[0], int32(len(mix)), 0, &n)
	check.That("poll/negative-fd", e == 0 && mix[0].Revents == 0, "poll: %s revents %#x", check.Name(e), mix[0].Revents)
	check.That("poll/pollnval", mix[1].Revents&abi.POLLNVAL != 0, "revents of a closed descriptor %#x", mix[1].Revents)
	check.That("poll/pollhup", mix[2].Revents&abi.POLLHUP != 0, "revents after the writer closed %#x", mix[2].Revents)
	check.That("poll/count", e == 0 && n == 3, "nready %d, want 3", n)

	// Timeouts.
	start := time.Now()
	_, k, e := pollOne(rs[2], abi.POLLIN, 100*time.Millisecond)
	check.That("poll/timeout", e == 0 && k == 0 && within(start, 100*time.Millisecond, 5*time.Second),
		"poll: %s %d after %v", check.Name(e), k, time.Since(start))
	start = time.Now()
	e = sys.Poll(nil, 0, int64(30*time.Millisecond), &n)
	check.That("poll/no-fds", e == 0 && n == 0 && within(start, 30*time.Millisecond, 5*time.Second),
		"poll: %s %d after %v", check.Name(e), n, time.Since(start))
	big := make([]sys.PollFd, abi.MaxPollFds+1)
	for i := range big {
		big[i].Fd = -1
	}
	check.Errno("poll/too-many", sys.Poll(&big[0], int32(len(big)), 0, &n), abi.EINVAL)
	check.Errno("poll/negative-nfds", sys.Poll(&big[0], -1, 0, &n), abi.EINVAL)

	// Sockets and pipes in one poll: a socketpair end becomes readable.
	var sp [2]int32
	check.Must("socketpair", sys.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0, &sp))
	send(sp[1], []byte("s"), 0)
	mix = []sys.PollFd{{Fd: rs[3], Events: abi.POLLIN}, {Fd: sp[0], Events: abi.POLLIN}, {Fd: ws[3], Events: abi.POLLOUT}}
	e = sys.Poll(&mix[0], 3, -1, &n)
	check.That("poll/mixed", e == 0 && n == 2 && mix[0].Revents == 0 && mix[1].Revents&abi.POLLIN != 0 && mix[2].Revents&abi.POLLOUT != 0,
		"poll: %s %d %#x %#x %#x", check.Name(e), n, mix[0].Revents, mix[1].Revents, mix[2].Revents)
	for i := range rs {
		sys.Close(rs[i])
		sys.Close(ws[i])
	}
	sys.Close(sp[0])
	sys.Close(sp[1])
}

// sleep: the sleep import.
func sleepScenario([]string) {
	start := time.Now()
	check.Errno("sleep/ok", sys.Sleep(int64(50*time.Millisecond)))
	check.That("sleep/duration", within(start, 50*time.Millisecond, 5*time.Second), "slept %v for 50ms", time.Since(start))
	check.Errno("sleep/zero", sys.Sleep(0))
	check.Errno("sleep/negative", sys.Sleep(-1), abi.EINVAL)
}

// deadline: the runner's deadline must stop a guest suspended in sleep.
func deadline([]string) {
	check.OK("deadline/sleeping")
	sys.Sleep(int64(60 * time.Second))
	check.Failf("deadline/stopped", "the guest slept 60s past its deadline")
}
