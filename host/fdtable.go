package host

import (
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// DescKind is what a descriptor in an instance's table refers to.
type DescKind uint8

// Descriptor kinds.
const (
	KindSocket  DescKind = iota + 1 // a socket (any family or type)
	KindPipe                        // one end of a pipe
	KindFile                        // a regular file (always ready)
	KindDevice                      // a FIFO or character device
	KindVirtual                     // a host object with no OS descriptor (request streams, DNS queries)
)

// Stream is a virtual descriptor's I/O: a host object (an HTTP request
// stream, say) that the guest reads and writes like a socket. Read and
// Write never block: they return unix.EAGAIN and the guest waits on PD.
type Stream interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Close() error
}

// Desc is one entry of an instance's descriptor table: an OS descriptor
// owned by the instance (closed when the entry is), or a virtual stream, plus
// its loop registration and POSIX-style flags.
type Desc struct {
	Kind     DescKind
	OSFd     int // -1 for virtual descriptors
	PD       *evloop.PollDesc
	Stream   Stream // virtual descriptors only
	NonBlock bool
	// RecvTimeout and SendTimeout are SO_RCVTIMEO/SO_SNDTIMEO: a blocking
	// wait longer than this fails with ETIMEDOUT (0: no limit).
	RecvTimeout, SendTimeout time.Duration
	// Linger is SO_LINGER's time when the guest set a positive one. The
	// kernel keeps its default graceful close (Linux's close(2) would wait
	// up to that long even on a non-blocking socket, stalling the loop);
	// the close import waits instead, parked (see call.lingerClose).
	Linger time.Duration
	// Family and SockType are set for sockets, with the OS's values
	// (unix.AF_INET, unix.SOCK_STREAM, ...).
	Family, SockType int
	// connecting is set while a non-blocking connect is in progress.
	connecting bool
	// line is the readline buffer: bytes read from the descriptor but not
	// yet returned to the guest.
	line    []byte
	lineOff int
	tls     *tlsState
	// borrowedPD is set when PD belongs to another object (a request
	// stream shares its connection's registration) and must not be closed
	// with this descriptor.
	borrowedPD bool
}

// FDTable is an instance's descriptor table. Numbers 0-2 are stdio (served
// by WASI); the table hands out the lowest free number from 3, as POSIX
// does. Loop goroutine only.
type FDTable struct {
	loop    *evloop.Loop
	entries []*Desc // index = guest descriptor number
	count   int
	max     int
}

// newFDTable makes an empty table on loop with at most max descriptors.
func newFDTable(loop *evloop.Loop, max int) *FDTable {
	return &FDTable{loop: loop, entries: make([]*Desc, 3, 16), max: max}
}

// Get returns the descriptor numbered fd, or EBADF.
func (t *FDTable) Get(fd int32) (*Desc, abi.Errno) {
	if fd < 0 || int(fd) >= len(t.entries) || t.entries[fd] == nil {
		return nil, abi.EBADF
	}
	return t.entries[fd], abi.ESUCCESS
}

// Len returns the number of open descriptors.
func (t *FDTable) Len() int { return t.count }

// insert puts d at the lowest free number from 3, or fails with EMFILE.
func (t *FDTable) insert(d *Desc) (int32, abi.Errno) {
	if t.count >= t.max {
		return -1, abi.EMFILE
	}
	for i := 3; i < len(t.entries); i++ {
		if t.entries[i] == nil {
			t.entries[i] = d
			t.count++
			return int32(i), 0
		}
	}
	t.entries = append(t.entries, d)
	t.count++
	return int32(len(t.entries) - 1), 0
}

// AddOS registers OS descriptor osfd (made non-blocking) with the loop and
// adds it to the table; on failure osfd is closed. Ownership of osfd passes
// to the table.
func (t *FDTable) AddOS(kind DescKind, osfd int, nonBlock bool) (int32, *Desc, abi.Errno) {
	if t.count >= t.max {
		unix.Close(osfd)
		return -1, nil, abi.EMFILE
	}
	if err := unix.SetNonblock(osfd, true); err != nil {
		unix.Close(osfd)
		return -1, nil, ToErrno(err)
	}
	pd, err := t.loop.Register(osfd)
	if err != nil {
		unix.Close(osfd)
		return -1, nil, ToErrno(err)
	}
	d := &Desc{Kind: kind, OSFd: osfd, PD: pd, NonBlock: nonBlock}
	if kind == KindPipe {
		pd.SetStream(true)
	}
	fd, e := t.insert(d)
	if e != 0 {
		pd.Close()
		unix.Close(osfd)
		return -1, nil, e
	}
	return fd, d, 0
}

// setSocket records a socket's family and type (the OS's values) and marks
// stream sockets as streams for the loop's readiness levels.
func (d *Desc) setSocket(family, sockType int) {
	d.Family, d.SockType = family, sockType
	if d.PD != nil {
		d.PD.SetStream(sockType == unix.SOCK_STREAM)
	}
}

// AddStream adds a virtual descriptor over s, whose readiness pd reports.
// The table does not own pd: closing the descriptor closes s, not pd, so a
// stream may share the registration of the connection it reads from.
func (t *FDTable) AddStream(s Stream, pd *evloop.PollDesc, nonBlock bool) (int32, *Desc, abi.Errno) {
	return t.AddStreamInto(new(Desc), s, pd, nonBlock)
}

// AddStreamInto is AddStream into a Desc the caller owns and reuses, so
// that a gateway adding one request per guest call allocates nothing. d is
// reset (keeping only its readline buffer's memory). The caller must not
// reuse d while it is in a table or an import may hold it: the gateway
// reuses it only after the call returned and the descriptor was closed.
func (t *FDTable) AddStreamInto(d *Desc, s Stream, pd *evloop.PollDesc, nonBlock bool) (int32, *Desc, abi.Errno) {
	*d = Desc{Kind: KindVirtual, OSFd: -1, PD: pd, Stream: s, NonBlock: nonBlock, borrowedPD: true, line: d.line[:0]}
	fd, e := t.insert(d)
	if e != 0 {
		return -1, nil, e
	}
	return fd, d, 0
}

// Close removes fd from the table: waiters on it wake with EBADF, then the
// OS descriptor (or stream) is closed, so the number can be reused at once
// without stale readiness.
func (t *FDTable) Close(fd int32) abi.Errno {
	d, e := t.Get(fd)
	if e != 0 {
		return e
	}
	t.entries[fd] = nil
	t.count--
	return d.close()
}

func (d *Desc) close() abi.Errno {
	if d.PD != nil && !d.borrowedPD {
		d.PD.Close()
	}
	var err error
	if d.tls != nil {
		d.tls.close()
	}
	if d.Stream != nil {
		err = d.Stream.Close()
	}
	if d.OSFd >= 0 {
		if cerr := unix.Close(d.OSFd); err == nil {
			err = cerr
		}
	}
	d.OSFd = -1
	return ToErrno(err)
}

// CloseAll closes every descriptor (instance teardown).
func (t *FDTable) CloseAll() {
	for i, d := range t.entries {
		if d != nil {
			t.entries[i] = nil
			d.close()
		}
	}
	t.count = 0
}
