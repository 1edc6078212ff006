//go:build wasip1

// Command files is the test guest of open and fromfd (host/file_test.go),
// written with the Go guest SDK (guest-sdk/go). os.Args[1] names a
// scenario, the other arguments are its parameters; it prints one line per
// step, "name: result", where a result is "ok ..." or an errno's name, and
// ends with "done". A line "opened" (or "opening") tells the test the
// guest holds (or is about to open) its descriptor.
//
//	rw DIR            create, write, append, truncate and read files in DIR
//	                  (a guest path); relative paths; EEXIST, ENOENT, EISDIR
//	readonly DIR      writes under a read-only mount: EROFS; reads work
//	open PATH...      open each path read-only: its content or the errno
//	fifo PATH         open a FIFO O_NONBLOCK, poll and read it to EOF
//	fifoblock PATH    open a FIFO blocking (waits for the writer), read to EOF
//	devices           /dev/null and /dev/zero
//	fromfd NAME       adopt the listening socket NAME, serve one connection
//	fromfdbad NAME    fromfd of an unknown name
//	unlink PATH...    unlink each path: ok or the errno
//	unixlisten PATH   listen on the unix socket PATH, then close the
//	                  listener (which removes the socket file)
//	unixkeep PATH     the same with SetUnlinkOnClose(false)
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: files SCENARIO ARGS...")
		os.Exit(2)
	}
	args := os.Args[2:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch os.Args[1] {
	case "rw":
		readWrite(arg(0))
	case "readonly":
		readOnly(arg(0))
	case "open":
		for _, p := range args {
			s, err := readFile(p)
			step(p, err, s)
		}
	case "fifo":
		fifo(arg(0))
	case "fifoblock":
		fifoBlock(arg(0))
	case "devices":
		devices()
	case "fromfd":
		fromfdServe(arg(0))
	case "unlink":
		for _, p := range args {
			step(p, ptsevent.Unlink(p))
		}
	case "unixlisten", "unixkeep":
		ln, err := ptsevent.Listen("unix", arg(0))
		step("listen", err)
		if err == nil {
			if os.Args[1] == "unixkeep" {
				ln.SetUnlinkOnClose(false)
			}
			step("close", ln.Close())
		}
	case "fromfdbad":
		_, err := ptsevent.FromFD(arg(0))
		step("fromfd", err)
	default:
		fmt.Println("unknown scenario", os.Args[1])
		os.Exit(2)
	}
	fmt.Println("done")
}

// errName returns the name of the errno in err ("EOF" for io.EOF).
func errName(err error) string {
	var e ptsevent.Errno
	switch {
	case errors.As(err, &e):
		return e.Name()
	case err == io.EOF:
		return "EOF"
	}
	return err.Error()
}

// step prints "name: ok detail" or "name: ERRNO".
func step(name string, err error, detail ...any) {
	if err != nil {
		fmt.Printf("%s: %s\n", name, errName(err))
		return
	}
	if len(detail) == 0 {
		fmt.Printf("%s: ok\n", name)
		return
	}
	fmt.Printf("%s: ok %s\n", name, fmt.Sprint(detail...))
}

func must(name string, err error, detail ...any) {
	step(name, err, detail...)
	if err != nil {
		os.Exit(1)
	}
}

