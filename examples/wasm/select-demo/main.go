// Command select-demo shows ptsevent.Select, the host-side select(2): it
// connects to every server given as an argument, sends each the same
// request line, then waits for all of their descriptors at once and
// prints the answers in the order they arrive, so the fastest server is
// named first.
//
// One goroutine, no threads: Select is one host call that suspends the
// instance until at least one descriptor is readable (or the timeout
// passes); other guests run meanwhile. It is the seed's select.select,
// for any number of descriptors (ptsevent.Poll is the poll(2) form).
//
//	make wasm build
//	bin/ptsevent run --allow-connect '127.0.0.1:*' build/wasm/select-demo.wasm -- 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003
//
// Output:
//
//	connected to 3 servers
//	answer 1 from 127.0.0.1:7002: pong from b
//	answer 2 from 127.0.0.1:7001: pong from a
//	answer 3 from 127.0.0.1:7003: (closed without an answer)
//
// Flags: -send LINE (what to send, default "ping"), -timeout D (how long
// to wait for all answers, default 10s; exit status 1 if some did not
// answer in time). The guest needs a connect grant (--allow-connect).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	send := flag.String("send", "ping", "the request `LINE` to send to every server")
	timeout := flag.Duration("timeout", 10*time.Second, "wait at most `D` for all answers")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: select-demo [-send LINE] [-timeout D] HOST:PORT...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(0)
	log.SetPrefix("select-demo: ")

	// Connect to every server and send the request. pending maps each
	// socket's descriptor to its connection while its answer is awaited.
	pending := map[ptsevent.Fd]*ptsevent.Conn{}
	for _, addr := range flag.Args() {
		c, err := ptsevent.Dial("tcp", addr)
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, *send+"\n"); err != nil {
			log.Fatal(err)
		}
		pending[c.Fd()] = c
	}
	fmt.Printf("connected to %d servers\n", len(pending))

	deadline := time.Now().Add(*timeout)
	answered := 0
	buf := make([]byte, 4096)
	for len(pending) > 0 {
		fds := make([]ptsevent.Fd, 0, len(pending))
		for fd := range pending {
			fds = append(fds, fd)
		}
		// Wait until some socket is readable: one host call for all.
		ready, _, err := ptsevent.Select(fds, nil, time.Until(deadline))
		if err != nil {
			log.Fatal(err)
		}
		if len(ready) == 0 { // the timeout passed
			for _, c := range pending {
				fmt.Printf("no answer from %s\n", c.RemoteAddr())
			}
			os.Exit(1)
		}
		for _, fd := range ready {
			c := pending[fd]
			delete(pending, fd)
			answered++
			// The socket is readable, so this Read returns at once: data,
			// end of stream, or the error that made it ready.
			n, err := c.Read(buf)
			var answer string
			switch {
			case err == nil:
				answer = strings.TrimRight(string(buf[:n]), "\r\n")
			case errors.Is(err, io.EOF):
				answer = "(closed without an answer)"
			default:
				answer = "(" + err.Error() + ")"
			}
			fmt.Printf("answer %d from %s: %s\n", answered, c.RemoteAddr(), answer)
		}
	}
}
