package host_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// These tests pin down the DESIGN invariant "a guest that computes forever
// cannot hold a loop hostage" for the worst case: a guest spinning in a tight
// Wasm loop that never calls an import. Native code compiled by wazero cannot
// be preempted by the Go runtime; only wazero's termination check at loop
// headers (RuntimeConfig.WithCloseOnContextDone) returns to Go. Any
// cheaper check (third_party/wazero/PATCHES.md) must keep them passing. If
// that exit
// were lost, the goroutine that closes the module at the deadline and any GC
// stop-the-world would wait forever: these tests would hang (and be killed by
// go test's -timeout) instead of failing with a timing threshold, which they
// do not have.

// spinWasm is a hand-assembled command module:
//
//	(module
//	  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
//	  (memory (export "memory") 1)
//	  (data (i32.const 0) "\10\00\00\00\09\00\00\00")   ;; iovec{buf: 16, len: 9}
//	  (data (i32.const 16) "spinning\n")
//	  (func (export "_start") (local $i i32)
//	    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
//	    (loop $l                                          ;; no import call in the loop
//	      (local.set $i (i32.add (local.get $i) (i32.const 1)))
//	      (br $l))))
//
// It prints "spinning\n" once (so a test knows it reached the loop) and then
// never returns to the host on its own.
var spinWasm = wasmModule(
	wasmSection(1, // types
		0x02,
		0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // (i32 i32 i32 i32) -> i32
		0x60, 0x00, 0x00, // () -> ()
	),
	wasmSection(2, // imports
		append(append(append([]byte{0x01}, wasmName("wasi_snapshot_preview1")...), wasmName("fd_write")...), 0x00, 0x00)...),
	wasmSection(3, 0x01, 0x01),       // one function of type 1
	wasmSection(5, 0x01, 0x00, 0x01), // one memory, min 1 page
	wasmSection(7, // exports
		append(append(append([]byte{0x02}, wasmName("memory")...), 0x02, 0x00),
			append(wasmName("_start"), 0x00, 0x01)...)...),
	wasmSection(10, wasmCode( // code
		0x01, 0x01, 0x7f, // one i32 local
		0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x20, 0x10, 0x00, 0x1a, // drop(fd_write(1, 0, 1, 32))
		0x03, 0x40, // loop
		0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, // i = i + 1
		0x0c, 0x00, // br 0
		0x0b, // end loop
		0x0b, // end func
	)...),
	wasmSection(11, // data
		append([]byte{0x02,
			0x00, 0x41, 0x00, 0x0b, 0x08, 0x10, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
			0x00, 0x41, 0x10, 0x0b, 0x09}, "spinning\n"...)...),
)

func wasmModule(sections ...[]byte) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	for _, s := range sections {
		out = append(out, s...)
	}
	return out
}

func wasmSection(id byte, content ...byte) []byte {
	return append(append([]byte{id}, uleb(len(content))...), content...)
}

func wasmName(s string) []byte { return append(uleb(len(s)), s...) }

// wasmCode is a code section holding one function body.
func wasmCode(body ...byte) []byte {
	return append(append([]byte{0x01}, uleb(len(body))...), body...)
}

func uleb(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// signalWriter collects output and closes seen when want first appears.
type signalWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan struct{}
}

