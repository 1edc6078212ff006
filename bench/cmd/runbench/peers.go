package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// peer is one HTTP server under test.
type peer struct {
	name  string // in the table
	short string // on the chart
	// prepare builds or checks what the peer needs; an error makes the
	// peer missing, with the error as the reason.
	prepare func(ctx context.Context, c *config) error
	// argv is the server's command line for port; dir is a scratch
	// directory of its own.
	argv func(c *config, port int, dir string) ([]string, error)
	env  []string
	// version describes what was measured (filled by prepare).
	version string
}

// peerResult is what a peer's runs produced.
type peerResult struct {
	name, short string
	version     string
	missing     string // why the peer was not measured at all; "" when it was
	// failed says what went wrong in a round ("round 2: exited during
	// the run ..."); the other rounds still count.
	failed []string
	// rounds[i] is round i+1's wrk runs, one per connection count (fewer
	// when that round failed part-way, none when it failed to start).
	rounds   [][]loadResult
	stats    []connStats // per connection count, over the rounds (aggregate)
	baseline bool        // the ptsevent Go reactor guest on the default backend
}

// baselineName is the peer every ratio is against: the ptsevent Go
// reactor guest (blocking style) on the default backend (set by runPeers
// from `ptsevent serve --help`).
var baselineName = ptseventName(goReactor, "libevent")

var reBackends = regexp.MustCompile(`(?s)-backend string.*?one of ([\w, ]+?)\s*\(default (\w+)\)`)

// backends reads the backends bin/ptsevent has, and its default one, from
// `ptsevent serve --help` (a build without cgo has no libevent).
func backends(ctx context.Context, c *config) (all []string, def string) {
	out, _ := run(ctx, c.root, nil, filepath.Join(c.root, "bin", "ptsevent"), "serve", "--help")
	if m := reBackends.FindStringSubmatch(out); m != nil {
		for _, b := range strings.Split(m[1], ",") {
			if b = strings.TrimSpace(b); b != "" {
				all = append(all, b)
			}
		}
		return all, m[2]
	}
	return []string{"libevent", "epoll"}, "libevent"
}

// gatewayGuest is a hello app for `ptsevent serve`, in one of the two
// gateway styles: blocking (a reactor exporting pts_handle, a pool of
// instances per worker, one request per instance at a time) or scheduler
// (a command whose main calls gateway.Serve, one instance per worker
// serving every request on goroutines).
type gatewayGuest struct {
	label string // in the table: language, style, app
	short string // on the chart
	app   string // build/wasm/APP.wasm, built by make wasm from examples/wasm/APP
	style string // --style
}

// The native peers the targets compare the guests with.
const (
	netHTTPName  = "Go net/http (native)"
	fastHTTPName = "fasthttp (native Go)"
)

var (
	goReactor   = gatewayGuest{"Go reactor guest, net/http mapping (hello, blocking style)", "pts Go\nreactor", "hello", "blocking"}
	goCtx       = gatewayGuest{"Go reactor guest, Ctx mapping (hello-ctx, blocking style)", "pts Go\nCtx", "hello-ctx", "blocking"}
	goScheduler = gatewayGuest{"Go scheduler guest (hello-sched)", "pts Go\nscheduler", "hello-sched", "scheduler"}
	cReactor    = gatewayGuest{"C reactor guest (hello-c-app, blocking style)", "pts C\nreactor", "hello-c-app", "blocking"}
)

func ptseventName(g gatewayGuest, backend string) string {
	return fmt.Sprintf("ptsevent serve, %s, %s", g.label, backend)
}

