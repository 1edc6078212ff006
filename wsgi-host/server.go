package wsgihost

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
	"golang.org/x/sys/unix"
)

// Defaults of the Server's limits and timeouts. Sizes are in the range
// nginx and HAProxy use; timeouts are those of a careful net/http server.
const (
	DefaultMaxRequestLine    = http1.DefaultMaxRequestLine // 8 KiB
	DefaultMaxHeaderBytes    = http1.DefaultMaxHeaderBytes // 16 KiB
	DefaultMaxHeaders        = http1.DefaultMaxHeaders     // 100
	DefaultMaxBodyBytes      = http1.DefaultMaxBodyBytes   // 1 MiB
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyReadTimeout   = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultRequestDeadline   = 30 * time.Second
	DefaultPoolSize          = 64
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close (it is net/http's value, so callers can test for either).
var ErrServerClosed = http.ErrServerClosed

// Server is the HTTP/1.1 server that runs a gateway guest app on the loops
// of a host.Runtime. Set the fields before Listen or Serve; the zero value
// of each limit and timeout means its default, a negative timeout means
// none.
type Server struct {
	// Runtime provides the loops; nil means Module's runtime.
	Runtime *host.Runtime
	// Module is the guest app: a reactor exporting pts_handle
	// (abi.Exports) or a command whose main calls the Go SDK's
	// gateway.Serve (see Style).
	Module *host.Module
	// Style is how Module serves requests; StyleAuto (the zero value)
	// detects it from the module's exports.
	Style Style
	// InstanceConfig configures each instance (capabilities, stdout and
	// stderr, descriptor limit). Its Deadline, when 0, is RequestDeadline.
	InstanceConfig host.InstanceConfig
	// Workers is the number of loops that serve (each with its own
	// listener, accept task and instance pool); 0 means all of Runtime's.
	Workers int
	// PoolSize bounds the instances per worker, that is the requests a
	// worker serves at once (DefaultPoolSize when 0). A request that finds
	// every instance busy waits for one. A scheduler-style app has one
	// instance per worker and no such bound.
	PoolSize int

	// MaxRequestLine bounds the request line (414 beyond it).
	MaxRequestLine int
	// MaxHeaderBytes bounds the header block and a chunked body's trailers
	// (431 beyond it).
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields (431 beyond it).
	MaxHeaders int
	// MaxBodyBytes bounds a request body, declared or chunked (413).
	MaxBodyBytes int64

	// ReadHeaderTimeout bounds reading a request head, from its first byte
	// (from the accept for a connection's first request); a client that
	// sent part of a head gets 408.
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds each wait for request body bytes while the
	// guest reads (it gets ETIMEDOUT and the connection closes afterwards).
	BodyReadTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a keep-alive
	// connection.
	IdleTimeout time.Duration
	// WriteTimeout bounds each wait for the client to accept response
	// bytes (the guest gets ETIMEDOUT; the connection closes).
	WriteTimeout time.Duration
	// RequestDeadline bounds each guest call: past it the instance is
	// closed, computing or suspended, and the request fails with 503. For
	// a scheduler-style app it bounds each request: past it the request
	// fails with 503 and its descriptor is revoked, while the instance
	// serves on (unless it holds its loop that long: it is then stopped
	// and replaced).
	RequestDeadline time.Duration

	// TLSConfig, when set, makes the server speak HTTPS (it needs at least
	// one certificate). The handshake and the record layer run in the
	// connection's task; a guest's reads and writes on a request then
	// always wait in the host, even on a non-blocking descriptor.
	TLSConfig *tls.Config
	// Logger receives errors (guest failures with their wasm stack) and,
	// with AccessLog, one record per request; nil means the runtime's.
	Logger *slog.Logger
	// AccessLog logs every request at level Info on Logger.
	AccessLog bool

	mu        sync.Mutex
	lfds      []int
	addr      net.Addr
	workers   []*worker
	state     atomic.Int32
	done      chan struct{}
	doneOnce  sync.Once
	active    atomic.Int64
	inflight  atomic.Int64
	stats     counters
	limits    http1.Limits
	log       *slog.Logger
	instCfg   host.InstanceConfig
	tlsConfig *tls.Config
	style     Style // resolved
	// timeouts resolved (0: none)
	headerTO, bodyTO, idleTO, writeTO, reqTO time.Duration
	// cmdRunning counts the scheduler commands not ended yet.
	cmdRunning atomic.Int64
}

const (
	stateNew int32 = iota
	stateServing
	stateShutdown
	stateClosed
)

// Stats are counters of a server, for tests and diagnostics.
type Stats struct {
	Requests      uint64 // requests answered (framing errors included)
	ActiveConns   int64  // connections open now
	InFlight      int64  // requests handed to the guest and not ended yet
	FramingErrors uint64 // requests refused before reaching a guest
	GuestErrors   uint64 // guest traps, exits, non-zero returns, bad responses (500)
	GuestTimeouts uint64 // guest calls past RequestDeadline (503)
	Instances     uint64 // instances discarded after a failure
	Commands      uint64 // scheduler-style commands started (one per worker, plus restarts)
}

type counters struct {
	requests, framing, guestErrors, guestTimeouts, discarded, commands atomic.Uint64
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Requests:      s.stats.requests.Load(),
		ActiveConns:   s.active.Load(),
		InFlight:      s.inflight.Load(),
		FramingErrors: s.stats.framing.Load(),
		GuestErrors:   s.stats.guestErrors.Load(),
		GuestTimeouts: s.stats.guestTimeouts.Load(),
		Instances:     s.stats.discarded.Load(),
		Commands:      s.stats.commands.Load(),
	}
}

func timeout(v, def time.Duration) time.Duration {
	switch {
	case v < 0:
		return 0
	case v == 0:
		return def
	}
	return v
}

// init resolves the defaults; s.mu is held.
func (s *Server) init() error {
	if s.Module == nil {
		return errors.New("wsgihost: Server.Module is nil")
	}
	if s.Runtime == nil {
		s.Runtime = s.Module.Runtime()
	}
	st, err := s.resolveStyle()
	if err != nil {
		return err
	}
	s.style = st
	if s.done == nil {
		s.done = make(chan struct{})
	}
	s.limits = http1.Limits{MaxRequestLine: s.MaxRequestLine, MaxHeaderBytes: s.MaxHeaderBytes, MaxHeaders: s.MaxHeaders, MaxBodyBytes: s.MaxBodyBytes}
	s.log = s.Logger
	if s.log == nil {
		s.log = s.Runtime.Logger()
	}
	s.headerTO = timeout(s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	s.bodyTO = timeout(s.BodyReadTimeout, DefaultBodyReadTimeout)
	s.idleTO = timeout(s.IdleTimeout, DefaultIdleTimeout)
	s.writeTO = timeout(s.WriteTimeout, DefaultWriteTimeout)
	s.instCfg = s.InstanceConfig
	if s.instCfg.Deadline == 0 {
		s.instCfg.Deadline = timeout(s.RequestDeadline, DefaultRequestDeadline)
	}
	s.reqTO = max(s.instCfg.Deadline, 0)
	if s.TLSConfig != nil {
		c := s.TLSConfig.Clone()
		if len(c.NextProtos) == 0 {
			c.NextProtos = []string{"http/1.1"}
		}
		s.tlsConfig = c
	}
	return nil
}

func (s *Server) nworkers() int {
	n := len(s.Runtime.Loops())
	if s.Workers > 0 && s.Workers < n {
		n = s.Workers
	}
	return n
}

// GatewayStyle returns the style the server serves its app in, once
// Listen or Serve resolved it (StyleAuto before).
func (s *Server) GatewayStyle() Style {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.style
}

// Listen opens the server's listeners on addr ("host:port"; port 0 picks
// one, the same for every worker): one SO_REUSEPORT socket per worker, so
// the kernel spreads connections over the loops. Addr reports the address.
func (s *Server) Listen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.init(); err != nil {
		return err
	}
	if len(s.lfds) > 0 {
		return errors.New("wsgihost: Listen called twice")
	}
	fds, a, err := listenReusePort(addr, s.nworkers())
	if err != nil {
		return err
	}
	s.lfds, s.addr = fds, a
	return nil
}

// Addr returns the address Listen bound, or nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on addr and serves until Shutdown or Close; it
// then returns ErrServerClosed.
func (s *Server) ListenAndServe(addr string) error {
	if err := s.Listen(addr); err != nil {
		return err
	}
	return s.Serve()
}

// Serve serves on the listening sockets fds (the server takes them over
// and closes them when it stops), or on the ones Listen opened when none
// are given. With fewer sockets than workers, workers share them. It
// blocks until Shutdown or Close and returns ErrServerClosed, or an error
// if the server could not start.
func (s *Server) Serve(fds ...int) error {
	s.mu.Lock()
	if err := s.init(); err != nil {
		s.mu.Unlock()
		return err
	}
	if !s.state.CompareAndSwap(stateNew, stateServing) {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if len(fds) == 0 {
		fds = s.lfds
	}
	if len(fds) == 0 {
		s.mu.Unlock()
		return errors.New("wsgihost: Serve without listeners: call Listen first or pass listening sockets")
	}
	loops := s.Runtime.Loops()[:s.nworkers()]
	errs := make(chan error, len(loops))
	for i, loop := range loops {
		fd := fds[i%len(fds)]
		if i >= len(fds) {
			d, err := unix.Dup(fd)
			if err != nil {
				s.mu.Unlock()
				s.Close()
				return fmt.Errorf("wsgihost: dup listener: %w", err)
			}
			fd = d
		}
		w := &worker{srv: s, loop: loop, lfd: fd, conns: map[*conn]struct{}{}}
		s.workers = append(s.workers, w)
		loop.Post(func() {
			if err := w.start(errs); err != nil {
				errs <- err
			}
		})
	}
	s.mu.Unlock()
	for range loops {
		select {
		case err := <-errs:
			if err != nil {
				s.Close()
				return err
			}
		case <-s.done:
			return ErrServerClosed
		}
	}
	<-s.done
	return ErrServerClosed
}

// Shutdown stops the server gracefully: it closes the listeners and the
// idle connections, lets requests in flight finish (their connections
// close after the response), then returns. If ctx ends first, the
// remaining connections are closed (guests in flight are stopped) and
// ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	prev := s.state.Swap(stateShutdown)
	workers := s.workers
	s.mu.Unlock()
	if prev == stateClosed {
		s.state.Store(stateClosed)
		return nil
	}
	s.closeListenersNotServing()
	s.onWorkers(workers, (*worker).stopAccepting)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s.active.Load() > 0 {
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
			// Idle connections that became idle after the first sweep.
			s.onWorkers(workers, (*worker).closeIdle)
		}
	}
	s.finish(workers, true)
	return nil
}

// Close stops the server at once: listeners and connections are closed and
// guests in flight are stopped.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	s.state.Store(stateClosed)
	workers := s.workers
	s.mu.Unlock()
	s.closeListenersNotServing()
	s.onWorkers(workers, (*worker).stopAccepting)
	s.onWorkers(workers, (*worker).closeAll)
	deadline := time.Now().Add(5 * time.Second)
	for s.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	s.finish(workers, false)
	return nil
}

// closeListenersNotServing closes listeners that Listen opened but Serve
// never took over.
func (s *Server) closeListenersNotServing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.workers) == 0 {
		for _, fd := range s.lfds {
			unix.Close(fd)
		}
		s.lfds = nil
	}
}

// finish releases the workers' instances: the pools, and the scheduler
// commands, which it waits for (a graceful stop lets a command return from
// main).
func (s *Server) finish(workers []*worker, graceful bool) {
	s.onWorkers(workers, func(w *worker) { w.closePool(graceful) })
	deadline := time.Now().Add(stopCommandTimeout + time.Second)
	for s.cmdRunning.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	s.doneOnce.Do(func() { close(s.done) })
}

// onWorkers runs fn on each worker's loop and waits for all of them (a loop
// that stopped is skipped).
func (s *Server) onWorkers(workers []*worker, fn func(*worker)) {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		ch := make(chan struct{})
		w.loop.Post(func() { fn(w); close(ch) })
		go func() {
			defer wg.Done()
			select {
			case <-ch:
			case <-w.loop.Done():
			}
		}()
	}
	wg.Wait()
}

