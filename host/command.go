package host

import (
	"context"
	"encoding/binary"

	"golang.org/x/sys/unix"

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
		} else {
			mod, ierr := m.rt.wr.InstantiateModule(m.importContext(cctx), m.compiled, m.moduleConfig(cfg, start))
			if mod != nil {
				mod.Close(context.Background())
			}
			res.ExitCode, res.Err = exitStatus(ierr)
		}
		in.fds.CloseAll()
		in.busy = false
		in.task = nil
		in.broken = true
		c.ended = true
		c.task = nil
		c.done <- res
	})
	return c
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
