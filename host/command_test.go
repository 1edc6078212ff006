package host_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// startCommand starts a hostcore command on one of the runtime's loops and
// returns it with its output buffer (read it only after Done).
func startCommand(t *testing.T, rt *host.Runtime, mod *host.Module, args ...string) (*host.Command, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	cfg := host.InstanceConfig{Args: append([]string{"g"}, args...), Stdout: &out, Stderr: &out}
	loop := rt.NextLoop()
	got := make(chan *host.Command, 1)
	loop.Post(func() { got <- mod.Start(context.Background(), loop, cfg) })
	select {
	case c := <-got:
		return c, &out
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return")
		return nil, nil
	}
}

func waitCommand(t *testing.T, c *host.Command) host.CommandResult {
	t.Helper()
	select {
	case r := <-c.Done():
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("command did not end")
		return host.CommandResult{}
	}
}

func TestCommandStart(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/hostcore")
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			rt := newRuntime(t, backend)
			mod, err := rt.Compile(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("RunsWithoutWaiting", func(t *testing.T) {
				begin := time.Now()
				slow, slowOut := startCommand(t, rt, mod, "sleep", "300")
				if d := time.Since(begin); d > 200*time.Millisecond {
					t.Fatalf("Start waited %v for the guest", d)
				}
				fast, fastOut := startCommand(t, rt, mod, "pipe")
				if r := waitCommand(t, fast); r.Err != nil || r.ExitCode != 0 || !strings.Contains(fastOut.String(), "second line") {
					t.Fatalf("fast command: %+v %q", r, fastOut.String())
				}
				select {
				case <-slow.Done():
					t.Fatal("the sleeping command ended before the fast one")
				default:
				}
				if r := waitCommand(t, slow); r.Err != nil || r.ExitCode != 0 || !strings.Contains(slowOut.String(), "slept 300") {
					t.Fatalf("slow command: %+v %q", r, slowOut.String())
				}
			})
			t.Run("StopSuspended", func(t *testing.T) {
				c, _ := startCommand(t, rt, mod, "block")
				time.Sleep(50 * time.Millisecond) // let it reach its wait
				c.Instance().Loop().Post(c.Stop)
				if r := waitCommand(t, c); r.Err == nil && r.ExitCode == 0 {
					t.Fatalf("stopped command ended cleanly: %+v", r)
				}
			})
			t.Run("Trap", func(t *testing.T) {
				c, _ := startCommand(t, rt, mod, "trap")
				if r := waitCommand(t, c); r.Err == nil && r.ExitCode == 0 {
					t.Fatalf("trapping command ended cleanly: %+v", r)
				}
			})
		})
	}
}

func TestGatewayListener(t *testing.T) {
	rt := newRuntime(t, evloop.Backends()[0])
	loop := rt.NextLoop()
	done := make(chan string, 1)
	loop.Post(func() {
		done <- func() string {
			l := host.NewGatewayListener(loop.NewVirtual())
			p := make([]byte, 8)
			if n, err := l.Read(p); n != 0 || err != unix.EAGAIN {
				return fmt.Sprintf("empty read: %d %v, want EAGAIN", n, err)
			}
			if l.PollDesc().Ready()&evloop.Readable != 0 {
				return "empty listener is readable"
			}
			l.Queue(5)
			l.Queue(7)
			l.Queue(300)
			if l.PollDesc().Ready()&evloop.Readable == 0 {
				return "listener with a queued request is not readable"
			}
			if n, err := l.Read(p[:3]); n != 0 || err != unix.EINVAL {
				return fmt.Sprintf("short read: %d %v, want EINVAL", n, err)
			}
			if n, err := l.Read(p[:7]); n != 4 || err != nil || binary.LittleEndian.Uint32(p) != 5 {
				return fmt.Sprintf("first read: %d %v %x", n, err, p)
			}
			if n, err := l.Read(p); n != 8 || err != nil || binary.LittleEndian.Uint32(p) != 7 || binary.LittleEndian.Uint32(p[4:]) != 300 {
				return fmt.Sprintf("second read: %d %v %x", n, err, p)
			}
			if l.PollDesc().Ready()&evloop.Readable != 0 {
				return "drained listener is readable"
			}
			if _, err := l.Write(p); err != unix.EBADF {
				return fmt.Sprintf("write: %v, want EBADF", err)
			}
			l.Queue(9)
			l.Close()
			if l.Queue(11) {
				return "Queue after Close accepted"
			}
			if n, err := l.Read(p); n != 0 || err != nil {
				return fmt.Sprintf("read after Close: %d %v, want end of file", n, err)
			}
			return ""
		}()
	})
	select {
	case msg := <-done:
		if msg != "" {
			t.Fatal(msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loop did not run the test")
	}
}