func newSignalWriter(want string) *signalWriter {
	return &signalWriter{want: want, seen: make(chan struct{})}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

var _ io.Writer = (*signalWriter)(nil)

// withGOMAXPROCS sets GOMAXPROCS for the test and restores it afterwards.
func withGOMAXPROCS(t *testing.T, n int) {
	t.Helper()
	old := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// hangGuard fails the test (instead of letting go test's -timeout kill the
// whole binary) if done is not closed before the test's deadline. It is only
// a backstop for a scheduler that still runs it: with GOMAXPROCS=1 and a
// guest that never returns to Go, nothing runs, and -timeout is what ends
// the hang.
func hangGuard(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-testDeadline(t):
		t.Fatalf("%s: still running at the test's deadline (the guest held the scheduler)", what)
	}
}

// testDeadline fires a little before the test's deadline (or after 5 minutes
// without one). It is a backstop against hangs, not a timing threshold.
func testDeadline(t *testing.T) <-chan time.Time {
	wait := 5 * time.Minute
	if dl, ok := t.Deadline(); ok {
		wait = time.Until(dl) - 10*time.Second
	}
	return time.After(wait)
}

type spinResult struct {
	code uint32
	err  error
}

// runSpin runs spinWasm with cfg on its own goroutine.
func runSpin(ctx context.Context, mod *host.Module, cfg host.InstanceConfig) (<-chan struct{}, *spinResult) {
	done := make(chan struct{})
	res := &spinResult{}
	go func() {
		defer close(done)
		res.code, res.err = mod.Run(ctx, cfg)
	}()
	return done, res
}

// TestDeadlineStopsTightLoopGOMAXPROCS1: with a single P, the spinning guest
// holds the only P; the deadline timer (and the loop) get to run only when
// the compiled code exits to Go at a loop-header check.
func TestDeadlineStopsTightLoopGOMAXPROCS1(t *testing.T) {
	withGOMAXPROCS(t, 1)
	rt := newRuntime(t, "")
	mod, err := rt.Compile(context.Background(), spinWasm)
	if err != nil {
		t.Fatal(err)
	}
	// The deadline also covers instantiation; grow it until the guest is
	// seen to reach its loop, so that the test does not depend on speed.
	for d := 50 * time.Millisecond; ; d *= 2 {
		out := newSignalWriter("spinning")
		done, res := runSpin(context.Background(), mod, host.InstanceConfig{
			Args: []string{"spin"}, Deadline: d, Stdout: out, Stderr: out,
		})
		hangGuard(t, done, "spinning guest with a deadline")
		if res.err == nil || res.code != sys.ExitCodeDeadlineExceeded {
			t.Fatalf("deadline %v: code %d err %v, want code %d (deadline exceeded)",
				d, res.code, res.err, sys.ExitCodeDeadlineExceeded)
		}
		var ee *sys.ExitError
		if !errors.As(res.err, &ee) || ee.ExitCode() != sys.ExitCodeDeadlineExceeded {
			t.Fatalf("deadline %v: err %v is not a deadline-exceeded sys.ExitError", d, res.err)
		}
		if strings.Contains(out.String(), "spinning") {
			break // the deadline stopped the guest inside its loop
		}
		if dl, ok := t.Deadline(); ok && time.Until(dl) < 4*d {
			t.Fatalf("the guest never reached its loop before its deadline (last %v)", d)
		}
	}
	// The loop is free again: the same module runs once more.
	out := newSignalWriter("spinning")
	done, res := runSpin(context.Background(), mod, host.InstanceConfig{
		Args: []string{"spin"}, Deadline: 50 * time.Millisecond, Stdout: out, Stderr: out,
	})
	hangGuard(t, done, "second spinning guest")
	if res.code != sys.ExitCodeDeadlineExceeded {
		t.Fatalf("second run: code %d err %v", res.code, res.err)
	}
}

// TestGCWhileGuestSpins: a forced GC (stop-the-world) completes while a guest
// spins in a loop without imports, and the guest keeps running until it is
// canceled. No deadline is involved: the guest ends only by cancellation.
func TestGCWhileGuestSpins(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run("GOMAXPROCS="+string(rune('0'+procs)), func(t *testing.T) {
			withGOMAXPROCS(t, procs)
			rt := newRuntime(t, "")
			mod, err := rt.Compile(context.Background(), spinWasm)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := newSignalWriter("spinning")
			done, res := runSpin(ctx, mod, host.InstanceConfig{Args: []string{"spin"}, Stdout: out, Stderr: out})

			select {
			case <-out.seen:
			case <-done:
				t.Fatalf("guest ended before spinning: code %d err %v out %q", res.code, res.err, out.String())
			case <-testDeadline(t):
				t.Fatal("guest never reached its loop")
			}

			gcDone := make(chan struct{})
			go func() {
				defer close(gcDone)
				for range 3 {
					runtime.GC()
				}
			}()
			hangGuard(t, gcDone, "runtime.GC while a guest spins")

			select {
			case <-done:
				t.Fatalf("guest ended without being canceled: code %d err %v", res.code, res.err)
			default:
			}
			cancel()
			hangGuard(t, done, "canceled spinning guest")
			if res.err == nil || res.code != sys.ExitCodeContextCanceled {
				t.Fatalf("code %d err %v, want code %d (context canceled)", res.code, res.err, sys.ExitCodeContextCanceled)
			}
		})
	}
}

