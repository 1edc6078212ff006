package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// c10kResult is the concurrency test's outcome.
type c10kResult struct {
	label        string // which server: ptsevent run, ptsevent serve, native
	desc         string // what it runs, for the report
	command      string
	target       int
	held         int           // connections that got a response and stayed open
	failed       int           // connections that did not
	firstErrors  []string      // a few distinct failure reasons
	openTime     time.Duration // to open and exercise them all
	rssBase      int64         // server RSS (bytes) before, after a few requests
	rssHeld      int64         // server RSS with the connections held
	alive        int           // of the sampled held connections, how many still answered at the end
	sampled      int
	probeKA      latencies // probe requests on one keep-alive connection
	probeNew     latencies // probe requests, each on a new connection
	serverFDMax  uint64
	stoppedEarly bool   // 256 connections failed, so no more were tried
	serverSaid   string // the server's last complaint about descriptors
	skipped      string // why the test did not run
	serverFailed string // the server died or stopped answering
}

type latencies struct {
	n             int
	errs          int
	p50, p99, max time.Duration
}

func summarize(ds []time.Duration, errs int) latencies {
	l := latencies{n: len(ds), errs: errs}
	if len(ds) == 0 {
		return l
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	l.p50, l.p99, l.max = pct(0.50), pct(0.99), ds[len(ds)-1]
	return l
}

// runC10K measures c.c10kConns keep-alive connections held by one Go
// scheduler guest, through the real CLI, pinned like the HTTP peers:
//
//   - `ptsevent run --max-fds N --listen ADDR c10k.wasm`: an unmodified Go
//     net/http server (bench/guests/c10k, GOOS=wasip1) on the preopened
//     listener, a goroutine per connection parked in the Go runtime's
//     netpoller, whose poll_oneoff the compat overlay turns into waits on
//     the loop; the guest holds every socket (one descriptor each);
//   - `ptsevent serve --workers 1 --max-fds N hello-sched.wasm`: the
//     gateway scheduler guest (gateway.Serve, one instance on one loop);
//     the host holds the sockets and parses HTTP, the guest sees requests;
//   - the same net/http program built for linux/amd64, as the reference.
//
// Each opens the connections, each makes one request and stays open and
// idle; then RSS per connection, and probe requests while all are held.
func runC10K(ctx context.Context, c *config) []c10kResult {
	log.Printf("== concurrency: %d keep-alive connections held by one Go scheduler guest", c.c10kConns)
	bin := filepath.Join(c.root, "bin", "ptsevent")
	maxFDs := strconv.Itoa(c.c10kConns + 1024)
	skipAll := func(why string) []c10kResult {
		return []c10kResult{
			{label: "ptsevent run", target: c.c10kConns, skipped: why},
			{label: "ptsevent serve", target: c.c10kConns, skipped: why},
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return skipAll("bin/ptsevent is missing (run make build)")
	}
	if need := uint64(c.c10kConns + 1000); fdLimit() < need { // each side holds one end
		return skipAll(fmt.Sprintf("the descriptor limit is %d, %d needed: raise it with ulimit -n", fdLimit(), need))
	}
	var out []c10kResult

	// ptsevent run: the unmodified net/http guest.
	wasm := filepath.Join(c.buildDir, "c10k.wasm")
	if _, err := run(ctx, c.benchDir, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"},
		"go", "build", "-o", wasm, "./guests/c10k"); err != nil {
		out = append(out, c10kResult{label: "ptsevent run", target: c.c10kConns, skipped: "building the guest: " + oneLine(err.Error())})
	} else {
		r := holdTest(ctx, c, "ptsevent run", func(addr string) ([]string, []*os.File) {
			return []string{bin, "run", "--max-fds", maxFDs, "--listen", addr, "--timeout", "10m", wasm}, nil
		})
		r.desc = "an unmodified Go `net/http` server (`bench/guests/c10k`, GOOS=wasip1) on the listener preopened as descriptor 3; a goroutine per connection, parked in the Go runtime's netpoller (`poll_oneoff`, which the compat WASI overlay turns into waits on the loop); the guest holds every socket, one descriptor each"
		out = append(out, r)
	}

	// ptsevent serve: the gateway scheduler guest.
	sched := filepath.Join(c.root, "build", "wasm", goScheduler.app+".wasm")
	if _, err := os.Stat(sched); err != nil {
		out = append(out, c10kResult{label: "ptsevent serve", target: c.c10kConns,
			skipped: fmt.Sprintf("%s is missing (make wasm builds it from examples/wasm/%s)", rel(c.root, sched), goScheduler.app)})
	} else {
		r := holdTest(ctx, c, "ptsevent serve", func(addr string) ([]string, []*os.File) {
			return []string{bin, "serve", "--workers", "1", "--max-fds", maxFDs, "--style", "scheduler",
				"--shutdown-timeout", "2s", "--listen", addr, sched}, nil
		})
		r.desc = "the gateway scheduler guest `examples/wasm/hello-sched` (its `main` calls `gateway.Serve`): one instance on one loop serves every request on goroutines; the host holds the sockets and parses HTTP/1.1, the guest sees requests"
		out = append(out, r)
	}

	// The reference: the net/http program built for linux/amd64, given the
	// listening socket as descriptor 3 the same way.
	native := filepath.Join(c.buildDir, "c10k-native")
	if _, err := run(ctx, c.benchDir, []string{"CGO_ENABLED=0"}, "go", "build", "-o", native, "./guests/c10k"); err != nil {
		return append(out, c10kResult{label: "native Go (reference)", target: c.c10kConns, skipped: "building the native program: " + oneLine(err.Error())})
	}
	r := holdTest(ctx, c, "native Go (reference)", func(addr string) ([]string, []*os.File) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil
		}
		f, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			return nil, nil
		}
		return []string{native}, []*os.File{f}
	})
	r.desc = "the same `net/http` source built for linux/amd64 (GOMAXPROCS 1 from the affinity mask), its listener passed as descriptor 3"
	return append(out, r)
}

