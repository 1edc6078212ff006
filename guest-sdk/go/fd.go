package ptsevent

import (
	"runtime"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// Fd is a descriptor number in the instance's descriptor table.
type Fd = int32

// Directions of an operation, for deadlines and poll events.
const (
	dirRead  = 0
	dirWrite = 1
)

// fdesc is the SDK's state of one descriptor: its mode, deadlines and the
// host-side timeouts currently set. Conn, Listener, PacketConn and File
// embed one.
type fdesc struct {
	fd     Fd
	sock   bool // a socket: deadlines may use SO_RCVTIMEO/SO_SNDTIMEO
	dgram  bool // a datagram socket: a zero-length read is not end of stream
	nb     bool // the host descriptor is non-blocking; the SDK waits with poll
	raw    bool // the user asked for non-blocking: return EAGAIN, do not wait
	closed bool
	dl     [2]time.Time     // read and write deadlines (zero: none)
	tmo    [2]time.Duration // SO_RCVTIMEO and SO_SNDTIMEO as set on the host
}

// ptr returns the address of b's first byte (nil for an empty slice) for
// an import.
func ptr(b []byte) *byte { return unsafe.SliceData(b) }

// goroutines reports whether other goroutines exist, which makes the SDK
// wait cooperatively instead of blocking the instance on one descriptor.
func goroutines() bool { return runtime.NumGoroutine() > 1 }

// setNonblock switches the host descriptor's mode.
func (d *fdesc) setNonblock(on bool) Errno {
	v := int32(0)
	if on {
		v = 1
	}
	if e := errno(sys.SetNonblock(d.fd, v)); e != 0 {
		return e
	}
	d.nb = on
	return 0
}

// io runs op, an import on d, in the direction dir. A blocking descriptor
// gets the remaining time to its deadline as SO_RCVTIMEO/SO_SNDTIMEO; a
// non-blocking one retries op after waiting for readiness, cooperatively
// with other goroutines (see wait). op returns its count and errno.
func (d *fdesc) io(dir int, op func() (int, Errno)) (int, Errno) {
	if d.closed {
		return 0, eBADF
	}
	dl := d.dl[dir]
	if !dl.IsZero() && !time.Now().Before(dl) {
		return 0, eTIMEDOUT
	}
	if !d.nb && (goroutines() || (!d.sock && !dl.IsZero())) {
		if e := d.setNonblock(true); e != 0 {
			return 0, e
		}
	}
	if !d.nb {
		if d.sock {
			if e := d.setTimeout(dir, dl); e != 0 {
				return 0, e
			}
		}
		return op()
	}
	for {
		n, e := op()
		if e != eAGAIN || d.raw {
			return n, e
		}
		ev := uint16(abi.POLLIN)
		if dir == dirWrite {
			ev = abi.POLLOUT
		}
		if e := wait(d, ev, dir); e != 0 {
			return 0, e
		}
		if d.closed {
			return 0, eBADF
		}
	}
}

// setTimeout sets SO_RCVTIMEO (dir read) or SO_SNDTIMEO (dir write) to the
// time left until dl (none when dl is zero), unless already so.
func (d *fdesc) setTimeout(dir int, dl time.Time) Errno {
	var want time.Duration
	if !dl.IsZero() {
		want = time.Until(dl)
		if want <= 0 {
			return eTIMEDOUT
		}
	}
	if want == 0 && d.tmo[dir] == 0 {
		return 0
	}
	name := int32(abi.SO_RCVTIMEO)
	if dir == dirWrite {
		name = abi.SO_SNDTIMEO
	}
	ns := int64(want)
	if e := errno(sys.Setsockopt(d.fd, abi.SOL_SOCKET, name, (*byte)(unsafe.Pointer(&ns)), 8)); e != 0 {
		return e
	}
	d.tmo[dir] = want
	return 0
}

// read reads into b with the read import.
func (d *fdesc) read(b []byte) (int, Errno) {
	return d.io(dirRead, func() (int, Errno) {
		var n uint32
		e := errno(sys.Read(d.fd, ptr(b), uint32(len(b)), &n))
		return int(n), e
	})
}

// write writes all of b with the write import (one call for an empty b),
// returning how much was written before an error.
func (d *fdesc) write(b []byte) (int, Errno) {
	total := 0
	for {
		rest := b[total:]
		n, e := d.io(dirWrite, func() (int, Errno) {
			var n uint32
			e := errno(sys.Write(d.fd, ptr(rest), uint32(len(rest)), &n))
			return int(n), e
		})
		total += n
		if e != 0 || total >= len(b) || d.raw {
			return total, e
		}
	}
}

// setsockopt sets an integer socket option.
func (d *fdesc) setsockoptInt(level, name, value int) Errno {
	v := int32(value)
	return errno(sys.Setsockopt(d.fd, int32(level), int32(name), (*byte)(unsafe.Pointer(&v)), 4))
}

// getsockoptInt reads an integer socket option.
func (d *fdesc) getsockoptInt(level, name int) (int, Errno) {
	var v int32
	var size uint32
	e := errno(sys.Getsockopt(d.fd, int32(level), int32(name), (*byte)(unsafe.Pointer(&v)), 4, &size))
	return int(v), e
}

// close closes the descriptor once; goroutines waiting on it wake and see
// it closed.
func (d *fdesc) close() Errno {
	if d.closed {
		return eBADF
	}
	d.closed = true // a goroutine parked on d wakes in the poller's next round
	return errno(sys.Close(d.fd))
}
