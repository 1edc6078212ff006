package host

// open and fromfd: descriptors for files, FIFOs, character devices and
// inherited sockets, classified by fstat:
//
//	regular file, block device, directory (O_DIRECTORY)  KindFile: always ready, I/O inline on the loop
//	FIFO, character device                                KindDevice: waited on by the loop
//	socket                                                KindSocket
//
// Every OS descriptor is non-blocking (the seed's "nonblock for pipes,
// sockets and char devices"); the guest's blocking flag is O_NONBLOCK.
//
// Guest paths. A guest sees the directory mounts of Capabilities.Dirs in
// one namespace:
//
//   - an absolute path ("/data/a/b") belongs to the mount whose Guest path
//     is its longest prefix, compared element by element (a mount "/"
//     matches every absolute path); the rest ("a/b") is opened under that
//     mount's Host directory;
//   - a relative path ("a/b") is relative to the first mount, Dirs[0], the
//     guest's working directory (WASI runtimes treat the first preopen the
//     same way).
//
// Empty and "." elements are dropped; ".." elements are not resolved
// against the guest namespace: they are left to os.Root, which refuses any
// path that climbs out of the mount, as it refuses symlinks that point out
// of it (absolute symlinks included). Every such escape, and a path under
// no mount, is ENOTCAPABLE (the guest lacks the capability, whether or not
// the file exists); EACCES stays the OS's permission error. A write
// (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND) under a ReadOnly mount
// is EROFS.
//
// Opening a FIFO without O_NONBLOCK waits, as open(2) does, for the other
// end: the open runs on a goroutine while the calling guest is parked, so
// the loop keeps serving others. With O_NONBLOCK, the open follows POSIX:
// a reader opens at once, a writer with no reader gets ENXIO.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

func init() {
	register("open", hostOpen)
	register("fromfd", hostFromfd)
}

// openFlagsMask is every flag open accepts.
const openFlagsMask = abi.O_ACCMODE | abi.O_CREAT | abi.O_EXCL | abi.O_TRUNC |
	abi.O_APPEND | abi.O_NONBLOCK | abi.O_DIRECTORY

// writeFlags are the flags that make an open a write.
const writeFlags = abi.O_WRONLY | abi.O_RDWR | abi.O_CREAT | abi.O_TRUNC | abi.O_APPEND

// resolveGuestPath maps guest path p to a mount of dirs and the path
// relative to its Host directory ("." for the mount itself); see the file
// comment for the rules.
func resolveGuestPath(dirs []DirMount, p string) (DirMount, string, abi.Errno) {
	if p == "" {
		return DirMount{}, "", abi.ENOENT
	}
	if strings.IndexByte(p, 0) >= 0 {
		return DirMount{}, "", abi.EINVAL
	}
	if len(dirs) == 0 {
		return DirMount{}, "", abi.ENOTCAPABLE
	}
	elems := pathElems(p)
	if p[0] != '/' {
		return dirs[0], joinElems(elems), 0
	}
	best := -1
	bestLen := -1
	for i, m := range dirs {
		me := pathElems(m.Guest)
		if len(me) > bestLen && len(me) <= len(elems) && equalElems(me, elems[:len(me)]) {
			best, bestLen = i, len(me)
		}
	}
	if best < 0 {
		return DirMount{}, "", abi.ENOTCAPABLE
	}
	return dirs[best], joinElems(elems[bestLen:]), 0
}

// pathElems splits p at slashes, dropping empty and "." elements.
func pathElems(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" && e != "." {
			out = append(out, e)
		}
	}
	return out
}

func joinElems(es []string) string {
	if len(es) == 0 {
		return "."
	}
	return strings.Join(es, "/")
}

