// Command fasthttp is the valyala/fasthttp peer of the benchmarks: a
// native hello-world server with the same response as the ptsevent
// example app: 200, text/plain, "Hello, World!\n".
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

var hello = []byte("Hello, World!\n")

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "listen on `ADDR`")
	flag.Parse()
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBody(hello)
	}
	log.Fatal(fasthttp.ListenAndServe(*addr, h))
}
