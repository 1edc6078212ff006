// Command hello-sched is the example gateway app in the scheduler style: a
// standard Go net/http handler in a WASI command whose main calls
// gateway.Serve. One instance per event loop serves every request on
// goroutines; a goroutine that waits (for a body, a slow client,
// time.Sleep) parks in the Go runtime, which waits for all of them at once
// in poll_oneoff, so thousands of slow requests need one instance, not
// thousands.
//
//	make wasm                     # build/wasm/hello-sched.wasm (a plain command)
//	ptsevent serve build/wasm/hello-sched.wasm --listen 127.0.0.1:8080
//
//	curl http://127.0.0.1:8080/                 # Hello, World!
//	curl -d 'some text' http://127.0.0.1:8080/echo
//	curl http://127.0.0.1:8080/env              # a few environ values
//	curl 'http://127.0.0.1:8080/sleep?ms=500'   # time.Sleep: parks this goroutine only
//	curl -i http://127.0.0.1:8080/panic         # 500; the instance serves on
//
// Every response carries X-Instance, a random id chosen when the instance
// started: the same on every response while one instance serves. The
// routes are those of examples/wasm/hello (the blocking-style reactor),
// plus /panic.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
)

func main() {
	var b [8]byte
	rand.Read(b[:])
	instance := hex.EncodeToString(b[:])

	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if _, err := io.Copy(w, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "method: %s\n", r.Method)
		fmt.Fprintf(w, "path: %s\n", r.URL.Path)
		fmt.Fprintf(w, "query: %s\n", r.URL.RawQuery)
		fmt.Fprintf(w, "proto: %s\n", r.Proto)
		fmt.Fprintf(w, "host: %s\n", r.Host)
		fmt.Fprintf(w, "remote: %s\n", r.RemoteAddr)
		fmt.Fprintf(w, "user-agent: %s\n", r.UserAgent())
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		if ms <= 0 {
			ms = 100
		}
		start := time.Now()
		time.Sleep(time.Duration(ms) * time.Millisecond) // parks this goroutine only
		fmt.Fprintf(w, "slept %v\n", time.Since(start).Round(time.Millisecond))
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("hello-sched: /panic")
	})
	gateway.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", instance)
		mux.ServeHTTP(w, r)
	}))
}
