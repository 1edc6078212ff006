package wsgihost

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGuestTrap: a trap fails only its own request (500), is logged with
// the wasm stack, and the instance is replaced: the next request, on
// another connection, gets a fresh instance.
func TestGuestTrap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, logs := startServer(t, e, e.module(t, cGuestDir), func(s *Server) { s.Workers = 1 })
		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()
		base := "http://" + addr
		for i, want := range []string{"1\n", "2\n"} {
			if code, body, _ := httpGet(t, c, base+"/count"); code != 200 || body != want {
				t.Fatalf("count %d: %d %q", i, code, body)
			}
		}
		if code, _, _ := httpGet(t, c, base+"/trap"); code != 500 {
			t.Fatalf("trap: status %d, want 500", code)
		}
		c2 := &http.Client{Transport: &http.Transport{}}
		defer c2.CloseIdleConnections()
		if code, body, _ := httpGet(t, c2, base+"/count"); code != 200 || body != "1\n" {
			t.Fatalf("after the trap: %d %q, want a fresh instance's 1", code, body)
		}
		st := s.Stats()
		if st.GuestErrors != 1 || st.Instances != 1 {
			t.Errorf("stats %+v", st)
		}
		if l := logs.String(); !strings.Contains(l, "guest failed") || !strings.Contains(l, "wasm stack trace") || !strings.Contains(l, "unreachable") {
			t.Errorf("log lacks the failure with its wasm stack:\n%s", l)
		}
	})
}

// TestGuestDeadline: a guest computing forever is stopped at the request
// deadline with 503, and the server keeps serving.
func TestGuestDeadline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) {
			s.Workers = 1
			s.RequestDeadline = 300 * time.Millisecond
		})
		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()
		start := time.Now()
		code, _, _ := httpGet(t, c, "http://"+addr+"/loop")
		if d := time.Since(start); code != 503 || d < 300*time.Millisecond || d > 5*time.Second {
			t.Fatalf("loop: status %d after %v, want 503 after the deadline", code, d)
		}
		if code, body, _ := httpGet(t, c, "http://"+addr+"/"); code != 200 || body != "Hello, World!\n" {
			t.Fatalf("after the deadline: %d %q", code, body)
		}
		// A guest suspended in an import is stopped at the deadline too.
		if code, _, _ := httpGet(t, c, "http://"+addr+"/sleep?ms=5000"); code != 503 {
			t.Fatalf("sleep past the deadline: %d", code)
		}
		if st := s.Stats(); st.GuestTimeouts != 2 || st.Instances != 2 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestSlowGuestDoesNotBlock: a guest suspended in an import holds only its
// own instance; other requests on the same loop proceed.
func TestSlowGuestDoesNotBlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) { s.Workers = 1 })
		var wg sync.WaitGroup
		start := time.Now()
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &http.Client{Transport: &http.Transport{}}
				defer c.CloseIdleConnections()
				if code, body, _ := httpGet(t, c, "http://"+addr+"/sleep?ms=300"); code != 200 || body != "slept\n" {
					t.Errorf("%d %q", code, body)
				}
			}()
		}
		wg.Wait()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("10 concurrent 300 ms sleeps took %v on one loop", d)
		}
	})
}

// TestTimeouts: a truncated head gets 408, an idle keep-alive connection
// is closed, a stalled body fails the guest's read with ETIMEDOUT.
func TestTimeouts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) {
			s.ReadHeaderTimeout = 200 * time.Millisecond
			s.IdleTimeout = 200 * time.Millisecond
			s.BodyReadTimeout = 200 * time.Millisecond
		})
		t.Run("truncated head", func(t *testing.T) {
			c := dial(t, addr)
			io.WriteString(c, "GET / HTTP/1.1\r\nHost")
			b, _ := io.ReadAll(c)
			if !strings.HasPrefix(string(b), "HTTP/1.1 408 ") {
				t.Fatalf("got %q", b)
			}
		})
		t.Run("silent connection", func(t *testing.T) {
			c := dial(t, addr)
			b, err := io.ReadAll(c)
			if len(b) != 0 || err != nil {
				t.Fatalf("got %q, %v; want a silent close", b, err)
			}
		})
		t.Run("idle keep-alive", func(t *testing.T) {
			c := dial(t, addr)
			io.WriteString(c, get("/"))
			start := time.Now()
			b, _ := io.ReadAll(c)
			if !strings.HasSuffix(string(b), "Hello, World!\n") || time.Since(start) < 150*time.Millisecond {
				t.Fatalf("got %q after %v", b, time.Since(start))
			}
		})
		t.Run("stalled body", func(t *testing.T) {
			c := dial(t, addr)
			io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n12345")
			b, _ := io.ReadAll(c)
			// The guest reads 5 bytes, then ETIMEDOUT (73), answers, and
			// the connection closes.
			if !strings.Contains(string(b), "X-Read-Errno: 73\r\n") || !strings.HasSuffix(string(b), "12345") {
				t.Fatalf("got %q", b)
			}
		})
	})
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSlowClient: a client that does not read a large response
// back-pressures its guest (suspended on the full socket) without holding
// the loop; when it reads, it gets the whole body. A client that never
// reads is dropped after the write timeout.
func TestSlowClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) {
			s.Workers = 1
			s.WriteTimeout = 500 * time.Millisecond
		})
		const n = 8 << 20
		c := dial(t, addr)
		io.WriteString(c, get("/stream?n="+strconv.Itoa(n)+"&piece=65536"))
		time.Sleep(100 * time.Millisecond) // the socket buffers fill up
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		if code, body, _ := httpGet(t, hc, "http://"+addr+"/"); code != 200 || body != "Hello, World!\n" {
			t.Fatalf("other request while a client stalls: %d %q", code, body)
		}
		rs, _, _ := rawExchangeOn(c, []string{"GET"})
		if len(rs) != 1 || len(rs[0].body) != n || rs[0].bodyErr != nil {
			t.Fatalf("stalled client then reading: %d responses, %v", len(rs), rs)
		}

		c2 := dial(t, addr)
		io.WriteString(c2, get("/stream?n="+strconv.Itoa(n)+"&piece=65536"))
		time.Sleep(1500 * time.Millisecond) // past the write timeout
		c2.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.Copy(io.Discard, c2)
		if got >= n {
			t.Fatalf("a client that never read got the whole body (%d bytes)", got)
		}
	})
}