// sumWasm exports a loop-heavy function without imports:
//
//	(module
//	  (memory (export "memory") 1)
//	  (func (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
//	    (block (br_if 0 (i32.eqz (local.get $n)))
//	      (loop
//	        (local.set $acc (i64.add (local.get $acc)
//	          (i64.load32_u (i32.shl (i32.and (local.get $i) (i32.const 0x3fff)) (i32.const 2)))))
//	        (br_if 0 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
//	    (local.get $acc)))
var sumWasm = wasmModule(
	wasmSection(1, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7e), // (i32) -> i64
	wasmSection(3, 0x01, 0x00),
	wasmSection(5, 0x01, 0x00, 0x01),
	wasmSection(7,
		append(append(append([]byte{0x02}, wasmName("memory")...), 0x02, 0x00),
			append(wasmName("sum"), 0x00, 0x00)...)...),
	wasmSection(10, wasmCode(
		0x02, 0x01, 0x7f, 0x01, 0x7e, // locals: $i i32, $acc i64
		0x02, 0x40, // block
		0x20, 0x00, 0x45, 0x0d, 0x00, // br_if 0 (n == 0)
		0x03, 0x40, // loop
		0x20, 0x02, // acc
		0x20, 0x01, 0x41, 0xff, 0xff, 0x00, 0x71, 0x41, 0x02, 0x74, // (i & 0x3fff) << 2
		0x35, 0x02, 0x00, // i64.load32_u
		0x7c, 0x21, 0x02, // acc += ...
		0x20, 0x01, 0x41, 0x01, 0x6a, 0x22, 0x01, // i = i + 1
		0x20, 0x00, 0x49, 0x0d, 0x00, // br_if 0 (i < n)
		0x0b, 0x0b, // end loop, end block
		0x20, 0x02, // acc
		0x0b,
	)...),
)

// BenchmarkLoopTerminationCheck measures the cost of wazero's
// RuntimeConfig.WithCloseOnContextDone (which host.Runtime turns on), with
// the option on and off:
//
//   - loop: ns/iter of a tight 5-instruction array-sum loop, i.e. the
//     loop-header termination check (see third_party/wazero/PATCHES.md);
//   - call: ns/op of calling the same function with n=0 (no loop iteration)
//     under a cancelable context, i.e. the option's per-call cost.
//
// The gap between on and off is what a cheaper check could win
// (wazero#2466).
func BenchmarkLoopTerminationCheck(b *testing.B) {
	const iters = 1 << 20
	for _, on := range []bool{true, false} {
		opt := "closeOnContextDone=off"
		if on {
			opt = "closeOnContextDone=on"
		}
		for _, kind := range []string{"loop", "call"} {
			b.Run(opt+"/"+kind, func(b *testing.B) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(on))
				defer r.Close(ctx)
				m, err := r.Instantiate(ctx, sumWasm)
				if err != nil {
					b.Fatal(err)
				}
				sum := m.ExportedFunction("sum")
				n := uint64(0)
				if kind == "loop" {
					n = iters
				}
				stack := []uint64{n}
				b.ResetTimer()
				for range b.N {
					stack[0] = n
					if err := sum.CallWithStack(ctx, stack); err != nil {
						b.Fatal(err)
					}
				}
				if kind == "loop" {
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
				}
			})
		}
	}
}

// quickSpinWasm is a reactor module with two exports:
//
//	(module
//	  (func (export "quick"))
//	  (func (export "spin") (local $i i32)
//	    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))))
var quickSpinWasm = wasmModule(
	wasmSection(1, 0x01, 0x60, 0x00, 0x00), // one type: () -> ()
	wasmSection(3, 0x02, 0x00, 0x00),       // two functions of type 0
	wasmSection(7, // exports
		append(append(append([]byte{0x02}, wasmName("quick")...), 0x00, 0x00),
			append(wasmName("spin"), 0x00, 0x01)...)...),
	wasmSection(10, // code
		0x02,
		0x02, 0x00, 0x0b, // quick: no locals, end
		0x10, 0x01, 0x01, 0x7f, // spin: one i32 local
		0x03, 0x40, // loop
		0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, // i = i + 1
		0x0c, 0x00, // br 0
		0x0b, 0x0b, // end loop, end func
	),
)

