package compat_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
	"golang.org/x/sys/unix"
)

// The overlay's tests run unmodified guests, built from source by
// internal/testguest, on a runtime with compat.Module per loop backend.

var runtimes struct {
	sync.Mutex
	cache string // compiled code shared by the backends' runtimes
	rts   map[string]*host.Runtime
	mods  map[string]*host.Module // backend + "\x00" + guest dir
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "compat-test-cache-")
	if err != nil {
		panic(err)
	}
	runtimes.cache = dir
	code := m.Run()
	for _, rt := range runtimes.rts {
		rt.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// runtimeFor returns the shared runtime (one loop, the overlay) of backend.
func runtimeFor(t testing.TB, backend string) *host.Runtime {
	t.Helper()
	r := &runtimes
	r.Lock()
	defer r.Unlock()
	if r.rts == nil {
		r.rts = map[string]*host.Runtime{}
		r.mods = map[string]*host.Module{}
	}
	rt, ok := r.rts[backend]
	if !ok {
		var err error
		rt, err = host.NewRuntime(context.Background(), host.Config{Backend: backend, Loops: 1, WASI: compat.Module, CacheDir: r.cache})
		if err != nil {
			t.Fatal(err)
		}
		r.rts[backend] = rt
	}
	return rt
}

// guest returns the guest in dir (a Go or C guest directory) compiled on
// backend's runtime.
func guest(t testing.TB, backend, dir string) *host.Module {
	t.Helper()
	wasm := testguest.Bytes(t, dir)
	rt := runtimeFor(t, backend)
	r := &runtimes
	r.Lock()
	defer r.Unlock()
	key := backend + "\x00" + dir
	if m, ok := r.mods[key]; ok {
		return m
	}
	m, err := rt.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	r.mods[key] = m
	return m
}

// forEachBackend runs fn as a subtest per loop backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range evloop.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// result is how a guest run ended.
type result struct {
	code uint32
	err  error
}

// start runs the module on a goroutine; the run's result arrives on the
// channel.
func start(mod *host.Module, cfg host.InstanceConfig) <-chan result {
	done := make(chan result, 1)
	go func() {
		code, err := mod.Run(context.Background(), cfg)
		done <- result{code, err}
	}()
	return done
}

// wait waits for a run to end.
func wait(t *testing.T, done <-chan result, out *testguest.LineWriter) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(60 * time.Second):
		t.Fatalf("guest did not end; output:\n%s", out)
	}
	return result{}
}

// checkLines fails the test for every "FAIL" line of out and unless it has
// at least minOK "ok" lines.
func checkLines(t *testing.T, out string, minOK int) {
	t.Helper()
	ok := 0
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "FAIL"):
			t.Error(l)
		case strings.HasPrefix(l, "ok "):
			ok++
		}
	}
	if ok < minOK {
		t.Errorf("%d ok lines, want at least %d; output:\n%s", ok, minOK, out)
	}
}

// cpuTime is the process's user plus system CPU time.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// idleCPU measures the process's CPU time over one idle second.
//
// It is a correctness check of "suspended, not spinning", not a
// performance threshold: a guest parked in poll_oneoff costs nothing while
// nothing happens, so the process uses almost no CPU in that second; a
// guest whose poll_oneoff returned at once (or a loop that polled without
// blocking) would burn the whole second. The limit, a quarter of the
// second, is far from both.
func idleCPU(t *testing.T) time.Duration {
	t.Helper()
	before := cpuTime(t)
	time.Sleep(time.Second)
	used := cpuTime(t) - before
	t.Logf("process CPU time over an idle second: %v", used)
	if used > 250*time.Millisecond {
		t.Errorf("process used %v of CPU in an idle second: the guest is spinning, not suspended", used)
	}
	return used
}
