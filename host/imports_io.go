package host

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

func init() {
	register("close", hostClose)
	register("set_nonblock", hostSetNonblock)
	register("read", hostRead)
	register("write", hostWrite)
	register("readv", hostReadv)
	register("writev", hostWritev)
	register("readline", hostReadline)
	register("pipe", hostPipe)
	register("poll", hostPoll)
	register("sleep", hostSleep)
}

// errnoOf maps a raw syscall error to an errno.
func errnoOf(err error) abi.Errno {
	if err == nil {
		return 0
	}
	var ue unix.Errno
	if errors.As(err, &ue) && ue == unix.EAGAIN {
		return abi.EAGAIN
	}
	return ToErrno(err)
}

// rawRead reads from the descriptor's source: its TLS session, its stream
// or its OS descriptor. It never blocks.
func (d *Desc) rawRead(p []byte) (int, abi.Errno) {
	var n int
	var err error
	switch {
	case d.tls != nil:
		n, err = d.tls.read(d, p)
	case d.Stream != nil:
		n, err = d.Stream.Read(p)
	case d.PD != nil:
		n, err = d.PD.TryRead(p)
	default:
		n, err = unix.Read(d.OSFd, p)
	}
	if n < 0 {
		n = 0
	}
	return n, errnoOf(err)
}

func (d *Desc) rawWrite(p []byte) (int, abi.Errno) {
	var n int
	var err error
	switch {
	case d.tls != nil:
		n, err = d.tls.write(d, p)
	case d.Stream != nil:
		n, err = d.Stream.Write(p)
	case d.PD != nil:
		n, err = d.PD.TryWrite(p)
	default:
		n, err = unix.Write(d.OSFd, p)
	}
	if n < 0 {
		n = 0
	}
	return n, errnoOf(err)
}

// readInto reads into p the internal/poll way: serve buffered readline
// bytes first, then try the read; on EAGAIN a blocking descriptor parks
// until readable (or its receive timeout) and retries, a non-blocking one
// returns EAGAIN.
func (c *call) readInto(d *Desc, p []byte) (int, abi.Errno) {
	if d.lineOff < len(d.line) {
		n := copy(p, d.line[d.lineOff:])
		d.lineOff += n
		return n, 0
	}
	var dl time.Time
	for {
		n, e := d.rawRead(p)
		if e != abi.EAGAIN {
			return n, e
		}
		if d.NonBlock {
			d.PD.ClearReady(evloop.Readable)
			return 0, abi.EAGAIN
		}
		if dl.IsZero() && d.RecvTimeout > 0 {
			dl = deadline(d.RecvTimeout)
		}
		if e := c.wait(d, evloop.Readable, dl); e != 0 {
			return 0, e
		}
	}
}

// writeFrom writes p. A blocking descriptor writes all of p (parking while
// the socket buffer is full) unless an error or the send timeout stops it
// after some bytes, which are then reported as written; a non-blocking one
// writes what fits, or returns EAGAIN.
func (c *call) writeFrom(d *Desc, p []byte) (int, abi.Errno) {
	total := 0
	var dl time.Time
	for {
		n, e := d.rawWrite(p[total:])
		total += n
		switch {
		case e == 0 && total == len(p):
			return total, 0
		case e == 0:
			if d.NonBlock {
				return total, 0
			}
			continue
		case e != abi.EAGAIN:
			if total > 0 {
				return total, 0
			}
			return 0, e
		}
		// EAGAIN
		if d.NonBlock {
			d.PD.ClearReady(evloop.Writable)
			if total > 0 {
				return total, 0
			}
			return 0, abi.EAGAIN
		}
		if dl.IsZero() && d.SendTimeout > 0 {
			dl = deadline(d.SendTimeout)
		}
		if e := c.wait(d, evloop.Writable, dl); e != 0 {
			if total > 0 && e == abi.ETIMEDOUT {
				return total, 0
			}
			return total, e
		}
	}
}

// ioResult stores n at the OutPtr parameter out, or returns the errno.
func (c *call) ioResult(n int, e abi.Errno, out uint32) abi.Errno {
	if e != 0 {
		return e
	}
	return c.mem.putU32(out, uint32(n))
}

func hostClose(c *call) abi.Errno {
	if d, e := c.desc(0); e == 0 && d.Linger > 0 {
		c.lingerClose(d)
	}
	return c.in.fds.Close(c.i32(0))
}

