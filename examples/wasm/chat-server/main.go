// Command chat-server is a line-based chat server: every line a client
// sends is broadcast to every other client, prefixed with the sender's
// name; clients are told when someone joins or leaves.
//
// Lines are read with the host's readline import (ptsevent's LineReader,
// the seed's line-buffered socket file): the host reads the socket in big
// chunks and hands out one complete line per call, so a line costs one
// host call however its bytes arrived. Each client has a reader goroutine
// (waiting for its next line) and a writer goroutine (sending what others
// said); the Go guest SDK parks whichever goroutines wait and waits for
// all of them with one host poll, so one instance serves every client.
//
//	make wasm build
//	bin/ptsevent run --allow-bind 127.0.0.1:7000 build/wasm/chat-server.wasm -- -addr 127.0.0.1:7000
//	# in two other terminals:
//	nc 127.0.0.1 7000
//
// A client first gets "welcome, you are NAME" (guest1, guest2, ...); the
// others then get "* NAME joined". A line "hi" from guest1 reaches the
// others as "guest1: hi"; "* guest1 left" follows its disconnection.
//
// Flags:
//
//	-addr HOST:PORT    address to listen on (port 0: the host picks one; it is printed)
//	-max-clients N     accept N clients, then exit 0 once all have left (0: serve forever)
//
// The guest needs a bind grant for its address (--allow-bind).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"sync"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

// maxLine bounds a chat line; a longer one reaches the others in pieces.
const maxLine = 4096

// client is one connected user.
type client struct {
	name string
	conn *ptsevent.Conn
	out  chan string // lines to send; the writer goroutine drains it
}

// room holds the connected clients.
type room struct {
	mu      sync.Mutex
	clients map[*client]bool
}

// broadcast queues line for every client but from (nil: everyone). A
// client too slow to keep up with its queue misses lines rather than
// stalling the room.
func (r *room) broadcast(from *client, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.clients {
		if c == from {
			continue
		}
		select {
		case c.out <- line:
		default:
			log.Printf("%s is too slow; dropped a line", c.name)
		}
	}
}

func (r *room) join(c *client) {
	r.mu.Lock()
	r.clients[c] = true
	r.mu.Unlock()
	r.broadcast(c, "* "+c.name+" joined\n")
}

func (r *room) leave(c *client) {
	r.mu.Lock()
	delete(r.clients, c)
	r.mu.Unlock()
	close(c.out) // ends c's writer
	r.broadcast(c, "* "+c.name+" left\n")
}

func main() {
	addr := flag.String("addr", "127.0.0.1:7000", "listen on `HOST:PORT`")
	maxClients := flag.Int("max-clients", 0, "accept `N` clients, exit once all have left (0: serve forever)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("chat-server: ")

	ln, err := ptsevent.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())

	r := &room{clients: map[*client]bool{}}
	var wg sync.WaitGroup
	for n := 1; *maxClients == 0 || n <= *maxClients; n++ {
		conn, err := ln.AcceptConn() // the *ptsevent.Conn, for LineReader
		if err != nil {
			log.Fatal(err)
		}
		c := &client{name: fmt.Sprintf("guest%d", n), conn: conn, out: make(chan string, 64)}
		fmt.Printf("%s connected from %s\n", c.name, conn.RemoteAddr())
		// The welcome line is queued before the client joins the room, so
		// it comes before anything the others say.
		c.out <- "welcome, you are " + c.name + "\n"
		r.join(c)
		wg.Add(2)
		go func() { defer wg.Done(); writer(c) }()
		go func() { defer wg.Done(); reader(r, c) }()
	}
	ln.Close()
	wg.Wait()
	fmt.Println("everyone left, bye")
}

// reader broadcasts each line c sends until c disconnects.
func reader(r *room, c *client) {
	lr := c.conn.LineReader(maxLine)
	for {
		// ReadLine is one host call per line; it waits (parking this
		// goroutine only) until a whole line or the end of the stream is
		// there.
		line, err := lr.ReadLine()
		if err != nil {
			if err != io.EOF {
				fmt.Printf("%s: %v\n", c.name, err)
			}
			break
		}
		msg := c.name + ": " + string(line)
		if line[len(line)-1] != '\n' { // a last line without '\n', or a piece of a long one
			msg += "\n"
		}
		r.broadcast(c, msg)
	}
	fmt.Printf("%s disconnected\n", c.name)
	r.leave(c)
}

// writer sends c's queued lines until leave closes the queue, then closes
// the connection.
func writer(c *client) {
	defer c.conn.Close()
	for line := range c.out {
		if _, err := io.WriteString(c.conn, line); err != nil {
			// The client is gone; its reader will notice. Drain the queue
			// so broadcasts never block on it.
			for range c.out {
			}
			return
		}
	}
}
