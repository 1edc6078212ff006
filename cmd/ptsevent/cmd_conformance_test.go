package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ptsevent/ptsevent/internal/testguest"
)

// TestConformanceCommand runs a slice of the conformance suite through the
// CLI on guests built from source, and checks the closing line, the exit
// status and --json.
func TestConformanceCommand(t *testing.T) {
	guests := t.TempDir()
	src := testguest.GoPath(t, "tests/conformance/guests/conformance-go-raw")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(guests, "conformance-go-raw.wasm"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	closing := regexp.MustCompile(`(?m)^(\d+) passed, 0 failed$`)
	cases := []struct {
		name string
		args []string
		code int
		out  *regexp.Regexp // on stdout
		err  *regexp.Regexp // on stderr
	}{
		{"table", []string{"conformance", "--guests", guests, "--backend", "all", "--run", "^(io/pipe|poll/sleep)$"}, 0, closing, nil},
		{"json", []string{"conformance", "--guests", guests, "--backend", "epoll", "--run", "^io/pipe$", "--json"}, 0, regexp.MustCompile(`"io/pipe"`), closing},
		{"missing guest", []string{"conformance", "--guests", t.TempDir(), "--run", "^io/pipe$"}, 1, nil, nil},
		{"bad backend", []string{"conformance", "--backend", "nope"}, 2, nil, regexp.MustCompile(`nope`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ptsevent(t, invocation{args: append(tc.args, "--cache", cacheDir)})
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if tc.out != nil && !tc.out.MatchString(r.stdout) {
				t.Errorf("stdout does not match %s:\n%s", tc.out, r.stdout)
			}
			if tc.err != nil && !tc.err.MatchString(r.stderr) {
				t.Errorf("stderr does not match %s:\n%s", tc.err, r.stderr)
			}
		})
	}
}