// TestIdleConnsHoldNoTask: keep-alive connections waiting for their next
// request hold no coroutine (the worker's loop has only its accept task
// alive) and no buffers, each is served again when its next request
// comes, and a graceful shutdown closes them.
func TestIdleConnsHoldNoTask(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) { s.Workers = 1 })
		const n = 64
		conns := make([]net.Conn, n)
		readers := make([]*bufio.Reader, n)
		for i := range conns {
			conns[i] = dial(t, addr)
			readers[i] = bufio.NewReader(conns[i])
		}
		round := func(round int) {
			t.Helper()
			for i, c := range conns {
				io.WriteString(c, get("/"))
				resp, err := http.ReadResponse(readers[i], nil)
				if err != nil {
					t.Fatalf("round %d, connection %d: %v", round, i, err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(b) != "Hello, World!\n" || resp.Close {
					t.Fatalf("round %d, connection %d: %d %q close=%v", round, i, resp.StatusCode, b, resp.Close)
				}
			}
		}
		// inspect counts, on the worker's loop, the tasks alive and the
		// connections holding buffers.
		inspect := func() (tasks, buffered int) {
			s.mu.Lock()
			w := s.workers[0]
			s.mu.Unlock()
			done := make(chan struct{})
			w.loop.Post(func() {
				tasks = w.loop.Stats().Tasks
				for c := range w.conns {
					if c.rbuf != nil || c.out != nil {
						buffered++
					}
				}
				close(done)
			})
			<-done
			return tasks, buffered
		}
		for r := 1; r <= 2; r++ {
			round(r)
			if tasks, buffered := inspect(); tasks != 1 || buffered != 0 {
				t.Fatalf("after round %d, %d idle keep-alive connections: %d tasks alive (want 1, the accept task), %d holding buffers (want 0)", r, n, tasks, buffered)
			}
		}
		if st := s.Stats(); st.ActiveConns != n {
			t.Fatalf("ActiveConns %d, want %d", st.ActiveConns, n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for i, c := range conns {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if b, err := readers[i].ReadByte(); err != io.EOF {
				t.Fatalf("connection %d after Shutdown: read %q, %v; want EOF", i, b, err)
			}
		}
	})
}

// TestDetachedWakeRace: a detached connection whose next request arrives
// in the same loop turn as its idle deadline or a shutdown sweep belongs
// to the job its readiness queued: the timer and the sweep leave it alone
// (closing it there handed a released connection to the job).
func TestDetachedWakeRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		s, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) { s.Workers = 1 })
		c := dial(t, addr)
		br := bufio.NewReader(c)
		get1 := func(i int) {
			t.Helper()
			io.WriteString(c, get("/"))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(b) != "Hello, World!\n" {
				t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
			}
		}
		get1(1)
		s.mu.Lock()
		w := s.workers[0]
		s.mu.Unlock()
		done := make(chan string, 1)
		w.loop.Post(func() {
			var sc *conn
			for x := range w.conns {
				sc = x
			}
			if sc == nil || !sc.detached {
				done <- "the connection is not detached after its request"
				return
			}
			// In one turn: the readiness edge, then the idle timer past
			// its deadline and a shutdown sweep, before the job runs.
			sc.readable(nil)
			sc.idleAt = time.Now().Add(-time.Second)
			sc.idleExpired()
			w.closeIdle()
			if sc.pd == nil {
				done <- "the connection was closed under its queued job"
				return
			}
			done <- ""
		})
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
		get1(2)
		if st := s.Stats(); st.ActiveConns != 1 {
			t.Fatalf("ActiveConns %d, want 1", st.ActiveConns)
		}
	})
}
