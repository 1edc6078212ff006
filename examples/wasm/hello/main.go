// Command hello is the example gateway app: a standard Go net/http handler
// compiled to WebAssembly and served by ptsevent's HTTP/1.1 server.
//
//	make wasm                     # build/wasm/hello.wasm (-buildmode=c-shared, from build.flags)
//	ptsevent serve build/wasm/hello.wasm --listen 127.0.0.1:8080
//
//	curl http://127.0.0.1:8080/                 # Hello, World!
//	curl -d 'some text' http://127.0.0.1:8080/echo
//	curl http://127.0.0.1:8080/env              # a few environ values
//	curl 'http://127.0.0.1:8080/sleep?ms=500'   # suspends only this request
//
// The app is a reactor: its init registers the handler with gateway.Serve,
// main never runs, and the host calls the exported pts_handle once per
// request. examples/wasm/hello-c-app is the same app in C.
package main

import (
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"

	"github.com/ptsevent/ptsevent/examples/wasm/internal/helloapp"
)

// The routes are in examples/wasm/internal/helloapp, shared with
// hello-sched. ptsevent.Sleep suspends this request's call only.
func init() { gateway.Serve(helloapp.Mux(ptsevent.Sleep)) }

func main() {}
