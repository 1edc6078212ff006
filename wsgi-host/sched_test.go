package wsgihost

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evlooptest"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
	"golang.org/x/sys/unix"
)

// Scheduler-style guests.
const (
	schedExampleDir = "examples/wasm/hello-sched"  // the example app
	schedTestDir    = "tests/guests/gateway-sched" // exits, traps, spins on demand
)

var (
	schedEnvsMu sync.Mutex
	schedEnvs   = map[string]*testEnv{}
)

// getSchedEnv is getEnv with the WASI overlay, which scheduler-style
// guests need.
func getSchedEnv(t testing.TB, backend string) *testEnv {
	t.Helper()
	schedEnvsMu.Lock()
	defer schedEnvsMu.Unlock()
	if e, ok := schedEnvs[backend]; ok {
		return e
	}
	rt, err := host.NewRuntime(context.Background(), host.Config{
		Backend: backend, Loops: 2, CacheDir: wazeroCache(), Logger: quietLogger(), WASI: compat.Module,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{backend: backend, rt: rt, mods: map[string]*host.Module{}}
	schedEnvs[backend] = e
	// The runtime lives for the test binary: TestMain closes it.
	envsMu.Lock()
	envs["sched:"+backend] = e
	envsMu.Unlock()
	return e
}

func forEachSchedBackend(t *testing.T, f func(t *testing.T, e *testEnv)) {
	for _, b := range evloop.Backends() {
		t.Run(b, func(t *testing.T) { f(t, getSchedEnv(t, b)) })
	}
}

// schedResult is one response read off a fresh connection.
type schedResult struct {
	status int
	body   string
	header http.Header
	close  bool // Connection: close
	err    error
}

// rawGetAll makes n rawGets of path at once, each on its goroutine; while
// they are out it runs during (when not nil).
func rawGetAll(addr, path string, n int, during func()) []schedResult {
	results := make([]schedResult, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = rawGet(addr, path)
		}()
	}
	if during != nil {
		during()
	}
	wg.Wait()
	return results
}

// rawGet sends one request on a new connection and reads the response.
func rawGet(addr, path string) schedResult {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return schedResult{err: err}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		return schedResult{err: err}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "GET"})
	if err != nil {
		return schedResult{err: err}
	}
	b, err := io.ReadAll(resp.Body)
	return schedResult{status: resp.StatusCode, body: string(b), header: resp.Header, close: resp.Close, err: err}
}

// waitFor polls cond until it holds (failing the test after 30s).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSchedStyleDetected(t *testing.T) {
	e := getSchedEnv(t, evloop.DefaultBackend())
	s, _, _ := startServer(t, e, e.module(t, schedExampleDir), func(s *Server) { s.Workers = 1 })
	if st := s.GatewayStyle(); st != StyleScheduler {
		t.Fatalf("style %v", st)
	}
	// The reactor is served in the blocking style, and cannot be forced
	// into the scheduler style.
	b, _, _ := startServer(t, e, e.module(t, goGuestDir), func(s *Server) { s.Workers = 1 })
	if st := b.GatewayStyle(); st != StyleBlocking {
		t.Fatalf("reactor style %v", st)
	}
	bad := &Server{Module: e.module(t, cAppDir), Runtime: e.rt, Style: StyleScheduler}
	if err := bad.Listen("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "_start") {
		bad.Close()
		t.Fatalf("scheduler style for a reactor: %v", err)
	}
	// Without the WASI overlay, a scheduler app is refused.
	plain := getEnv(t, evloop.DefaultBackend())
	bad = &Server{Module: plain.module(t, schedExampleDir), Runtime: plain.rt}
	if err := bad.Listen("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "WASI overlay") {
		bad.Close()
		t.Fatalf("no overlay: %v", err)
	}
	if st, err := ParseStyle("scheduler"); err != nil || st != StyleScheduler {
		t.Errorf("ParseStyle: %v %v", st, err)
	}
}

// TestSchedConcurrent: 500 slow requests at once are served by one
// instance on one loop.
func TestSchedConcurrent(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, logs := startServer(t, e, e.module(t, schedExampleDir), func(s *Server) { s.Workers = 1 })
		const n = 500
		results := rawGetAll(addr, "/sleep?ms=200", n, nil)
		ids := map[string]int{}
		for i, r := range results {
			if r.err != nil || r.status != 200 || !strings.HasPrefix(r.body, "slept ") {
				t.Fatalf("request %d: %d %q %v\nlog:\n%s", i, r.status, r.body, r.err, logs)
			}
			ids[r.header.Get("X-Instance")]++
		}
		if len(ids) != 1 {
			t.Errorf("instances that answered: %v", ids)
		}
		if st := s.Stats(); st.Commands != 1 || st.GuestErrors != 0 || st.Instances != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestSchedCtx: a command on gateway.ServeCtx serves 200 sleeps at once on
// one instance (each parked on its goroutine), and streams a
// 1 MB chunked body back through the non-blocking request descriptor.
func TestSchedCtx(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, logs := startServer(t, e, e.module(t, schedTestDir), func(s *Server) {
			s.Workers = 1
			s.InstanceConfig.Env = []string{"CTX=1"}
		})
		const n = 200
		results := rawGetAll(addr, "/sleep?ms=2000", n, func() {
			// Served at once, not one after another.
			waitFor(t, "all the sleeps in flight together", func() bool { return s.Stats().InFlight == n })
		})
		for i, r := range results {
			if r.err != nil || r.status != 200 || r.body != results[0].body || len(r.body) != 17 {
				t.Fatalf("request %d: %d %q %v (first: %q)\nlog:\n%s", i, r.status, r.body, r.err, results[0].body, logs)
			}
		}
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20/16)
		resp, err := http.Post("http://"+addr+"/echo", "application/octet-stream", io.MultiReader(bytes.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(b, big) || resp.StatusCode != 200 {
			t.Fatalf("echo: %d, %d bytes (want %d), %v", resp.StatusCode, len(b), len(big), err)
		}
		// A panic fails its request only: 500, and the same instance
		// serves the next one.
		if r := rawGet(addr, "/panic"); r.err != nil || r.status != 500 {
			t.Fatalf("/panic: %d %q %v", r.status, r.body, r.err)
		}
		if r := rawGet(addr, "/"); r.status != 200 || r.body != results[0].body {
			t.Fatalf("after /panic: %d %q (before: %q)", r.status, r.body, results[0].body)
		}
		if st := s.Stats(); st.Commands != 1 || st.GuestErrors != 1 {
			t.Errorf("stats %+v\nlog:\n%s", st, logs)
		}
	})
}

// TestSchedConnections: keep-alive, pipelining (responses in order) and
// request bodies, with Content-Length and chunked.
func TestSchedConnections(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, schedExampleDir), func(s *Server) { s.Workers = 1 })
		raw := get("/sleep?ms=30") +
			"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/x-a\r\nContent-Length: 5\r\n\r\nhello" +
			get("/") +
			"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n" +
			get("/env?x=1")
		out, closed, wire := rawExchange(t, addr, raw, repeat("GET", 5), false)
		want := []struct {
			status int
			body   string
		}{{200, "slept "}, {200, "hello"}, {200, "Hello, World!\n"}, {200, "abcdefg"}, {200, "method: GET\npath: /env\nquery: x=1\n"}}
		for i, w := range want {
			if out[i].StatusCode != w.status || !strings.HasPrefix(string(out[i].body), w.body) {
				t.Errorf("response %d: %d %q, want %d %q (wire %q)", i, out[i].StatusCode, out[i].body, w.status, w.body, wire)
			}
		}
		if out[1].Header.Get("Content-Type") != "text/x-a" {
			t.Errorf("echo Content-Type %q", out[1].Header.Get("Content-Type"))
		}
		if closed {
			t.Errorf("connection closed after a keep-alive exchange")
		}
		// The same, one byte per write.
		out, _, wire = rawExchange(t, addr, raw, repeat("GET", 5), true)
		for i, w := range want {
			if out[i].StatusCode != w.status || !strings.HasPrefix(string(out[i].body), w.body) {
				t.Errorf("one byte per write: response %d: %d %q (wire %q)", i, out[i].StatusCode, out[i].body, wire)
			}
		}
		// A net/http client on one keep-alive connection, with a body
		// larger than the server's output buffer both ways.
		c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
		defer c.CloseIdleConnections()
		big := strings.Repeat("0123456789abcdef", 300000/16)
		for i := 0; i < 3; i++ {
			resp, err := c.Post("http://"+addr+"/echo", "application/octet-stream", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != big {
				t.Fatalf("big echo %d: %d bytes (want %d), %v", i, len(b), len(big), err)
			}
		}
		if st := s.Stats(); st.Commands != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestSchedKeptAfterReturn: a ResponseWriter and request body a handler
// keeps past its return fail with an error instead of reaching a later
// request (whose descriptor number, and SDK state, may be the same).
func TestSchedKeptAfterReturn(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, schedTestDir), func(s *Server) { s.Workers = 1 })
		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()
		resp, err := c.Post("http://"+addr+"/keep", "text/plain", strings.NewReader("first body"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "kept\n" {
			t.Fatalf("/keep: %d %q", resp.StatusCode, b)
		}
		resp, err = c.Post("http://"+addr+"/use-kept", "text/plain", strings.NewReader("secret body"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "write: gateway: use of a request or response after its handler returned\n" +
			"read: 0 gateway: use of a request or response after its handler returned\n"
		if resp.StatusCode != 200 || string(b) != want {
			t.Fatalf("/use-kept: %d %q, want %q", resp.StatusCode, b, want)
		}
	})
}

// TestSchedPanic: a handler's panic fails its request only.
func TestSchedPanic(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, schedExampleDir), func(s *Server) { s.Workers = 1 })
		first := rawGet(addr, "/")
		r := rawGet(addr, "/panic")
		if r.err != nil || r.status != 500 {
			t.Fatalf("/panic: %d %q %v", r.status, r.body, r.err)
		}
		next := rawGet(addr, "/")
		if next.status != 200 || next.header.Get("X-Instance") != first.header.Get("X-Instance") {
			t.Fatalf("after /panic: %d %v (first %v)", next.status, next.header, first.header)
		}
		if st := s.Stats(); st.Commands != 1 || st.Instances != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestSchedPanicLate: a panic after the head went out cuts that response
