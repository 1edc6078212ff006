package wsgihost

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/tetratelabs/wazero/sys"
)

// Style is how a gateway guest serves requests (see SPEC.md, Gateway).
type Style int

const (
	// StyleAuto picks the style from the module's exports: StyleScheduler
	// when it has _start (a command: a Go command linking the SDK's
	// gateway package exports pts_handle too, which cannot be called
	// before _start), else StyleBlocking when it exports pts_handle.
	StyleAuto Style = iota
	// StyleBlocking is a reactor exporting pts_handle, called once per
	// request on a pooled instance: an instance serves one request at a
	// time (Server.PoolSize instances per worker).
	StyleBlocking
	// StyleScheduler is a command (a Go main calling gateway.Serve) that
	// runs for the server's life, one instance per worker, and accepts
	// requests from a listener descriptor: it serves many requests at once
	// on goroutines, its Go runtime waiting for them in poll_oneoff. It
	// needs the WASI overlay (compat.Install or host.Config.WASI).
	StyleScheduler
)

// String returns "auto", "blocking" or "scheduler".
func (st Style) String() string {
	switch st {
	case StyleAuto:
		return "auto"
	case StyleBlocking:
		return "blocking"
	case StyleScheduler:
		return "scheduler"
	}
	return "Style(" + strconv.Itoa(int(st)) + ")"
}

// ParseStyle parses what String returns.
func ParseStyle(s string) (Style, error) {
	for _, st := range []Style{StyleAuto, StyleBlocking, StyleScheduler} {
		if s == st.String() {
			return st, nil
		}
	}
	return StyleAuto, fmt.Errorf("wsgihost: unknown gateway style %q (want auto, blocking or scheduler)", s)
}

// resolveStyle checks the module against the style asked for and returns
// the style to serve it in.
func (s *Server) resolveStyle() (Style, error) {
	m := s.Module
	hasHandle, hasStart := m.HasExport(host.GatewayExport), m.HasExport("_start")
	st := s.Style
	if st == StyleAuto {
		switch {
		case hasStart:
			st = StyleScheduler
		case hasHandle:
			st = StyleBlocking
		default:
			return 0, fmt.Errorf("wsgihost: %s exports neither %s (a blocking-style app: a reactor) nor _start (a scheduler app: a command whose main calls gateway.Serve)", m.Name, host.GatewayExport)
		}
	}
	switch st {
	case StyleBlocking:
		if !hasHandle {
			return 0, fmt.Errorf("wsgihost: %s exports no %s: build a blocking-style gateway app as a reactor (Go: -buildmode=c-shared with gateway.Serve; C: -mexec-model=reactor)", m.Name, host.GatewayExport)
		}
	case StyleScheduler:
		if !hasStart {
			return 0, fmt.Errorf("wsgihost: %s has no _start: build a scheduler gateway app as a command (Go: main calls gateway.Serve)", m.Name)
		}
		if !s.Runtime.HasWASIOverlay() {
			return 0, errors.New("wsgihost: a scheduler-style app needs the WASI overlay (compat.Install, or host.Config.WASI = compat.Module)")
		}
	default:
		return 0, fmt.Errorf("wsgihost: unknown gateway style %d", int(st))
	}
	return st, nil
}

// DefaultSchedMaxDescriptors is the descriptor limit of a scheduler-style
// command when InstanceConfig.MaxDescriptors is 0: each request it serves
// takes a descriptor of its table (a request beyond the limit gets 503).
const DefaultSchedMaxDescriptors = 64 << 10

// Restart backoff of a scheduler command that keeps failing: a command
// that ends within minCommandLife of its start waits before the next one,
// twice as long each time up to maxRestartBackoff.
const (
	minCommandLife     = time.Second
	minRestartBackoff  = 20 * time.Millisecond
	maxRestartBackoff  = 5 * time.Second
	stopCommandTimeout = 2 * time.Second
)

var (
	// errRequestDone wakes a connection whose request ended in the guest
	// (closed, or its command ended).
	errRequestDone = errors.New("wsgihost: request done")
	// errAborted is a request whose guest called req_abort.
	errAborted = errors.New("wsgihost: the guest aborted the response")
	// errCommandEnded fails the requests of a command that ended.
	errCommandEnded = errors.New("wsgihost: scheduler command ended")
	// errNoCommand fails a request that found no command within its
	// deadline.
	errNoCommand = errors.New("wsgihost: no scheduler command accepting requests")
	// errListenerClosed fails a request whose command closed its listener.
	errListenerClosed = errors.New("wsgihost: the guest closed its gateway listener")
)

