package wsgihost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// Guests of the tests, built from source.
const (
	cGuestDir  = "wsgi-host/testdata/cguest" // every gateway rule, in C
	goGuestDir = "examples/wasm/hello"       // the example app, Go SDK
	goCtxDir   = "examples/wasm/hello-ctx"   // the same app on the SDK's Ctx mapping
	cAppDir    = "examples/wasm/hello-c-app" // the example app in C
)

// testEnv is one runtime per backend, shared by the tests of the binary,
// with the guests compiled once.
type testEnv struct {
	backend string
	rt      *host.Runtime
	mu      sync.Mutex
	mods    map[string]*host.Module
}

var (
	envsMu sync.Mutex
	envs   = map[string]*testEnv{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, e := range envs {
		e.rt.Close(context.Background())
	}
	os.Exit(code)
}

// wazeroCache keeps compiled guests across test runs (the Go guest takes
// seconds to compile).
func wazeroCache() string { return filepath.Join(os.TempDir(), "ptsevent-wsgihost-wazero") }

func getEnv(t testing.TB, backend string) *testEnv {
	t.Helper()
	envsMu.Lock()
	defer envsMu.Unlock()
	if e, ok := envs[backend]; ok {
		return e
	}
	rt, err := host.NewRuntime(context.Background(), host.Config{
		Backend: backend, Loops: 2, CacheDir: wazeroCache(), Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{backend: backend, rt: rt, mods: map[string]*host.Module{}}
	envs[backend] = e
	return e
}

// module compiles the guest in dir (once per runtime).
func (e *testEnv) module(t testing.TB, dir string) *host.Module {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.mods[dir]; ok {
		return m
	}
	m, err := e.rt.Compile(context.Background(), testguest.Bytes(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	m.Name = filepath.Base(dir)
	e.mods[dir] = m
	return m
}

// logBuffer collects a server's log for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startServer serves mod on e's runtime on a loopback port.
func startServer(t testing.TB, e *testEnv, mod *host.Module, tweak func(*Server)) (*Server, string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s := &Server{Module: mod, Runtime: e.rt, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if tweak != nil {
		tweak(s)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after Close")
		}
	})
	return s, s.Addr().String(), logs
}

// forEachBackend runs f as a subtest per compiled-in loop backend.
func forEachBackend(t *testing.T, f func(t *testing.T, e *testEnv)) {
	for _, b := range evloop.Backends() {
		t.Run(b, func(t *testing.T) { f(t, getEnv(t, b)) })
	}
}

// response is one response read off a raw connection.
type response struct {
	*http.Response
	body    []byte
	bodyErr error
}

// exchange sends raw on a new connection (in one write, or one byte per
// write), reads one response per method in methods, and reports whether
// the server then closed the connection.
func rawExchange(t testing.TB, addr, raw string, methods []string, oneByte bool) ([]response, bool, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if oneByte {
		for i := 0; i < len(raw); i++ {
			if _, err := c.Write([]byte{raw[i]}); err != nil {
				t.Fatalf("write byte %d: %v", i, err)
			}
			if i%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	} else if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &wire))
	var out []response
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("reading response %d: %v (wire so far: %q)", len(out)+1, err, wire.String())
		}
		body, berr := io.ReadAll(resp.Body)
		out = append(out, response{resp, body, berr})
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = br.ReadByte()
	closed := err != nil && !isTimeout(err)
	return out, closed, wire.Bytes()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func httpGet(t testing.TB, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func envLines(body []byte) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// rawExchangeOn reads responses off an open connection.
func rawExchangeOn(c net.Conn, methods []string) ([]response, bool, []byte) {
	var wire bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &wire))
	var out []response
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			return out, true, wire.Bytes()
		}
		body, berr := io.ReadAll(resp.Body)
		out = append(out, response{resp, body, berr})
	}
	return out, false, wire.Bytes()
}

func dialTimeout(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }
