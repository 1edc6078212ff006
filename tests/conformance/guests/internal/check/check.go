// Package check is how the conformance suite's Go guests report results,
// as tests/conformance/README.md specifies: one line per check on stdout,
// "ok NAME[ DETAIL]" or "fail NAME: DETAIL", and exit status 1 when any
// check failed (Done), 0 otherwise. Other lines are progress for humans
// or, with a known prefix ("listening "), a signal to the runner.
package check

import (
	"fmt"
	"os"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
)

var failed bool

// OK reports a passed check.
func OK(name string, detail ...any) {
	if len(detail) == 0 {
		fmt.Printf("ok %s\n", name)
		return
	}
	fmt.Printf("ok %s %s\n", name, oneLine(fmt.Sprint(detail...)))
}

// Failf reports a failed check.
func Failf(name, format string, args ...any) {
	failed = true
	fmt.Printf("fail %s: %s\n", name, oneLine(fmt.Sprintf(format, args...)))
}

// Fatalf reports a failed check and ends the guest (exit status 1): for a
// step the rest of the scenario depends on.
func Fatalf(name, format string, args ...any) {
	Failf(name, format, args...)
	os.Exit(1)
}

// That reports name as passed when cond holds, else as failed with the
// detail; it returns cond.
func That(name string, cond bool, format string, args ...any) bool {
	if cond {
		OK(name)
	} else {
		Failf(name, format, args...)
	}
	return cond
}

// Errno reports name as passed when the import's result e is one of want
// (0, success, when want is empty), and returns whether it passed.
func Errno(name string, e uint32, want ...abi.Errno) bool {
	if len(want) == 0 {
		want = []abi.Errno{0}
	}
	var names []string
	for _, w := range want {
		if abi.Errno(e) == w {
			OK(name)
			return true
		}
		names = append(names, Name(uint32(w)))
	}
	Failf(name, "got %s, want %s", Name(e), strings.Join(names, " or "))
	return false
}

// Must is Errno for a step that must succeed: it ends the guest when e is
// not 0.
func Must(name string, e uint32) {
	if e != 0 {
		Fatalf(name, "got %s, want success", Name(e))
	}
}

// Name returns an errno's name ("EAGAIN"; "ok" for 0).
func Name(e uint32) string {
	if e == 0 {
		return "ok"
	}
	return abi.Errno(e).Name()
}

// Line prints a line that is not a check: progress, or a signal to the
// runner such as "listening 127.0.0.1:4242".
func Line(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// Failed reports whether a check failed so far.
func Failed() bool { return failed }

// Done ends the guest: exit status 1 when a check failed, else 0.
func Done() {
	if failed {
		os.Exit(1)
	}
	os.Exit(0)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }
