// Package bench holds ptsevent's benchmarks against its peers (see
// cmd/runbench and README.md) and the host micro-benchmarks that no
// package owns: pooled instance acquire/release, cold instantiation of a C
// guest, Go guest start with and without the compilation cache, and
// readline against 1-byte reads.
//
//	cd bench && go test -run '^$' -bench . -benchtime 1s .
package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

const (
	cAppDir  = "examples/wasm/hello-c-app" // C reactor (gateway app)
	goAppDir = "examples/wasm/hello"       // Go reactor (gateway app)
	readline = "bench/guests/readline"     // C reactor, see its main.c
)

// newRuntime makes a one-loop runtime on the default backend.
func newRuntime(b *testing.B, cfg host.Config) *host.Runtime {
	b.Helper()
	cfg.Loops = 1
	rt, err := host.NewRuntime(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return rt
}

func load(b *testing.B, rt *host.Runtime, path string) *host.Module {
	b.Helper()
	m, err := rt.Load(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// onLoop runs fn as a task on rt's loop and fails b with its error.
func onLoop(b *testing.B, rt *host.Runtime, fn func(t *evloop.Task) error) {
	b.Helper()
	var err error
	if serr := rt.Loops()[0].Submit(func(t *evloop.Task) { err = fn(t) }); serr != nil {
		b.Fatal(serr)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPool is pooled instance acquire/release (host.Pool Get then
// Put) of the C gateway app, next to what a pool saves: a cold
// instantiation and close of the same guest per request.
func BenchmarkPool(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b, host.Config{})
	defer rt.Close(ctx)
	mod := load(b, rt, testguest.CPath(b, cAppDir))
	b.Run("get-put", func(b *testing.B) {
		p := mod.NewPool(rt.Loops()[0], host.InstanceConfig{}, 4)
		onLoop(b, rt, func(t *evloop.Task) error {
			defer p.Close()
			in, err := p.Get(ctx, t) // the first Get instantiates
			if err != nil {
				return err
			}
			p.Put(in)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				in, err := p.Get(ctx, t)
				if err != nil {
					return err
				}
				p.Put(in)
			}
			b.StopTimer()
			return nil
		})
	})
	b.Run("cold-instantiate-c", func(b *testing.B) {
		onLoop(b, rt, func(t *evloop.Task) error {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				in, err := mod.Instantiate(ctx, t, host.InstanceConfig{})
				if err != nil {
					return err
				}
				in.Close()
			}
			b.StopTimer()
			return nil
		})
	})
}

// BenchmarkGoStart is the start of the Go gateway app (a -buildmode=c-shared
// reactor; its _initialize runs the Go runtime's init and registers the
// handler):
//   - cached: a new Runtime with a warm compilation cache directory, Load
//     (machine code read back from the cache), Instantiate, Close: what a
//     `ptsevent serve` restart pays per guest;
//   - instantiate: Instantiate and Close of a module already compiled in
//     this process: what each new pooled instance costs;
//   - uncached: a new Runtime without a cache, compiling the module.
func BenchmarkGoStart(b *testing.B) {
	ctx := context.Background()
	path := testguest.GoPath(b, goAppDir)
	cache := b.TempDir()
	{ // warm the cache
		rt := newRuntime(b, host.Config{CacheDir: cache})
		load(b, rt, path)
		rt.Close(ctx)
	}
	start := func(b *testing.B, rt *host.Runtime, mod *host.Module) {
		onLoop(b, rt, func(t *evloop.Task) error {
			in, err := mod.Instantiate(ctx, t, host.InstanceConfig{})
			if err != nil {
				return err
			}
			return in.Close()
		})
	}
	b.Run("cached", func(b *testing.B) {
		for range b.N {
			rt := newRuntime(b, host.Config{CacheDir: cache})
			start(b, rt, load(b, rt, path))
			rt.Close(ctx)
		}
	})
	b.Run("instantiate", func(b *testing.B) {
		rt := newRuntime(b, host.Config{})
		defer rt.Close(ctx)
		mod := load(b, rt, path)
		b.ResetTimer()
		for range b.N {
			start(b, rt, mod)
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for range b.N {
			rt := newRuntime(b, host.Config{})
			start(b, rt, load(b, rt, path))
			rt.Close(ctx)
		}
	})
}

// BenchmarkReadline reads 1024 lines of 64 bytes from a socketpair in a C
// guest, through the readline import (one host call per line; the host
// fills its line buffer with large reads) and with 1-byte reads (one host
// call and one system call per byte). One op is the 1024 lines; ns/line
// is reported too. The writes that fill the socket are not timed.
func BenchmarkReadline(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b, host.Config{})
	defer rt.Close(ctx)
	mod := load(b, rt, testguest.CPath(b, readline))
	for _, c := range []struct {
		name string
		mode uint64
	}{{"readline", 0}, {"bytewise", 1}} {
		b.Run(c.name, func(b *testing.B) {
			onLoop(b, rt, func(t *evloop.Task) error {
				in, err := mod.Instantiate(ctx, t, host.InstanceConfig{Deadline: time.Minute})
				if err != nil {
					return err
				}
				defer in.Close()
				call := func(name string, params ...uint64) (int32, error) {
					r, err := in.Call(ctx, t, name, params...)
					if err != nil {
						return 0, err
					}
					return int32(r[0]), nil
				}
				if e, err := call("setup"); err != nil || e != 0 {
					return errnoErr("setup", e, err)
				}
				lines, err := call("lines_per_fill")
				if err != nil {
					return err
				}
				var elapsed time.Duration
				for range b.N {
					if e, err := call("fill"); err != nil || e != 0 {
						return errnoErr("fill", e, err)
					}
					t0 := time.Now()
					n, err := call("read_lines", c.mode)
					elapsed += time.Since(t0)
					if err != nil || n != lines {
						return errnoErr("read_lines", n, err)
					}
				}
				// ns/op counts the untimed fills too; report the reads alone.
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "read-ns/op")
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
				return nil
			})
		})
	}
}

type guestErr struct {
	fn  string
	ret int32
}

func (e guestErr) Error() string { return e.fn + " returned " + strconv.Itoa(int(e.ret)) }

func errnoErr(fn string, ret int32, err error) error {
	if err != nil {
		return err
	}
	return guestErr{fn, ret}
}
