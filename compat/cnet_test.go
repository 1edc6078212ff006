package compat_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// echoClient connects to addr, sends msgs one at a time and checks each
// echo, then closes.
func echoClient(addr string, msgs ...string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	for _, m := range msgs {
		if _, err := io.WriteString(c, m); err != nil {
			return err
		}
		buf := make([]byte, len(m))
		if _, err := io.ReadFull(c, buf); err != nil {
			return fmt.Errorf("reading the echo of %q: %w", m, err)
		}
		if string(buf) != m {
			return fmt.Errorf("echo %q, want %q", buf, m)
		}
	}
	return nil
}

// TestCPollServer runs a wasi-libc server that multiplexes its preopened
// listener and connections with poll(), accept(), recv()/send() and
// read()/write(), against 40 concurrent clients that each hold their
// connection over several round trips.
func TestCPollServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-cnet")
		f, addr := listener(t)
		out := testguest.NewLineWriter()
		const n = 40
		done := start(mod, host.InstanceConfig{
			Args: []string{"compat-cnet", "-poll", fmt.Sprint(n)}, Stdout: out, Stderr: out,
			Listeners: []*os.File{f},
		})
		out.WaitLine(t, "ready")
		var wg sync.WaitGroup
		var gate sync.WaitGroup
		gate.Add(n)
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				gate.Done()
				if err != nil {
					errs <- err
					return
				}
				gate.Wait() // all connected before any talks
				c.SetDeadline(time.Now().Add(30 * time.Second))
				r := bufio.NewReader(c)
				for k := range 3 {
					m := fmt.Sprintf("client %d message %d %s\n", i, k, strings.Repeat("x", i*100))
					if _, err := io.WriteString(c, m); err != nil {
						errs <- err
						break
					}
					line, err := r.ReadString('\n')
					if err != nil || line != m {
						errs <- fmt.Errorf("client %d: echo %q, %v", i, line, err)
						break
					}
				}
				c.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		r := wait(t, done, out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v", r.code, r.err)
		}
		checkLines(t, out.String(), 2)
		if !strings.Contains(out.String(), fmt.Sprintf("%d open at once", n)) {
			t.Errorf("the guest did not hold all %d connections at once:\n%s", n, out)
		}
	})
}

// TestCBlockingServer makes the preopened listener blocking with fcntl
// and serves connections with a blocking accept() and read()/write():
// the instance is suspended in accept until a client comes.
func TestCBlockingServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-cnet")
		f, addr := listener(t)
		out := testguest.NewLineWriter()
		done := start(mod, host.InstanceConfig{
			Args: []string{"compat-cnet", "-blocking", "3"}, Stdout: out, Stderr: out,
			Listeners: []*os.File{f},
		})
		out.WaitLine(t, "ready")
		idleCPU(t) // suspended in a blocking accept
		for i := range 3 {
			if err := echoClient(addr, fmt.Sprintf("one %d", i), "two", strings.Repeat("z", 10000)); err != nil {
				t.Error(err)
			}
		}
		r := wait(t, done, out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v", r.code, r.err)
		}
		checkLines(t, out.String(), 2)
	})
}
