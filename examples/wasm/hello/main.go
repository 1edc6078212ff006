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
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
)

func init() {
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
		ptsevent.Sleep(time.Duration(ms) * time.Millisecond) // suspends this request only
		fmt.Fprintf(w, "slept %v\n", time.Since(start).Round(time.Millisecond))
	})
	gateway.Serve(mux)
}

func main() {}
