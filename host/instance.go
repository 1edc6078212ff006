package host

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// DefaultMaxDescriptors is InstanceConfig.MaxDescriptors's default.
const DefaultMaxDescriptors = 1024

// InstanceConfig configures one guest instance.
type InstanceConfig struct {
	// Args are the program's arguments, Args[0] its name.
	Args []string
	// Env holds "KEY=value" pairs.
	Env []string
	// Stdin, Stdout and Stderr default to empty input and discarded output.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Caps are the instance's capabilities; the zero value grants nothing.
	Caps Capabilities
	// MaxDescriptors limits the instance's descriptor table
	// (DefaultMaxDescriptors when 0).
	MaxDescriptors int
	// Deadline bounds each run or call; when it passes the instance is
	// closed, whether it is computing or suspended in an import. 0: none.
	Deadline time.Duration
	// Loop is the loop to run on; nil lets the runtime pick one.
	Loop *evloop.Loop
	// StartFunctions are called at instantiation; nil means "_start" for
	// Run and "_initialize" (when exported) for Instantiate.
	StartFunctions []string
	// Listeners are listening sockets preopened for the guest as
	// descriptors 3, 4, ... (before Caps.Dirs), as `wazero run -listen`
	// does; each instance gets a duplicate. They need a WASI overlay
	// (Config.WASI): with wazero's WASI, instantiation fails.
	Listeners []*os.File
}

// Instance is one instantiated guest with its descriptor table. Its calls
// run as tasks on its loop, one at a time.
type Instance struct {
	rt     *Runtime
	loop   *evloop.Loop
	task   *evloop.Task // the task running the current call
	mod    api.Module
	fds    *FDTable
	caps   Capabilities
	cfg    InstanceConfig
	ctx    context.Context // carries the instance to host functions
	busy   bool
	broken bool

	pollItems []evloop.PollItem
	iovs      [][]byte
	curCall   call      // the import in progress (see wrap)
	curSys    Sys       // the WASI overlay's call in progress (see SysFor)
	wd        callWatch // the deadline of the call in flight
	// fns caches exported functions: wazero's ExportedFunction builds a new
	// call engine (about 12 KB) on every lookup.
	fns map[string]*export
	// lastName and last are the function the last call used: a gateway
	// calls the same export every time, and a string compare is cheaper
	// than a map lookup.
	lastName string
	last     *export
	// stack holds a call's parameters, then its results (wazero's
	// CallWithStack), reused from call to call: Call allocated a slice
	// per call.
	stack []uint64
}

// export is an exported function with its signature's sizes.
type export struct {
	fn              api.Function
	params, results int
	stackLen        int // max(params, results)
}

// ErrInstanceBusy is returned by Call on an instance that has a call in
// flight (suspended or running): a wasm instance is not reentrant.
var ErrInstanceBusy = errors.New("host: instance has a call in flight")

// ErrInstanceClosed is returned by calls on a closed or broken instance.
var ErrInstanceClosed = errors.New("host: instance closed")

type instanceKey struct{}

// instanceContext is the context of an instance's pooled calls (in.ctx):
// it carries the instance itself, so that a host function finds it with a
// type assertion instead of walking a context chain, and answers every
// other Value (wazero asks for its experimental options on each call) at
// once. It never ends.
type instanceContext struct {
	context.Context
	in *Instance
}

// Value implements context.Context.
func (c *instanceContext) Value(key any) any {
	if _, ok := key.(instanceKey); ok {
		return c.in
	}
	return nil
}

// instanceFrom returns the instance a host function is called for.
func instanceFrom(ctx context.Context) *Instance {
	if c, ok := ctx.(*instanceContext); ok {
		return c.in
	}
	in, _ := ctx.Value(instanceKey{}).(*Instance)
	return in
}

func (m *Module) newInstance(loop *evloop.Loop, cfg InstanceConfig) *Instance {
	if cfg.MaxDescriptors <= 0 {
		cfg.MaxDescriptors = DefaultMaxDescriptors
	}
	in := &Instance{rt: m.rt, loop: loop, cfg: cfg, caps: cfg.Caps}
	in.fds = newFDTable(loop, cfg.MaxDescriptors)
	in.ctx = &instanceContext{Context: context.Background(), in: in}
	return in
}

