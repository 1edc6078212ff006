package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/tests/conformance"
)

func init() {
	register(command{name: "conformance", summary: "run the ABI conformance suite against this host", run: conformanceMain})
}

const conformanceUsage = `Usage: ptsevent conformance [flags]

Runs the guest ABI conformance suite (tests/conformance) against this host:
every case on every selected event loop backend, each case in a fresh
guest instance with a deadline, against the peers the runner sets up for
it (TCP, UDP and unix servers, a DNS server on 127.0.0.1, TLS certificates
made in memory, files, granted descriptors, the HTTP gateway server). It
also checks that the cases cover every function of the ABI table, from
what their guests import.

It prints a table (case, backend, result, duration), the details of the
failures, and a closing line "N passed, M failed"; with --json, a JSON
report instead. The exit status is 0 when nothing failed, 1 otherwise.

The guests are read from --guests as NAME.wasm: "make wasm" builds them
from tests/conformance/guests into build/wasm. tests/conformance/README.md
describes the protocol between the runner and the guests.

Flags:
`

func conformanceMain(args []string) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	var (
		backend  string
		run      string
		asJSON   bool
		guests   string
		cache    string
		parallel int
		verbose  bool
	)
	fs.StringVar(&backend, "backend", "all", fmt.Sprintf("event loop backend to test: %s or all", strings.Join(evloop.Backends(), ", ")))
	fs.StringVar(&run, "run", "", "run only the cases whose name matches the regular expression `PATTERN` (skips the coverage check)")
	fs.BoolVar(&asJSON, "json", false, "write the report as JSON")
	fs.StringVar(&guests, "guests", "build/wasm", "read the guests from `DIR` (as built by make wasm)")
	fs.StringVar(&cache, "cache", defaultCacheDir(), "keep compiled guests in `DIR`; '' disables the cache")
	fs.IntVar(&parallel, "parallel", 0, "run `N` cases at once per backend (0: two per CPU, at least 4)")
	fs.BoolVar(&verbose, "v", false, "print each result to standard error as it comes")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), conformanceUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ptsevent conformance: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	opts := conformance.Options{
		Load:     conformance.DirLoader(guests),
		CacheDir: cache,
		Parallel: parallel,
	}
	switch {
	case backend == "all":
	case slices.Contains(evloop.Backends(), backend):
		opts.Backends = []string{backend}
	default:
		fmt.Fprintf(os.Stderr, "ptsevent conformance: unknown backend %q (compiled in: %s, or all)\n", backend, strings.Join(evloop.Backends(), ", "))
		return exitUsage
	}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ptsevent conformance: --run: %v\n", err)
			return exitUsage
		}
		opts.Run = re
	}
	if fi, err := os.Stat(guests); err != nil || !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "ptsevent conformance: no guest directory %s (build the guests with make wasm, or pass --guests DIR)\n", guests)
		return exitUsage
	}
	if cache != "" && cache == defaultCacheDir() {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "ptsevent: warning: no compilation cache: %v\n", err)
			opts.CacheDir = ""
		}
	}
	if verbose {
		opts.Progress = func(r conformance.Result) {
			fmt.Fprintf(os.Stderr, "%-4s %s (%s) %v\n", r.Result, r.Case, r.Backend, r.Duration.Round(1e6))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := conformance.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ptsevent conformance: %v\n", err)
		return exitHostErr
	}
	if asJSON {
		if err := rep.WriteJSON(os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "ptsevent conformance: %v\n", err)
			return exitHostErr
		}
		fmt.Fprintln(os.Stderr, rep.Summary())
	} else {
		rep.WriteTable(os.Stdout)
	}
	if rep.Failed() > 0 {
		return 1
	}
	return 0
}
