package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const helloBody = "Hello, World!\n"

// server is one server process started by this program, in its own
// process group so that stopping it also stops its children (nginx's
// worker).
type server struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error // from Wait, valid once exited is closed
}

// startServer starts argv with stdout and stderr going to logPath.
func startServer(argv []string, dir string, env []string, logPath string, files ...*os.File) (*server, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.ExtraFiles = files // descriptors 3, 4, ... in the server
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	s := &server{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		f.Close()
		close(s.exited)
	}()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM to the server's process group, then SIGKILL after
// grace.
func (s *server) stop(grace time.Duration) {
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
	}
	// A child that outlived its parent (it should not) goes too.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// exitErr says how the server exited, with the end of its log; nil while
// it runs.
func (s *server) exitErr() error {
	select {
	case <-s.exited:
		return fmt.Errorf("exited (%v): %s", s.err, oneLine(s.logTail(5)))
	default:
		return nil
	}
}

// logTail returns the last lines of the server's log, for failure reports.
func (s *server) logTail(lines int) string { return tailFile(s.log, lines) }

func tailFile(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.TrimSpace(strings.Join(ls, "\n"))
}

// waitReady polls GET url until it answers 200 with the hello body, the
// server exits, or timeout passes.
func (s *server) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("exited before answering (%v): %s", s.err, oneLine(s.logTail(5)))
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == helloBody {
				return nil
			}
			last = fmt.Errorf("answered %s with %q, want 200 %q", resp.Status, body, helloBody)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v; log: %s", timeout, last, oneLine(s.logTail(5)))
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// run runs a short command (a build, a version query) and returns its
// combined output.
func run(ctx context.Context, dir string, env []string, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) || ctx.Err() != nil {
			return out.String(), fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, lastLines(out.String(), 6))
		}
		return out.String(), fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
	}
	return out.String(), nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