// schedState is a worker's scheduler command and the requests it serves.
// Loop goroutine only, but for running, which the watchdog reads.
type schedState struct {
	cmd      *host.Command           // nil while none runs
	lst      *host.GatewayListener   // nil until the command is set up
	ready    *evloop.PollDesc        // readable while lst accepts requests
	inflight map[*conn]*host.Command // requests queued to a command
	freeReqs []*timedStream          // request streams for reuse
	started  time.Time
	backoff  time.Duration
	stopping bool

	running   atomic.Pointer[host.Command] // for the watchdog goroutine
	heartbeat atomic.Uint64                // loop turns seen by the watchdog
	killed    atomic.Bool                  // the watchdog killed the command
}

func newSchedState(loop *evloop.Loop) *schedState {
	return &schedState{ready: loop.NewVirtual(), inflight: map[*conn]*host.Command{}}
}

// startCommand starts the worker's scheduler command: its listener goes
// into its table once WASI's descriptors are there, its number into the
// environment.
func (w *worker) startCommand() {
	s, sc := w.srv, w.sched
	if sc.stopping || sc.cmd != nil {
		return
	}
	cfg := s.instCfg
	cfg.Deadline = 0 // the command lives as long as the server; requests have deadlines
	if cfg.MaxDescriptors <= 0 {
		cfg.MaxDescriptors = DefaultSchedMaxDescriptors
	}
	var cmd *host.Command
	cmd = s.Module.StartWith(context.Background(), w.loop, cfg, host.CommandHooks{
		Setup: func(in *host.Instance) ([]string, error) {
			lst := host.NewGatewayListener(w.loop.NewVirtual())
			fd, _, e := in.FDs().AddStream(lst, lst.PollDesc(), true)
			if e != 0 {
				return nil, fmt.Errorf("gateway listener: %w", e)
			}
			switch {
			case sc.cmd != cmd:
			case sc.stopping:
				lst.Close()
			default:
				sc.lst = lst
				sc.ready.SetReady(evloop.Readable)
			}
			return []string{host.GatewayListenerEnv + "=" + strconv.Itoa(int(fd))}, nil
		},
		OnEnd: func(res host.CommandResult) { w.commandEnded(cmd, res) },
	})
	sc.cmd = cmd
	sc.started = time.Now()
	sc.killed.Store(false)
	sc.running.Store(cmd)
	s.stats.commands.Add(1)
	s.cmdRunning.Add(1)
}

// commandEnded runs on the command's task as it ends: it fails the
// command's requests, logs the failure and schedules the next command.
func (w *worker) commandEnded(cmd *host.Command, res host.CommandResult) {
	s, sc := w.srv, w.sched
	s.cmdRunning.Add(-1)
	if sc.cmd != cmd {
		return
	}
	sc.cmd, sc.lst = nil, nil
	sc.running.Store(nil)
	sc.ready.ClearReady(evloop.Readable)
	killed := sc.killed.Load()
	err := res.Err
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit code %d", res.ExitCode)
	}
	if err == nil {
		err = errors.New("returned")
	}
	if killed {
		err = fmt.Errorf("stopped by the watchdog: it held its loop past the request deadline: %w", err)
	}
	status := 500
	if killed || isDeadline(res.Err) {
		status = 503
	}
	n := 0
	for c, owner := range sc.inflight {
		if owner != cmd {
			continue
		}
		n++
		c.r.cmdErr = err
		c.r.cmdStatus = status
		c.t.Interrupt(errRequestDone)
	}
	if !sc.stopping {
		// wazero's error text carries the wasm stack trace.
		s.stats.discarded.Add(1)
		s.log.Error("wsgihost: scheduler guest ended; restarting it", "module", s.Module.Name,
			"requests_failed", n, "err", err.Error())
	} else if res.Err != nil && !errors.Is(res.Err, context.Canceled) {
		s.log.Debug("wsgihost: scheduler guest stopped", "module", s.Module.Name, "err", res.Err.Error())
	}
	if sc.stopping {
		return
	}
	if time.Since(sc.started) < minCommandLife {
		sc.backoff = min(max(2*sc.backoff, minRestartBackoff), maxRestartBackoff)
	} else {
		sc.backoff = 0
	}
	backoff := sc.backoff
	w.loop.Go(func(t *evloop.Task) {
		if backoff > 0 && t.Sleep(backoff) != nil {
			return
		}
		w.startCommand()
	})
}

func isDeadline(err error) bool {
	var ee *sys.ExitError
	return errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled)
}

// stopCommand stops the worker's command: its listener closes (the
// guest's accept loop sees the end and its Serve returns) and, when
// graceful, the guest gets stopCommandTimeout to return from main before
// it is stopped.
func (w *worker) stopCommand(graceful bool) {
	sc := w.sched
	sc.stopping = true
	if sc.lst != nil {
		sc.lst.Close()
	}
	sc.ready.SetReady(evloop.Readable) // requests waiting for a command give up
	cmd := sc.cmd
	if cmd == nil {
		return
	}
	if !graceful {
		cmd.Stop()
		return
	}
	w.loop.AfterFunc(stopCommandTimeout, func() { cmd.Stop() })
}

