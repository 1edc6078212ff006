// Command echo-server is a TCP echo server written in the blocking style:
// Listen, then Accept in a loop, and one goroutine per connection that
// copies what it reads back to the client. Every call that waits (Accept,
// Read, Write) suspends the guest inside the host, which runs other
// guests meanwhile; with several goroutines the Go guest SDK parks the
// waiting ones and waits for all of them with one host poll, so one
// instance serves many clients at once.
//
//	make wasm build
//	bin/ptsevent run --allow-bind 127.0.0.1:7000 build/wasm/echo-server.wasm -- -addr 127.0.0.1:7000
//	# in another terminal:
//	nc 127.0.0.1 7000
//
// Flags:
//
//	-addr HOST:PORT  address to listen on (port 0: the host picks one; it is printed)
//	-max-conns N     stop accepting after N connections, wait for them, exit 0 (0: serve forever)
//
// The guest needs a bind grant for its address (--allow-bind); without
// one Listen fails with EACCES ("permission denied").
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"sync"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7000", "listen on `HOST:PORT`")
	maxConns := flag.Int("max-conns", 0, "exit after serving `N` connections (0: serve forever)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("echo-server: ")

	// ptsevent.Listen replaces net.Listen: socket, bind, listen through the
	// host. The result is a net.Listener.
	ln, err := ptsevent.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The actual address (with the port the host chose for port 0); a
	// script or test waits for this line before connecting.
	fmt.Printf("listening on %s\n", ln.Addr())

	var wg sync.WaitGroup
	for n := 1; *maxConns == 0 || n <= *maxConns; n++ {
		// Accept suspends the guest until a client connects.
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("conn %d from %s\n", n, c.RemoteAddr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(n, c)
		}()
	}
	ln.Close()
	wg.Wait()
	fmt.Println("bye")
}

// serve echoes c until the client closes its side, then closes c.
func serve(n int, c net.Conn) {
	defer c.Close()
	// io.Copy calls c.Read and c.Write: each waits in the host when it
	// cannot finish at once, letting the other goroutines run.
	bytes, err := io.Copy(c, c)
	if err != nil {
		fmt.Printf("conn %d: %v\n", n, err)
		return
	}
	fmt.Printf("conn %d closed after %d bytes\n", n, bytes)
}