// short (the SDK calls req_abort) and fails no other request.
func TestSchedPanicLate(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, schedTestDir), func(s *Server) { s.Workers = 1 })
		// The head and part of the body went out: the client must see
		// the response cut short (req_abort), never a complete one.
		r := rawGet(addr, "/panic-late")
		if r.status != 200 || r.err == nil || !strings.HasPrefix(r.body, "partial") {
			t.Fatalf("/panic-late: %d %q err=%v, want 200 with the body cut short", r.status, r.body, r.err)
		}
		if r := rawGet(addr, "/"); r.status != 200 {
			t.Fatalf("after /panic-late: %d %v", r.status, r.err)
		}
		if st := s.Stats(); st.Commands != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestSchedGuestEnds: a guest that exits or traps fails its requests in
// flight (500), is logged and replaced.
func TestSchedGuestEnds(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		for i, route := range []string{"/exit", "/trap"} {
			t.Run(route[1:], func(t *testing.T) {
				s, addr, logs := startServer(t, e, e.module(t, schedTestDir), func(s *Server) { s.Workers = 1 })
				before := rawGet(addr, "/")
				if before.status != 200 {
					t.Fatalf("/: %d %v", before.status, before.err)
				}
				slow := make(chan schedResult, 1)
				go func() { slow <- rawGet(addr, "/sleep?ms=60000") }()
				waitFor(t, "the slow request in flight", func() bool { return s.Stats().InFlight == 1 })
				r := rawGet(addr, route)
				if r.err != nil || r.status != 500 {
					t.Fatalf("%s: %d %q %v", route, r.status, r.body, r.err)
				}
				if r := <-slow; r.err != nil || r.status != 500 {
					t.Fatalf("request in flight: %d %q %v", r.status, r.body, r.err)
				}
				after := rawGet(addr, "/")
				if after.status != 200 || after.body == before.body {
					t.Fatalf("after %s: %d %q (before %q)", route, after.status, after.body, before.body)
				}
				st := s.Stats()
				if st.Commands != 2 || st.Instances != 1 || st.GuestErrors != 2 {
					t.Errorf("stats %+v", st)
				}
				log := logs.String()
				if !strings.Contains(log, "scheduler guest ended") || (i == 1 && !strings.Contains(log, "wasm stack trace")) {
					t.Errorf("log:\n%s", log)
				}
			})
		}
	})
}

