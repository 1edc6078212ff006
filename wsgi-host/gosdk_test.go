package wsgihost

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestExampleApps serves the example apps through the server: the Go ones
// (examples/wasm/hello, a standard net/http handler built with the guest
// SDK, and examples/wasm/hello-ctx, the same routes on the SDK's Ctx
// mapping) and the C one (examples/wasm/hello-c-app) answer alike.
func TestExampleApps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		for _, dir := range []string{goGuestDir, goCtxDir, cAppDir} {
			t.Run(dir[strings.LastIndexByte(dir, '/')+1:], func(t *testing.T) { testExampleApp(t, e, dir) })
		}
	})
}

func testExampleApp(t *testing.T, e *testEnv, dir string) {
	_, addr, _ := startServer(t, e, e.module(t, dir), func(s *Server) { s.Workers = 1 })
	base := "http://" + addr
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()

	code, body, h := httpGet(t, c, base+"/")
	if code != 200 || body != "Hello, World!\n" || h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("Content-Length") != "14" {
		t.Fatalf("/: %d %q %v", code, body, h)
	}
	if code, _, _ := httpGet(t, c, base+"/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
	// For the Go apps, the environ of the second request is over the
	// guest SDK's first 4 KiB buffer (req_environ says ERANGE and the
	// buffer grows); the third is small again. (The C app's /env answer
	// is capped at 2 KiB.)
	uas := []string{"gosdk-test", "gosdk-" + strings.Repeat("long-", 2000), "gosdk-test-again"}
	if dir == cAppDir {
		uas = uas[:1]
	}
	for _, ua := range uas {
		req, _ := http.NewRequest("GET", base+"/env?a=b", nil)
		req.Header.Set("User-Agent", ua)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"method: GET\n", "path: /env\n", "query: a=b\n", "proto: HTTP/1.1\n", "host: " + addr + "\n", "remote: 127.0.0.1:", "user-agent: " + ua + "\n"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/env with a %d-byte User-Agent lacks %.80q:\n%.300s", len(ua), want, b)
			}
		}
	}

	// Echo: a Content-Length body, and a chunked one (the client
	// streams an unknown length) of 200 KB, which the handler echoes
	// in io.Copy's 32 KiB pieces: a chunked response.
	resp, err := c.Post(base+"/echo", "text/x-test", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" || resp.Header.Get("Content-Type") != "text/x-test" {
		t.Errorf("echo: %q %v", b, resp.Header)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 200000/16)
	pr, pw := io.Pipe()
	go func() { pw.Write(big); pw.Close() }()
	resp, err = c.Post(base+"/echo", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, big) || len(resp.TransferEncoding) == 0 {
		t.Errorf("big echo: %d bytes (want %d), TransferEncoding %v", len(b), len(big), resp.TransferEncoding)
	}

	resp, err = c.Head(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != 14 {
		t.Errorf("HEAD: %d CL %d", resp.StatusCode, resp.ContentLength)
	}

	// Sleep suspends only its own request: concurrent sleeps overlap.
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}}
			defer c.CloseIdleConnections()
			if code, body, _ := httpGet(t, c, base+"/sleep?ms=300"); code != 200 || !strings.HasPrefix(body, "slept ") {
				t.Errorf("sleep: %d %q", code, body)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Errorf("4 concurrent 300 ms sleeps took %v", d)
	}
}

// TestShutdownDrains: Shutdown waits for the request in flight, which
// completes (with Connection: close), and Serve returns ErrServerClosed.
func TestShutdownDrains(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, cGuestDir), nil)
		idle := dial(t, addr) // an idle connection is closed at once
		type result struct {
			resp response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			c := dial(t, addr)
			io.WriteString(c, get("/sleep?ms=400"))
			rs, _, _ := rawExchangeOn(c, []string{"GET"})
			if len(rs) == 0 {
				done <- result{err: errors.New("no response")}
				return
			}
			done <- result{resp: rs[0]}
		}()
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("Shutdown returned after %v, before the request in flight ended", d)
		}
		r := <-done
		if r.err != nil || r.resp.StatusCode != 200 || string(r.resp.body) != "slept\n" || !r.resp.Close {
			t.Fatalf("in-flight request: %+v %v", r.resp, r.err)
		}
		if b, err := io.ReadAll(idle); len(b) != 0 || err != nil {
			t.Errorf("idle connection: %q %v", b, err)
		}
		if c, err := dialTimeout(addr); err == nil {
			c.Close()
			t.Errorf("listener still accepts after Shutdown")
		}
	})
}