func (s *Server) shuttingDown() bool { return s.state.Load() >= stateShutdown }

// worker is the server's state on one loop. Loop goroutine only.
type worker struct {
	srv   *Server
	loop  *evloop.Loop
	lfd   int
	lpd   *evloop.PollDesc
	pool  *host.Pool  // blocking style
	sched *schedState // scheduler style
	conns map[*conn]struct{}
	free  []*conn
	// Spare read and output buffers of the connections (conn.takeBufs).
	rbufs, outs [][]byte
	stopped     bool
	dateSec     int64
	dateLine    []byte
	scratch     []byte
	local       sockAddr // the listener's address, when it is not a wildcard
}

// start sets the worker up on its loop; its task then makes the first
// instance (so that a module that cannot be instantiated fails Serve, and
// the first request does not wait for it), reports on errs and accepts.
func (w *worker) start(errs chan<- error) error {
	s := w.srv
	if err := unix.SetNonblock(w.lfd, true); err != nil {
		return fmt.Errorf("wsgihost: listener: %w", err)
	}
	pd, err := w.loop.Register(w.lfd)
	if err != nil {
		return fmt.Errorf("wsgihost: register listener: %w", err)
	}
	w.lpd = pd
	if sa, err := unix.Getsockname(w.lfd); err == nil {
		if a := toSockAddr(sa); !a.wildcard {
			w.local = a
		}
	}
	w.scratch = make([]byte, 16<<10)
	if s.style == StyleScheduler {
		w.sched = newSchedState(w.loop)
		w.startCommand()
		if s.reqTO > 0 {
			go w.watchdog(s.reqTO)
		}
		w.loop.Go(func(t *evloop.Task) {
			errs <- nil
			w.acceptLoop(t)
		})
		return nil
	}
	size := s.PoolSize
	if size <= 0 {
		size = DefaultPoolSize
	}
	w.pool = s.Module.NewPool(w.loop, s.instCfg, size)
	w.loop.Go(func(t *evloop.Task) {
		in, err := w.pool.Get(context.Background(), t)
		if err != nil {
			errs <- err
			return
		}
		w.pool.Put(in)
		errs <- nil
		w.acceptLoop(t)
	})
	return nil
}

