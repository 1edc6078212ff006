// Package helloapp holds the routes the Go example apps share
// (examples/wasm/hello, a blocking-style reactor, and
// examples/wasm/hello-sched, a scheduler-style command): plain net/http
// handlers, unaware of the gateway that serves them.
package helloapp

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Mux returns the app's routes:
//
//	/             Hello, World!
//	/echo         the request body back, with its Content-Type
//	/env          a few request values
//	/sleep?ms=N   waits N ms (default 100) with sleep, then says how long
//
// sleep is how the app waits: ptsevent.Sleep in a reactor (it suspends the
// instance's call), time.Sleep in a command (it parks the goroutine).
func Mux(sleep func(time.Duration)) *http.ServeMux {
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
		sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "slept %v\n", time.Since(start).Round(time.Millisecond))
	})
	return mux
}