// holdTest is one run of the concurrency test on the server argv(addr)
// starts.
func holdTest(ctx context.Context, c *config, label string, argv func(addr string) ([]string, []*os.File)) (res c10kResult) {
	res.target = c.c10kConns
	res.label = label
	port, err := freePort()
	if err != nil {
		res.skipped = err.Error()
		return res
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args, files := argv(addr)
	if len(args) == 0 {
		res.skipped = "could not listen on " + addr
		return res
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	res.command = strings.ReplaceAll(strings.Join(append([]string{filepath.Base(args[0])}, args[1:]...), " "), c.root+"/", "")
	log.Printf("   %s", res.command)
	waitQuiet(30 * time.Second)
	srv, err := startServer(c.pin.serverCmd(args), c.root, nil, filepath.Join(c.buildDir, "logs", "c10k-"+slugify(label)+".log"), files...)
	if err != nil {
		res.skipped = err.Error()
		return res
	}
	defer srv.stop(5 * time.Second)
	url := "http://" + addr + "/"
	if err := srv.waitReady(url, 60*time.Second); err != nil {
		res.skipped = "server: " + err.Error()
		return res
	}
	res.serverFDMax = procLimitFDs(srv.pid())
	// Warm the server (goroutines, buffers) before the baseline.
	if _, err := probe(addr, 200, true); err != nil {
		res.skipped = "warm-up probe: " + err.Error()
		return res
	}
	time.Sleep(300 * time.Millisecond)
	res.rssBase = procRSS(srv.pid())

	// Open the connections, 256 at a time; each makes one request and
	// stays open. Stop early once 256 have failed: the server has stopped
	// accepting.
	t0 := time.Now()
	conns := make([]*heldConn, c.c10kConns)
	var (
		next     atomic.Int64
		failures atomic.Int64
		mu       sync.Mutex
		errSet   = map[string]bool{}
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(90 * time.Second)
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for failures.Load() < 256 && time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= len(conns) {
					return
				}
				hc, err := openHeld(addr, 5*time.Second)
				if err != nil {
					failures.Add(1)
					mu.Lock()
					if msg := trimErr(err); !errSet[msg] && len(errSet) < 4 {
						errSet[msg] = true
						res.firstErrors = append(res.firstErrors, msg)
					}
					mu.Unlock()
					continue
				}
				conns[i] = hc
			}
		}()
	}
	wg.Wait()
	res.openTime = time.Since(t0)
	var held []*heldConn
	for _, hc := range conns {
		if hc != nil {
			held = append(held, hc)
		}
	}
	res.held = len(held)
	res.failed = c.c10kConns - res.held
	defer func() {
		for _, hc := range held {
			hc.c.Close()
		}
	}()
	if failures.Load() >= 256 {
		res.stoppedEarly = true
	}
	if tail := srv.logTail(3); strings.Contains(tail, "Too many open files") {
		res.serverSaid = lastLines(tail, 1)
	}
	log.Printf("   held %d of %d connections in %v (%d not: %s)", res.held, c.c10kConns,
		res.openTime.Round(time.Millisecond), res.failed, strings.Join(res.firstErrors, "; "))
	time.Sleep(time.Second)
	res.rssHeld = procRSS(srv.pid())

	// Probes while everything is held.
	if l, err := probe(addr, 1000, true); err != nil {
		res.serverFailed = "keep-alive probe: " + err.Error()
		res.probeKA = l
	} else {
		res.probeKA = l
	}
	if l, err := probe(addr, 200, false); err != nil {
		if res.serverFailed == "" {
			res.serverFailed = "new-connection probe: " + err.Error()
		}
		res.probeNew = l
	} else {
		res.probeNew = l
	}
	// Are the held connections still served? Ask a sample of them.
	step := max(1, len(held)/100)
	for i := 0; i < len(held); i += step {
		res.sampled++
		if held[i].request(5*time.Second) == nil {
			res.alive++
		}
	}
	log.Printf("   RSS %.1f MiB -> %.1f MiB; probe p50 %v p99 %v (keep-alive), p99 %v (new connection); %d/%d sampled connections alive",
		float64(res.rssBase)/(1<<20), float64(res.rssHeld)/(1<<20), res.probeKA.p50, res.probeKA.p99, res.probeNew.p99, res.alive, res.sampled)
	select {
	case <-srv.exited:
		res.serverFailed = fmt.Sprintf("server exited (%v): %s", srv.err, oneLine(srv.logTail(5)))
	default:
	}
	return res
}

