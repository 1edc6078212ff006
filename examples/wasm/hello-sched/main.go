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
	"net/http"
	"time"

	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"

	"github.com/ptsevent/ptsevent/examples/wasm/internal/helloapp"
)

func main() {
	var b [8]byte
	rand.Read(b[:])
	instance := hex.EncodeToString(b[:])

	// The routes of examples/wasm/hello (internal/helloapp); time.Sleep
	// parks this goroutine only.
	mux := helloapp.Mux(time.Sleep)
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("hello-sched: /panic")
	})
	gateway.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", instance)
		mux.ServeHTTP(w, r)
	}))
}
