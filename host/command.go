package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
)

// CommandResult is how a command started with Module.Start ended: as
// Module.Run reports it, an exit code and, for a trap or a deadline, an
// error.
type CommandResult struct {
	ExitCode uint32
	Err      error
}

// Command is a command instance running on a task of its own, started by
// Module.Start: the long-running instance of a scheduler gateway guest,
// whose descriptor table other tasks on the same loop fill while it runs.
type Command struct {
	in     *Instance
	task   *evloop.Task
	cancel context.CancelFunc
	done   chan CommandResult
	ended  bool
}

// Start instantiates the module as a command on loop and runs its start
// functions (cfg.StartFunctions, by default _start) on a new task, without
// waiting for them. The instance's descriptor table (Instance().FDs()) is
// ready when Start returns, so other tasks on the loop may add descriptors
// to it while the guest runs or is suspended. Done receives the result when
// the start functions return, exit or trap; the instance is then closed.
// Call Start from the loop's goroutine (a task or a function posted to it).
func (m *Module) Start(ctx context.Context, loop *evloop.Loop, cfg InstanceConfig) *Command {
	return m.StartWith(ctx, loop, cfg, CommandHooks{})
}

// CommandHooks are the optional hooks of a command started with
// Module.StartWith. Both run on the loop goroutine.
type CommandHooks struct {
	// Setup runs on the command's task once the WASI descriptors (standard
	// I/O, preopened listeners and directories) are in the table and
	// before the start functions: it may add descriptors, and returns
	// environment variables ("KEY=value") to add to cfg.Env (a scheduler
	// gateway guest learns its listener's number this way). An error ends
	// the command with exit code 1.
	Setup func(in *Instance) (env []string, err error)
	// OnEnd runs when the command has ended, after its descriptors were
	// closed and before Done receives the result. While the descriptors
	// close (their streams' Close methods run), Running already reports
	// false, so a stream can tell the command's teardown from a guest's
	// close.
	OnEnd func(CommandResult)
}

// StartWith is Start with hooks.
func (m *Module) StartWith(ctx context.Context, loop *evloop.Loop, cfg InstanceConfig, hooks CommandHooks) *Command {
	start := cfg.StartFunctions
	if start == nil {
		start = []string{"_start"}
	}
	in := m.newInstance(loop, cfg)
	c := &Command{in: in, done: make(chan CommandResult, 1)}
	cctx, cancel := in.callContext(ctx)
	c.cancel = cancel
	loop.Go(func(t *evloop.Task) {
		c.task = t
		in.task = t
		in.busy = true
		defer cancel()
		stop := in.armDeadline(cctx, t)
		defer stop()
		var res CommandResult
		if err := in.setupWASI(); err != nil {
			res = CommandResult{ExitCode: 1, Err: err}
		} else if env, err := runSetup(hooks.Setup, in); err != nil {
			res = CommandResult{ExitCode: 1, Err: fmt.Errorf("host: command setup: %w", err)}
		} else {
			mcfg := cfg
			if len(env) > 0 {
				mcfg.Env = append(slices.Clip(cfg.Env), env...)
			}
			mod, ierr := m.rt.wr.InstantiateModule(m.importContext(cctx), m.compiled, m.moduleConfig(mcfg, start))
			if mod != nil {
				mod.Close(context.Background())
			}
			res.ExitCode, res.Err = exitStatus(ierr)
		}
		c.ended = true
		c.task = nil
		in.fds.CloseAll()
		in.busy = false
		in.task = nil
		in.broken = true
		if hooks.OnEnd != nil {
			hooks.OnEnd(res)
		}
		c.done <- res
	})
	return c
}

func runSetup(setup func(*Instance) ([]string, error), in *Instance) ([]string, error) {
	if setup == nil {
		return nil, nil
	}
	return setup(in)
}

// Instance returns the command's instance. Its Module is nil until the
// command ends (imports find the instance through their context).
func (c *Command) Instance() *Instance { return c.in }

// Done receives the command's result once, when it ends.
func (c *Command) Done() <-chan CommandResult { return c.done }

// Running reports whether the command has not ended yet. Loop goroutine
// only.
func (c *Command) Running() bool { return !c.ended }

// Stop ends a running command: its context is canceled and, when the guest
// is suspended in an import, its task is interrupted, so the guest unwinds
// and Done receives an error. Loop goroutine only.
func (c *Command) Stop() {
	if c.ended {
		return
	}
	c.cancel()
	if c.task != nil {
		c.task.Interrupt(evloop.ErrCanceled)
	}
}