func hostSetNonblock(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	d.NonBlock = c.u32(1) != 0
	return 0
}

func hostRead(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	if e := c.mem.check(c.u32(3), 4); e != 0 {
		return e
	}
	n, e := c.readInto(d, buf)
	return c.ioResult(n, e, c.u32(3))
}

func hostWrite(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	if e := c.mem.check(c.u32(3), 4); e != 0 {
		return e
	}
	n, e := c.writeFrom(d, buf)
	return c.ioResult(n, e, c.u32(3))
}

func hostReadv(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	iovs, e := c.mem.iovecs(c.in.iovs[:0], c.u32(1), c.u32(2))
	c.in.iovs = iovs[:0]
	if e != 0 {
		return e
	}
	if e := c.mem.check(c.u32(3), 4); e != 0 {
		return e
	}
	// Fill the first non-empty buffer with a blocking read, then the rest
	// with whatever is there without waiting, as readv(2) does.
	total := 0
	for _, b := range iovs {
		if len(b) == 0 {
			continue
		}
		var n int
		if total == 0 {
			n, e = c.readInto(d, b)
		} else {
			n, e = d.rawRead(b)
			if e == abi.EAGAIN {
				e = 0
				break
			}
		}
		if e != 0 {
			if total > 0 {
				break
			}
			return e
		}
		total += n
		if n < len(b) {
			break
		}
	}
	return c.mem.putU32(c.u32(3), uint32(total))
}

func hostWritev(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	iovs, e := c.mem.iovecs(c.in.iovs[:0], c.u32(1), c.u32(2))
	c.in.iovs = iovs[:0]
	if e != 0 {
		return e
	}
	if e := c.mem.check(c.u32(3), 4); e != 0 {
		return e
	}
	total := 0
	for _, b := range iovs {
		n, e := c.writeFrom(d, b)
		total += n
		if e != 0 {
			if total > 0 {
				break
			}
			return e
		}
		if n < len(b) {
			break
		}
	}
	return c.mem.putU32(c.u32(3), uint32(total))
}

// readlineChunk is how much readline asks the descriptor for at once.
const readlineChunk = 16 << 10

func hostReadline(c *call) abi.Errno {
	d, e := c.desc(0)
	if e != 0 {
		return e
	}
	buf, e := c.mem.bytes(c.u32(1), c.u32(2))
	if e != 0 {
		return e
	}
	if e := c.mem.check(c.u32(3), 4); e != 0 {
		return e
	}
	if len(buf) > abi.ReadlineMax {
		buf = buf[:abi.ReadlineMax]
	}
	n, e := c.readline(d, buf)
	return c.ioResult(n, e, c.u32(3))
}

// readline returns one line (up to and including '\n', at most len(out)
// bytes) from the descriptor's line buffer, refilling it with large reads.
func (c *call) readline(d *Desc, out []byte) (int, abi.Errno) {
	if len(out) == 0 {
		return 0, 0
	}
	for {
		pending := d.line[d.lineOff:]
		if i := indexNL(pending, len(out)); i >= 0 {
			n := copy(out, pending[:i+1])
			d.lineOff += n
			return n, 0
		}
		if len(pending) >= len(out) {
			n := copy(out, pending)
			d.lineOff += n
			return n, 0
		}
		// Compact, then read more after the pending bytes.
		if d.lineOff > 0 {
			n := copy(d.line, pending)
			d.line = d.line[:n]
			d.lineOff = 0
		}
		if cap(d.line)-len(d.line) < readlineChunk/2 {
			grown := make([]byte, len(d.line), len(d.line)+readlineChunk)
			copy(grown, d.line)
			d.line = grown
		}
		free := d.line[len(d.line):cap(d.line)]
		n, e := c.readRaw(d, free)
		if e != 0 {
			if len(d.line) > 0 && e != abi.EAGAIN {
				break // deliver the partial line before the error
			}
			return 0, e
		}
		if n == 0 { // EOF: the last partial line, then 0
			break
		}
		d.line = d.line[:len(d.line)+n]
	}
	n := copy(out, d.line[d.lineOff:])
	d.lineOff += n
	if d.lineOff == len(d.line) {
		d.line, d.lineOff = d.line[:0], 0
	}
	return n, 0
}