// watchdog stops a scheduler command that holds its loop (computes
// without waiting) longer than the request deadline: the loop's
// heartbeat, posted every period, stops while a guest computes, and the
// command's context is then canceled from here.
func (w *worker) watchdog(deadline time.Duration) {
	sc := w.sched
	period := max(deadline/4, 10*time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	last := sc.heartbeat.Load()
	since := time.Now()
	for {
		select {
		case <-w.srv.done:
			return
		case <-w.loop.Done():
			return
		case now := <-tick.C:
			w.loop.Post(func() { sc.heartbeat.Add(1) })
			if cur := sc.heartbeat.Load(); cur != last {
				last, since = cur, now
				continue
			}
			if now.Sub(since) < deadline {
				continue
			}
			if cmd := sc.running.Load(); cmd != nil && !sc.killed.Load() {
				sc.killed.Store(true)
				cmd.Kill()
			}
			since = now
		}
	}
}

// callSched hands the current request to the worker's scheduler command
// and parks until it ends: the guest closes the request descriptor, the
// command ends, or the request deadline passes. The guest's waits for body
// bytes and for the client to take output are bounded by BodyReadTimeout
// and WriteTimeout, as in the blocking style (see timedStream). It returns
// what callGuest returns.
func (c *conn) callSched() (int, error) {
	s, w := c.s, c.w
	sc := w.sched
	var dl time.Time
	if s.reqTO > 0 {
		dl = time.Now().Add(s.reqTO)
	}
	for sc.lst == nil {
		if sc.stopping {
			return 503, errNoCommand
		}
		if err := c.t.WaitFD(sc.ready, evloop.Readable, dl); err != nil {
			if err == evloop.ErrTimeout {
				s.stats.guestTimeouts.Add(1)
				s.log.Error("wsgihost: no scheduler guest accepted the request in time", "module", s.Module.Name,
					"method", string(c.r.method()), "uri", string(c.r.uri()))
			}
			return 503, errNoCommand
		}
	}
	cmd, lst := sc.cmd, sc.lst
	fds := cmd.Instance().FDs()
	r := &c.r
	// Once callSched returns, no live descriptor refers to q: the guest
	// closed it, it was revoked, or its command ended.
	q := sc.getReq(w, r)
	defer sc.putReq(q)
	fd, d, e := fds.AddStream(q, c.pd, true)
	if e != 0 {
		s.log.Error("wsgihost: request descriptor", "errno", e)
		return 503, e
	}
	d.RecvTimeout = s.bodyTO
	d.SendTimeout = s.writeTO
	r.cmd = cmd
	if !lst.Queue(fd) {
		r.callDone = true
		fds.Close(fd)
		return 503, errListenerClosed
	}
	sc.inflight[c] = cmd
	// From here the guest's task reads and writes the connection: TLS I/O
	// must not park (conn.nonblock).
	c.nonblock = true
	var werr error
	for !r.guestClosed && r.cmdErr == nil {
		wait := time.Duration(1 << 62)
		if !dl.IsZero() {
			if wait = time.Until(dl); wait <= 0 {
				break
			}
		}
		if werr = c.t.Sleep(wait); werr != nil && werr != errRequestDone {
			break
		}
		werr = nil
	}
	delete(sc.inflight, c)
	c.nonblock = false
	r.callDone = true
	switch {
	case r.guestClosed:
		return 0, nil
	case r.cmdErr != nil:
		if r.cmdStatus == 503 {
			s.stats.guestTimeouts.Add(1)
		} else {
			s.stats.guestErrors.Add(1)
		}
		return r.cmdStatus, fmt.Errorf("%w: %w", errCommandEnded, r.cmdErr)
	}
	// The deadline passed, or the connection is being closed: take the
	// descriptor away from the guest (its goroutine gets EBADF).
	if cmd.Running() {
		if cur, e := fds.Get(fd); e == 0 && cur == d {
			fds.Revoke(fd)
		}
	}
	if werr != nil {
		return 503, werr
	}
	s.stats.guestTimeouts.Add(1)
	err := fmt.Errorf("request deadline (%v) exceeded", s.reqTO)
	s.log.Error("wsgihost: guest failed", "module", s.Module.Name,
		"method", string(r.method()), "uri", string(r.uri()), "status", 503, "err", err.Error())
	return 503, err
}

// getReq returns a request stream for r, reused if one is free.
func (sc *schedState) getReq(w *worker, r *request) *timedStream {
	q, ok := popFree(&sc.freeReqs)
	if !ok {
		q = newTimedStream(w.loop)
	}
	q.reset(r, w.srv)
	return q
}

// putReq takes a request stream back once its request ended.
func (sc *schedState) putReq(q *timedStream) {
	q.stopTimers()
	q.request = nil
	if len(sc.freeReqs) < 1024 {
		sc.freeReqs = append(sc.freeReqs, q)
	}
}
