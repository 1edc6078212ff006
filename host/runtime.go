// Package host is ptsevent's embedding API: a Runtime (the wazero runtime,
// its compilation cache and one event loop per core), Modules (compiled
// guests), Instances with their descriptor tables and capabilities,
// instance Pools, and the "ptsevent" import module that gives guests
// non-blocking sockets, pipes, files, poll, timers, DNS and TLS.
//
// A guest call runs as a task on one loop. When an import would block, the
// guest is suspended in place (its task parks) and the loop runs other
// guests; the loop resumes it when its descriptor is ready.
//
// Embedding takes a few lines:
//
//	rt, _ := host.NewRuntime(ctx, host.Config{})
//	defer rt.Close(ctx)
//	mod, _ := rt.Load(ctx, "app.wasm")
//	code, err := mod.Run(ctx, host.InstanceConfig{Args: []string{"app"}})
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Config configures a Runtime. The zero value is usable: the default
// backend, one loop per core, no on-disk cache, wazero's memory limit.
type Config struct {
	// Backend names the loop backend ("libevent", "epoll"); "" picks
	// evloop.DefaultBackend.
	Backend string
	// Loops is the number of event loops; 0 means runtime.NumCPU().
	Loops int
	// CacheDir, when set, keeps compiled machine code on disk there, so a
	// guest compiles once across process runs.
	CacheDir string
	// MemoryLimitPages caps each instance's linear memory in 64 KiB pages
	// (0: wazero's limit of 65536 pages, 4 GiB).
	MemoryLimitPages uint32
	// Interpreter selects wazero's interpreter instead of its compiler
	// (slower; for platforms without the compiler and for comparisons).
	Interpreter bool
	// Logger receives diagnostics; nil uses slog.Default().
	Logger *slog.Logger
	// Resolver configures DNS for guests that are granted it.
	Resolver ResolverConfig
	// TLS configures the certificates used by tls_client and tls_server.
	TLS TLSConfig
	// WASI replaces wazero's wasi_snapshot_preview1 with an implementation
	// on the instances' descriptor tables and loops (compat.Module); nil
	// uses the one SetDefaultWASI set, or else wazero's.
	WASI WASI
}

// Runtime runs guests. It owns the wazero runtime, which is shared by all
// loops, and the loops. Close releases everything.
type Runtime struct {
	cfg    Config
	wr     wazero.Runtime
	cache  wazero.CompilationCache
	loops  []*evloop.Loop
	next   atomic.Uint32
	log    *slog.Logger
	dns    *resolverSet
	wasi   WASIModule // nil: wazero's wasi_snapshot_preview1
	closed atomic.Bool
}

// NewRuntime makes a runtime and starts its loops.
func NewRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	r := &Runtime{cfg: cfg, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.Default()
	}
	var rc wazero.RuntimeConfig
	if cfg.Interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	} else {
		rc = wazero.NewRuntimeConfig()
	}
	// Closing an instance (its deadline, a canceled call) must stop a guest
	// that computes without calling imports: with this option the compiler
	// checks at every loop header (an exit to Go, which also lets the Go
	// scheduler preempt a spinning guest; host/termination_test.go checks
	// both). It costs loop-heavy guests much of their speed (wazero#2466,
	// third_party/wazero/PATCHES.md).
	rc = rc.WithCloseOnContextDone(true)
	if cfg.MemoryLimitPages > 0 {
		rc = rc.WithMemoryLimitPages(cfg.MemoryLimitPages)
	}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("host: cache dir: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache %s: %w", cfg.CacheDir, err)
		}
		r.cache = c
		rc = rc.WithCompilationCache(c)
	}
	r.wr = wazero.NewRuntimeWithConfig(ctx, rc)
	if w := wasiFor(cfg); w != nil {
		m, err := w(ctx, r.wr)
		if err != nil {
			r.wr.Close(ctx)
			return nil, fmt.Errorf("host: instantiate WASI: %w", err)
		}
		r.wasi = m
	} else if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.wr); err != nil {
		r.wr.Close(ctx)
		return nil, fmt.Errorf("host: instantiate WASI: %w", err)
	}
	if err := instantiateImports(ctx, r.wr); err != nil {
		r.wr.Close(ctx)
		return nil, err
	}
	n := cfg.Loops
	if n <= 0 {
		n = runtime.NumCPU()
	}
	for range n {
		l, err := evloop.New(cfg.Backend)
		if err != nil {
			r.Close(ctx)
			return nil, fmt.Errorf("host: %w", err)
		}
		l.Start()
		r.loops = append(r.loops, l)
	}
	dns, err := newResolverSet(r, cfg.Resolver)
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	r.dns = dns
	return r, nil
}

// Loops returns the runtime's event loops.
func (r *Runtime) Loops() []*evloop.Loop { return r.loops }

// Backend returns the name of the loops' backend.
func (r *Runtime) Backend() string {
	if len(r.loops) == 0 {
		return ""
	}
	return r.loops[0].Backend().Name()
}

// NextLoop picks a loop round-robin.
func (r *Runtime) NextLoop() *evloop.Loop {
	i := r.next.Add(1)
	return r.loops[int(i)%len(r.loops)]
}

// Logger returns the runtime's logger.
func (r *Runtime) Logger() *slog.Logger { return r.log }

// Wazero returns the underlying wazero runtime, for embedders that add
// their own host modules.
func (r *Runtime) Wazero() wazero.Runtime { return r.wr }

// Close stops the loops (parked guests are woken with an error and
// unwound), then closes every module and the wazero runtime.
func (r *Runtime) Close(ctx context.Context) error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	for _, l := range r.loops {
		l.Stop()
	}
	for _, l := range r.loops {
		select {
		case <-l.Done():
		case <-time.After(10 * time.Second):
			r.log.Warn("loop did not stop in time")
		}
	}
	err := r.wr.Close(ctx)
	if r.cache != nil {
		err = errors.Join(err, r.cache.Close(ctx))
	}
	return err
}

// Module is a compiled guest, shared by every loop.
type Module struct {
	rt       *Runtime
	compiled wazero.CompiledModule
	resolver experimental.ImportResolver // from the WASI module's Link
	// Name is the name the module was loaded from, for logs.
	Name string
}

// Compile compiles a guest from its wasm bytes.
func (r *Runtime) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	c, err := r.wr.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("host: compile: %w", err)
	}
	res, err := r.link(ctx, c)
	if err != nil {
		c.Close(ctx)
		return nil, fmt.Errorf("host: link: %w", err)
	}
	return &Module{rt: r, compiled: c, resolver: res}, nil
}

// Load reads and compiles the .wasm file at path.
func (r *Runtime) Load(ctx context.Context, path string) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("host: load: %w", err)
	}
	m, err := r.Compile(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("host: load %s: %w", path, err)
	}
	m.Name = path
	return m, nil
}

// Exports lists the names of the functions the module exports.
func (m *Module) Exports() []string {
	var out []string
	for name := range m.compiled.ExportedFunctions() {
		out = append(out, name)
	}
	return out
}

// Close releases the compiled code.
func (m *Module) Close(ctx context.Context) error { return m.compiled.Close(ctx) }