// ptseventPeer is `ptsevent serve` with the guest g on backend, its style
// forced with --style so that the row's label is what ran (a guest that
// is not of that style fails to start, and is reported so).
func ptseventPeer(g gatewayGuest, backend string) *peer {
	p := &peer{name: ptseventName(g, backend), short: g.short + "\n" + backend}
	p.prepare = func(ctx context.Context, c *config) error {
		bin := filepath.Join(c.root, "bin", "ptsevent")
		wasm := filepath.Join(c.root, "build", "wasm", g.app+".wasm")
		for _, f := range []string{bin, wasm} {
			if _, err := os.Stat(f); err != nil {
				return fmt.Errorf("%s is missing (make wasm build builds it from examples/wasm/%s): %v", rel(c.root, f), g.app, err)
			}
		}
		if out, _ := run(ctx, c.root, nil, bin, "serve", "--help"); !strings.Contains(out, "-style") {
			return fmt.Errorf("this bin/ptsevent has no serve --style (gateway styles); rebuild it with make build")
		}
		out, _ := run(ctx, c.root, nil, bin, "version")
		p.version = fmt.Sprintf("%s; app build/wasm/%s.wasm, --style %s", firstLine(out), g.app, g.style)
		return nil
	}
	p.argv = func(c *config, port int, dir string) ([]string, error) {
		return []string{filepath.Join(c.root, "bin", "ptsevent"), "serve",
			"--listen", "127.0.0.1:" + strconv.Itoa(port),
			"--workers", strconv.Itoa(c.pin.workers()),
			"--backend", backend,
			"--style", g.style,
			"--shutdown-timeout", "2s",
			filepath.Join(c.root, "build", "wasm", g.app+".wasm")}, nil
	}
	return p
}

// goPeer is a native Go server built from bench/peers/DIR.
func goPeer(name, short, dir, module string) *peer {
	p := &peer{name: name, short: short}
	bin := func(c *config) string { return filepath.Join(c.buildDir, "peer-"+dir) }
	p.prepare = func(ctx context.Context, c *config) error {
		if _, err := run(ctx, c.benchDir, nil, "go", "build", "-o", bin(c), "./peers/"+dir); err != nil {
			return err
		}
		v := goVersion(ctx, c)
		if module != "" {
			out, err := run(ctx, c.benchDir, nil, "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", module)
			if err == nil {
				v = strings.TrimSpace(out) + ", " + v
			}
		}
		p.version = v
		return nil
	}
	p.argv = func(c *config, port int, _ string) ([]string, error) {
		return []string{bin(c), "-listen", "127.0.0.1:" + strconv.Itoa(port)}, nil
	}
	return p
}

