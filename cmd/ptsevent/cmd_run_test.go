package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// The hello guests print the same lines; see examples/wasm/hello-cmd.
var helloGuests = []string{"examples/wasm/hello-cmd", "examples/wasm/hello-cmd-c"}

const hello = "hello from ptsevent guest\n"

func TestRun(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "x"), []byte("data from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		flags      []string // ptsevent run's flags
		args       []string // the guest's arguments
		stdin      string
		env        []string // ptsevent's environment
		cOnly      bool
		wantCode   int
		wantStdout string // exact, unless wantStdoutSub
		stdoutSub  bool
		wantStderr string // a substring
	}{
		{name: "exit 0", wantStdout: hello},
		{
			name:       "args env exit",
			flags:      []string{"--env", "GREETING=hi there", "--env", "OTHER=x"},
			args:       []string{"-exit", "7", "one", "two words"},
			wantCode:   7,
			wantStdout: hello + "arg 1: one\narg 2: two words\nGREETING=hi there\n",
		},
		{
			name:       "dash dash",
			args:       []string{"--", "-exit", "5", "a"},
			wantCode:   5,
			wantStdout: hello + "arg 1: a\n",
		},
		{
			name:       "host env is not passed by default",
			env:        []string{"GREETING=from the host"},
			wantStdout: hello,
		},
		{
			name:       "env passthrough",
			flags:      []string{"--env", "GREETING"},
			env:        []string{"GREETING=from the host"},
			wantStdout: hello + "GREETING=from the host\n",
		},
		{
			name:       "dir",
			flags:      []string{"--dir", data + ":/data:ro"},
			args:       []string{"-cat", "/data/x"},
			wantStdout: hello + "data from the host\n",
		},
		{
			name:       "no dir",
			args:       []string{"-cat", "/data/x"},
			wantCode:   1,
			wantStdout: hello,
			wantStderr: "/data/x",
		},
		{
			name:       "stdin",
			args:       []string{"-stdin"},
			stdin:      "line 1\nline 2\n",
			wantStdout: hello + "line 1\nline 2\n",
		},
		{
			name:       "stderr",
			args:       []string{"-err", "oops on stderr"},
			wantStdout: hello,
			wantStderr: "oops on stderr\n",
		},
		{
			name:       "timeout",
			flags:      []string{"--timeout", "1s"},
			args:       []string{"-spin"},
			wantCode:   exitTimeout,
			wantStdout: hello,
			wantStderr: "timed out after 1s",
		},
		{
			name:       "trap",
			args:       []string{"-trap"},
			cOnly:      true,
			wantCode:   exitTrap,
			wantStdout: hello,
			wantStderr: "guest trapped",
		},
	}

	progs := map[string]string{}
	for _, g := range helloGuests {
		progs[g] = testguest.Path(t, g)
		// Fill the compilation cache first, so the parallel runs below
		// load compiled code instead of all compiling the same guest.
		if r := ptsevent(t, invocation{args: []string{"run", "--cache", cacheDir, progs[g]}}); r.code != 0 {
			t.Fatalf("%s: exit status %d; stderr:\n%s", g, r.code, r.stderr)
		}
	}

	for _, backend := range evloop.Backends() {
		for _, g := range helloGuests {
			for _, tt := range tests {
				if tt.cOnly && !strings.HasSuffix(g, "-c") {
					continue
				}
				t.Run(backend+"/"+filepath.Base(g)+"/"+tt.name, func(t *testing.T) {
					t.Parallel()
					args := []string{"run", "--backend", backend, "--cache", cacheDir}
					args = append(args, tt.flags...)
					args = append(append(args, progs[g]), tt.args...)
					r := ptsevent(t, invocation{args: args, stdin: tt.stdin, env: tt.env})
					if r.code != tt.wantCode {
						t.Errorf("exit status %d, want %d", r.code, tt.wantCode)
					}
					if r.stdout != tt.wantStdout {
						t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, tt.wantStdout)
					}
					if tt.wantStderr == "" && r.stderr != "" || !strings.Contains(r.stderr, tt.wantStderr) {
						t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.wantStderr)
					}
					if t.Failed() {
						t.Logf("ptsevent %q", args)
					}
				})
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	prog := testguest.Path(t, "examples/wasm/hello-cmd-c")
	notWasm := filepath.Join(t.TempDir(), "not.wasm")
	if err := os.WriteFile(notWasm, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{
			name:       "unknown backend",
			args:       []string{"run", "--backend", "nope", prog},
			wantCode:   exitUsage,
			wantStderr: []string{`unknown backend "nope"`, "compiled in: " + strings.Join(evloop.Backends(), ", ")},
		},
		{
			name:       "missing program",
			args:       []string{"run", "--cache", "", filepath.Join(t.TempDir(), "missing.wasm")},
			wantCode:   exitHostErr,
			wantStderr: []string{"missing.wasm", "no such file"},
		},
		{
			name:       "not wasm",
			args:       []string{"run", "--cache", "", notWasm},
			wantCode:   exitHostErr,
			wantStderr: []string{"not.wasm"},
		},
		{
			name:       "dir that does not exist",
			args:       []string{"run", "--dir", "/no/such/dir:/data", prog},
			wantCode:   exitUsage,
			wantStderr: []string{"/no/such/dir"},
		},
		{
			name:       "bad dir syntax",
			args:       []string{"run", "--dir", "a:b:c:d", prog},
			wantCode:   exitUsage,
			wantStderr: []string{"HOST:GUEST[:ro]"},
		},
		{
			name:       "bad address pattern",
			args:       []string{"run", "--allow-connect", "nonsense", prog},
			wantCode:   exitUsage,
			wantStderr: []string{"nonsense"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ptsevent(t, invocation{args: tt.args})
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not contain %q", r.stderr, s)
				}
			}
		})
	}
}

// TestRunDefaultCache checks that without --cache compiled code lands in
// $XDG_CACHE_HOME/ptsevent.
func TestRunDefaultCache(t *testing.T) {
	xdg := t.TempDir()
	prog := testguest.Path(t, "examples/wasm/hello-cmd-c")
	r := ptsevent(t, invocation{args: []string{"run", prog}, env: []string{"XDG_CACHE_HOME=" + xdg}})
	if r.code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	ents, err := os.ReadDir(filepath.Join(xdg, "ptsevent"))
	if err != nil || len(ents) == 0 {
		t.Fatalf("no compilation cache in $XDG_CACHE_HOME/ptsevent: %v %v", ents, err)
	}
}
