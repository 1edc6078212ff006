// Command gateway-sched is a scheduler-style gateway app for the server's
// failure tests (wsgi-host): routes that end the instance in each way a
// guest can, next to ordinary ones.
//
//	/            the instance's id (random, chosen at start)
//	/sleep?ms=N  answers after N ms (time.Sleep)
//	/exit        exits the program with status 3
//	/trap        traps (an out-of-bounds memory access)
//	/spin        computes forever, never waiting
//	/head        sends the status and part of the body, then sleeps
//	/panic-late  sends the status and part of the body, then panics
//	/keep        keeps its ResponseWriter and body past its return
//	/use-kept    writes through the kept writer, reads the kept body and
//	             says what they answered
//
// With EXIT_AT_START=1 in its environment it exits before serving. With
// CTX=1 it serves on gateway.ServeCtx instead: / and /sleep as above,
// /echo, the body streamed back, and /panic, which panics.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
)

var sink byte

func main() {
	if os.Getenv("EXIT_AT_START") == "1" {
		fmt.Fprintln(os.Stderr, "gateway-sched: exiting at start")
		os.Exit(4)
	}
	var b [8]byte
	rand.Read(b[:])
	instance := hex.EncodeToString(b[:])
	if os.Getenv("CTX") == "1" {
		serveCtx(instance)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, instance)
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintln(w, instance)
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		os.Exit(3)
	})
	mux.HandleFunc("/trap", func(w http.ResponseWriter, r *http.Request) {
		addr := uintptr(0xfffffff0)
		sink = *(*byte)(unsafe.Add(unsafe.Pointer(nil), addr))
	})
	mux.HandleFunc("/spin", func(w http.ResponseWriter, r *http.Request) {
		for i := 1; i != 0; i++ { // 2^64 iterations: forever
			sink += byte(i)
		}
		fmt.Fprintln(w, sink)
	})
	mux.HandleFunc("/head", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		time.Sleep(time.Hour)
	})
	mux.HandleFunc("/panic-late", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("gateway-sched: /panic-late")
	})
	var keptW http.ResponseWriter
	var keptBody io.Reader
	mux.HandleFunc("/keep", func(w http.ResponseWriter, r *http.Request) {
		keptW, keptBody = w, r.Body
		fmt.Fprintln(w, "kept")
	})
	mux.HandleFunc("/use-kept", func(w http.ResponseWriter, r *http.Request) {
		_, werr := keptW.Write([]byte("leaked into another response\n"))
		n, rerr := keptBody.Read(make([]byte, 64))
		fmt.Fprintf(w, "write: %v\nread: %d %v\n", werr, n, rerr)
	})
	gateway.Serve(mux)
}

// serveCtx serves on the Ctx mapping: each request on its goroutine, its
// waits (the body, a slow client, time.Sleep) parked in the Go runtime.
func serveCtx(instance string) {
	gateway.ServeCtx(func(c *gateway.Ctx) {
		switch c.Path() {
		case "/":
			c.WriteString(instance + "\n")
		case "/sleep":
			q := c.Query()
			ms, _ := strconv.Atoi(q[len("ms="):])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			c.WriteString(instance + "\n")
		case "/echo":
			io.CopyBuffer(c, c, make([]byte, 32<<10))
		case "/panic":
			panic("gateway-sched: ctx /panic")
		default:
			c.SetStatus(404)
		}
	})
}