// httpWasmPeer is net/http serving the C guest bench/guests/httpwasm-hello
// through github.com/http-wasm/http-wasm-host-go. Its module
// (bench/peers/httpwasm) lists no requirements: it is copied to a scratch
// directory and resolved through the module proxy here, so that a proxy
// that does not serve http-wasm-host-go makes this peer missing instead
// of breaking the bench module.
func httpWasmPeer() *peer {
	p := &peer{name: "http-wasm-host-go (net/http), C guest", short: "http-wasm\nC guest"}
	bin := func(c *config) string { return filepath.Join(c.buildDir, "peer-httpwasm") }
	guest := func(c *config) string { return filepath.Join(c.buildDir, "httpwasm-hello.wasm") }
	p.prepare = func(ctx context.Context, c *config) error {
		if _, err := run(ctx, c.benchDir, nil, "clang", "--target=wasm32-wasi", "-O2", "-Wall", "-nostdlib",
			"-Wl,--no-entry", "-o", guest(c), "guests/httpwasm-hello/main.c"); err != nil {
			return fmt.Errorf("building the guest: %w", err)
		}
		src, err := os.MkdirTemp("", "runbench-httpwasm-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(src)
		for _, f := range []string{"go.mod", "main.go"} {
			b, err := os.ReadFile(filepath.Join(c.benchDir, "peers", "httpwasm", f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(src, f), b, 0o644); err != nil {
				return err
			}
		}
		tctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		if out, err := run(tctx, src, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "tidy"); err != nil {
			return fmt.Errorf("the Go module proxy does not serve github.com/http-wasm/http-wasm-host-go: `go mod tidy` says: %s", proxyReason(out, err))
		}
		if _, err := run(tctx, src, nil, "go", "build", "-o", bin(c), "."); err != nil {
			return err
		}
		out, _ := run(tctx, src, nil, "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "github.com/http-wasm/http-wasm-host-go")
		p.version = strings.TrimSpace(out) + ", " + goVersion(ctx, c)
		return nil
	}
	p.argv = func(c *config, port int, _ string) ([]string, error) {
		return []string{bin(c), "-listen", "127.0.0.1:" + strconv.Itoa(port), "-guest", guest(c)}, nil
	}
	return p
}

var reURL = regexp.MustCompile(`reading https?://\S+: `)

// proxyReason picks the informative lines of a failed module download
// (without the proxy's address).
func proxyReason(out string, err error) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		l = reURL.ReplaceAllString(strings.TrimSpace(l), "")
		if strings.HasPrefix(l, "go: finding module") {
			continue
		}
		if strings.Contains(l, "http-wasm-host-go") || strings.Contains(l, "server response") || strings.Contains(l, "Forbidden") {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return oneLine(err.Error())
	}
	if len(keep) > 3 {
		keep = keep[:3]
	}
	return oneLine(strings.Join(keep, " "))
}

func geventPeer() *peer {
	p := &peer{name: "gevent pywsgi (Python)", short: "gevent\npywsgi"}
	python := "/usr/bin/python3" // Debian's, where python3-gevent installs
	p.prepare = func(ctx context.Context, c *config) error {
		if _, err := os.Stat(python); err != nil {
			python = "python3"
		}
		out, err := run(ctx, c.root, nil, python, "-c", "import sys, gevent; print('gevent', gevent.__version__, 'on Python', sys.version.split()[0])")
		if err != nil {
			return fmt.Errorf("python3-gevent is not installed (apt-get install python3-gevent): %s", oneLine(lastLines(out, 1)))
		}
		p.version = strings.TrimSpace(out)
		return nil
	}
	p.argv = func(c *config, port int, _ string) ([]string, error) {
		return []string{python, filepath.Join(c.benchDir, "peers", "gevent", "hello.py"), "127.0.0.1:" + strconv.Itoa(port)}, nil
	}
	return p
}

const nginxConf = `daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            default_type "text/plain; charset=utf-8";
            return 200 "Hello, World!\n";
        }
    }
}
`

func nginxPeer() *peer {
	p := &peer{name: "nginx return 200 (ceiling)", short: "nginx\nreturn 200"}
	var bin string
	p.prepare = func(ctx context.Context, c *config) error {
		for _, cand := range []string{"nginx", "/usr/sbin/nginx"} {
			if b, err := exec.LookPath(cand); err == nil {
				bin = b
				break
			}
		}
		if bin == "" {
			return errors.New("nginx is not installed (apt-get install nginx)")
		}
		out, _ := run(ctx, c.root, nil, bin, "-v")
		p.version = strings.TrimPrefix(strings.TrimSpace(out), "nginx version: ")
		return nil
	}
	p.argv = func(c *config, port int, dir string) ([]string, error) {
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, port)), 0o644); err != nil {
			return nil, err
		}
		return []string{bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")}, nil
	}
	return p
}

// allPeers is every server measured: ptsevent serve with each hello guest
// (both gateway styles) on each backend, then the peers.
func allPeers(backends []string) []*peer {
	var ps []*peer
	for _, g := range []gatewayGuest{goReactor, goCtx, goScheduler, cReactor} {
		for _, b := range backends {
			ps = append(ps, ptseventPeer(g, b))
		}
	}
	return append(ps,
		goPeer(netHTTPName, "net/http", "nethttp", ""),
		goPeer(fastHTTPName, "fasthttp", "fasthttp", "github.com/valyala/fasthttp"),
		httpWasmPeer(),
		geventPeer(),
		nginxPeer(),
	)
}

// runPeers prepares every selected peer once, then measures them in
// c.rounds interleaved rounds: each round starts every prepared peer in
// the usual order, pinned, waits until it answers, warms it up, runs wrk
// once per connection count and stops it. A server is started afresh in
// every round, so start-up and warm-up effects weigh equally on every
// peer and every round, and slow drifts of the shared machine's speed hit
// every peer alike instead of whichever ran during them.
//
// It returns the results and the prepared peers (nil where missing), in
// the same order, for the paired section.
func runPeers(ctx context.Context, c *config) ([]peerResult, []*peer) {
	var results []peerResult
	var peers []*peer // peers[i] measures results[i]; nil when missing
	bes, def := backends(ctx, c)
	c.backends = bes
	baselineName = ptseventName(goReactor, def)
	for _, p := range allPeers(bes) {
		if c.only != nil && !c.only.MatchString(p.name) {
			continue
		}
		res := peerResult{name: p.name, short: p.short, baseline: p.name == baselineName}
		log.Printf("== prepare %s", p.name)
		if err := p.prepare(ctx, c); err != nil {
			res.missing = err.Error()
			log.Printf("   missing: %s", res.missing)
			p = nil
		} else {
			res.version = p.version
		}
		results = append(results, res)
		peers = append(peers, p)
	}
	for round := 1; round <= c.rounds; round++ {
		for i, p := range peers {
			if p == nil {
				continue
			}
			res := &results[i]
			log.Printf("== round %d/%d: %s", round, c.rounds, p.name)
			runs, err := measure(ctx, c, p, round)
			res.rounds = append(res.rounds, runs)
			if err != nil {
				res.failed = append(res.failed, fmt.Sprintf("round %d: %v", round, err))
				log.Printf("   failed: %v", err)
			}
		}
	}
	for i := range results {
		res := &results[i]
		res.aggregate(c.conns)
		if res.missing == "" && len(res.stats) == 0 && len(res.failed) > 0 {
			res.missing = strings.Join(res.failed, "; ")
			res.failed = nil
		}
	}
	return results, peers
}