// perConn is the RSS growth per held connection, in bytes.
func (r c10kResult) perConn() float64 {
	if r.held == 0 {
		return 0
	}
	return float64(r.rssHeld-r.rssBase) / float64(r.held)
}

type heldConn struct {
	c  net.Conn
	br *bufio.Reader
}

var helloRequest = []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")

func openHeld(addr string, timeout time.Duration) (*heldConn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	hc := &heldConn{c: c, br: bufio.NewReaderSize(c, 512)}
	if err := hc.request(timeout); err != nil {
		c.Close()
		return nil, err
	}
	return hc, nil
}

// request sends GET / and reads the response.
func (hc *heldConn) request(timeout time.Duration) error {
	hc.c.SetDeadline(time.Now().Add(timeout))
	defer hc.c.SetDeadline(time.Time{})
	if _, err := hc.c.Write(helloRequest); err != nil {
		return err
	}
	return readResponse(hc.br)
}

// readResponse reads one 200 response with a Content-Length body.
func readResponse(br *bufio.Reader) error {
	status, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") {
		return fmt.Errorf("status %q", strings.TrimSpace(status))
	}
	n := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if n < 0 {
		return errors.New("no Content-Length")
	}
	_, err = io.CopyN(io.Discard, br, int64(n))
	return err
}

// probe times n GET / requests, on one keep-alive connection or each on
// a new one.
func probe(addr string, n int, keepAlive bool) (latencies, error) {
	var ds []time.Duration
	errs := 0
	var hc *heldConn
	defer func() {
		if hc != nil {
			hc.c.Close()
		}
	}()
	for range n {
		t0 := time.Now()
		var err error
		if keepAlive {
			if hc == nil {
				hc, err = openHeld(addr, 5*time.Second)
			} else {
				err = hc.request(5 * time.Second)
			}
		} else {
			var c *heldConn
			c, err = openHeld(addr, 5*time.Second)
			if c != nil {
				c.c.Close()
			}
		}
		if err != nil {
			errs++
			if hc != nil {
				hc.c.Close()
				hc = nil
			}
			if errs >= 5 {
				return summarize(ds, errs), fmt.Errorf("%d of %d probes failed, last: %v", errs, len(ds)+errs, err)
			}
			continue
		}
		ds = append(ds, time.Since(t0))
	}
	return summarize(ds, errs), nil
}

func trimErr(err error) string {
	// Drop the addresses (their ports differ per connection), keep the
	// operation and the cause.
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}

// procRSS is a process's resident set size in bytes.
func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// procLimitFDs is a process's soft descriptor limit.
func procLimitFDs(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			f := strings.Fields(strings.TrimPrefix(line, "Max open files"))
			if len(f) > 0 {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}
