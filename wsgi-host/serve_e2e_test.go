package wsgihost

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/internal/testguest"
)

// TestServeCommand runs `ptsevent serve` on the example app: it answers
// over HTTP, and SIGTERM lets a slow request in flight finish before the
// process exits 0. A second run serves HTTPS with --tls-cert/--tls-key.
func TestServeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ptsevent binary")
	}
	root := testguest.Root(t)
	bin := filepath.Join(t.TempDir(), "ptsevent")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ptsevent")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ptsevent: %v\n%s", err, out)
	}
	app := testguest.GoPath(t, goGuestDir)

	t.Run("http", func(t *testing.T) {
		cmd, url, stderr := startServe(t, bin, app, "--workers", "2")
		c := &http.Client{Timeout: 10 * time.Second}
		if code, body, _ := httpGet(t, c, url); code != 200 || body != "Hello, World!\n" {
			t.Fatalf("GET /: %d %q", code, body)
		}
		type result struct {
			code int
			body string
			err  error
		}
		slow := make(chan result, 1)
		go func() {
			resp, err := c.Get(url + "sleep?ms=700")
			if err != nil {
				slow <- result{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			slow <- result{resp.StatusCode, string(b), err}
		}()
		time.Sleep(200 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		r := <-slow
		if r.err != nil || r.code != 200 || !strings.HasPrefix(r.body, "slept ") {
			t.Fatalf("request in flight at SIGTERM: %d %q %v\n%s", r.code, r.body, r.err, stderr)
		}
		if err := waitExit(cmd, 10*time.Second); err != nil {
			t.Fatalf("ptsevent serve after SIGTERM: %v\n%s", err, stderr)
		}
		if !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("stderr:\n%s", stderr)
		}
	})

	t.Run("scheduler", func(t *testing.T) {
		sched := testguest.GoPath(t, schedExampleDir)
		cmd, url, stderr := startServe(t, bin, sched, "--workers", "1")
		c := &http.Client{Timeout: 10 * time.Second}
		if code, body, h := httpGet(t, c, url); code != 200 || body != "Hello, World!\n" || h.Get("X-Instance") == "" {
			t.Fatalf("GET /: %d %q %v\n%s", code, body, h, stderr)
		}
		if code, body, _ := httpGet(t, c, url+"sleep?ms=10"); code != 200 || !strings.HasPrefix(body, "slept ") {
			t.Fatalf("GET /sleep: %d %q", code, body)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := waitExit(cmd, 10*time.Second); err != nil {
			t.Fatalf("ptsevent serve after SIGTERM: %v\n%s", err, stderr)
		}
		if !strings.Contains(stderr.String(), "style=scheduler") || !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("stderr:\n%s", stderr)
		}
	})

	t.Run("https", func(t *testing.T) {
		_, roots, certFile, keyFile := selfSigned(t, t.TempDir())
		cmd, url, stderr := startServe(t, bin, app, "--tls-cert", certFile, "--tls-key", keyFile, "--workers", "1")
		if !strings.HasPrefix(url, "https://") {
			t.Fatalf("url %s", url)
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		if code, body, _ := httpGet(t, c, url); code != 200 || body != "Hello, World!\n" {
			t.Fatalf("GET /: %d %q", code, body)
		}
		c.CloseIdleConnections()
		cmd.Process.Signal(os.Interrupt)
		if err := waitExit(cmd, 10*time.Second); err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr)
		}
	})
}

var urlRE = regexp.MustCompile(`url=(https?://[^ ]+/)`)

// startServe starts `ptsevent serve app --listen 127.0.0.1:0 args...` and
// returns the URL it logs.
func startServe(t *testing.T, bin, app string, args ...string) (*exec.Cmd, string, *logBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", app, "--listen", "127.0.0.1:0", "--cache", wazeroCache()}, args...)...)
	stderr := &logBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			stderr.Write([]byte(line + "\n"))
			if m := urlRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case url := <-found:
		return cmd, url, stderr
	case <-time.After(60 * time.Second):
		t.Fatalf("ptsevent serve did not start:\n%s", stderr)
	}
	return nil, "", nil
}

func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		return os.ErrDeadlineExceeded
	}
}