func writeFile(path string, flags int, data string) error {
	f, err := ptsevent.Open(path, flags, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(data)
	return err
}

func readFile(path string) (string, error) {
	f, err := ptsevent.Open(path, abi.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

func readWrite(dir string) {
	f := dir + "/f.txt"
	must("create", writeFile(f, abi.O_WRONLY|abi.O_CREAT|abi.O_TRUNC, "hello\n"))
	must("append", writeFile(f, abi.O_WRONLY|abi.O_APPEND, "world\n"))
	s, err := readFile(f)
	must("read", err, fmt.Sprintf("%q", s))
	step("excl", writeFile(f, abi.O_WRONLY|abi.O_CREAT|abi.O_EXCL, "x"))
	must("trunc", writeFile(f, abi.O_WRONLY|abi.O_TRUNC, "new"))
	s, err = readFile(f)
	step("after trunc", err, fmt.Sprintf("%q", s))
	rw, err := ptsevent.Open(f, abi.O_RDWR, 0)
	must("rdwr", err)
	n, err := rw.Write([]byte("NE"))
	step("rdwr write", err, n)
	buf := make([]byte, 8)
	n, err = rw.Read(buf)
	step("rdwr read", err, fmt.Sprintf("%q", buf[:n]))
	rw.Close()
	s, err = readFile("f.txt") // relative: the first mount
	step("relative", err, fmt.Sprintf("%q", s))
	s, err = readFile(dir + "/./sub/../f.txt")
	step("dots inside", err, fmt.Sprintf("%q", s))
	_, err = readFile(dir + "/missing")
	step("missing", err)
	_, err = ptsevent.Open(dir, abi.O_RDONLY, 0)
	step("directory", err)
	d, err := ptsevent.Open(dir, abi.O_RDONLY|abi.O_DIRECTORY, 0)
	step("directory O_DIRECTORY", err)
	if err == nil {
		d.Close()
	}
	_, err = ptsevent.Open(f, abi.O_RDONLY|abi.O_DIRECTORY, 0)
	step("file O_DIRECTORY", err)
	_, err = ptsevent.Open(f, 0x40000000, 0)
	step("bad flags", err)
	_, err = ptsevent.Open("", abi.O_RDONLY, 0)
	step("empty path", err)
	_, err = ptsevent.Open("/nowhere/x", abi.O_RDONLY, 0)
	step("outside mounts", err)
	// A regular file is always ready.
	rf, err := ptsevent.Open(f, abi.O_RDONLY|abi.O_NONBLOCK, 0)
	must("open nonblock", err)
	fds := []ptsevent.PollFd{{Fd: rf.Fd(), Events: abi.POLLIN | abi.POLLOUT}}
	_, err = ptsevent.Poll(fds, 0)
	step("poll file", err, fds[0].Revents&(abi.POLLIN|abi.POLLOUT) == abi.POLLIN|abi.POLLOUT)
	rf.Close()
}

func readOnly(dir string) {
	f := dir + "/ro.txt"
	s, err := readFile(f)
	step("read", err, fmt.Sprintf("%q", s))
	_, err = ptsevent.Open(f, abi.O_WRONLY, 0)
	step("write", err)
	_, err = ptsevent.Open(f, abi.O_RDWR, 0)
	step("rdwr", err)
	_, err = ptsevent.Open(dir+"/new.txt", abi.O_RDONLY|abi.O_CREAT, 0o644)
	step("create", err)
	_, err = ptsevent.Open(f, abi.O_RDONLY|abi.O_TRUNC, 0)
	step("trunc", err)
}

func fifo(path string) {
	f, err := ptsevent.Open(path, abi.O_RDONLY|abi.O_NONBLOCK, 0)
	must("open", err)
	fmt.Println("opened")
	var got []byte
	buf := make([]byte, 64)
	for {
		// A FIFO whose writer has not come yet reads as end of file:
		// wait for data (or the hang-up) first.
		fds := []ptsevent.PollFd{{Fd: f.Fd(), Events: abi.POLLIN}}
		if n, err := ptsevent.Poll(fds, 20*time.Second); err != nil || n == 0 {
			step("poll", err, n)
			break
		}
		n, err := f.Read(buf)
		if errors.Is(err, abi.EAGAIN) {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			step("read", err)
			break
		}
		got = append(got, buf[:n]...)
	}
	step("fifo", nil, fmt.Sprintf("%q", got))
	_, err = f.Read(buf)
	step("read after EOF", err)
	f.Close()
	_, err = ptsevent.Open(path, abi.O_WRONLY|abi.O_NONBLOCK, 0)
	step("open writer without reader", err)
}

func fifoBlock(path string) {
	fmt.Println("opening")
	f, err := ptsevent.Open(path, abi.O_RDONLY, 0)
	must("open", err)
	data, err := io.ReadAll(f)
	step("fifo", err, fmt.Sprintf("%q", data))
	f.Close()
}

func devices() {
	null, err := ptsevent.Open("/dev/null", abi.O_RDWR, 0)
	must("open null", err)
	n, err := null.Write([]byte("discarded"))
	step("write null", err, n)
	buf := make([]byte, 16)
	_, err = null.Read(buf)
	step("read null", err)
	fds := []ptsevent.PollFd{{Fd: null.Fd(), Events: abi.POLLIN | abi.POLLOUT}}
	_, err = ptsevent.Poll(fds, 0)
	step("poll null", err, fds[0].Revents&(abi.POLLIN|abi.POLLOUT) == abi.POLLIN|abi.POLLOUT)
	null.Close()
	zero, err := ptsevent.Open("/dev/zero", abi.O_RDONLY|abi.O_NONBLOCK, 0)
	must("open zero", err)
	for i := range buf {
		buf[i] = 0xff
	}
	n, err = zero.Read(buf)
	allZero := true
	for _, b := range buf[:n] {
		allZero = allZero && b == 0
	}
	step("read zero", err, n, " ", allZero)
	zero.Close()
}

func fromfdServe(name string) {
	ln, err := ptsevent.FileListener(name)
	must("fromfd", err)
	fmt.Println("opened")
	c, err := ln.AcceptConn()
	must("accept", err)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	must("read", err, string(buf[:n]))
	_, err = c.Write(append([]byte("echo:"), buf[:n]...))
	must("write", err)
	c.Close()
	ln.Close()
}
