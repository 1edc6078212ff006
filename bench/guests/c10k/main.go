// Command c10k is the guest of the concurrency test: an unmodified Go
// net/http server (GOOS=wasip1, a scheduler guest) that serves the
// listening socket ptsevent preopens as descriptor 3:
//
//	GOOS=wasip1 GOARCH=wasm go build -o c10k.wasm ./bench/guests/c10k
//	ptsevent run --listen 127.0.0.1:8080 c10k.wasm
//
// Every connection is a goroutine parked in the Go runtime's netpoller,
// which on wasip1 is poll_oneoff: with the compat overlay one instance
// holds them all on one loop.
package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!\n")
	})
	srv := &http.Server{}
	log.Fatal(srv.Serve(ln))
}
