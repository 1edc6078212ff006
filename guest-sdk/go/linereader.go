package ptsevent

import (
	"io"
	"net"
	"os"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// LineReader reads a descriptor line by line with the host's readline
// import: the host buffers the stream with large reads and hands out one
// line per call, so a line costs one import call however the bytes arrived
// (the seed's line-buffering socket file, socket._fileobject). Reads on the
// same descriptor may be mixed with ReadLine: the host serves its buffered
// bytes first.
type LineReader struct {
	d   *fdesc
	buf []byte
}

// NewLineReader returns a LineReader over descriptor fd (which it does not
// own) whose lines are at most size bytes (abi.ReadlineMax when size <= 0).
// Conn.LineReader and File.LineReader also honour the deadlines set on
// them.
func NewLineReader(fd Fd, size int) *LineReader {
	return newLineReader(&fdesc{fd: fd}, size)
}

func newLineReader(d *fdesc, size int) *LineReader {
	if size <= 0 || size > abi.ReadlineMax {
		size = abi.ReadlineMax
	}
	return &LineReader{d: d, buf: make([]byte, size)}
}

// ReadLine returns the next line, including its '\n' (the last line of a
// stream may lack it). A line longer than the reader's size comes in
// pieces of that size, without '\n' but the last. At end of stream it
// returns nil, io.EOF. The slice is valid until the next call; it replaces
// bufio.Reader.ReadSlice('\n').
func (r *LineReader) ReadLine() ([]byte, error) {
	n, e := r.d.io(dirRead, func() (int, Errno) {
		var n uint32
		e := errno(sys.Readline(r.d.fd, ptr(r.buf), uint32(len(r.buf)), &n))
		return int(n), e
	})
	if e != 0 {
		if e == eBADF && r.d.closed {
			if r.d.sock {
				return nil, net.ErrClosed
			}
			return nil, os.ErrClosed
		}
		return nil, e
	}
	if n == 0 {
		return nil, io.EOF
	}
	return r.buf[:n], nil
}

// ReadString returns the next line as a string (see ReadLine).
func (r *LineReader) ReadString() (string, error) {
	b, err := r.ReadLine()
	return string(b), err
}