func (m *Module) moduleConfig(cfg InstanceConfig, start []string) wazero.ModuleConfig {
	mc := wazero.NewModuleConfig().
		WithName("").
		WithArgs(cfg.Args...).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithStartFunctions(start...)
	for _, kv := range cfg.Env {
		k, v, _ := cutEnv(kv)
		mc = mc.WithEnv(k, v)
	}
	if cfg.Stdin != nil {
		mc = mc.WithStdin(cfg.Stdin)
	}
	if cfg.Stdout != nil {
		mc = mc.WithStdout(cfg.Stdout)
	}
	if cfg.Stderr != nil {
		mc = mc.WithStderr(cfg.Stderr)
	}
	if len(cfg.Caps.Dirs) > 0 {
		fc := wazero.NewFSConfig()
		for _, d := range cfg.Caps.Dirs {
			if d.ReadOnly {
				fc = fc.WithReadOnlyDirMount(d.Host, d.Guest)
			} else {
				fc = fc.WithDirMount(d.Host, d.Guest)
			}
		}
		mc = mc.WithFSConfig(fc)
	}
	return mc
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// callContext derives the context of one guest call: the instance for host
// functions, and the deadline that makes wazero close a computing guest.
func (in *Instance) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c := context.WithValue(ctx, instanceKey{}, in)
	if in.cfg.Deadline > 0 {
		return context.WithTimeout(c, in.cfg.Deadline)
	}
	return context.WithCancel(c)
}

// armDeadline interrupts the task when ctx ends, so a guest suspended in an
// import is woken and unwound; wazero handles a guest that is computing.
func (in *Instance) armDeadline(ctx context.Context, t *evloop.Task) (stop func()) {
	dl, ok := ctx.Deadline()
	if !ok {
		return func() {}
	}
	timer := in.loop.AfterFunc(time.Until(dl), func() { t.Interrupt(evloop.ErrCanceled) })
	return func() { timer.Stop() }
}

// Run instantiates the module as a command on a loop, runs its _start to
// completion and returns the exit code (0 when _start returns). Guest
// failures other than exit (a trap, a deadline) are returned as errors with
// the exit code they imply. Call it from any goroutine but a loop's.
func (m *Module) Run(ctx context.Context, cfg InstanceConfig) (exitCode uint32, err error) {
	loop := cfg.Loop
	if loop == nil {
		loop = m.rt.NextLoop()
	}
	start := cfg.StartFunctions
	if start == nil {
		start = []string{"_start"}
	}
	serr := loop.Submit(func(t *evloop.Task) {
		in := m.newInstance(loop, cfg)
		in.task = t
		in.busy = true
		cctx, cancel := in.callContext(ctx)
		defer cancel()
		stop := in.armDeadline(cctx, t)
		defer stop()
		if err = in.setupWASI(); err != nil {
			in.fds.CloseAll()
			exitCode = 1
			return
		}
		mod, ierr := m.rt.wr.InstantiateModule(m.importContext(cctx), m.compiled, m.moduleConfig(cfg, start))
		in.fds.CloseAll()
		if mod != nil {
			mod.Close(context.Background())
		}
		exitCode, err = exitStatus(ierr)
	})
	if serr != nil {
		return 1, serr
	}
	return exitCode, err
}

// exitStatus turns a wazero call error into an exit code: a clean exit is
// (code, nil); a deadline or trap is (code, err).
func exitStatus(err error) (uint32, error) {
	if err == nil {
		return 0, nil
	}
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return ee.ExitCode(), fmt.Errorf("guest deadline exceeded: %w", err)
		case sys.ExitCodeContextCanceled:
			return ee.ExitCode(), fmt.Errorf("guest canceled: %w", err)
		}
		return ee.ExitCode(), nil
	}
	return 1, err
}

