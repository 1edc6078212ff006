package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// TestRunMaxFDs checks --max-fds with tests/guests/manyfds, which opens
// pipes until it holds N descriptors: beyond host.DefaultMaxDescriptors it
// needs the flag, and without it fails cleanly with EMFILE.
func TestRunMaxFDs(t *testing.T) {
	prog := testguest.Path(t, "tests/guests/manyfds")
	const want = "2000" // more than host.DefaultMaxDescriptors
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			r := ptsevent(t, invocation{args: []string{"run", "--backend", backend, "--cache", cacheDir, "--max-fds", "2048", prog, want}})
			if r.code != 0 || r.stdout != "opened 2000 descriptors\n" || r.stderr != "" {
				t.Errorf("--max-fds 2048: exit status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}

			r = ptsevent(t, invocation{args: []string{"run", "--backend", backend, "--cache", cacheDir, prog, want}})
			// 3 standard descriptors + 1020 pipe ends fill the default
			// table but for one slot, too few for another pipe.
			wantOut := "opened 1020 descriptors, then EMFILE\n"
			if host.DefaultMaxDescriptors != 1024 {
				t.Fatalf("update this test: DefaultMaxDescriptors is %d", host.DefaultMaxDescriptors)
			}
			if r.code != 1 || r.stdout != wantOut {
				t.Errorf("default limit: exit status %d, stdout %q (want 1, %q), stderr %q", r.code, r.stdout, wantOut, r.stderr)
			}
		})
	}
}

func TestMaxFDsFlag(t *testing.T) {
	prog := testguest.Path(t, "examples/wasm/hello-cmd-c")
	for _, cmd := range []string{"run", "serve"} {
		r := ptsevent(t, invocation{args: []string{cmd, "-h"}})
		if r.code != 0 || !strings.Contains(r.stderr, "-max-fds N") || !strings.Contains(r.stderr, "(default 1024)") {
			t.Errorf("%s -h: exit status %d; no -max-fds N (default 1024) in:\n%s", cmd, r.code, r.stderr)
		}
		r = ptsevent(t, invocation{args: []string{cmd, "--max-fds", "2", prog}})
		if r.code != exitUsage || !strings.Contains(r.stderr, "--max-fds 2: want at least 3") {
			t.Errorf("%s --max-fds 2: exit status %d, stderr %q", cmd, r.code, r.stderr)
		}
	}

	// A limit beyond the process's RLIMIT_NOFILE (here lowered, hard limit
	// included, by the shell) is allowed with a warning.
	cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, ptseventBin,
		"run", "--cache", cacheDir, "--max-fds", "100000", prog)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stdout.String() != hello || !strings.Contains(stderr.String(), "warning: --max-fds 100000 exceeds this process's open-file limit (256") {
		t.Errorf("low ulimit: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
}
