package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ptseventBin is the CLI under test, built once by TestMain; cacheDir is
// the compilation cache the tests share (passed as --cache).
var ptseventBin, cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ptsevent-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ptseventBin = filepath.Join(dir, "ptsevent")
	cacheDir = filepath.Join(dir, "cache")
	if out, err := exec.Command("go", "build", "-o", ptseventBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/ptsevent: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

type invocation struct {
	args  []string
	stdin string
	env   []string // added to the environment
}

// ptsevent runs the CLI and returns its exit status and output.
func ptsevent(t *testing.T, inv invocation) result {
	t.Helper()
	cmd := exec.Command(ptseventBin, inv.args...)
	cmd.Stdin = strings.NewReader(inv.stdin)
	cmd.Env = append(os.Environ(), inv.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("ptsevent %q did not finish in 2 minutes", inv.args)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("ptsevent %q: %v", inv.args, err)
	}
	return r
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, exitUsage, "", "Usage: ptsevent <command>"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"help run", []string{"help", "run"}, 0, "", "Usage: ptsevent run"},
		{"run -h", []string{"run", "-h"}, 0, "", "-allow-connect"},
		{"run without program", []string{"run"}, exitUsage, "", "no program given"},
		{"run bad flag", []string{"run", "--no-such-flag", "x.wasm"}, exitUsage, "", "flag provided but not defined"},
		{"version extra arg", []string{"version", "x"}, exitUsage, "", "Usage: ptsevent version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ptsevent(t, invocation{args: tt.args})
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantStderr)
			}
		})
	}
}
