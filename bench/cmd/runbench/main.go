// Command runbench runs ptsevent's benchmarks against its peers and writes
// the report: `make bench` builds what is needed and runs it from the
// repository root.
//
// Every HTTP server (ptsevent serve on each backend with the hello app in
// both gateway styles: the Go reactor and the C reactor (blocking style)
// and the Go scheduler guest; Go net/http, fasthttp, http-wasm-host-go,
// gevent's pywsgi, nginx) is measured in -rounds interleaved rounds (3 by
// default): each round starts every server in turn, pinned to the server
// CPUs, polls it until it answers GET / with "Hello, World!\n", warms it
// up, loads it with wrk pinned to the other CPUs once at each connection
// count, and stops it. The report gives, per server and connection count,
// the median req/s over the rounds (with the median run's p50 and p99) and
// the spread. The targets (guest vs fasthttp and net/http) are
// judged in a paired section (paired.go): the servers they name run side
// by side and are loaded in -cycles cycles of short runs, and a target is
// judged on the median of the per-cycle ratios, so a slow minute of the
// shared machine cannot flip them. A peer that cannot be built, installed
// or started is reported missing with the reason. Then 10k keep-alive
// connections are held by one Go scheduler guest, through the CLI (`ptsevent run --max-fds` with an unmodified
// net/http guest, and `ptsevent serve --max-fds` with the gateway
// scheduler guest), while probes measure latency; and the
// micro-benchmarks (go test -bench) are collected. The report is
// bench/results/latest.md with a bar chart, latest.png, and
// readme-snippet.md, the README's Performance section from this run.
//
//	make bench                              # everything, about 20 minutes on 2 cores
//	build/bench/runbench -h                 # flags, e.g. -only, -rounds, -duration
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

type config struct {
	root          string // repository root
	benchDir      string // root/bench
	buildDir      string // root/build/bench: peer binaries, logs
	outDir        string // where latest.md and latest.png go
	conns         []int
	duration      time.Duration
	warmup        time.Duration
	rounds        int           // interleaved rounds of the HTTP section
	cycles        int           // cycles of the paired section (0: none; the targets come from the rounds)
	cycleDuration time.Duration // wrk run length in the paired section
	backends      []string      // bin/ptsevent's backends (set by runPeers)
	only          *regexp.Regexp
	microFile     string
	skipMicro     bool
	skipC10K      bool
	c10kConns     int
	benchtime     string
	pin           pinning
	startedAt     time.Time
	invocation    string
	changed       []string // flags that make this run not the standard full one
}

