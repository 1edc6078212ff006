package host_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// Embedding takes a runtime, a compiled module and a run. The guest here is
// examples/wasm/hello-cmd, built from source; its output goes to stdout.
func Example() {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.Config{Loops: 1, CacheDir: testguest.CompileCacheDir()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close(ctx)

	mod, err := rt.Load(ctx, testguest.MustGoPath("examples/wasm/hello-cmd"))
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := mod.Run(ctx, host.InstanceConfig{
		Args:     []string{"hello", "-exit", "3", "world"},
		Env:      []string{"GREETING=hi"},
		Stdout:   os.Stdout,
		Deadline: 30 * time.Second,
	})
	fmt.Println("exit code", code, err)
	// Output:
	// hello from ptsevent guest
	// arg 1: world
	// GREETING=hi
	// exit code 3 <nil>
}
