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

// probe is a stream that records whether its command was running when the
// stream was closed.
type probe struct {
	cmd          **host.Command
	closed       bool
	runningClose bool
}

func (p *probe) Read([]byte) (int, error)  { return 0, unix.EAGAIN }
func (p *probe) Write([]byte) (int, error) { return 0, unix.EAGAIN }
func (p *probe) Close() error {
	p.closed = true
	p.runningClose = (*p.cmd).Running()
	return nil
}

// TestCommandHooks: Setup adds descriptors and environment before the
// guest starts, OnEnd sees the result after the teardown, during which
// Running is already false; Revoke keeps a number but takes its stream
// away.
func TestCommandHooks(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/hostcore")
	rt := newRuntime(t, evloop.Backends()[0])
	mod, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	loop := rt.NextLoop()
	type outcome struct {
		setupFD  int32
		onEnd    *host.CommandResult
		probe    *probe
		revokeOK string
	}
	out := make(chan *outcome, 1)
	var cmd *host.Command
	o := &outcome{probe: &probe{cmd: &cmd}}
	loop.Post(func() {
		cmd = mod.StartWith(context.Background(), loop, host.InstanceConfig{Args: []string{"g", "block"}}, host.CommandHooks{
			Setup: func(in *host.Instance) ([]string, error) {
				fd, _, e := in.FDs().AddStream(o.probe, loop.NewVirtual(), true)
				if e != 0 {
					return nil, e
				}
				o.setupFD = fd
				// A second descriptor, revoked at once.
				pd := loop.NewVirtual()
				rfd, _, _ := in.FDs().AddStream(&probe{cmd: &cmd}, pd, true)
				if e := in.FDs().Revoke(rfd); e != 0 {
					o.revokeOK = "Revoke: " + e.Error()
				} else if d, e := in.FDs().Get(rfd); e != 0 {
					o.revokeOK = "revoked number freed"
				} else if _, err := d.Stream.Read(make([]byte, 1)); err != unix.EBADF {
					o.revokeOK = fmt.Sprintf("read on a revoked descriptor: %v", err)
				} else if d.PD.Ready()&evloop.Closed == 0 {
					o.revokeOK = "revoked descriptor does not poll as closed"
				}
				return []string{"X=1"}, nil
			},
			OnEnd: func(r host.CommandResult) {
				o.onEnd = &r
				out <- o
			},
		})
		loop.AfterFunc(50*time.Millisecond, cmd.Stop)
	})
	select {
	case o := <-out:
		if o.setupFD < 3 || o.onEnd == nil || o.onEnd.Err == nil || o.revokeOK != "" {
			t.Fatalf("outcome %+v (result %+v)", o, o.onEnd)
		}
		if !o.probe.closed || o.probe.runningClose {
			t.Fatalf("probe closed %v, while running %v", o.probe.closed, o.probe.runningClose)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("command did not end")
	}
	if r := waitCommand(t, cmd); r.Err == nil {
		t.Fatalf("Done: %+v", r)
	}
}