// partial says how this run differs from the standard `make bench` run
// ("" when it does not).
func (c *config) partial() string {
	if len(c.changed) == 0 {
		return ""
	}
	return "run with " + strings.Join(c.changed, " ")
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("runbench: ")
	var (
		c     config
		conns string
		only  string
		noPin bool
	)
	flag.StringVar(&c.root, "root", "", "repository root (default: found from the working directory)")
	flag.StringVar(&c.outDir, "out", "", "report directory (default ROOT/bench/results)")
	flag.StringVar(&conns, "conns", "64,256", "wrk connection counts, comma-separated")
	flag.DurationVar(&c.duration, "duration", 6*time.Second, "wrk run length per connection count")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "wrk warm-up at every start of a server (at the first connection count)")
	flag.IntVar(&c.rounds, "rounds", 3, "interleaved rounds of the HTTP section: each starts and measures every server once; the report gives medians over the rounds")
	flag.IntVar(&c.cycles, "cycles", 12, "cycles of the paired section that judges the targets (the servers they name run side by side; each cycle loads each once per connection count); 0 judges them on the rounds")
	flag.DurationVar(&c.cycleDuration, "cycle-duration", 2*time.Second, "wrk run length in the paired section")
	flag.StringVar(&only, "only", "", "run only the HTTP peers whose name matches this regexp")
	flag.StringVar(&c.microFile, "micro", "", "read micro-benchmark output (go test -bench) from `FILE` instead of running it")
	flag.BoolVar(&c.skipMicro, "skip-micro", false, "skip the micro-benchmarks")
	flag.BoolVar(&c.skipC10K, "skip-c10k", false, "skip the 10k-connection test")
	flag.IntVar(&c.c10kConns, "c10k", 10000, "keep-alive connections held in the concurrency test")
	flag.StringVar(&c.benchtime, "benchtime", "1s", "go test -benchtime for the micro-benchmarks run here")
	flag.BoolVar(&noPin, "no-pin", false, "do not pin the servers and wrk to separate CPUs")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "only", "skip-micro", "skip-c10k", "duration", "warmup", "rounds", "cycles", "cycle-duration", "conns", "c10k":
			if f.Value.String() == f.DefValue {
				return
			}
			c.changed = append(c.changed, "-"+f.Name+"="+f.Value.String())
		}
	})

	if c.rounds < 1 {
		log.Fatalf("bad -rounds %d: at least 1", c.rounds)
	}
	if c.cycles < 0 || c.cycles > 0 && c.cycleDuration < time.Second {
		log.Fatalf("bad -cycles %d or -cycle-duration %v: cycles at least 0, runs at least 1s", c.cycles, c.cycleDuration)
	}
	c.startedAt = time.Now()
	c.invocation = strings.Join(append([]string{"runbench"}, os.Args[1:]...), " ")
	for _, s := range strings.Split(conns, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n < 1 {
			log.Fatalf("bad -conns %q", conns)
		}
		c.conns = append(c.conns, n)
	}
	if only != "" {
		c.only = regexp.MustCompile(only)
	}
	if c.root == "" {
		r, err := findRoot()
		if err != nil {
			log.Fatal(err)
		}
		c.root = r
	}
	c.root, _ = filepath.Abs(c.root)
	c.benchDir = filepath.Join(c.root, "bench")
	c.buildDir = filepath.Join(c.root, "build", "bench")
	if c.outDir == "" {
		c.outDir = filepath.Join(c.benchDir, "results")
	}
	if c.microFile != "" {
		c.microFile, _ = filepath.Abs(c.microFile)
	}
	for _, d := range []string{c.buildDir, filepath.Join(c.buildDir, "logs"), c.outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	c.pin = choosePinning(!noPin)
	raiseFDLimit()

	ctx := context.Background()
	rep := &report{cfg: &c, machine: describeMachine(&c)}

	log.Printf("pinning: %s", c.pin.describe())
	t0 := time.Now()
	var prepared []*peer
	rep.peers, prepared = runPeers(ctx, &c)
	rep.httpElapsed = time.Since(t0)
	rep.paired = runPaired(ctx, &c, prepared)
	if !c.skipC10K {
		rep.c10k = runC10K(ctx, &c)
	}
	if !c.skipMicro {
		rep.micro = collectMicro(ctx, &c)
	}
	rep.elapsed = time.Since(c.startedAt)

	md := rep.markdown()
	mdPath := filepath.Join(c.outDir, "latest.md")
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	pngPath := filepath.Join(c.outDir, "latest.png")
	if err := plotPeers(rep, pngPath); err != nil {
		log.Printf("plot: %v", err)
	}
	snipPath := filepath.Join(c.outDir, "readme-snippet.md")
	if err := os.WriteFile(snipPath, []byte(rep.readmeSnippet()), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println()
	fmt.Print(rep.terminalSummary())
	fmt.Printf("\nwrote %s, %s and %s in %v\n", rel(c.root, mdPath), rel(c.root, pngPath), rel(c.root, snipPath), rep.elapsed.Round(time.Second))
	// Missing peers are reported, not failures; ptsevent's own servers
	// failing, or a micro-benchmark failing, is.
	if bad := rep.failures(); len(bad) > 0 {
		log.Fatalf("failed: %s", strings.Join(bad, "; "))
	}
}

// findRoot walks up from the working directory to the go.mod of module
// github.com/ptsevent/ptsevent.
func findRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			for line := range strings.SplitSeq(string(b), "\n") {
				if strings.TrimSpace(line) == "module github.com/ptsevent/ptsevent" {
					return d, nil
				}
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of module github.com/ptsevent/ptsevent above %s (use -root)", wd)
		}
	}
}

// raiseFDLimit lifts the soft descriptor limit to the hard one; the
// servers inherit it (the 10k test needs more than 20k descriptors across
// both sides). `make bench` also raises the hard limit with ulimit -n.
func raiseFDLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Printf("raise fd limit: %v", err)
		}
	}
}

func fdLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
