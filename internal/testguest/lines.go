package testguest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// LineWriter is a guest's output for tests: it keeps everything and hands
// each complete line to Lines as it is written, so a test can react to a
// guest that is still running (a server printing its address, say).
type LineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  []byte
	lines chan string
}

// NewLineWriter makes a LineWriter. Lines beyond the channel's buffer of
// 4096 are kept in String but not sent.
func NewLineWriter() *LineWriter { return &LineWriter{lines: make(chan string, 4096)} }

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.part[:i]):
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// String returns everything written so far.
func (w *LineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Lines delivers each complete line as it is written.
func (w *LineWriter) Lines() <-chan string { return w.lines }

// LastLine returns the last non-empty line written.
func (w *LineWriter) LastLine() string {
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	return lines[len(lines)-1]
}

// WaitLine waits up to 30s for a line starting with prefix and returns the
// rest of it; it fails the test with the output so far otherwise.
func (w *LineWriter) WaitLine(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l := <-w.lines:
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest
			}
		case <-timeout:
			t.Fatalf("no line %q; output so far:\n%s", prefix, w.String())
		}
	}
}
