package host_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// BenchmarkSuspendResume is the cost of suspending a guest inside an
// import and resuming it: a C guest calls sched_yield, which parks its
// task; the loop resumes it on its next turn. "call" is the same loop over
// an import that never parks, the cost of the wasm-to-host call alone.
func BenchmarkSuspendResume(b *testing.B) {
	wasm := testguest.C(b, "tests/guests/yieldloop")
	for _, backend := range evloop.Backends() {
		for _, mode := range []string{"yield", "call"} {
			b.Run(backend+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				_, mod := yieldloop(b, backend, wasm)
				b.ResetTimer()
				code, err := mod.Run(ctx, host.InstanceConfig{Args: []string{"yieldloop", mode, strconv.Itoa(b.N)}})
				if err != nil || code != 0 {
					b.Fatalf("guest: code %d, %v", code, err)
				}
			})
		}
	}
}

// yieldloop makes a one-loop runtime on backend with the WASI overlay and
// compiles the yieldloop guest; the runtime closes when b ends.
func yieldloop(b *testing.B, backend string, wasm []byte) (*host.Runtime, *host.Module) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.Config{Backend: backend, Loops: 1,
		CacheDir: testguest.CompileCacheDir(), WASI: compat.Module})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.Compile(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	return rt, mod
}

// BenchmarkRecv is the cost of a blocking recv that must wait against one
// that does not, per send+recv round (tests/guests/yieldloop). "ready"
// sends a byte on a socketpair and receives it at once: no suspension.
// "wait" sends a byte on a socket whose peer is echoed by another task on
// the same loop, so the guest is suspended in recv, the loop runs the echo
// task, and the guest is resumed on readiness: one thread, no scheduler
// hand-off, the difference is the cost of waiting.
func BenchmarkRecv(b *testing.B) {
	wasm := testguest.C(b, "tests/guests/yieldloop")
	for _, backend := range evloop.Backends() {
		for _, mode := range []string{"ready", "wait"} {
			b.Run(backend+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				rt, mod := yieldloop(b, backend, wasm)
				sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					b.Fatal(err)
				}
				guestEnd := os.NewFile(uintptr(sp[0]), "peer")
				defer guestEnd.Close()
				defer unix.Close(sp[1])
				loop := rt.Loops()[0]
				loop.Post(func() {
					pd, err := loop.Register(sp[1])
					if err != nil {
						b.Error(err)
						return
					}
					pd.SetStream(true)
					loop.Go(func(t *evloop.Task) { echo(t, pd) })
				})
				b.ResetTimer()
				code, err := mod.Run(ctx, host.InstanceConfig{
					Args: []string{"yieldloop", "recv-" + mode, strconv.Itoa(b.N)},
					Caps: host.Capabilities{Files: map[string]*os.File{"peer": guestEnd}},
				})
				if err != nil || code != 0 {
					b.Fatalf("guest: code %d, %v", code, err)
				}
			})
		}
	}
}

// echo writes back what pd reads until end of file or an error, as a loop
// task: try, park on EAGAIN, retry.
func echo(t *evloop.Task, pd *evloop.PollDesc) {
	buf := make([]byte, 64)
	for {
		n, err := pd.TryRead(buf)
		switch {
		case err == unix.EAGAIN:
			if t.WaitFD(pd, evloop.Readable, time.Time{}) != nil {
				return
			}
			continue
		case err != nil || n == 0:
			return
		}
		for off := 0; off < n; {
			k, err := pd.TryWrite(buf[off:n])
			if err == unix.EAGAIN {
				if t.WaitFD(pd, evloop.Writable, time.Time{}) != nil {
					return
				}
				continue
			}
			if err != nil {
				return
			}
			off += k
		}
	}
}
