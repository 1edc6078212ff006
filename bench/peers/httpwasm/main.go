// Command httpwasm is the http-wasm peer of the benchmarks: Go net/http
// serving a guest through github.com/http-wasm/http-wasm-host-go's
// net/http middleware. The guest (bench/guests/httpwasm-hello, C) writes
// the response itself, so the next handler never runs.
//
// This directory is its own Go module with no requirements listed:
// bench/cmd/runbench copies it to a temporary directory and resolves
// http-wasm-host-go through the module proxy at run time (`go mod tidy`),
// so the bench module builds even where the proxy does not serve it, and
// the peer is reported missing with the proxy's answer.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"

	wasm "github.com/http-wasm/http-wasm-host-go/handler/nethttp"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "listen on `ADDR`")
	guestPath := flag.String("guest", "hello.wasm", "the http_handler guest `FILE`")
	flag.Parse()
	guest, err := os.ReadFile(*guestPath)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	mw, err := wasm.NewMiddleware(ctx, guest)
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx)
	h := mw.NewHandler(ctx, http.NotFoundHandler())
	log.Fatal(http.ListenAndServe(*addr, h))
}
