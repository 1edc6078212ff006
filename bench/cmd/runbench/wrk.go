package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// loadResult is one wrk run.
type loadResult struct {
	Conns    int
	RPS      float64
	P50, P99 time.Duration
	Requests int64
	Errors   string  // socket errors and non-2xx responses, "" when none
	Foreign  float64 // CPU used by other processes during the run, in CPUs
	// ServerCPU is the CPU time (user + system) the server's process group
	// used during the run per request: less sensitive to a shared
	// machine's slow stretches than req/s. 0 when unknown.
	ServerCPU time.Duration
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reReqs     = regexp.MustCompile(`(\d+) requests in`)
	rePct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	reSockErr  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkTimeout = "5s"
)

// runWrk loads url with conns keep-alive connections for d, pinned to the
// load CPUs, and parses wrk --latency's report. The raw output is appended
// to logPath.
func runWrk(ctx context.Context, c *config, url string, conns int, d time.Duration, logPath string, serverPGID int) (loadResult, error) {
	threads := c.pin.loadThreads()
	if threads > conns {
		threads = conns
	}
	argv := c.pin.loadCmd([]string{"wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second)), "--latency", "--timeout", wrkTimeout, url})
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	snap := foreignSnapshot(serverPGID)
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	end := foreignSnapshot(serverPGID)
	var server uint64 // 0 (unknown) if a server process exited meanwhile
	if end.server >= snap.server {
		server = end.server - snap.server
	}
	foreign := foreignCPU(snap, end)
	if f, ferr := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintf(f, "$ %s\n%s\n", strings.Join(argv, " "), out)
		f.Close()
	}
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v: %s", err, oneLine(string(out)))
	}
	r, err := parseWrk(string(out), conns)
	r.Foreign = foreign
	if r.Requests > 0 && server > 0 {
		r.ServerCPU = time.Duration(float64(server) / clockTick * float64(time.Second) / float64(r.Requests))
	}
	return r, err
}

func parseWrk(out string, conns int) (loadResult, error) {
	r := loadResult{Conns: conns}
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output: %s", oneLine(out))
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := reReqs.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for _, m := range rePct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	var errs []string
	if m := reSockErr.FindStringSubmatch(out); m != nil {
		names := []string{"connect", "read", "write", "timeout"}
		for i, v := range m[1:] {
			if v != "0" {
				errs = append(errs, names[i]+" "+v)
			}
		}
	}
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		errs = append(errs, "non-2xx "+m[1])
	}
	r.Errors = strings.Join(errs, ", ")
	return r, nil
}

func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput() // exits 1 after printing
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if !strings.HasPrefix(line, "wrk") {
		return "not found"
	}
	if i := strings.Index(line, " ["); i > 0 {
		line = line[:i]
	}
	return line
}
