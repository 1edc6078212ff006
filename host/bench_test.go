package host_test

import (
	"context"
	"strconv"
	"testing"

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
				rt, err := host.NewRuntime(ctx, host.Config{Backend: backend, Loops: 1,
					CacheDir: testguest.CompileCacheDir(), WASI: compat.Module})
				if err != nil {
					b.Fatal(err)
				}
				defer rt.Close(ctx)
				mod, err := rt.Compile(ctx, wasm)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				code, err := mod.Run(ctx, host.InstanceConfig{Args: []string{"yieldloop", mode, strconv.Itoa(b.N)}})
				if err != nil || code != 0 {
					b.Fatalf("guest: code %d, %v", code, err)
				}
			})
		}
	}
}
