//go:build wasip1

// Command tls is the test guest of the TLS imports (host/tls_test.go),
// written with the Go guest SDK. Its first argument is the mode; it prints
// one result line, "ok ..." or "err ERRNO" (the errno's name), after
// progress lines of its own:
//
//	client ADDR NAME [insecure]  dial ADDR, TLS client for NAME; send
//	                             "hello from guest\n", print the reply line
//	goroutines ADDR NAME         client with a second goroutine alive, so
//	                             the SDK makes the descriptor non-blocking
//	                             and waits with poll
//	big ADDR NAME SIZE           dial, TLS client; write SIZE bytes of the
//	                             up pattern, then read SIZE bytes; print
//	                             their SHA-256
//	server SIZE                  listen on 127.0.0.1:0 (prints "listening
//	                             ADDR"), accept one connection, TLS server;
//	                             echo one line, read SIZE bytes, write SIZE
//	                             bytes of the down pattern; print the SHA-256
//	                             of what it read
//	nonblock ADDR NAME           dial, make the descriptor non-blocking,
//	                             TLS client: send a line and read the reply
//	                             with EAGAIN and poll; print the EAGAIN count
//	noserver ADDR                dial, tls_server (the host has no server
//	                             configuration)
//
// The patterns are the test's tlsPattern with seeds 0x5a (up) and 0xa5
// (down).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: tls MODE ARGS"))
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "client":
		err = client(args[0], args[1], len(args) > 2 && args[2] == "insecure")
	case "goroutines":
		stop := make(chan struct{})
		go func() { <-stop }()
		err = client(args[0], args[1], false)
		close(stop)
	case "big":
		err = big(args[0], args[1], atoi(args[2]))
	case "server":
		err = server(atoi(args[0]))
	case "nonblock":
		err = nonblock(args[0], args[1])
	case "noserver":
		var c *ptsevent.Conn
		if c, err = ptsevent.Dial("tcp", args[0]); err == nil {
			if err = ptsevent.TLSServer(c); err == nil {
				fmt.Println("ok")
			}
			c.Close()
		}
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

// fail prints "err ERRNO" for an import's errno, else the error.
func fail(err error) {
	var e ptsevent.Errno
	if errors.As(err, &e) {
		fmt.Println("err", e.Name())
	} else {
		fmt.Println("err", err)
	}
	os.Exit(1)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err)
	}
	return n
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i>>9) ^ seed
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func dialTLS(addr, name string, insecure bool) (*ptsevent.Conn, error) {
	c, err := ptsevent.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := ptsevent.TLSClient(c, name, insecure); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func client(addr, name string, insecure bool) error {
	c, err := dialTLS(addr, name, insecure)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello from guest\n")); err != nil {
		return err
	}
	line, err := c.LineReader(0).ReadLine()
	if err != nil {
		return err
	}
	fmt.Printf("ok %s\n", strings.TrimSpace(string(line)))
	return nil
}

func big(addr, name string, size int) error {
	c, err := dialTLS(addr, name, false)
	if err != nil {
		return err
	}
	defer c.Close()
	smallBuffers(c)
	if n, err := c.Write(pattern(size, 0x5a)); err != nil {
		return fmt.Errorf("write after %d bytes: %w", n, err)
	}
	got := make([]byte, size)
	if n, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read after %d bytes: %w", n, err)
	}
	fmt.Println("ok", sum(got))
	return nil
}

// smallBuffers shrinks the socket's send buffer so that a large transfer
// fills it many times over. (Not the receive buffer: shrinking it on a
// connected TCP socket shrinks the window under the peer's feet, and the
// transfer crawls on zero-window probes.)
func smallBuffers(c *ptsevent.Conn) {
	c.SetWriteBuffer(16 << 10)
}

func server(size int) error {
	ln, err := ptsevent.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println("listening", ln.Addr())
	c, err := ln.AcceptConn()
	if err != nil {
		return err
	}
	defer c.Close()
	smallBuffers(c)
	if err := ptsevent.TLSServer(c); err != nil {
		return err
	}
	line, err := c.LineReader(0).ReadLine()
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("echo: " + string(line))); err != nil {
		return err
	}
	got := make([]byte, size)
	if n, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read after %d bytes: %w", n, err)
	}
	if n, err := c.Write(pattern(size, 0xa5)); err != nil {
		return fmt.Errorf("write after %d bytes: %w", n, err)
	}
	fmt.Println("ok", sum(got))
	return nil
}

// nonblock drives the descriptor by hand: tls_client on a non-blocking
// descriptor returns at once, and the handshake completes behind EAGAIN
// while the guest polls.
func nonblock(addr, name string) error {
	c, err := ptsevent.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	f := ptsevent.NewFile(c.Fd(), "conn") // a raw view; c owns the descriptor
	if err := f.SetNonblock(true); err != nil {
		return err
	}
	if err := ptsevent.TLSClient(c, name, false); err != nil {
		return err
	}
	eagains := 0
	waitFor := func(events uint16) error {
		eagains++
		fds := []ptsevent.PollFd{{Fd: c.Fd(), Events: events}}
		_, err := ptsevent.Poll(fds, -1)
		return err
	}
	msg := []byte("hello from a non-blocking guest\n")
	for len(msg) > 0 {
		n, err := f.Write(msg)
		msg = msg[n:]
		switch {
		case errors.Is(err, abi.EAGAIN):
			if err := waitFor(abi.POLLOUT); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
	var reply []byte
	buf := make([]byte, 256)
	for !strings.HasSuffix(string(reply), "\n") {
		n, err := f.Read(buf)
		reply = append(reply, buf[:n]...)
		switch {
		case errors.Is(err, abi.EAGAIN):
			if err := waitFor(abi.POLLIN); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
	fmt.Printf("ok eagain=%d %s\n", eagains, strings.TrimSpace(string(reply)))
	return nil
}
