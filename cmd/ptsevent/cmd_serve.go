package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ptsevent/ptsevent/host"
	wsgihost "github.com/ptsevent/ptsevent/wsgi-host"
)

func init() {
	register(command{name: "serve", summary: "serve a gateway app (a pts_handle reactor or a gateway.Serve command) over HTTP/1.1", run: serveMain})
}

const serveUsage = `Usage: ptsevent serve [flags] app.wasm

Serves the gateway app app.wasm over HTTP/1.1 on event loops, one per
worker, each with its own listener (SO_REUSEPORT). The style is detected
from the app's exports (--style forces one):

  blocking   a reactor exporting pts_handle (a Go handler built with
             guest-sdk/go/gateway and -buildmode=c-shared, or a C app
             built with -mexec-model=reactor); each worker keeps a pool of
             instances, one request per instance at a time;
  scheduler  a command whose main calls gateway.Serve (Go); each worker
             runs one instance that serves many requests at once on
             goroutines, restarted if it exits or traps.

The app's stdout and stderr are ptsevent's. Without --max-fds, a
blocking-style instance may hold 1024 descriptors and a scheduler
command 65536 (each request in flight takes one of them).

SIGINT or SIGTERM stops accepting, lets the requests in flight finish
(up to --shutdown-timeout) and exits 0.

Example:

  ptsevent serve build/wasm/hello.wasm --listen 127.0.0.1:8080
  ptsevent serve build/wasm/hello-sched.wasm --listen 127.0.0.1:8080
  curl http://127.0.0.1:8080/

Flags:
`

func serveMain(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var (
		rf              runtimeFlags
		cf              capFlags
		env             envList
		listen          string
		workers, pool   int
		tlsCert, tlsKey string
		accessLog       bool
		deadline        time.Duration
		maxBody         int64
		shutdownTimeout time.Duration
		style           string
		maxFDs          int
	)
	rf.register(fs)
	cf.register(fs)
	fs.Var(&env, "env", "set the app's environment variable: `KEY=VALUE`, or KEY to pass the host's value (repeatable)")
	fs.StringVar(&listen, "listen", "127.0.0.1:8080", "listen on `ADDR` (host:port; :8080 for every address)")
	fs.IntVar(&workers, "workers", runtime.NumCPU(), "event loops serving requests, each with its own listener")
	fs.IntVar(&pool, "pool", wsgihost.DefaultPoolSize, "instances per worker: the requests a worker serves at once (blocking style)")
	fs.StringVar(&style, "style", "auto", "gateway style: `auto` (from the app's exports), blocking or scheduler")
	fs.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with the certificate chain in `FILE` (PEM; needs --tls-key)")
	fs.StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert, in `FILE` (PEM)")
	fs.BoolVar(&accessLog, "access-log", false, "log every request to stderr")
	fs.DurationVar(&deadline, "deadline", wsgihost.DefaultRequestDeadline, "stop a request's guest after `D` (503)")
	fs.Int64Var(&maxBody, "max-body", wsgihost.DefaultMaxBodyBytes, "largest request body in `BYTES` (413 beyond)")
	fs.DurationVar(&shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM or SIGINT, wait up to `D` for requests in flight")
	registerMaxFDs(fs, &maxFDs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	// Flags may come after the app ("serve app.wasm --listen ..."): parse
	// the flags before the first argument, then the rest.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	rest := fs.Args()
	var app string
	for len(rest) > 0 {
		if app != "" {
			fmt.Fprintf(os.Stderr, "ptsevent serve: more than one app given: %s\n", strings.Join(append([]string{app}, rest...), " "))
			return exitUsage
		}
		app = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitUsage
		}
		rest = fs.Args()
	}
	if app == "" {
		fmt.Fprintln(os.Stderr, "ptsevent serve: no app given")
		fs.Usage()
		return exitUsage
	}
	if workers < 1 || pool < 1 {
		fmt.Fprintln(os.Stderr, "ptsevent serve: --workers and --pool must be at least 1")
		return exitUsage
	}
	gwStyle, err := wsgihost.ParseStyle(style)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: --style: %v\n", err)
		return exitUsage
	}
	if (tlsCert == "") != (tlsKey == "") {
		fmt.Fprintln(os.Stderr, "ptsevent serve: --tls-cert and --tls-key go together")
		return exitUsage
	}
	if err := rf.check(); err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return exitUsage
	}
	if err := checkMaxFDs("serve", maxFDs); err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return exitUsage
	}
	var tlsConfig *tls.Config
	if tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", err)
			return exitUsage
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	rt, err := rf.newRuntime(context.Background(), workers)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", err)
		return exitHostErr
	}
	defer rt.Close(context.Background())
	mod, err := rt.Load(context.Background(), app)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", err)
		return exitHostErr
	}
	srv := &wsgihost.Server{
		Runtime: rt,
		Module:  mod,
		InstanceConfig: host.InstanceConfig{
			Args:   []string{app},
			Env:    env,
			Stdout: os.Stdout,
			Stderr: os.Stderr,
			Caps:   cf.caps(),
		},
		Style:           gwStyle,
		Workers:         workers,
		PoolSize:        pool,
		MaxBodyBytes:    maxBody,
		RequestDeadline: deadline,
		TLSConfig:       tlsConfig,
		Logger:          logger,
		AccessLog:       accessLog,
	}
	// Without --max-fds each style keeps its own default: a scheduler
	// command holds a descriptor per request in flight, so it gets far
	// more than a blocking-style instance (wsgihost.DefaultSchedMaxDescriptors).
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "max-fds" {
			srv.InstanceConfig.MaxDescriptors = maxFDs
		}
	})
	if err := srv.Listen(listen); err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", err)
		return exitHostErr
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	logger.Info("serving", "app", app, "url", scheme+"://"+srv.Addr().String()+"/", "style", srv.GatewayStyle().String(), "workers", workers, "backend", rt.Backend())

	select {
	case err := <-served:
		// Serve ends by itself only when the server could not start.
		fmt.Fprintf(os.Stderr, "ptsevent serve: %v\n", err)
		return exitHostErr
	case <-ctx.Done():
	}
	stopSignals() // a second signal kills the process
	logger.Info("shutting down: draining requests in flight", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown: requests still in flight were stopped", "err", err)
	}
	<-served
	logger.Info("stopped")
	return 0
}
