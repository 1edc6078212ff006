package compat_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCLIListen runs the unmodified Go net/http guest with
// `ptsevent run --listen HOST:PORT`, as compat/README.md shows.
func TestCLIListen(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ptsevent")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ptsevent/ptsevent/cmd/ptsevent").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ptsevent: %v\n%s", err, out)
	}
	prog := testguest.GoPath(t, "tests/guests/compat-http")
	addr := freePort(t)

	cmd := exec.Command(bin, "run", "--cache", filepath.Join(dir, "cache"), "--listen", addr, prog)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	ready := make(chan string, 1)
	go func() {
		if lines.Scan() {
			ready <- lines.Text()
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-ready:
		if l != "serving on tcp" {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the guest did not start; stderr:\n%s", stderr.String())
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if err := get(c, "http://"+addr+"/hello/cli", "hello cli"); err != nil {
		t.Error(err)
	}
	if err := get(c, "http://"+addr+"/quit", "bye"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ptsevent run: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ptsevent run did not exit after /quit")
	}

	// A bad address is a usage error; an address in use fails to start.
	if out, err := exec.Command(bin, "run", "--listen", "nonsense", prog).CombinedOutput(); exitCode(err) != 2 {
		t.Errorf("--listen nonsense: %v\n%s", err, out)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if out, err := exec.Command(bin, "run", "--cache", "", "--listen", busy.Addr().String(), prog).CombinedOutput(); exitCode(err) != 125 {
		t.Errorf("--listen on a busy port: %v\n%s", err, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// TestListenersNeedOverlay: without the overlay, wazero's WASI cannot
// preopen listeners, and instantiation says so.
func TestListenersNeedOverlay(t *testing.T) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.Compile(ctx, testguest.Bytes(t, "tests/guests/compat-cnet"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := listener(t)
	_, err = mod.Run(ctx, host.InstanceConfig{Listeners: []*os.File{f}})
	if err == nil || !strings.Contains(err.Error(), "Listeners") {
		t.Errorf("Run with Listeners and no overlay: %v", err)
	}
}