// readRaw is readInto without the line buffer.
func (c *call) readRaw(d *Desc, p []byte) (int, abi.Errno) {
	line, off := d.line, d.lineOff
	d.line, d.lineOff = nil, 0
	n, e := c.readInto(d, p)
	d.line, d.lineOff = line, off
	return n, e
}

func indexNL(b []byte, max int) int {
	if len(b) > max {
		b = b[:max]
	}
	for i, ch := range b {
		if ch == '\n' {
			return i
		}
	}
	return -1
}

func hostPipe(c *call) abi.Errno {
	flags := c.u32(0)
	out := c.u32(1)
	if e := c.mem.check(out, 8); e != 0 {
		return e
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return ToErrno(err)
	}
	nb := flags&abi.O_NONBLOCK != 0
	r, _, e := c.in.fds.AddOS(KindPipe, p[0], nb)
	if e != 0 {
		unix.Close(p[1])
		return e
	}
	w, _, e := c.in.fds.AddOS(KindPipe, p[1], nb)
	if e != 0 {
		c.in.fds.Close(r)
		return e
	}
	c.mem.putU32(out, uint32(r))
	c.mem.putU32(out+4, uint32(w))
	return 0
}

func hostPoll(c *call) abi.Errno {
	ptr, nfds := c.u32(0), c.u32(1)
	timeoutNs := c.i64(2)
	out := c.u32(3)
	if nfds > abi.MaxPollFds {
		return abi.EINVAL
	}
	arr, e := c.mem.bytes(ptr, nfds*abi.PollfdSize)
	if e != 0 {
		return e
	}
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	n, e := c.poll(arr, int(nfds), timeoutNs)
	if e != 0 {
		return e
	}
	return c.mem.putU32(out, uint32(n))
}

// poll waits on the pts_pollfd array arr.
func (c *call) poll(arr []byte, nfds int, timeoutNs int64) (int, abi.Errno) {
	items := c.in.pollItems[:0]
	idx := make([]int, 0, nfds) // item i belongs to pollfd idx[i]
	immediate := 0
	for i := range nfds {
		ent := arr[i*abi.PollfdSize:]
		fd := int32(binary.LittleEndian.Uint32(ent[abi.PollfdOffFd:]))
		events := binary.LittleEndian.Uint16(ent[abi.PollfdOffEvents:])
		binary.LittleEndian.PutUint16(ent[abi.PollfdOffRevents:], 0)
		if fd < 0 {
			continue
		}
		d, e := c.in.fds.Get(fd)
		if e != 0 {
			binary.LittleEndian.PutUint16(ent[abi.PollfdOffRevents:], abi.POLLNVAL)
			immediate++
			continue
		}
		if events&abi.POLLIN != 0 && d.lineOff < len(d.line) {
			binary.LittleEndian.PutUint16(ent[abi.PollfdOffRevents:], abi.POLLIN)
			immediate++
			continue
		}
		var want evloop.Readiness
		if events&abi.POLLIN != 0 {
			want |= evloop.Readable
		}
		if events&abi.POLLOUT != 0 {
			want |= evloop.Writable
		}
		items = append(items, evloop.PollItem{PD: d.PD, Want: want})
		idx = append(idx, i)
	}
	c.in.pollItems = items[:0]
	timeout := time.Duration(-1)
	switch {
	case immediate > 0:
		timeout = 0
	case timeoutNs >= 0:
		timeout = time.Duration(timeoutNs)
	}
	if _, err := c.in.task.Poll(items, timeout); err != nil {
		return 0, c.waitErr(err)
	}
	n := immediate
	for k, it := range items {
		var rev uint16
		if it.Got&evloop.Readable != 0 {
			rev |= abi.POLLIN
		}
		if it.Got&evloop.Writable != 0 {
			rev |= abi.POLLOUT
		}
		if it.Got&evloop.Hangup != 0 {
			rev |= abi.POLLHUP
		}
		if it.Got&evloop.Closed != 0 {
			rev |= abi.POLLNVAL
		}
		if rev != 0 {
			binary.LittleEndian.PutUint16(arr[idx[k]*abi.PollfdSize+abi.PollfdOffRevents:], rev)
			n++
		}
		items[k] = evloop.PollItem{}
	}
	return n, 0
}

func hostSleep(c *call) abi.Errno {
	ns := c.i64(0)
	if ns < 0 {
		return abi.EINVAL
	}
	return c.waitErr(c.in.task.Sleep(time.Duration(ns)))
}
