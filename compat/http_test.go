package compat_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// listener opens a loopback listening socket and returns it as a file for
// InstanceConfig.Listeners, and its address.
func listener(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // f keeps the socket
	t.Cleanup(func() { f.Close() })
	return f, addr
}

func get(c *http.Client, url, want string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || string(b) != want {
		return fmt.Errorf("GET %s: %d %q, want %q", url, resp.StatusCode, b, want)
	}
	return nil
}

// TestGoHTTPServer serves 1000 concurrent keep-alive clients from one
// instance of an unmodified Go net/http server (net.FileListener on the
// preopened descriptor 3): every client keeps its own connection open for
// all its requests, all 1000 connections are open at once (a barrier after
// the first request), and one round of requests sleeps 50ms in the guest,
// all at once. Between rounds and after the last, the instance must be
// suspended in poll_oneoff: the process is idle.
func TestGoHTTPServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-http")
		f, addr := listener(t)
		out := testguest.NewLineWriter()
		done := start(mod, host.InstanceConfig{
			Args:           []string{"compat-http"},
			Stdout:         out,
			Stderr:         out,
			Listeners:      []*os.File{f},
			MaxDescriptors: 4096,
		})
		if got := out.WaitLine(t, "serving on "); got != "tcp" {
			t.Fatalf("listener network %q", got)
		}
		base := "http://" + addr

		const clients, rounds = 1000, 5
		transports := make([]*http.Transport, clients)
		var (
			wg, barrier sync.WaitGroup
			errMu       sync.Mutex
			errs        []error
		)
		fail := func(err error) {
			errMu.Lock()
			errs = append(errs, err)
			errMu.Unlock()
		}
		barrier.Add(clients)
		startAll := time.Now()
		var sleepRound time.Duration
		var sleepMu sync.Mutex
		for i := range clients {
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			transports[i] = tr
			c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					var err error
					if r == 2 {
						t0 := time.Now()
						err = get(c, base+"/sleep?d=50ms", "slept")
						sleepMu.Lock()
						sleepRound = max(sleepRound, time.Since(t0))
						sleepMu.Unlock()
					} else {
						err = get(c, fmt.Sprintf("%s/hello/c%d-r%d", base, i, r), fmt.Sprintf("hello c%d-r%d", i, r))
					}
					if r == 0 {
						barrier.Done()
						barrier.Wait() // all connections open at once
					}
					if err != nil {
						fail(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("%d clients x %d requests in %v; the sleeping round's slowest request took %v",
			clients, rounds, time.Since(startAll), sleepRound)
		for i, err := range errs {
			if i < 5 {
				t.Error(err)
			}
		}
		if len(errs) > 0 {
			t.Fatalf("%d clients failed", len(errs))
		}
		// Served one at a time, the sleeping round would take 1000 x 50ms.
		if sleepRound > 10*time.Second {
			t.Errorf("the round of 50ms sleeps took %v: requests were not served concurrently", sleepRound)
		}

		// 1000 idle keep-alive connections: the guest waits in poll_oneoff.
		idleCPU(t)

		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
		statsClient := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
		want := fmt.Sprintf("conns=%d requests=%d", clients+1, clients*(rounds-1))
		if err := get(statsClient, base+"/stats", want); err != nil {
			t.Error(err, "(each client must have kept one connection)")
		}
		if err := get(statsClient, base+"/quit", "bye"); err != nil {
			t.Fatal(err)
		}
		r := wait(t, done, out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v; output:\n%s", r.code, r.err, out)
		}
	})
}
