// Command gateway-handlerfunc is the smallest net/http app on the Go SDK's
// Serve: one http.HandlerFunc answering hello, no ServeMux. Beside
// examples/wasm/hello (the same answer through a ServeMux) and hello-ctx
// (through ServeCtx) in wsgi-host's BenchmarkGuestCall, it shows what the
// SDK's net/http mapping costs per request on its own.
package main

import (
	"io"
	"net/http"

	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
)

func init() {
	gateway.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!\n")
	}))
}

func main() {}
