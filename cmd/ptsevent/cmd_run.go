package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/host"
	"github.com/tetratelabs/wazero/sys"
)

func init() {
	register(command{name: "run", summary: "run a guest program (a WASI command) to completion", run: runMain})
	// Guests of every command get the WASI overlay: their
	// wasi_snapshot_preview1 descriptors live in the ptsevent descriptor
	// table and their blocking calls suspend them on the loop.
	compat.Install()
}

// listenList is the repeatable --listen flag: TCP addresses to listen on,
// preopened for the guest as descriptors 3, 4, ...
type listenList []string

func (l *listenList) String() string { return strings.Join(*l, ",") }
func (l *listenList) Set(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("want HOST:PORT, got %q", v)
	}
	*l = append(*l, v)
	return nil
}

// openListeners listens on addrs and returns the listening sockets as
// files for InstanceConfig.Listeners, and a function that closes them.
func openListeners(addrs []string) ([]*os.File, func(), error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		f, err := ln.(*net.TCPListener).File()
		ln.Close() // f holds the socket
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
	}
	return files, closeAll, nil
}

const runUsage = `Usage: ptsevent run [flags] prog.wasm [--] [args...]

Runs prog.wasm's _start on one event loop with the standard input, output
and error of ptsevent, and exits with the guest's exit status. The guest
gets nothing else unless a flag grants it: no files, no network, no
environment variables.

--listen HOST:PORT (repeatable) preopens a listening TCP socket for the
guest as descriptor 3, 4, ... (before the --dir directories), as
wazero run -listen does: an unmodified Go program serves it with
net.FileListener(os.NewFile(3, "")), a C program with accept(3, ...).

Exit status: the guest's own, or 2 for a usage error, 124 when --timeout
passed, 125 when the guest could not be loaded or started, 130 when
interrupted, 134 when the guest trapped.

Flags:
`

func runMain(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var (
		rf      runtimeFlags
		cf      capFlags
		env     envList
		listen  listenList
		timeout time.Duration
		maxFDs  int
	)
	rf.register(fs)
	cf.register(fs)
	fs.Var(&env, "env", "set the guest's environment variable: `KEY=VALUE`, or KEY to pass the host's value (repeatable)")
	fs.DurationVar(&timeout, "timeout", 0, "stop the guest after `D`, e.g. 30s (0: no limit)")
	fs.Var(&listen, "listen", "listen on `HOST:PORT` and preopen the socket for the guest as descriptor 3, 4, ... (repeatable)")
	registerMaxFDs(fs, &maxFDs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(os.Stderr, "ptsevent run: no program given")
		fs.Usage()
		return exitUsage
	}
	prog, guestArgs := rest[0], rest[1:]
	if len(guestArgs) > 0 && guestArgs[0] == "--" {
		guestArgs = guestArgs[1:]
	}
	if err := rf.check(); err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent run: %v\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return exitUsage
	}
	if err := checkMaxFDs("run", maxFDs); err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent run: %v\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return exitUsage
	}

	listeners, closeListeners, err := openListeners(listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent run: %v\n", err)
		return exitHostErr
	}
	defer closeListeners()

	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	rt, err := rf.newRuntime(ctx, 1)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent run: %v\n", err)
		return exitHostErr
	}
	mod, err := rt.Load(ctx, prog)
	if err != nil {
		rt.Close(context.Background())
		fmt.Fprintf(os.Stderr, "ptsevent run: %v\n", err)
		return exitHostErr
	}

	cfg := host.InstanceConfig{
		Args:      append([]string{prog}, guestArgs...),
		Env:       env,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Caps:      cf.caps(),
		Deadline:  timeout,
		Listeners: listeners,
	}
	cfg.MaxDescriptors = maxFDs
	type result struct {
		code uint32
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := mod.Run(ctx, cfg)
		done <- result{code, err}
	}()

	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// Give the guest a moment to unwind; a guest blocked outside the
		// loop (reading a terminal, say) is abandoned.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		fmt.Fprintf(os.Stderr, "ptsevent run: %s: interrupted\n", prog)
		return exitSignaled
	}
	rt.Close(context.Background())
	return runStatus(prog, timeout, r.code, r.err)
}

// runStatus maps a guest's end to ptsevent's exit status and explains
// failures on stderr.
func runStatus(prog string, timeout time.Duration, code uint32, err error) int {
	if err == nil {
		if code > 255 {
			// Exit statuses are 8 bits; do not let 256 read as success.
			fmt.Fprintf(os.Stderr, "ptsevent run: %s: exit status %d does not fit in 8 bits\n", prog, code)
			return 255
		}
		return int(code)
	}
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			fmt.Fprintf(os.Stderr, "ptsevent run: %s: timed out after %v\n", prog, timeout)
			return exitTimeout
		case sys.ExitCodeContextCanceled:
			fmt.Fprintf(os.Stderr, "ptsevent run: %s: interrupted\n", prog)
			return exitSignaled
		}
	}
	// wazero reports traps (unreachable, out-of-bounds access, division by
	// zero, ...) as "wasm error: ..."; anything else kept the guest from
	// starting (a missing import, say).
	if strings.Contains(err.Error(), "wasm error:") {
		fmt.Fprintf(os.Stderr, "ptsevent run: %s: guest trapped: %v\n", prog, err)
		return exitTrap
	}
	fmt.Fprintf(os.Stderr, "ptsevent run: %s: %v\n", prog, err)
	return exitHostErr
}
