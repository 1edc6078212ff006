// Command nethttp is the Go net/http peer of the benchmarks: a native
// hello-world server with the same response as the ptsevent example app
// (examples/wasm/hello): 200, text/plain, "Hello, World!\n".
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "listen on `ADDR`")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!\n")
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