// TestSchedDeadline: a request past the deadline gets 503 while the
// instance serves on; a guest that computes past it is stopped and
// replaced.
func TestSchedDeadline(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, logs := startServer(t, e, e.module(t, schedTestDir), func(s *Server) {
			s.Workers = 1
			s.RequestDeadline = 500 * time.Millisecond
		})
		id := rawGet(addr, "/").body
		slow := make(chan schedResult, 1)
		go func() { slow <- rawGet(addr, "/sleep?ms=600000") }()
		waitFor(t, "the slow request in flight", func() bool { return s.Stats().InFlight == 1 })
		// Other requests are served meanwhile, by the same instance.
		if r := rawGet(addr, "/sleep?ms=1"); r.status != 200 || r.body != id {
			t.Errorf("during the slow request: %d %q (id %q)", r.status, r.body, id)
		}
		if r := <-slow; r.err != nil || r.status != 503 {
			t.Fatalf("slow request: %d %q %v", r.status, r.body, r.err)
		}
		if r := rawGet(addr, "/"); r.status != 200 || r.body != id {
			t.Errorf("after the deadline: %d %q (id %q)", r.status, r.body, id)
		}
		// A response partly sent when the deadline passes: the connection
		// closes, so the client sees a short body.
		r := rawGet(addr, "/head")
		if r.err == nil {
			t.Errorf("/head: complete response %d %q", r.status, r.body)
		}
		if st := s.Stats(); st.Commands != 1 || st.GuestTimeouts != 2 {
			t.Errorf("stats %+v", st)
		}
		// A guest that holds the loop is stopped by the watchdog.
		r = rawGet(addr, "/spin")
		if r.err != nil || r.status != 503 {
			t.Fatalf("/spin: %d %q %v", r.status, r.body, r.err)
		}
		if r := rawGet(addr, "/"); r.status != 200 || r.body == id {
			t.Errorf("after /spin: %d %q (id %q)", r.status, r.body, id)
		}
		if st := s.Stats(); st.Commands != 2 {
			t.Errorf("stats %+v", st)
		}
		if !strings.Contains(logs.String(), "watchdog") {
			t.Errorf("log:\n%s", logs)
		}
	})
}

// TestSchedExitAtStart: a guest that exits at start is restarted with
// backoff; requests fail with 503 at their deadline, and the server stops
// cleanly.
func TestSchedExitAtStart(t *testing.T) {
	e := getSchedEnv(t, evloop.DefaultBackend())
	s, addr, logs := startServer(t, e, e.module(t, schedTestDir), func(s *Server) {
		s.Workers = 1
		s.RequestDeadline = 300 * time.Millisecond
		s.InstanceConfig.Env = []string{"EXIT_AT_START=1"}
	})
	if r := rawGet(addr, "/"); r.err != nil || r.status != 503 {
		t.Fatalf("/: %d %q %v", r.status, r.body, r.err)
	}
	waitFor(t, "a restart", func() bool { return s.Stats().Commands >= 2 })
	if !strings.Contains(logs.String(), "exit code 4") {
		t.Errorf("log:\n%s", logs)
	}
}

// TestSchedShutdown: Shutdown lets the requests in flight finish, then
// stops the guest (its Serve returns when the listener closes).
func TestSchedShutdown(t *testing.T) {
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		logs := &logBuffer{}
		s := &Server{Module: e.module(t, schedExampleDir), Runtime: e.rt, Workers: 1, Logger: slog.New(slog.NewTextHandler(logs, nil))}
		if err := s.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		addr := s.Addr().String()
		served := make(chan error, 1)
		go func() { served <- s.Serve() }()
		const n = 5
		results := make(chan schedResult, n)
		for range n {
			go func() { results <- rawGet(addr, "/sleep?ms=300") }()
		}
		waitFor(t, "requests in flight", func() bool { return s.Stats().InFlight == n })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for range n {
			if r := <-results; r.err != nil || r.status != 200 || !r.close {
				t.Errorf("request in flight: %d %q %v %v", r.status, r.body, r.err, r.header)
			}
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		if n := s.cmdRunning.Load(); n != 0 {
			t.Errorf("%d commands still running", n)
		}
		if strings.Contains(logs.String(), "restarting") {
			t.Errorf("log:\n%s", logs)
		}
		if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			t.Errorf("still accepting after Shutdown")
		}
	})
}

