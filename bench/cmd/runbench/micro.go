package main

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// microResult is one benchmark line of go test -bench.
type microResult struct {
	pkg     string
	name    string // without the -GOMAXPROCS suffix
	iters   int64
	metrics []metric
}

type metric struct {
	value float64
	unit  string
}

type microReport struct {
	results  []microResult
	problems []string // build failures, FAIL lines
	source   string   // the commands, or the file read
	cpu      string
}

// The micro-benchmarks: the existing ones of evloop (ping-pong per
// backend vs C libevent vs the goroutine netpoller, Switch, Wait),
// wsgi-host (Serve), wsgi-host/internal/http1 (the parser vs net/http) and
// host, and bench's own (pool, cold instantiation, Go start, readline).
var microPkgs = []string{"./evloop/", "./host/", "./wsgi-host/", "./wsgi-host/internal/http1/"}

// collectMicro reads the micro-benchmark output `make bench` wrote
// (-micro), or runs them here.
func collectMicro(ctx context.Context, c *config) *microReport {
	if c.microFile != "" {
		b, err := os.ReadFile(c.microFile)
		if err != nil {
			return &microReport{problems: []string{err.Error()}}
		}
		r := parseBench(string(b))
		r.source = "make bench (the go test commands in the Makefile's bench target), output in " + rel(c.root, c.microFile)
		return r
	}
	log.Printf("== micro-benchmarks (go test -bench, -benchtime %s)", c.benchtime)
	var out strings.Builder
	args := []string{"go", "test", "-run", "^$", "-bench", ".", "-benchtime", c.benchtime, "-count", "1", "-timeout", "30m"}
	guestTest := filepath.Join(c.buildDir, "gateway-wasip1.test")
	cmds := []struct {
		dir  string
		env  []string
		argv []string
	}{
		{c.root, nil, append(append([]string{}, args...), microPkgs...)},
		// The guest SDK's own benchmarks run inside wasm: its wasip1 test
		// binary under ptsevent run.
		{c.root, []string{"GOOS=wasip1", "GOARCH=wasm"}, []string{"go", "test", "-c", "-o", guestTest, "./guest-sdk/go/gateway/"}},
		{c.root, nil, []string{filepath.Join(c.root, "bin", "ptsevent"), "run", guestTest, "--", "-test.run", "^$", "-test.bench", ".", "-test.benchtime", c.benchtime}},
		{c.benchDir, nil, append(append([]string{}, args...), ".")},
	}
	var shown []string
	for _, cmd := range cmds {
		tctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
		o, err := run(tctx, cmd.dir, cmd.env, c.pin.wide(cmd.argv)...)
		cancel()
		out.WriteString(o)
		if err != nil {
			out.WriteString("\nFAIL " + oneLine(err.Error()) + "\n")
		}
		shown = append(shown, "(cd "+rel(c.root, cmd.dir)+" && "+strings.TrimSpace(strings.Join(cmd.env, " ")+" "+strings.Join(cmd.argv, " "))+")")
	}
	os.WriteFile(filepath.Join(c.buildDir, "micro.txt"), []byte(out.String()), 0o644)
	r := parseBench(out.String())
	r.source = strings.Join(shown, "; ")
	return r
}

var (
	reBenchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.+)$`)
	// A benchmark that logs gets its name on a line of its own and its
	// numbers on a later one.
	reBenchName = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s*$`)
	reBenchNums = regexp.MustCompile(`^()()\s*(\d+)\s+(\d.*\s\S+/op\b.*)$`)
	rePkg       = regexp.MustCompile(`^pkg: (\S+)`)
	reGOOS      = regexp.MustCompile(`^goos: (\S+)`)
	reCPU       = regexp.MustCompile(`^cpu: (.+)`)
)

func parseBench(out string) *microReport {
	r := &microReport{}
	pkg, pending, goos := "", "", ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := reGOOS.FindStringSubmatch(line); m != nil {
			goos = m[1]
			continue
		}
		if m := rePkg.FindStringSubmatch(line); m != nil {
			pkg = strings.TrimPrefix(m[1], "github.com/ptsevent/ptsevent/")
			if goos == "wasip1" {
				pkg += " (in wasm)" // a guest test binary run under ptsevent run
			}
			continue
		}
		if m := reCPU.FindStringSubmatch(line); m != nil {
			r.cpu = m[1]
			continue
		}
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") || strings.Contains(line, "[build failed]") ||
			strings.HasPrefix(line, "panic:") {
			r.problems = append(r.problems, strings.TrimSpace(line))
			continue
		}
		if m := reBenchName.FindStringSubmatch(line); m != nil {
			pending = m[1]
			continue
		}
		m := reBenchLine.FindStringSubmatch(line)
		if m == nil && pending != "" {
			if m = reBenchNums.FindStringSubmatch(line); m != nil {
				m[1] = pending
			}
		}
		if m == nil {
			continue
		}
		pending = ""
		res := microResult{pkg: pkg, name: strings.TrimPrefix(m[1], "Benchmark")}
		res.iters, _ = strconv.ParseInt(m[3], 10, 64)
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.metrics = append(res.metrics, metric{v, f[i+1]})
		}
		r.results = append(r.results, res)
	}
	return r
}