// Kill ends a running command from any goroutine: its context is
// canceled, so wazero stops a guest that computes at its next loop header
// (one suspended in an import wakes at its next wait). It is the watchdog's
// way out of a guest that holds its loop; on the loop goroutine, Stop is
// more thorough.
func (c *Command) Kill() { c.cancel() }

// GatewayListenerEnv is the environment variable that tells a scheduler
// gateway guest the number of its GatewayListener descriptor (see SPEC.md,
// Gateway). The Go SDK's gateway package reads it.
const GatewayListenerEnv = "PTSEVENT_GATEWAY_FD"

// Revoke takes descriptor fd away from the guest without freeing its
// number: what it refers to is closed (waiters on a PollDesc it owns wake
// with EBADF), and until the guest closes fd, every operation on it fails
// with EBADF and polls report it at once as closed. A server revokes a
// request that it ended without the guest (a deadline): a guest goroutine
// still holding the number cannot then reach the next request given that
// number. Loop goroutine only.
func (t *FDTable) Revoke(fd int32) abi.Errno {
	d, e := t.Get(fd)
	if e != 0 {
		return e
	}
	d.close()
	pd := t.loop.NewVirtual()
	pd.Close()
	*d = Desc{Kind: KindVirtual, OSFd: -1, PD: pd, Stream: revoked{}, NonBlock: d.NonBlock, borrowedPD: true}
	return 0
}

// revoked is the stream of a revoked descriptor.
type revoked struct{}

func (revoked) Read([]byte) (int, error)  { return 0, unix.EBADF }
func (revoked) Write([]byte) (int, error) { return 0, unix.EBADF }
func (revoked) Close() error              { return nil }

// GatewayListener is the request listener of a scheduler gateway guest: a
// virtual descriptor a long-running command instance accepts requests from
// by reading it (see SPEC.md, Gateway). Each read returns as many queued
// request descriptor numbers as fit, 4 bytes little-endian each; with none
// queued it returns EAGAIN and the listener is not readable, so a guest
// that opened it non-blocking waits for the next request in poll_oneoff.
// After Close, reads return end of file. Loop goroutine only.
type GatewayListener struct {
	pd     *evloop.PollDesc
	queue  []int32
	closed bool
}

// NewGatewayListener makes a listener whose readiness pd reports (a
// virtual descriptor of the instance's loop, from Loop.NewVirtual). Add it
// to the instance's table with FDTable.AddStream(l, l.PollDesc(), true).
func NewGatewayListener(pd *evloop.PollDesc) *GatewayListener {
	pd.ClearReady(evloop.Readable | evloop.Writable)
	return &GatewayListener{pd: pd}
}

// PollDesc returns the listener's readiness.
func (l *GatewayListener) PollDesc() *evloop.PollDesc { return l.pd }

// Queue hands request descriptor fd (already in the guest's table) to the
// guest and makes the listener readable. It reports false after Close.
func (l *GatewayListener) Queue(fd int32) bool {
	if l.closed {
		return false
	}
	l.queue = append(l.queue, fd)
	l.pd.SetReady(evloop.Readable)
	return true
}

// Len returns the number of requests queued and not read yet.
func (l *GatewayListener) Len() int { return len(l.queue) }

// Read implements Stream: it moves whole 4-byte records into p (EINVAL
// when p cannot hold one).
func (l *GatewayListener) Read(p []byte) (int, error) {
	if len(l.queue) == 0 {
		if l.closed {
			return 0, nil
		}
		return 0, unix.EAGAIN
	}
	if len(p) < 4 {
		return 0, unix.EINVAL
	}
	n := 0
	for len(l.queue) > 0 && len(p)-n >= 4 {
		binary.LittleEndian.PutUint32(p[n:], uint32(l.queue[0]))
		l.queue = l.queue[1:]
		n += 4
	}
	if len(l.queue) == 0 && !l.closed {
		l.pd.ClearReady(evloop.Readable)
	}
	return n, nil
}

// Write implements Stream: the listener is read-only (EBADF).
func (l *GatewayListener) Write([]byte) (int, error) { return 0, unix.EBADF }

// Close implements Stream: queued requests are dropped (their descriptors
// stay in the table, for the server to fail and close) and reads return
// end of file.
func (l *GatewayListener) Close() error {
	if !l.closed {
		l.closed = true
		l.queue = nil
		l.pd.SetReady(evloop.Readable)
	}
	return nil
}

// HasWASIOverlay reports whether the runtime's wasi_snapshot_preview1 is
// an overlay on the instances' descriptor tables (Config.WASI or
// SetDefaultWASI, e.g. compat.Module) rather than wazero's own. A
// scheduler gateway guest needs one: its Go runtime waits for request
// descriptors in poll_oneoff.
func (r *Runtime) HasWASIOverlay() bool { return r.wasi != nil }
