package host_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
	"github.com/tetratelabs/wazero/sys"
)

// newRuntime makes a one-loop runtime on backend for the test.
func newRuntime(t *testing.T, backend string) *host.Runtime {
	t.Helper()
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.Config{Backend: backend, Loops: 1, CacheDir: testguest.CompileCacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return rt
}

type runResult struct {
	out  string
	code uint32
	err  error
	end  time.Time
}

func run(mod *host.Module, cfg host.InstanceConfig) runResult {
	var out bytes.Buffer
	cfg.Stdout = &out
	cfg.Stderr = &out
	code, err := mod.Run(context.Background(), cfg)
	return runResult{out: out.String(), code: code, err: err, end: time.Now()}
}

func TestCore(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/hostcore")
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			rt := newRuntime(t, backend)
			mod, err := rt.Compile(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("PipeReadline", func(t *testing.T) {
				r := run(mod, host.InstanceConfig{Args: []string{"g", "pipe"}})
				want := "line \"first line\\n\"\nline \"second line\\n\"\n"
				if r.err != nil || r.code != 0 || r.out != want {
					t.Fatalf("got %q code %d err %v, want %q", r.out, r.code, r.err, want)
				}
			})
			t.Run("SuspendedGuestDoesNotBlockLoop", func(t *testing.T) {
				// Both guests share the runtime's single loop. The first
				// sleeps inside an import; if that held the loop, the
				// second could not finish before it.
				var wg sync.WaitGroup
				var slow, fast runResult
				wg.Add(1)
				go func() { defer wg.Done(); slow = run(mod, host.InstanceConfig{Args: []string{"g", "sleep", "300"}}) }()
				time.Sleep(50 * time.Millisecond) // let the slow one reach its import
				fast = run(mod, host.InstanceConfig{Args: []string{"g", "pipe"}})
				wg.Wait()
				if slow.err != nil || !strings.Contains(slow.out, "slept 300") {
					t.Fatalf("slow guest: %q %v", slow.out, slow.err)
				}
				if fast.err != nil || !strings.Contains(fast.out, "second line") {
					t.Fatalf("fast guest: %q %v", fast.out, fast.err)
				}
				if !fast.end.Before(slow.end) {
					t.Fatal("the fast guest finished after the suspended one: the loop was held")
				}
			})
			t.Run("DeadlineWhileSuspended", func(t *testing.T) {
				r := run(mod, host.InstanceConfig{Args: []string{"g", "block"}, Deadline: 100 * time.Millisecond})
				if r.err == nil || r.code != sys.ExitCodeDeadlineExceeded {
					t.Fatalf("blocked guest: code %d err %v out %q", r.code, r.err, r.out)
				}
				if strings.Contains(r.out, "read returned") {
					t.Fatal("the import returned to the guest after its deadline")
				}
			})
			t.Run("DeadlineWhileComputing", func(t *testing.T) {
				r := run(mod, host.InstanceConfig{Args: []string{"g", "spin"}, Deadline: 100 * time.Millisecond})
				if r.err == nil {
					t.Fatalf("spinning guest ended without error: code %d", r.code)
				}
				// The loop is free again: another guest runs.
				r = run(mod, host.InstanceConfig{Args: []string{"g", "sleep", "1"}})
				if r.err != nil || !strings.Contains(r.out, "slept 1") {
					t.Fatalf("guest after the deadline: %q %v", r.out, r.err)
				}
			})
			t.Run("GuestPanicFailsOnlyItself", func(t *testing.T) {
				r := run(mod, host.InstanceConfig{Args: []string{"g", "trap"}})
				if r.code == 0 {
					t.Fatalf("panicking guest exited 0: %q", r.out)
				}
				r = run(mod, host.InstanceConfig{Args: []string{"g", "pipe"}})
				if r.err != nil || r.code != 0 {
					t.Fatalf("next guest: %q %v", r.out, r.err)
				}
			})
		})
	}
}

func TestPoolBoundsInstances(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/hostcore")
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			rt := newRuntime(t, backend)
			mod, err := rt.Compile(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			loop := rt.Loops()[0]
			var pool *host.Pool
			done := make(chan string, 8)
			loop.Post(func() {
				pool = mod.NewPool(loop, host.InstanceConfig{StartFunctions: []string{}}, 2)
				for i := range 3 {
					loop.Go(func(t *evloop.Task) {
						in, err := pool.Get(context.Background(), t)
						if err != nil {
							done <- err.Error()
							return
						}
						alive, _ := pool.Stats()
						done <- "got " + string(rune('0'+alive))
						t.Sleep(time.Duration(10*(i+1)) * time.Millisecond)
						pool.Put(in)
					})
				}
			})
			var got []string
			for range 3 {
				select {
				case s := <-done:
					got = append(got, s)
				case <-time.After(10 * time.Second):
					t.Fatalf("pool Get never returned; got %v", got)
				}
			}
			for _, s := range got {
				if s != "got 1" && s != "got 2" {
					t.Fatalf("pool results %v: more than 2 instances or an error", got)
				}
			}
		})
	}
}