// launched is a peer's server started by launch.
type launched struct {
	srv *server
	url string
	dir string // the peer's scratch directory, removed by stop
}

// launch starts p pinned to the server CPUs on a free port, its output
// going to logPath, and waits until it answers GET / with the hello body.
func launch(c *config, p *peer, logPath string) (*launched, error) {
	dir, err := os.MkdirTemp("", "runbench-"+slugify(p.name)+"-")
	if err != nil {
		return nil, err
	}
	l := &launched{dir: dir}
	port, err := freePort()
	if err != nil {
		l.stop()
		return nil, err
	}
	argv, err := p.argv(c, port, dir)
	if err != nil {
		l.stop()
		return nil, err
	}
	if l.srv, err = startServer(c.pin.serverCmd(argv), c.root, p.env, logPath); err != nil {
		l.stop()
		return nil, fmt.Errorf("failed to start: %v", err)
	}
	l.url = fmt.Sprintf("http://127.0.0.1:%d/", port)
	t0 := time.Now()
	if err := l.srv.waitReady(l.url, 30*time.Second); err != nil {
		l.stop()
		return nil, fmt.Errorf("failed to start: %v", err)
	}
	log.Printf("   ready in %v, pid %d: %s", time.Since(t0).Round(time.Millisecond), l.srv.pid(), strings.ReplaceAll(strings.Join(argv, " "), c.root+"/", ""))
	return l, nil
}

// stop stops the server and removes the scratch directory.
func (l *launched) stop() {
	if l.srv != nil {
		l.srv.stop(5 * time.Second)
	}
	os.RemoveAll(l.dir)
}

// measure starts p, waits until it answers, warms it up and runs wrk once
// per connection count; its logs are logs/SLUG.rROUND.log and .wrk.txt.
func measure(ctx context.Context, c *config, p *peer, round int) ([]loadResult, error) {
	base := filepath.Join(c.buildDir, "logs", fmt.Sprintf("%s.r%d", slugify(p.name), round))
	logPath, wrkLog := base+".log", base+".wrk.txt"
	os.Remove(wrkLog)
	waitQuiet(30 * time.Second)
	l, err := launch(c, p, logPath)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	srv, url := l.srv, l.url
	if c.warmup > 0 {
		if _, err := runWrk(ctx, c, url, c.conns[0], c.warmup, wrkLog, srv.pid()); err != nil {
			return nil, fmt.Errorf("warm-up: %v", err)
		}
	}
	var runs []loadResult
	for _, n := range c.conns {
		r, err := runWrk(ctx, c, url, n, c.duration, wrkLog, srv.pid())
		if err != nil {
			return runs, err
		}
		if err := srv.exitErr(); err != nil {
			return runs, fmt.Errorf("during the run: %v", err) // that run does not count
		}
		log.Printf("   %4d conns: %9.0f req/s  p50 %-9v p99 %-9v cpu/req %-8s other load %3.0f%% %s", n, r.RPS, r.P50, r.P99, fmtCPU(r.ServerCPU), 100*r.Foreign, r.Errors)
		runs = append(runs, r)
	}
	return runs, nil
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

var goVersionCache string

func goVersion(ctx context.Context, c *config) string {
	if goVersionCache == "" {
		out, _ := run(ctx, c.root, nil, "go", "env", "GOVERSION")
		goVersionCache = strings.TrimSpace(out)
	}
	return goVersionCache
}