// TestSchedTLS: a scheduler-style app behind TLS. The guest's task reads
// and writes the connection, so TLS I/O must never park: bodies larger
// than a socket buffer go both ways (back-pressure through EAGAIN and
// the guest's poll), keep-alive works, and concurrent slow requests share
// the one instance.
func TestSchedTLS(t *testing.T) {
	cert, roots, _, _ := selfSigned(t, "")
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, schedExampleDir), func(s *Server) {
			s.Workers = 1
			s.MaxBodyBytes = 8 << 20
			s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		})
		c := &http.Client{Timeout: 60 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		defer c.CloseIdleConnections()
		base := "https://" + addr
		for range 3 {
			if code, body, _ := httpGet(t, c, base+"/"); code != 200 || body != "Hello, World!\n" {
				t.Fatalf("/: %d %q", code, body)
			}
		}
		big := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB: many records, a full socket
		for range 2 {
			resp, err := c.Post(base+"/echo", "text/plain", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(b) != big {
				t.Fatalf("echo over TLS: %d, %d bytes of %d, %v", resp.StatusCode, len(b), len(big), err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body, _ := httpGet(t, c, base+"/sleep?ms=100")
				if code != 200 || !strings.HasPrefix(body, "slept") {
					errs <- fmt.Errorf("/sleep: %d %q", code, body)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if st := s.Stats(); st.Commands != 1 {
			t.Errorf("stats %+v: want one command", st)
		}
	})
}

// timeoutStyles are the apps of the body and write timeout tests: the
// scheduler-style example and its blocking-style twin (the same routes,
// examples/wasm/internal/helloapp), the reference the scheduler style
// mirrors.
var timeoutStyles = []struct {
	name  string
	dir   string
	sched bool
}{
	{"scheduler", schedExampleDir, true},
	{"blocking", goGuestDir, false},
}

// instanceOf returns the X-Instance of a "/" answered on a new connection
// (the scheduler app's id; "" for the blocking one).
func instanceOf(t *testing.T, addr string) string {
	t.Helper()
	r := rawGet(addr, "/")
	if r.err != nil || r.status != 200 || r.body != "Hello, World!\n" {
		t.Fatalf("/: %d %q %v", r.status, r.body, r.err)
	}
	return r.header.Get("X-Instance")
}

// TestSchedBodyStall: a client that stops sending its declared body is
// cut off after BodyReadTimeout, alike in both styles: the guest's body
// read fails (ETIMEDOUT, which /echo reports in its answer), the answer
// goes out with Connection: close, and the connection closes right after
// it, without waiting for the rest of the body (a client that stalled
// mid-body cannot be trusted to finish it); the request is counted and
// logged once, and a request served meanwhile by the same instance is not
// affected.
//
// That the server does not wait for the rest is checked without a clock:
// once the answer is in, the client sends the rest of the body and a
// pipelined request. A server that drained the body (a second
// BodyReadTimeout wait, as the blocking style did) would read them and
// answer the second request; here the client must see the connection
// closed with no second answer, and the server must count no third
// request.
func TestSchedBodyStall(t *testing.T) {
	const post = "POST /echo HTTP/1.1\r\nHost: test\r\n"
	cases := []struct {
		name   string
		raw    string // the head and the part of the body sent before the stall
		rest   string // the rest of the body, sent after the answer
		status int
		body   string // prefix of the answer's body
	}{
		// /echo wrote the 10 bytes (status 200) before its read failed.
		{"length, after 10 bytes", post + "Content-Length: 100\r\n\r\n0123456789", strings.Repeat("x", 90),
			200, "0123456789gateway: reading the request body"},
		// Nothing written yet: /echo answers the error with 400.
		{"length, no byte", post + "Content-Length: 100\r\n\r\n", strings.Repeat("x", 100),
			400, "gateway: reading the request body"},
		{"chunked, mid-chunk", post + "Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n14\r\nabc", strings.Repeat("x", 17) + "\r\n0\r\n\r\n",
			200, "0123456789abcgateway: reading the request body"},
	}
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		for _, st := range timeoutStyles {
			t.Run(st.name, func(t *testing.T) {
				s, addr, logs := startServer(t, e, e.module(t, st.dir), func(s *Server) {
					s.Workers = 1
					s.BodyReadTimeout = 200 * time.Millisecond
					s.RequestDeadline = 2 * time.Minute // only the body timeout may end a request
					s.AccessLog = true
				})
				id := instanceOf(t, addr)
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						waitFor(t, "the connections of the previous case to close", func() bool {
							st := s.Stats()
							return st.ActiveConns == 0 && st.InFlight == 0
						})
						before := s.Stats()
						logRecord := fmt.Sprintf("uri=/echo status=%d ", tc.status)
						logged := strings.Count(logs.String(), logRecord)
						// A slow request in flight on the same instance
						// while the body stalls.
						other := make(chan schedResult, 1)
						go func() { other <- rawGet(addr, "/sleep?ms=300") }()
						waitFor(t, "the slow request in flight", func() bool { return s.Stats().InFlight == 1 })

						c := dial(t, addr)
						c.SetDeadline(time.Now().Add(30 * time.Second))
						if _, err := io.WriteString(c, tc.raw); err != nil {
							t.Fatal(err)
						}
						br := bufio.NewReader(c)
						resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
						if err != nil {
							t.Fatalf("reading the answer: %v", err)
						}
						b, err := io.ReadAll(resp.Body)
						if err != nil || resp.StatusCode != tc.status || !strings.HasPrefix(string(b), tc.body) || !strings.Contains(string(b), "ETIMEDOUT") {
							t.Fatalf("answer: %d %q %v; want %d %q... with ETIMEDOUT", resp.StatusCode, b, err, tc.status, tc.body)
						}
						if !resp.Close {
							t.Errorf("answer without Connection: close (header %v)", resp.Header)
						}
						// The rest of the body and a pipelined request come
						// too late: the server closed the connection after
						// the answer and serves nothing more on it. (A
						// write error means the server is gone already.)
						if _, err := io.WriteString(c, tc.rest+get("/")); isTimeout(err) {
							t.Fatalf("sending the rest: %v", err)
						}
						c.SetReadDeadline(time.Now().Add(10 * time.Second))
						if more, err := io.ReadAll(br); len(more) != 0 || isTimeout(err) {
							t.Fatalf("after the answer: %q, %v; want the connection closed, and no answer to the pipelined request", more, err)
						}
						c.Close() // ends the server's lingering close

						if r := <-other; r.err != nil || r.status != 200 || !strings.HasPrefix(r.body, "slept ") || r.header.Get("X-Instance") != id {
							t.Errorf("request served meanwhile: %d %q %v (instance %q, want %q)", r.status, r.body, r.err, r.header.Get("X-Instance"), id)
						}
						waitFor(t, "the connections to close", func() bool {
							st := s.Stats()
							return st.ActiveConns == 0 && st.InFlight == 0
						})
						after := s.Stats()
						if n := after.Requests - before.Requests; n != 2 {
							t.Errorf("%d requests counted, want 2 (%+v)", n, after)
						}
						if after.GuestErrors != 0 || after.GuestTimeouts != 0 || after.Instances != 0 || after.FramingErrors != 0 {
							t.Errorf("stats %+v", after)
						}
						if strings.Count(logs.String(), logRecord) != logged+1 {
							t.Errorf("access log: want one more %q:\n%s", logRecord, logs)
						}
					})
				}
				wantSameInstance(t, s, addr, id, st.sched)
			})
		}
	})
}

