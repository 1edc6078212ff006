// Command c10khost is `ptsevent run --listen ADDR prog.wasm` with one
// difference: the guest's descriptor table holds up to -max-fds
// descriptors instead of host.DefaultMaxDescriptors (1024), which
// `ptsevent run` has no flag to raise yet. bench/cmd/runbench uses it for
// the 10k-connection test when ptsevent run stops accepting at its
// descriptor limit. Like ptsevent run, it installs the compat WASI
// overlay, runs one loop, preopens the listener as descriptor 3, and
// passes stdout and stderr through.
//
//	c10khost -listen 127.0.0.1:8080 -max-fds 16384 c10k.wasm
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/host"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "listen on `ADDR`; the guest gets the socket as descriptor 3")
	maxFDs := flag.Int("max-fds", 16384, "size of the guest's descriptor table")
	backend := flag.String("backend", "", "event loop backend (default: the default backend)")
	timeout := flag.Duration("timeout", 10*time.Minute, "stop the guest after `D`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: c10khost [flags] prog.wasm")
		os.Exit(2)
	}
	prog := flag.Arg(0)
	compat.Install()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(err)
	}
	lf, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	home, _ := os.UserCacheDir()
	rt, err := host.NewRuntime(ctx, host.Config{Backend: *backend, Loops: 1, CacheDir: home + "/ptsevent"})
	if err != nil {
		fail(err)
	}
	mod, err := rt.Load(ctx, prog)
	if err != nil {
		fail(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := mod.Run(ctx, host.InstanceConfig{
			Args:           []string{prog},
			Stdout:         os.Stdout,
			Stderr:         os.Stderr,
			Listeners:      []*os.File{lf},
			MaxDescriptors: *maxFDs,
			Deadline:       *timeout,
		})
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(2 * time.Second):
		}
	}
	rt.Close(context.Background())
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "c10khost:", err)
	os.Exit(1)
}