// Instantiate makes a reusable instance on the calling task's loop (for
// handlers called many times, see Pool). It runs the module's _initialize
// (when exported) or cfg.StartFunctions. Call it from a task.
func (m *Module) Instantiate(ctx context.Context, t *evloop.Task, cfg InstanceConfig) (*Instance, error) {
	in := m.newInstance(t.Loop(), cfg)
	start := cfg.StartFunctions
	if start == nil {
		if _, ok := m.compiled.ExportedFunctions()["_initialize"]; ok {
			start = []string{"_initialize"}
		} else {
			start = []string{}
		}
	}
	in.task = t
	in.busy = true
	cctx, cancel := in.callContext(ctx)
	defer cancel()
	stop := in.armDeadline(cctx, t)
	defer stop()
	if err := in.setupWASI(); err != nil {
		in.busy = false
		in.task = nil
		in.fds.CloseAll()
		return nil, fmt.Errorf("host: instantiate %s: %w", m.Name, err)
	}
	mod, err := m.rt.wr.InstantiateModule(m.importContext(cctx), m.compiled, m.moduleConfig(cfg, start))
	in.busy = false
	in.task = nil
	if err != nil {
		in.fds.CloseAll()
		if mod != nil {
			mod.Close(context.Background())
		}
		return nil, fmt.Errorf("host: instantiate %s: %w", m.Name, err)
	}
	in.mod = mod
	return in, nil
}

// Call calls the exported function name with params on the calling task,
// which must run on the instance's loop. While the guest is suspended in
// an import, the loop runs other tasks. A trap or deadline marks the
// instance broken (Broken reports it); it must then be closed. The results
// are valid until the instance's next call (they share its buffer).
func (in *Instance) Call(ctx context.Context, t *evloop.Task, name string, params ...uint64) ([]uint64, error) {
	if in.broken || in.mod == nil || in.mod.IsClosed() {
		return nil, ErrInstanceClosed
	}
	if in.busy {
		return nil, ErrInstanceBusy
	}
	if t.Loop() != in.loop {
		return nil, errors.New("host: Call from a task on another loop")
	}
	e := in.last
	if name != in.lastName || e == nil {
		var err error
		if e, err = in.export(name); err != nil {
			return nil, err
		}
	}
	if len(params) != e.params {
		return nil, fmt.Errorf("host: %s: %s takes %d parameters, not %d", in.rt.nameOf(in), name, e.params, len(params))
	}
	in.lastName, in.last = name, e
	if cap(in.stack) < e.stackLen {
		in.stack = make([]uint64, e.stackLen)
	}
	stack := in.stack[:e.stackLen]
	copy(stack, params)
	in.busy = true
	in.task = t
	stopCancel := in.watch(ctx, t)
	// in.ctx has no Done channel, so wazero starts no watcher goroutine
	// per call (third_party/wazero/PATCHES.md); watch closes
	// the module itself when the call must end.
	err := e.fn.CallWithStack(in.ctx, stack)
	in.unwatch(stopCancel)
	in.busy = false
	in.task = nil
	if err != nil {
		in.broken = true
		return nil, err
	}
	return stack[:e.results], nil
}

// export finds (and caches) the exported function name.
func (in *Instance) export(name string) (*export, error) {
	if e := in.fns[name]; e != nil {
		return e, nil
	}
	fn := in.mod.ExportedFunction(name)
	if fn == nil {
		return nil, fmt.Errorf("host: %s exports no function %q", in.rt.nameOf(in), name)
	}
	def := fn.Definition()
	e := &export{fn: fn, params: len(def.ParamTypes()), results: len(def.ResultTypes())}
	e.stackLen = max(e.params, e.results)
	if in.fns == nil {
		in.fns = map[string]*export{}
	}
	in.fns[name] = e
	return e, nil
}

// errCallCanceled interrupts a call whose caller's context was canceled.
var errCallCanceled = errors.New("host: call canceled")

// callWatch enforces the deadline of an instance's calls with one timer
// kept from call to call and re-armed lazily, as Go's runtime does for
// network deadlines: a call whose deadline is later than the one the timer
// is armed for (the usual case: every call gets now+Deadline) only records
// its deadline; when the timer fires early for it, deadlinePassed re-arms
// it for the rest. So a call costs a lock, not a timer Reset and Stop, and
// a run of calls arms the timer about once per Deadline. Nor does it read
// the clock: a call's deadline counts from the loop's CoarseNow, so it can
// pass as much early as the loop's turn has run so far (microseconds,
// against deadlines of seconds).
type callWatch struct {
	mu    sync.Mutex
	timer *time.Timer
	// deadline is the call in flight's deadline (UnixNano), 0 when none is
	// watched; armed is the time the timer is set for, 0 when it is not.
	deadline, armed int64
}

// watched returns the deadline of the call in flight, 0 if none.
func (w *callWatch) watched() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.deadline
}