// acceptLoop accepts connections until the listener is closed: accept4
// until EAGAIN, then park on the listener.
func (w *worker) acceptLoop(t *evloop.Task) {
	backoff := time.Duration(0)
	for !w.stopped {
		nfd, sa, err := unix.Accept4(w.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == nil {
			backoff = 0
			w.startConn(nfd, sa)
			continue
		}
		switch err {
		case unix.EAGAIN:
			if werr := t.WaitFD(w.lpd, evloop.Readable, time.Time{}); werr != nil {
				return
			}
		case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
		default:
			if w.stopped {
				return
			}
			// EMFILE, ENFILE, ENOBUFS, ENOMEM: back off and retry, as
			// net/http does.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			w.srv.log.Error("wsgihost: accept", "err", err, "retry_in", backoff)
			if t.Sleep(backoff) != nil {
				return
			}
		}
	}
}

func (w *worker) startConn(fd int, sa unix.Sockaddr) {
	pd, err := w.loop.Register(fd)
	if err != nil {
		unix.Close(fd)
		w.srv.log.Error("wsgihost: register connection", "err", err)
		return
	}
	pd.SetStream(true) // TryRead/TryWrite: a short read or write lowers the level
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	c, ok := popFree(&w.free)
	if !ok {
		c = newConn(w)
	}
	c.fd, c.pd = fd, pd
	c.remote = toSockAddr(sa)
	if w.local.ip != "" {
		c.local = w.local
	} else if la, err := unix.Getsockname(fd); err == nil {
		c.local = toSockAddr(la)
	}
	w.conns[c] = struct{}{}
	w.srv.active.Add(1)
	w.loop.Go(c.serve)
}

// release takes a closed connection back for reuse.
func (w *worker) release(c *conn) {
	delete(w.conns, c)
	w.srv.active.Add(-1)
	c.reset()
	if len(w.free) < 256 {
		w.free = append(w.free, c)
	}
}

func (w *worker) stopAccepting() {
	if w.stopped {
		return
	}
	w.stopped = true
	if w.lpd != nil {
		w.lpd.Close() // wakes the accept task with ErrClosed
	}
	unix.Close(w.lfd)
	w.closeIdle()
}

// closeIdle closes the connections waiting for a next request.
func (w *worker) closeIdle() {
	for c := range w.conns {
		switch {
		case c.detached:
			c.close()
		case c.idle && c.t != nil:
			c.t.Interrupt(errShutdown)
		}
	}
}

// closeAll stops every connection: waits are interrupted with
// ErrCanceled, which also unwinds a guest suspended in an import.
func (w *worker) closeAll() {
	for c := range w.conns {
		c.killed = true
		switch {
		case c.detached:
			c.close()
		case c.t != nil:
			c.t.Interrupt(evloop.ErrCanceled)
		}
	}
}

func (w *worker) closePool(graceful bool) {
	if w.pool != nil {
		w.pool.Close()
	}
	if w.sched != nil {
		w.stopCommand(graceful)
	}
}

// dateHeader returns the "Date: ...\r\n" line, formatted once a second.
func (w *worker) dateHeader() []byte {
	now := w.loop.CoarseNow()
	if sec := now.Unix(); sec != w.dateSec || w.dateLine == nil {
		w.dateSec = sec
		b := append(w.dateLine[:0], "Date: "...)
		b = now.UTC().AppendFormat(b, http.TimeFormat)
		w.dateLine = append(b, '\r', '\n')
	}
	return w.dateLine
}

var errShutdown = errors.New("wsgihost: server shutting down")

// popFree takes the last item of a free list, clearing its slot so the
// list does not keep it alive; ok is false when the list is empty.
func popFree[T any](free *[]T) (item T, ok bool) {
	n := len(*free)
	if n == 0 {
		return item, false
	}
	item = (*free)[n-1]
	var zero T
	(*free)[n-1] = zero
	*free = (*free)[:n-1]
	return item, true
}
