package compat

import (
	"io"
	"os"
	"sync"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// Standard I/O lives in the descriptor table as KindStdio descriptors over
// the instance's reader and writers, so fd_read, fd_write, poll_oneoff and
// the ptsevent read/write/poll imports all see the same 0, 1 and 2.
//
// Output is written to InstanceConfig.Stdout and Stderr on the loop, as
// wazero does: the descriptors are always writable. Input is read by a
// goroutine started on the first read (so a guest that never reads stdin
// never consumes it), one chunk ahead of the guest; a read with nothing
// buffered is EAGAIN for a non-blocking descriptor, and parks a blocking
// one until the chunk arrives, so a guest waiting for a terminal does not
// hold the loop.

// setupStdio adds descriptors 0, 1 and 2.
func setupStdio(in *host.Instance, cfg host.InstanceConfig) error {
	loop := in.Loop()
	streams := []host.Stream{newStdin(loop, cfg.Stdin), &stdout{w: cfg.Stdout}, &stdout{w: cfg.Stderr}}
	for i, s := range streams {
		pd := loop.NewVirtual()
		if i > 0 {
			pd.SetReady(evloop.Writable)
		} else {
			s.(*stdin).pd = pd
			if cfg.Stdin == nil {
				pd.SetReady(evloop.Readable) // at EOF
			}
		}
		d := &host.Desc{Kind: host.KindStdio, OSFd: -1, PD: pd, Stream: s}
		if e := in.FDs().InsertAt(int32(i), d); e != 0 {
			s.Close()
			pd.Close()
			return e
		}
	}
	return nil
}

// stdioFiletype reports a standard stream as a character device (a tty for
// wasi-libc's isatty) when the host side is a terminal, else as unknown
// (a pipe, a buffer).
func stdioFiletype(s host.Stream) (uint8, uint64) {
	var f *os.File
	switch s := s.(type) {
	case *stdin:
		f, _ = s.r.(*os.File)
	case *stdout:
		f, _ = s.w.(*os.File)
	}
	if f != nil && isTerminal(f) {
		return filetypeCharacterDevice, rightsTTY
	}
	return filetypeUnknown, rightsStream
}

// stdout writes to an io.Writer (nil discards).
type stdout struct{ w io.Writer }

func (s *stdout) Read([]byte) (int, error) { return 0, unix.EBADF }

func (s *stdout) Write(p []byte) (int, error) {
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

func (s *stdout) Close() error { return nil }

// stdin reads from an io.Reader (nil is empty) through a pump goroutine.
// Fields other than want and done are the loop's.
type stdin struct {
	loop    *evloop.Loop
	pd      *evloop.PollDesc
	r       io.Reader
	buf     []byte // received, not yet read
	eof     bool
	err     error
	started bool
	closed  bool
	want    chan struct{} // the loop asks the pump for a chunk
	done    chan struct{} // closed with the descriptor
	once    sync.Once
}

func newStdin(loop *evloop.Loop, r io.Reader) *stdin {
	return &stdin{loop: loop, r: r, eof: r == nil, want: make(chan struct{}, 1), done: make(chan struct{})}
}

func (s *stdin) Read(p []byte) (int, error) {
	if len(s.buf) > 0 {
		n := copy(p, s.buf)
		s.buf = s.buf[n:]
		if len(s.buf) == 0 && !s.eof && s.err == nil {
			s.pd.ClearReady(evloop.Readable)
			s.request()
		}
		return n, nil
	}
	switch {
	case s.err != nil:
		return 0, s.err
	case s.eof:
		return 0, nil
	}
	s.request()
	return 0, unix.EAGAIN
}

func (s *stdin) Write([]byte) (int, error) { return 0, unix.EBADF }

func (s *stdin) Close() error {
	s.closed = true
	s.once.Do(func() { close(s.done) })
	return nil
}

// request asks the pump for the next chunk, starting it the first time.
func (s *stdin) request() {
	if !s.started {
		s.started = true
		go s.pump()
	}
	select {
	case s.want <- struct{}{}:
	default:
	}
}

// pump reads a chunk each time the loop asks and hands it to the loop.
func (s *stdin) pump() {
	buf := make([]byte, 32<<10)
	for {
		select {
		case <-s.want:
		case <-s.done:
			return
		}
		var n int
		var err error
		for n == 0 && err == nil {
			n, err = s.r.Read(buf)
		}
		chunk := append([]byte(nil), buf[:n]...)
		s.loop.Post(func() {
			if s.closed {
				return
			}
			s.buf = append(s.buf, chunk...)
			switch {
			case err == io.EOF:
				s.eof = true
			case err != nil:
				s.err = unix.EIO
			}
			s.pd.SetReady(evloop.Readable)
		})
		if err != nil {
			return
		}
	}
}

// isTerminal reports whether f is a terminal, without File.Fd's side
// effect of making it blocking.
func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = err == nil
	})
	return tty
}