// watch enforces a call's deadline (the earlier of ctx's and
// InstanceConfig.Deadline) and ctx's cancellation without a goroutine per
// call. At the deadline the instance's timer closes the module, which
// stops a computing guest at its next loop header (wazero's
// close-on-context-done checks), and posts an interrupt to the loop for a
// guest suspended in an import. It returns the function that disarms
// ctx's cancellation, or nil; call unwatch in any case.
func (in *Instance) watch(ctx context.Context, t *evloop.Task) (stopCancel func() bool) {
	dl, hasDL := ctx.Deadline()
	if !hasDL && in.cfg.Deadline <= 0 {
		return in.watchCancel(ctx, t)
	}
	now := in.loop.CoarseNow() // no clock read per call
	if in.cfg.Deadline > 0 {
		if own := now.Add(in.cfg.Deadline); !hasDL || own.Before(dl) {
			dl = own
		}
	}
	ns := dl.UnixNano()
	w := &in.wd
	w.mu.Lock()
	w.deadline = ns
	if w.armed == 0 || w.armed > ns {
		w.armed = ns
		if w.timer == nil {
			w.timer = time.AfterFunc(dl.Sub(now), in.deadlinePassed)
		} else {
			w.timer.Reset(dl.Sub(now))
		}
	}
	w.mu.Unlock()
	return in.watchCancel(ctx, t)
}

// watchCancel interrupts the call when ctx is canceled; nil when it cannot be.
func (in *Instance) watchCancel(ctx context.Context, t *evloop.Task) func() bool {
	if ctx.Done() != nil {
		mod, loop := in.mod, in.loop
		return context.AfterFunc(ctx, func() {
			_ = mod.CloseWithExitCode(context.Background(), sys.ExitCodeContextCanceled)
			loop.Post(func() { t.Interrupt(errCallCanceled) })
		})
	}
	return nil
}

// unwatch disarms what watch armed. The timer stays armed: when it fires
// with no call watched, deadlinePassed lets it be.
func (in *Instance) unwatch(stopCancel func() bool) {
	w := &in.wd
	w.mu.Lock()
	w.deadline = 0
	w.mu.Unlock()
	if stopCancel != nil {
		stopCancel()
	}
}

// deadlinePassed runs on the timer's goroutine. If the call watched now has
// a later deadline than the one the timer was armed for, it re-arms the
// timer; if no call is watched, it leaves the timer disarmed. Otherwise
// the deadline has passed: it closes the module and has the loop interrupt
// the call if it is still the same call and suspended.
func (in *Instance) deadlinePassed() {
	w := &in.wd
	w.mu.Lock()
	dl := w.deadline
	if dl == 0 {
		w.armed = 0
		w.mu.Unlock()
		return
	}
	if d := time.Duration(dl - time.Now().UnixNano()); d > 0 {
		w.armed = dl
		w.timer.Reset(d)
		w.mu.Unlock()
		return
	}
	w.armed = 0
	w.mu.Unlock()
	_ = in.mod.CloseWithExitCode(context.Background(), sys.ExitCodeDeadlineExceeded)
	in.loop.Post(func() {
		if in.busy && in.task != nil && w.watched() == dl {
			in.task.Interrupt(evloop.ErrCanceled)
		}
	})
}

func (r *Runtime) nameOf(in *Instance) string {
	if in.mod != nil && in.mod.Name() != "" {
		return in.mod.Name()
	}
	return "guest"
}

// Broken reports whether a call trapped or timed out, leaving the instance
// unusable.
func (in *Instance) Broken() bool { return in.broken || in.mod == nil || in.mod.IsClosed() }

// FDs returns the instance's descriptor table (loop goroutine only).
func (in *Instance) FDs() *FDTable { return in.fds }

// Loop returns the instance's loop.
func (in *Instance) Loop() *evloop.Loop { return in.loop }

// Module returns the wazero module instance, for embedders that read its
// memory or exports directly.
func (in *Instance) Module() api.Module { return in.mod }

// Close closes the instance's descriptors and its wasm instance. Loop
// goroutine only; not during a call.
func (in *Instance) Close() error {
	in.fds.CloseAll()
	in.broken = true
	if in.wd.timer != nil {
		in.wd.timer.Stop()
	}
	if in.mod != nil {
		return in.mod.Close(context.Background())
	}
	return nil
}