// TestDeadlineAfterEarlierCalls checks the per-instance deadline timer,
// which is armed for the first call and re-armed lazily: a pooled
// instance's spinning call that starts after quick calls, while the timer
// is still armed for the first call's deadline, is stopped at its own
// deadline, not at the earlier one, and is stopped.
func TestDeadlineAfterEarlierCalls(t *testing.T) {
	const deadline = 400 * time.Millisecond
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		rt := newRuntime(t, backend)
		mod, err := rt.Compile(ctx, quickSpinWasm)
		if err != nil {
			t.Fatal(err)
		}
		loop := rt.Loops()[0]
		type result struct {
			spin    time.Duration
			err     error
			prepErr error
		}
		done := make(chan result, 1)
		if err := loop.Submit(func(task *evloop.Task) {
			pool := mod.NewPool(loop, host.InstanceConfig{Deadline: deadline}, 1)
			in, err := pool.Get(ctx, task)
			if err != nil {
				done <- result{prepErr: err}
				return
			}
			// Three quick calls over half the deadline: the timer stays
			// armed for the first one's deadline.
			for i := range 3 {
				if _, err := in.Call(ctx, task, "quick"); err != nil {
					done <- result{prepErr: err}
					return
				}
				if i < 2 {
					task.Sleep(deadline / 4)
				}
			}
			start := time.Now()
			_, err = in.Call(ctx, task, "spin")
			done <- result{spin: time.Since(start), err: err}
		}); err != nil {
			t.Fatal(err)
		}
		var r result
		select {
		case r = <-done:
		case <-testDeadline(t):
			t.Fatal("the spinning call was never stopped")
		}
		if r.prepErr != nil {
			t.Fatal(r.prepErr)
		}
		var ee *sys.ExitError
		if !errors.As(r.err, &ee) || ee.ExitCode() != sys.ExitCodeDeadlineExceeded {
			t.Fatalf("spin ended with %v, want a deadline exit", r.err)
		}
		if r.spin < deadline {
			t.Errorf("spin stopped after %v, before its own deadline (%v): the timer fired for an earlier call", r.spin, deadline)
		}
	})
}

// callArgsWasm is a reactor module whose exports take and return values:
//
//	(module
//	  (func (export "sub") (param i64 i64) (result i64)
//	    (i64.sub (local.get 0) (local.get 1)))
//	  (func (export "pair") (result i64 i64) (i64.const 7) (i64.const 9)))
var callArgsWasm = wasmModule(
	wasmSection(1, 0x02,
		0x60, 0x02, 0x7e, 0x7e, 0x01, 0x7e, // (i64, i64) -> i64
		0x60, 0x00, 0x02, 0x7e, 0x7e), //       () -> (i64, i64)
	wasmSection(3, 0x02, 0x00, 0x01),
	wasmSection(7,
		append(append(append([]byte{0x02}, wasmName("sub")...), 0x00, 0x00),
			append(wasmName("pair"), 0x00, 0x01)...)...),
	wasmSection(10, 0x02,
		0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x7d, 0x0b, // sub
		0x06, 0x00, 0x42, 0x07, 0x42, 0x09, 0x0b), //     pair
)

// TestCallArgs: Call passes parameters and returns results through the
// instance's reused stack (sized for the larger of the two), and refuses
// a wrong number of parameters or an unknown export without breaking the
// instance.
func TestCallArgs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		rt := newRuntime(t, backend)
		mod, err := rt.Compile(ctx, callArgsWasm)
		if err != nil {
			t.Fatal(err)
		}
		loop := rt.Loops()[0]
		var lines []string
		if err := loop.Submit(func(task *evloop.Task) {
			in, err := mod.Instantiate(ctx, task, host.InstanceConfig{})
			if err != nil {
				lines = append(lines, err.Error())
				return
			}
			defer in.Close()
			for _, c := range []struct {
				name   string
				params []uint64
			}{
				{"sub", []uint64{10, 3}},
				{"pair", nil},
				{"sub", []uint64{1}},
				{"nope", nil},
				{"sub", []uint64{5, 7}},
			} {
				res, err := in.Call(ctx, task, c.name, c.params...)
				lines = append(lines, fmt.Sprintf("%s%v: %v %v broken=%v", c.name, c.params, res, err != nil, in.Broken()))
			}
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"sub[10 3]: [7] false broken=false",
			"pair[]: [7 9] false broken=false",
			"sub[1]: [] true broken=false",
			"nope[]: [] true broken=false",
			"sub[5 7]: [18446744073709551614] false broken=false",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}