// TestSchedWriteStall: a client that stops reading a large response
// (/echo of a large body, into a small receive buffer) is cut off after
// one WriteTimeout, alike in both styles: the guest's write fails
// (ETIMEDOUT), so do its later writes, at once (the connection's output
// failed for good), its request ends without waiting for the request
// deadline, nothing more is written and the connection closes with the
// response cut short; the request is counted and logged once, and the
// instance serves on (requests meanwhile and afterwards, and no restart).
//
// That the blocking style's stream fails later writes at once and does
// not wait again is checked, without a clock, by TestBlockingStreamTimeouts.
func TestSchedWriteStall(t *testing.T) {
	const n = 16 << 20 // far more than the socket buffers hold
	forEachSchedBackend(t, func(t *testing.T, e *testEnv) {
		for _, st := range timeoutStyles {
			t.Run(st.name, func(t *testing.T) {
				s, addr, logs := startServer(t, e, e.module(t, st.dir), func(s *Server) {
					s.Workers = 1
					s.WriteTimeout = 300 * time.Millisecond
					s.MaxBodyBytes = 2 * n
					s.RequestDeadline = 2 * time.Minute // only the write timeout may end the request
					s.AccessLog = true
				})
				id := instanceOf(t, addr)
				waitFor(t, "the first connection to close", func() bool { return s.Stats().ActiveConns == 0 })
				before := s.Stats()

				d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
					var serr error
					if err := rc.Control(func(fd uintptr) {
						serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
					}); err != nil {
						return err
					}
					return serr
				}}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				c.SetDeadline(time.Now().Add(60 * time.Second))
				go func() {
					// Writes until the server stops taking the body (it is
					// echoing, into a client that does not read), then
					// fails when the server closes.
					_, err := io.WriteString(c, fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n", n))
					chunk := []byte(strings.Repeat("0123456789abcdef", 4096))
					for left := n; err == nil && left > 0; left -= len(chunk) {
						_, err = c.Write(chunk[:min(left, len(chunk))])
					}
				}()
				waitFor(t, "the echo in flight", func() bool { return s.Stats().InFlight == 1 })
				if got := instanceOf(t, addr); got != id {
					t.Errorf("instance %q while a client stalls, want %q", got, id)
				}
				waitFor(t, "the stalled connection to close", func() bool {
					st := s.Stats()
					return st.ActiveConns == 0 && st.InFlight == 0
				})
				// What the client's kernel held when the server closed: the
				// head and the start of the echo, cut short, and nothing
				// of what the guest wrote after its write failed.
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				raw, err := io.ReadAll(c) // up to the close: EOF or a reset
				if isTimeout(err) {
					t.Fatalf("the stalled client read %d bytes, then %v; want the connection closed", len(raw), err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: "POST"})
				if err != nil {
					t.Fatalf("reading the head of the cut response: %v (%q)", err, raw[:min(len(raw), 200)])
				}
				b, err := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || len(b) >= n || err == nil {
					t.Fatalf("the stalled client got %d with %d bytes of %d, %v; want 200 cut short by a close", resp.StatusCode, len(b), n, err)
				}
				if i := bytes.Index(b, []byte("gateway:")); i >= 0 || !bytes.HasPrefix([]byte(strings.Repeat("0123456789abcdef", len(b)/16+1)), b) {
					t.Fatalf("the cut body is not a prefix of the echo: %q", b[max(i, len(b)-200, 0):])
				}
				after := s.Stats()
				if k := after.Requests - before.Requests; k != 2 {
					t.Errorf("%d requests counted, want 2 (%+v)", k, after)
				}
				if after.GuestErrors != 0 || after.GuestTimeouts != 0 || after.Instances != 0 {
					t.Errorf("stats %+v", after)
				}
				if strings.Count(logs.String(), "uri=/echo status=200 ") != 1 {
					t.Errorf("access log: want one /echo record:\n%s", logs)
				}
				wantSameInstance(t, s, addr, id, st.sched)
			})
		}
	})
}