func equalElems(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// osOpenFlags maps ABI open flags to the OS's. The OS open is always
// non-blocking (it must never stall the loop) and never acquires a
// controlling terminal.
func osOpenFlags(flags uint32) (int, abi.Errno) {
	if flags&^openFlagsMask != 0 {
		return 0, abi.EINVAL
	}
	var f int
	switch flags & abi.O_ACCMODE {
	case abi.O_RDONLY:
		f = os.O_RDONLY
	case abi.O_WRONLY:
		f = os.O_WRONLY
	case abi.O_RDWR:
		f = os.O_RDWR
	default:
		return 0, abi.EINVAL
	}
	for _, m := range [...]struct {
		abi uint32
		os  int
	}{
		{abi.O_CREAT, os.O_CREATE}, {abi.O_EXCL, os.O_EXCL}, {abi.O_TRUNC, os.O_TRUNC},
		{abi.O_APPEND, os.O_APPEND}, {abi.O_DIRECTORY, unix.O_DIRECTORY},
	} {
		if flags&m.abi != 0 {
			f |= m.os
		}
	}
	return f | unix.O_NONBLOCK | unix.O_NOCTTY, 0
}

// errPathEscapesText is the text of os.Root's (unexported) error for a
// path or symlink that leaves the root; TestFileEscapes fails if it
// changes.
const errPathEscapesText = "path escapes from parent"

// openErrno maps an error of os.Root to an errno: escapes are
// ENOTCAPABLE.
func openErrno(err error) abi.Errno {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == errPathEscapesText {
		return abi.ENOTCAPABLE
	}
	return ToErrno(err)
}

// hostOpen: open(path, path_len, flags, mode, fd).
func hostOpen(c *call) abi.Errno {
	p, e := c.mem.string(c.u32(0), c.u32(1))
	if e != 0 {
		return e
	}
	flags, mode, out := c.u32(2), c.u32(3), c.u32(4)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	osFlags, e := osOpenFlags(flags)
	if e != 0 {
		return e
	}
	m, rel, e := resolveGuestPath(c.in.caps.Dirs, p)
	if e != 0 {
		return e
	}
	if !filepath.IsLocal(rel) { // ".." climbing out: no need to ask the disk
		return abi.ENOTCAPABLE
	}
	if m.ReadOnly && flags&writeFlags != 0 {
		return abi.EROFS
	}
	if e := c.hasRoom(1); e != 0 {
		return e
	}
	f, e := c.openInMount(m, rel, osFlags, os.FileMode(mode&0o777), flags&abi.O_NONBLOCK != 0)
	if e != 0 {
		return e
	}
	fd, e := c.adoptFile(f, flags&abi.O_NONBLOCK != 0, flags&abi.O_DIRECTORY != 0)
	if e != 0 {
		return e
	}
	return c.mem.putU32(out, uint32(fd))
}

// openInMount opens rel under mount m with os.Root.
func (c *call) openInMount(m DirMount, rel string, osFlags int, perm os.FileMode, nonBlock bool) (*os.File, abi.Errno) {
	root, err := os.OpenRoot(m.Host)
	if err != nil {
		return nil, ToErrno(err)
	}
	if !nonBlock {
		if st, err := root.Stat(rel); err == nil && st.Mode()&fs.ModeNamedPipe != 0 {
			return c.openFIFOBlocking(root, rel, osFlags&^unix.O_NONBLOCK, perm)
		}
	}
	defer root.Close()
	f, err := root.OpenFile(rel, osFlags, perm)
	if err != nil {
		return nil, openErrno(err)
	}
	return f, 0
}

// pendingOpen is a blocking FIFO open running on a goroutine.
type pendingOpen struct {
	mu        sync.Mutex
	f         *os.File
	err       error
	done      bool
	abandoned bool // the guest stopped waiting: the goroutine closes f
}

// openFIFOBlocking opens the FIFO rel under root (which it takes over)
// with a blocking open(2) on a goroutine, parking the calling guest until
// the other end is opened. If the guest is unwound meanwhile (deadline,
// shutdown), it opens the other end itself, briefly, to release the
// goroutine.
func (c *call) openFIFOBlocking(root *os.Root, rel string, osFlags int, perm os.FileMode) (*os.File, abi.Errno) {
	p := &pendingOpen{}
	loop := c.in.loop
	pd := loop.NewVirtual()
	defer pd.Close()
	go func() {
		defer root.Close()
		f, err := root.OpenFile(rel, osFlags, perm)
		p.mu.Lock()
		if p.abandoned {
			p.mu.Unlock()
			if f != nil {
				f.Close()
			}
			return
		}
		p.f, p.err, p.done = f, err, true
		p.mu.Unlock()
		loop.Post(func() { pd.SetReady(evloop.Readable) })
	}()
	for {
		werr := c.task().WaitFD(pd, evloop.Readable, time.Time{})
		p.mu.Lock()
		done := p.done
		if werr != nil && !done {
			p.abandoned = true
		}
		p.mu.Unlock()
		switch {
		case werr != nil && done:
			if p.f != nil {
				p.f.Close()
			}
			return nil, c.waitErr(werr)
		case werr != nil:
			releaseFIFOOpener(root.Name(), rel, osFlags)
			return nil, c.waitErr(werr)
		case done && p.err != nil:
			return nil, openErrno(p.err)
		case done:
			return p.f, 0
		}
	}
}

// releaseFIFOOpener opens the other end of the FIFO rel under host
// directory dir, without blocking, and closes it at once, so a goroutine
// blocked opening it with osFlags returns.
func releaseFIFOOpener(dir, rel string, osFlags int) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	other := os.O_WRONLY
	if osFlags&(os.O_WRONLY|os.O_RDWR) != 0 {
		other = os.O_RDONLY
	}
	if f, err := root.OpenFile(rel, other|unix.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}

// adoptFile moves f's descriptor into the table (as a duplicate, closing
// f), classified by fstat. A directory is EISDIR unless allowDir.
func (c *call) adoptFile(f *os.File, nonBlock, allowDir bool) (int32, abi.Errno) {
	nfd, err := dupFile(f)
	f.Close()
	if err != nil {
		return -1, ToErrno(err)
	}
	return c.adoptFd(nfd, nonBlock, allowDir)
}

// adoptFd adds OS descriptor nfd (owned by the call) to the table.
func (c *call) adoptFd(nfd int, nonBlock, allowDir bool) (int32, abi.Errno) {
	var st unix.Stat_t
	if err := unix.Fstat(nfd, &st); err != nil {
		unix.Close(nfd)
		return -1, ToErrno(err)
	}
	var kind DescKind
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFCHR:
		kind = KindDevice
	case unix.S_IFSOCK:
		kind = KindSocket
	case unix.S_IFDIR:
		if !allowDir {
			unix.Close(nfd)
			return -1, abi.EISDIR
		}
		kind = KindFile
	default:
		kind = KindFile
	}
	fd, d, e := c.in.fds.AddOS(kind, nfd, nonBlock)
	if e != 0 {
		return -1, e
	}
	if kind == KindSocket {
		d.Family, _ = unix.GetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_DOMAIN)
		d.SockType, _ = unix.GetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_TYPE)
	}
	return fd, 0
}

// dupFile duplicates f's descriptor (close-on-exec) without touching f's
// blocking mode, which File.Fd would.
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}

// hostFromfd: fromfd(name, name_len, fd). It adopts a duplicate of the
// descriptor the embedder granted as Capabilities.Files[name] (ENOENT for
// an unknown name), blocking for the guest. The OS descriptor is made
// non-blocking, which the embedder's copy shares (one open file
// description).
func hostFromfd(c *call) abi.Errno {
	name, e := c.mem.string(c.u32(0), c.u32(1))
	if e != 0 {
		return e
	}
	out := c.u32(2)
	if e := c.mem.check(out, 4); e != 0 {
		return e
	}
	f, ok := c.in.caps.Files[name]
	if !ok || f == nil {
		return abi.ENOENT
	}
	if e := c.hasRoom(1); e != 0 {
		return e
	}
	nfd, err := dupFile(f)
	if err != nil {
		return ToErrno(err)
	}
	fd, e := c.adoptFd(nfd, false, true)
	if e != 0 {
		return e
	}
	return c.mem.putU32(out, uint32(fd))
}
