package ptsevent

import (
	"io"
	"os"
	"time"

	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// File is a descriptor that is not a network connection: a pipe end, a
// file opened with Open, an inherited descriptor adopted with FromFD, or
// any descriptor number wrapped with NewFile. It replaces *os.File for
// them: Read and Write wait in the host (the seed's non-blocking pipes,
// sockets and character devices).
type File struct {
	d    fdesc
	name string
}

// NewFile wraps descriptor fd, which the File then owns (Close closes it).
func NewFile(fd Fd, name string) *File {
	return &File{d: fdesc{fd: fd}, name: name}
}

// Pipe creates a pipe (pipe(2)) and returns its read and write ends. It
// replaces os.Pipe (the seed's os.pipe).
func Pipe() (r, w *File, err error) {
	var fds [2]int32
	if e := errno(sys.Pipe(0, &fds)); e != 0 {
		return nil, nil, &os.PathError{Op: "pipe", Path: "", Err: e}
	}
	return NewFile(fds[0], "|0"), NewFile(fds[1], "|1"), nil
}

// Open opens a file under one of the directories the embedder mounted
// (open(2)); flags are the O_* constants, mode the permission bits of a
// created file. It replaces os.OpenFile (the seed's open and file): pipes,
// FIFOs, sockets and character devices are waited on by the host's loop,
// regular files are read off the loop. A path outside every mount fails
// with ENOTCAPABLE.
func Open(path string, flags int, mode uint32) (*File, error) {
	var fd int32
	if e := errno(sys.Open(path, int32(flags), int32(mode), &fd)); e != 0 {
		return nil, &os.PathError{Op: "open", Path: path, Err: e}
	}
	return NewFile(fd, path), nil
}

// FromFD adopts the descriptor the embedder granted under name (fromfd):
// the raw variant of the seed's socket.fromfd, like os.NewFile. Use
// FileListener or FileConn for a socket.
func FromFD(name string) (*File, error) {
	fd, err := fromfd(name)
	if err != nil {
		return nil, err
	}
	return NewFile(fd, name), nil
}

func fromfd(name string) (Fd, error) {
	var fd int32
	if e := errno(sys.Fromfd(name, &fd)); e != 0 {
		return -1, &os.PathError{Op: "fromfd", Path: name, Err: e}
	}
	return fd, nil
}

// Fd returns the descriptor number.
func (f *File) Fd() Fd { return f.d.fd }

// Name returns the name the File was made with.
func (f *File) Name() string { return f.name }

// Read reads up to len(b) bytes; at end of file it returns 0, io.EOF. On a
// File made non-blocking with SetNonblock it returns EAGAIN instead of
// waiting.
func (f *File) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, e := f.d.read(b)
	if e != 0 {
		return n, f.err("read", e)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of b, waiting as needed (a File made non-blocking with
// SetNonblock writes what fits or returns EAGAIN).
func (f *File) Write(b []byte) (int, error) {
	n, e := f.d.write(b)
	if e != 0 {
		return n, f.err("write", e)
	}
	return n, nil
}

// WriteString writes s.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// Close closes the descriptor.
func (f *File) Close() error {
	if e := f.d.close(); e != 0 {
		return f.err("close", e)
	}
	return nil
}

// SetNonblock makes the descriptor non-blocking (Read and Write return
// EAGAIN, an Errno whose Temporary is true, when they would wait: use Poll
// or Select) or blocking again (set_nonblock, the seed's fcntl O_NONBLOCK).
func (f *File) SetNonblock(on bool) error {
	if e := f.d.setNonblock(on); e != 0 {
		return f.err("set_nonblock", e)
	}
	f.d.raw = on
	return nil
}

// SetDeadline sets the read and write deadlines, as os.File's does for
// pipes: a Read or Write waiting past it fails with an error that matches
// os.ErrDeadlineExceeded. The zero time means no deadline.
func (f *File) SetDeadline(t time.Time) error {
	f.d.dl = [2]time.Time{t, t}
	return nil
}

// SetReadDeadline sets the read deadline.
func (f *File) SetReadDeadline(t time.Time) error { f.d.dl[dirRead] = t; return nil }

// SetWriteDeadline sets the write deadline.
func (f *File) SetWriteDeadline(t time.Time) error { f.d.dl[dirWrite] = t; return nil }

// LineReader returns a LineReader over the File whose lines are at most
// size bytes (abi.ReadlineMax when size <= 0).
func (f *File) LineReader(size int) *LineReader { return newLineReader(&f.d, size) }

func (f *File) err(op string, e Errno) error {
	if e == eBADF && f.d.closed {
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	return &os.PathError{Op: op, Path: f.name, Err: e}
}
