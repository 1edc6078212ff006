// Command http-get fetches a URL with an unmodified net/http client and
// prints the response's status line and body. The only ptsevent-specific
// line is the Transport's DialContext (and DialTLSContext for https): the
// Go guest SDK's Dialer opens the connection through the host, resolving
// names with the host's resolver, and every read and write of the client
// then suspends the guest in the host instead of blocking it.
//
//	make wasm build
//	bin/ptsevent run --allow-connect 127.0.0.1:8080 build/wasm/http-get.wasm -- http://127.0.0.1:8080/
//	bin/ptsevent run --allow-dns --allow-connect '*:443' build/wasm/http-get.wasm -- https://example.com/
//
// Flags:
//
//	-timeout D   bound the whole request (default 30s)
//	-head        print the response headers too
//
// The guest needs a connect grant for the server (--allow-connect), and
// --allow-dns when the URL names a host instead of an IP address. https is
// done by the host (tls_client), verified against the host's roots, so the
// guest carries no certificates.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	timeout := flag.Duration("timeout", 30*time.Second, "bound the request to `D`")
	head := flag.Bool("head", false, "print the response headers")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: http-get [-timeout D] [-head] URL")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(0)
	log.SetPrefix("http-get: ")

	// An ordinary http.Client; only the way it dials is the host's.
	d := &ptsevent.Dialer{Timeout: *timeout}
	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			DialContext:    d.DialContext,
			DialTLSContext: d.DialTLSContext, // TLS done by the host
		},
	}

	resp, err := client.Get(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Printf("%s %s\n", resp.Proto, resp.Status)
	if *head {
		resp.Header.Write(os.Stdout)
		fmt.Println()
	}
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		log.Fatal(err)
	}
}
