package compat_test

import (
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
	"github.com/tetratelabs/wazero/sys"
)

// TestGoTimers runs a Go guest with goroutines, channels, time.Sleep,
// time.After, a ticker and select: timers go through poll_oneoff's clock
// subscriptions.
func TestGoTimers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-timers")
		out := testguest.NewLineWriter()
		r := wait(t, start(mod, host.InstanceConfig{Args: []string{"compat-timers"}, Stdout: out, Stderr: out}), out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v", r.code, r.err)
		}
		checkLines(t, out.String(), 6)
	})
}

// TestGoSleepIsSuspended checks that a Go guest in time.Sleep is parked
// on a loop timer, not spinning.
func TestGoSleepIsSuspended(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-timers")
		out := testguest.NewLineWriter()
		done := start(mod, host.InstanceConfig{Args: []string{"compat-timers", "-sleep", "1500ms"}, Stdout: out, Stderr: out})
		out.WaitLine(t, "sleeping")
		idleCPU(t)
		r := wait(t, done, out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v; output:\n%s", r.code, r.err, out)
		}
		checkLines(t, out.String(), 1)
	})
}

// TestDeadlineWhileSuspended: a guest suspended in poll_oneoff is woken
// and unwound when its instance's deadline passes.
func TestDeadlineWhileSuspended(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-timers")
		out := testguest.NewLineWriter()
		t0 := time.Now()
		r := wait(t, start(mod, host.InstanceConfig{
			Args: []string{"compat-timers", "-sleep", "30s"}, Stdout: out, Stderr: out,
			Deadline: 300 * time.Millisecond,
		}), out)
		if d := time.Since(t0); d > 10*time.Second {
			t.Errorf("the run took %v", d)
		}
		if r.err == nil || r.code != sys.ExitCodeDeadlineExceeded {
			t.Errorf("exit %d, %v; want the deadline's", r.code, r.err)
		}
	})
}
