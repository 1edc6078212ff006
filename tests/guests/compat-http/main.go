// Command compat-http is an unmodified Go net/http server for WASI
// preview 1: it serves on the listening socket preopened as descriptor 3
// (ptsevent run --listen, wazero run -listen) with net.FileListener. It
// uses nothing of ptsevent: the compat overlay makes its blocking calls
// suspensions on the host loop.
//
//	GET /hello/NAME   "hello NAME"
//	GET /stats        "conns=N requests=M": connections accepted, requests served
//	GET /sleep?d=50ms sleeps (a timer through poll_oneoff), then "slept"
//	GET /quit         replies, then stops the server; the program exits 0
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat-http: listener:", err)
		os.Exit(1)
	}
	var conns, requests atomic.Int64
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprintf(w, "hello %s", r.PathValue("name"))
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "conns=%d requests=%d", conns.Load(), requests.Load())
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		time.Sleep(d)
		fmt.Fprint(w, "slept")
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "bye")
		close(quit)
	})
	srv := &http.Server{
		Handler: mux,
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go func() {
		<-quit
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	fmt.Println("serving on", l.Addr().Network())
	if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "compat-http:", err)
		os.Exit(1)
	}
	fmt.Println("stopped")
}