// TestBlockingStreamTimeouts drives a blocking-style request stream
// (timedStream) the way the read and write imports do: on EAGAIN the call
// parks until the descriptor is ready, with no deadline of its own (the
// descriptor has none), so only the stream's timers end a wait.
//
//   - After a body read timeout the body is failed: later reads fail at
//     once with the same error, the answer says Connection: close, and the
//     connection is not kept (TestSchedBodyStall checks that the server
//     does not wait for the rest of the body).
//   - After a write timeout the connection's output is failed: later
//     writes (and flushes) fail at once with ETIMEDOUT, and finishing the
//     response does not wait again.
//
// "At once" is checked without a clock: a loop timer due at once runs
// only when the task parks, so it must not have run.
func TestBlockingStreamTimeouts(t *testing.T) {
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			loop := evlooptest.Start(t, backend)
			s := &Server{limits: http1.DefaultLimits(), log: quietLogger(),
				bodyTO: 100 * time.Millisecond, writeTO: 100 * time.Millisecond}
			w := &worker{srv: s, loop: loop, conns: map[*conn]struct{}{}, scratch: make([]byte, 64<<10)}

			t.Run("read", func(t *testing.T) {
				// 10 of 100 body bytes came with the head; then the client
				// stalls.
				peer, run := streamConn(t, w, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
				done := run(func(tk *evloop.Task, c *conn, q *timedStream) error {
					buf := make([]byte, 64)
					if n, err := parkingIO(tk, c, evloop.Readable, func() (int, error) { return q.Read(buf) }); n != 10 || err != nil {
						return fmt.Errorf("first read: %d, %v; want the 10 buffered bytes", n, err)
					}
					if n, err := parkingIO(tk, c, evloop.Readable, func() (int, error) { return q.Read(buf) }); n != 0 || err != unix.ETIMEDOUT {
						return fmt.Errorf("read of a stalled body: %d, %v; want ETIMEDOUT", n, err)
					}
					parked := parkProbe(tk)
					for range 2 {
						if n, err := q.Read(buf); n != 0 || err != unix.ETIMEDOUT {
							return fmt.Errorf("read after the timeout: %d, %v; want ETIMEDOUT at once", n, err)
						}
					}
					if e := q.StartResponse([]byte("200 OK"), nil, 0); e != 0 {
						return fmt.Errorf("start_response: %v", e)
					}
					if n, err := q.Write([]byte("answer")); n != 6 || err != nil {
						return fmt.Errorf("write: %d, %v", n, err)
					}
					if *parked {
						return errors.New("the stream waited after the body timeout")
					}
					q.stopTimers()
					c.r.callDone = true
					if c.finish(0) {
						return errors.New("the connection is kept after a body timeout")
					}
					return nil
				})
				// The answer, then the end of the stream.
				peer.SetReadDeadline(time.Now().Add(30 * time.Second))
				raw, err := io.ReadAll(peer)
				if err != nil {
					t.Fatalf("reading the answer: %q, %v", raw, err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: "POST"})
				if err != nil {
					t.Fatalf("answer %q: %v", raw, err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(b) != "answer" || !resp.Close {
					t.Errorf("answer %q; want 200 \"answer\" with Connection: close", raw)
				}
				peer.Close() // ends the lingering close
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})

			t.Run("write", func(t *testing.T) {
				// A client that never reads.
				peer, run := streamConn(t, w, "GET / HTTP/1.1\r\nHost: t\r\n\r\n")
				defer peer.Close()
				done := run(func(tk *evloop.Task, c *conn, q *timedStream) error {
					if e := q.StartResponse([]byte("200 OK"), nil, 0); e != 0 {
						return fmt.Errorf("start_response: %v", e)
					}
					chunk := make([]byte, 64<<10)
					var err error
					for total := 0; err == nil; {
						var n int
						n, err = parkingIO(tk, c, evloop.Writable, func() (int, error) { return q.Write(chunk) })
						if total += n; total > 64<<20 {
							return errors.New("64 MiB written to a client that does not read")
						}
					}
					if err != unix.ETIMEDOUT {
						return fmt.Errorf("write to a stalled client: %v; want ETIMEDOUT", err)
					}
					parked := parkProbe(tk)
					if n, err := q.Write(chunk); n != 0 || err != unix.ETIMEDOUT {
						return fmt.Errorf("write after the timeout: %d, %v; want ETIMEDOUT at once", n, err)
					}
					if n, err := q.Write(nil); n != 0 || err != unix.ETIMEDOUT {
						return fmt.Errorf("flush after the timeout: %d, %v; want ETIMEDOUT at once", n, err)
					}
					q.Close()
					q.stopTimers()
					c.r.callDone = true
					if c.finish(0) {
						return errors.New("the connection is kept after a write timeout")
					}
					if *parked {
						return errors.New("the response waited again after the write timeout")
					}
					return nil
				})
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// streamConn sets up a connection of w over a socketpair, with head (and
// any body bytes after it) already read and parsed, as conn.handle has it
// when it calls the guest. run runs f on a task of w's loop with the
// connection and its blocking-style stream, then closes the connection;
// its channel has f's error (a test failure if it takes 30 s). peer is the
// client's end, with a small receive buffer.
func streamConn(t *testing.T, w *worker, head string) (peer net.Conn, run func(f func(*evloop.Task, *conn, *timedStream) error) <-chan error) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	_ = unix.SetsockoptInt(fds[1], unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[1]), "peer")
	peer, err = net.FileConn(f)
	f.Close()
	if err != nil {
		unix.Close(fds[0])
		t.Fatal(err)
	}
	run = func(f func(*evloop.Task, *conn, *timedStream) error) <-chan error {
		res := make(chan error, 1)
		w.loop.Post(func() {
			w.loop.Go(func(tk *evloop.Task) {
				pd, err := w.loop.Register(fds[0])
				if err != nil {
					unix.Close(fds[0])
					res <- err
					return
				}
				pd.SetStream(true)
				c := newConn(w)
				c.t, c.fd, c.pd = tk, fds[0], pd
				c.takeBufs()
				defer func() {
					pd.Close()
					unix.Close(fds[0])
				}()
				c.rend = copy(c.rbuf, head)
				if _, err := http1.ParseHead(c.rbuf[:c.rend], &w.srv.limits, &c.req); err != nil {
					res <- err
					return
				}
				if err := c.r.begin(&c.req); err != nil {
					res <- err
					return
				}
				c.rpos += c.req.HeadLen
				res <- f(tk, c, c.blockStream())
			})
		})
		out := make(chan error, 1)
		go func() {
			select {
			case err := <-res:
				out <- err
			case <-time.After(30 * time.Second):
				out <- errors.New("the task did not finish in 30 s (a wait that never ends?)")
			}
		}()
		return out
	}
	return peer, run
}

// parkingIO runs op as the read and write imports do on a blocking
// descriptor without a timeout of its own: on EAGAIN it parks the task
// until c's socket is ready for mode, then retries.
func parkingIO(tk *evloop.Task, c *conn, mode evloop.Readiness, op func() (int, error)) (int, error) {
	for {
		n, err := op()
		if err != unix.EAGAIN {
			return n, err
		}
		if err := tk.WaitFD(c.pd, mode, time.Time{}); err != nil {
			return 0, err
		}
	}
}

// parkProbe returns a flag that a loop timer due at once sets: it runs
// only once the task parks (the loop runs timers between tasks), so while
// the flag is false the task has not waited since.
func parkProbe(tk *evloop.Task) *bool {
	parked := new(bool)
	tk.Loop().AfterFunc(0, func() { *parked = true })
	return parked
}

// wantSameInstance checks that the app at addr still answers from instance
// id, and for a scheduler-style app that its command was started once:
// what a stalled client did failed only its own request.
func wantSameInstance(t *testing.T, s *Server, addr, id string, sched bool) {
	t.Helper()
	if got := instanceOf(t, addr); got != id {
		t.Errorf("instance %q after the stall, want %q", got, id)
	}
	if sched {
		if n := s.Stats().Commands; n != 1 {
			t.Errorf("%d commands started, want 1", n)
		}
	}
}
