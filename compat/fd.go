package compat

import (
	"io/fs"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// The fd_* functions. Every descriptor is an entry of the instance's
// ptsevent table: fd_read and fd_write are the ptsevent readv and writev
// imports themselves (same iovec layout, same parameter order), so a
// blocking descriptor parks the guest until it is ready and a
// non-blocking one answers EAGAIN; the others work on the entry's OS
// descriptor, its stream or its directory handle.

func fdArg(p []uint64, i int) int32   { return int32(uint32(p[i])) }
func u32Arg(p []uint64, i int) uint32 { return uint32(p[i]) }

// fd_read(fd, iovs, iovs_len, nread) is readv.
func fdRead(s *host.Sys, _ mem, p []uint64) abi.Errno {
	return s.Import("readv", p[0], p[1], p[2], p[3])
}

// fd_write(fd, iovs, iovs_len, nwritten) is writev.
func fdWrite(s *host.Sys, _ mem, p []uint64) abi.Errno {
	return s.Import("writev", p[0], p[1], p[2], p[3])
}

// fd_close(fd) closes the table entry: waiters on it wake with EBADF.
func fdClose(s *host.Sys, _ mem, p []uint64) abi.Errno {
	return s.FDs().Close(fdArg(p, 0))
}

// fd_renumber(fd, to) moves fd to to, closing what to held.
func fdRenumber(s *host.Sys, _ mem, p []uint64) abi.Errno {
	return s.FDs().Renumber(fdArg(p, 0), fdArg(p, 1))
}

// positioned returns the OS descriptor of d for positioned I/O and seeks:
// directories are EISDIR, descriptors without an OS descriptor (standard
// I/O, streams) ESPIPE; sockets and pipes get ESPIPE from the kernel.
func positioned(d *host.Desc) (int, abi.Errno) {
	switch {
	case d.Kind == host.KindDir:
		return -1, abi.EISDIR
	case d.OSFd < 0:
		return -1, abi.ESPIPE
	}
	return d.OSFd, 0
}

// fd_pread(fd, iovs, iovs_len, offset, nread).
func fdPread(s *host.Sys, g mem, p []uint64) abi.Errno {
	return preadwrite(s, g, p, false)
}

// fd_pwrite(fd, iovs, iovs_len, offset, nwritten).
func fdPwrite(s *host.Sys, g mem, p []uint64) abi.Errno {
	return preadwrite(s, g, p, true)
}

func preadwrite(s *host.Sys, g mem, p []uint64, write bool) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	bufs, e := g.iovecs(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 4)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	off := int64(p[3])
	if off < 0 {
		return abi.EINVAL
	}
	osfd, e := positioned(d)
	if e != 0 {
		return e
	}
	if write && readOnlyFile(d) {
		return abi.EBADF
	}
	var n int
	var err error
	if write {
		n, err = unix.Pwritev(osfd, bufs, off)
	} else {
		n, err = unix.Preadv(osfd, bufs, off)
	}
	if err != nil {
		return host.ToErrno(err)
	}
	return g.putU32(out, uint32(n))
}

// fd_seek(fd, offset, whence, newoffset).
func fdSeek(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 3)
	if e := g.check(out, 8); e != 0 {
		return e
	}
	whence := u32Arg(p, 2)
	if whence > whenceEnd {
		return abi.EINVAL
	}
	if d.Kind == host.KindDir {
		return abi.EBADF // directories have no seek right (wasi-testsuite, wazero)
	}
	osfd, e := positioned(d)
	if e != 0 {
		return e
	}
	// WASI's whence values are the kernel's SEEK_SET, SEEK_CUR, SEEK_END.
	n, err := unix.Seek(osfd, int64(p[1]), int(whence))
	if err != nil {
		return host.ToErrno(err)
	}
	return g.putU64(out, uint64(n))
}

// fd_tell(fd, offset).
func fdTell(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 1)
	if e := g.check(out, 8); e != 0 {
		return e
	}
	if d.Kind == host.KindDir {
		return abi.EBADF
	}
	osfd, e := positioned(d)
	if e != 0 {
		return e
	}
	n, err := unix.Seek(osfd, 0, whenceCur)
	if err != nil {
		return host.ToErrno(err)
	}
	return g.putU64(out, uint64(n))
}

// describe returns d's WASI filetype and the rights fd_fdstat_get reports
// (base and inheriting).
func describe(d *host.Desc) (uint8, uint64, uint64) {
	switch d.Kind {
	case host.KindStdio:
		ft, r := stdioFiletype(d.Stream)
		return ft, r, 0
	case host.KindDir:
		return filetypeDirectory, rightsDir, rightsDir | rightsFile
	case host.KindSocket:
		if d.SockType == unix.SOCK_DGRAM {
			return filetypeSocketDgram, rightsSocket, rightsSocket
		}
		return filetypeSocketStream, rightsSocket, rightsSocket
	case host.KindVirtual:
		// Request streams read and write like connected sockets.
		return filetypeSocketStream, rightsStream | rightSockShutdown, 0
	case host.KindPipe:
		return filetypeUnknown, rightsStream, 0
	}
	if d.OSFd < 0 {
		return filetypeUnknown, rightsStream, 0
	}
	var st unix.Stat_t
	if err := unix.Fstat(d.OSFd, &st); err != nil {
		return filetypeUnknown, rightsStream, 0
	}
	ft := filetypeOf(st.Mode)
	switch ft {
	case filetypeDirectory:
		return ft, rightsDir &^ rightPathOpen, 0 // a directory the open import gave: no lookups
	case filetypeCharacterDevice:
		if _, err := unix.IoctlGetTermios(d.OSFd, unix.TCGETS); err == nil {
			return ft, rightsTTY, 0
		}
	}
	return ft, rightsFile, 0
}

// filetypeOf maps a stat mode to a WASI filetype.
func filetypeOf(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return filetypeRegularFile
	case unix.S_IFDIR:
		return filetypeDirectory
	case unix.S_IFCHR:
		return filetypeCharacterDevice
	case unix.S_IFBLK:
		return filetypeBlockDevice
	case unix.S_IFLNK:
		return filetypeSymbolicLink
	case unix.S_IFSOCK:
		return filetypeSocketStream
	}
	return filetypeUnknown
}

// fileModeType maps an fs.FileMode's type to a WASI filetype.
func fileModeType(m fs.FileMode) uint8 {
	switch {
	case m.IsRegular():
		return filetypeRegularFile
	case m.IsDir():
		return filetypeDirectory
	case m&fs.ModeSymlink != 0:
		return filetypeSymbolicLink
	case m&fs.ModeCharDevice != 0:
		return filetypeCharacterDevice
	case m&fs.ModeDevice != 0:
		return filetypeBlockDevice
	case m&fs.ModeSocket != 0:
		return filetypeSocketStream
	}
	return filetypeUnknown
}

// osFlags reads the OS descriptor's status flags (0 without one).
func osFlags(d *host.Desc) int {
	if d.OSFd < 0 {
		return 0
	}
	fl, err := unix.FcntlInt(uintptr(d.OSFd), unix.F_GETFL, 0)
	if err != nil {
		return 0
	}
	return fl
}

// fdflagsOf is d's WASI fdflags: NONBLOCK is the guest's blocking mode,
// the others are the OS descriptor's.
func fdflagsOf(d *host.Desc) uint16 {
	var f uint16
	if d.NonBlock {
		f |= fdflagNonblock
	}
	fl := osFlags(d)
	if fl&unix.O_APPEND != 0 {
		f |= fdflagAppend
	}
	if fl&unix.O_DSYNC != 0 {
		f |= fdflagDsync
	}
	if fl&unix.O_SYNC == unix.O_SYNC {
		f |= fdflagSync | fdflagRsync
	}
	return f
}

// osSyncFlags maps WASI's sync fdflags to the OS's (on Linux O_RSYNC is
// O_SYNC).
func osSyncFlags(f uint32) int {
	var o int
	if f&fdflagDsync != 0 {
		o |= unix.O_DSYNC
	}
	if f&(fdflagSync|fdflagRsync) != 0 {
		o |= unix.O_SYNC
	}
	return o
}

// fd_fdstat_get(fd, stat).
func fdFdstatGet(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	b, e := g.bytes(u32Arg(p, 1), fdstatSize)
	if e != 0 {
		return e
	}
	ft, base, inh := describe(d)
	clear(b)
	b[0] = ft
	le.PutUint16(b[2:], fdflagsOf(d))
	le.PutUint64(b[8:], base)
	le.PutUint64(b[16:], inh)
	return 0
}

// fd_fdstat_set_flags(fd, flags): NONBLOCK sets the guest's blocking mode
// of any descriptor (sockets, pipes, request streams, standard I/O); APPEND
// is the OS descriptor's O_APPEND; the sync flags cannot change after open
// (ENOTSUP unless they stay as they are).
func fdFdstatSetFlags(s *host.Sys, _ mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	f := u32Arg(p, 1)
	if f&^fdflagsMask != 0 {
		return abi.EINVAL
	}
	if d.OSFd >= 0 {
		cur, err := unix.FcntlInt(uintptr(d.OSFd), unix.F_GETFL, 0)
		if err != nil {
			return host.ToErrno(err)
		}
		if cur&(unix.O_SYNC|unix.O_DSYNC) != osSyncFlags(f) {
			return abi.ENOTSUP
		}
		next := cur &^ unix.O_APPEND
		if f&fdflagAppend != 0 {
			next |= unix.O_APPEND
		}
		if next != cur {
			if _, err := unix.FcntlInt(uintptr(d.OSFd), unix.F_SETFL, next); err != nil {
				return host.ToErrno(err)
			}
		}
	} else if f&(fdflagAppend|fdflagDsync|fdflagRsync|fdflagSync) != 0 {
		return abi.ENOTSUP
	}
	d.NonBlock = f&fdflagNonblock != 0
	return 0
}

// fd_fdstat_set_rights(fd, base, inheriting): rights are reported, not
// enforced (access is the OS open mode's and the grants'), so this only
// checks the descriptor.
func fdFdstatSetRights(s *host.Sys, _ mem, p []uint64) abi.Errno {
	_, e := s.FDs().Get(fdArg(p, 0))
	return e
}

// statInfo is what a filestat carries.
type statInfo struct {
	dev, ino, nlink, size uint64
	atim, mtim, ctim      uint64
	filetype              uint8
}

func statFromSys(st *syscall.Stat_t, ft uint8) statInfo {
	return statInfo{
		dev: uint64(st.Dev), ino: st.Ino, nlink: uint64(st.Nlink), size: uint64(st.Size),
		atim: uint64(st.Atim.Nano()), mtim: uint64(st.Mtim.Nano()), ctim: uint64(st.Ctim.Nano()),
		filetype: ft,
	}
}

func statFromInfo(fi fs.FileInfo) statInfo {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return statFromSys(st, fileModeType(fi.Mode()))
	}
	t := uint64(fi.ModTime().UnixNano())
	return statInfo{size: uint64(fi.Size()), atim: t, mtim: t, ctim: t, filetype: fileModeType(fi.Mode()), nlink: 1}
}

func putFilestat(b []byte, st statInfo) {
	clear(b)
	le.PutUint64(b[0:], st.dev)
	le.PutUint64(b[8:], st.ino)
	b[16] = st.filetype
	le.PutUint64(b[24:], st.nlink)
	le.PutUint64(b[32:], st.size)
	le.PutUint64(b[40:], st.atim)
	le.PutUint64(b[48:], st.mtim)
	le.PutUint64(b[56:], st.ctim)
}

// fd_filestat_get(fd, filestat).
func fdFilestatGet(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	b, e := g.bytes(u32Arg(p, 1), filestatSize)
	if e != 0 {
		return e
	}
	ft, _, _ := describe(d)
	switch {
	case d.Kind == host.KindDir:
		fi, err := d.Stream.(*dirHandle).root.Stat(".")
		if err != nil {
			return host.FSErrno(err)
		}
		putFilestat(b, statFromInfo(fi))
	case d.OSFd >= 0:
		var st syscall.Stat_t
		if err := syscall.Fstat(d.OSFd, &st); err != nil {
			return host.ToErrno(err)
		}
		putFilestat(b, statFromSys(&st, ft))
	default:
		putFilestat(b, statInfo{filetype: ft, nlink: 1})
	}
	return 0
}

// fd_filestat_set_size(fd, size).
func fdFilestatSetSize(s *host.Sys, _ mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	osfd, e := positioned(d)
	switch {
	case e == abi.ESPIPE:
		return abi.EINVAL
	case e != 0:
		return e
	case readOnlyFile(d):
		return abi.EBADF
	case int64(p[1]) < 0:
		return abi.EINVAL
	}
	return host.ToErrno(unix.Ftruncate(osfd, int64(p[1])))
}

// timesArg turns set_times arguments into two timespecs for utimensat
// (UTIME_OMIT, UTIME_NOW or a time), or EINVAL for contradictory flags.
func timesArg(atim, mtim uint64, fst uint32) ([2]unix.Timespec, abi.Errno) {
	var ts [2]unix.Timespec
	if fst&^(fstAtim|fstAtimNow|fstMtim|fstMtimNow) != 0 ||
		fst&(fstAtim|fstAtimNow) == fstAtim|fstAtimNow ||
		fst&(fstMtim|fstMtimNow) == fstMtim|fstMtimNow {
		return ts, abi.EINVAL
	}
	one := func(t uint64, set, now uint32) unix.Timespec {
		switch {
		case fst&set != 0:
			return unix.NsecToTimespec(int64(t))
		case fst&now != 0:
			return unix.Timespec{Nsec: unix.UTIME_NOW}
		}
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	ts[0] = one(atim, fstAtim, fstAtimNow)
	ts[1] = one(mtim, fstMtim, fstMtimNow)
	return ts, 0
}

// fromTimespec is a timespec as os.Root.Chtimes wants it: the zero time
// leaves the time unchanged.
func fromTimespec(ts unix.Timespec) time.Time {
	switch ts.Nsec {
	case unix.UTIME_OMIT:
		return time.Time{}
	case unix.UTIME_NOW:
		return time.Now()
	}
	return time.Unix(ts.Unix())
}

// fd_filestat_set_times(fd, atim, mtim, fst_flags).
func fdFilestatSetTimes(s *host.Sys, _ mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	ts, e := timesArg(p[1], p[2], u32Arg(p, 3))
	if e != 0 {
		return e
	}
	switch {
	case d.Kind == host.KindDir:
		h := d.Stream.(*dirHandle)
		if h.readOnly {
			return abi.EROFS
		}
		return host.FSErrno(h.root.Chtimes(".", fromTimespec(ts[0]), fromTimespec(ts[1])))
	case d.OSFd < 0:
		return abi.EBADF
	case readOnlyFile(d):
		return abi.EROFS
	}
	// futimens(fd, ts) is utimensat(fd, NULL, ts, 0).
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(d.OSFd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return host.ToErrno(errno)
	}
	return 0
}

// fd_advise(fd, offset, len, advice).
func fdAdvise(s *host.Sys, _ mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	// WASI: normal, sequential, random, willneed, dontneed, noreuse.
	advice := [...]int{unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM,
		unix.FADV_WILLNEED, unix.FADV_DONTNEED, unix.FADV_NOREUSE}
	a := u32Arg(p, 3)
	if a >= uint32(len(advice)) {
		return abi.EINVAL
	}
	if d.Kind == host.KindDir {
		return 0
	}
	osfd, e := positioned(d)
	if e != 0 {
		return e
	}
	return host.ToErrno(unix.Fadvise(osfd, int64(p[1]), int64(p[2]), advice[a]))
}

// fd_allocate(fd, offset, len).
func fdAllocate(s *host.Sys, _ mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	osfd, e := positioned(d)
	switch {
	case e != 0:
		return e
	case readOnlyFile(d):
		return abi.EBADF
	case int64(p[1]) < 0 || int64(p[2]) <= 0:
		return abi.EINVAL
	}
	return host.ToErrno(unix.Fallocate(osfd, 0, int64(p[1]), int64(p[2])))
}

// fd_sync(fd) and fd_datasync(fd).
func fdSync(s *host.Sys, _ mem, p []uint64) abi.Errno     { return syncFD(s, p, false) }
func fdDatasync(s *host.Sys, _ mem, p []uint64) abi.Errno { return syncFD(s, p, true) }

func syncFD(s *host.Sys, p []uint64, data bool) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	switch {
	case d.Kind == host.KindDir:
		f, err := d.Stream.(*dirHandle).root.Open(".")
		if err != nil {
			return host.FSErrno(err)
		}
		defer f.Close()
		return host.ToErrno(f.Sync())
	case d.OSFd < 0:
		return abi.EINVAL
	case data:
		return host.ToErrno(unix.Fdatasync(d.OSFd))
	}
	return host.ToErrno(unix.Fsync(d.OSFd))
}

// fd_prestat_get(fd, prestat). A preopened directory is a prestat of type
// dir with its guest path's length. The preopened listeners, at 3 up to
// the first directory, answer success with a type that is not dir, so that
// both wasi-libc (which stops at the first error) and Go (which skips
// ENOTDIR and non-dir types) go on to the directories after them; any
// other descriptor is EBADF.
func fdPrestatGet(s *host.Sys, g mem, p []uint64) abi.Errno {
	fd := fdArg(p, 0)
	d, e := s.FDs().Get(fd)
	if e != 0 {
		return e
	}
	b, e := g.bytes(u32Arg(p, 1), prestatSize)
	if e != 0 {
		return e
	}
	clear(b)
	if h, ok := d.Stream.(*dirHandle); ok && d.Kind == host.KindDir && h.preopen {
		b[0] = preopentypeDir
		le.PutUint32(b[4:], uint32(len(h.name)))
		return 0
	}
	if d.Kind == host.KindSocket && fd >= 3 && int(fd) < 3+len(s.Instance().Config().Listeners) {
		b[0] = preopentypeDir + 1
		return 0
	}
	return abi.EBADF
}

// fd_prestat_dir_name(fd, path, path_len).
func fdPrestatDirName(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	b, e := g.bytes(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	h, ok := d.Stream.(*dirHandle)
	if !ok || d.Kind != host.KindDir || !h.preopen {
		return abi.EBADF
	}
	if len(b) < len(h.name) {
		return abi.ENAMETOOLONG
	}
	copy(b, h.name)
	return 0
}

// fd_readdir(fd, buf, buf_len, cookie, bufused): entries from cookie on,
// "." and ".." first, each a 24-byte dirent and its name; the last one
// may be cut at buf_len, which tells the guest to retry with a larger
// buffer. The listing is read once at cookie 0 and served from there.
func fdReaddir(s *host.Sys, g mem, p []uint64) abi.Errno {
	d, e := s.FDs().Get(fdArg(p, 0))
	if e != 0 {
		return e
	}
	buf, e := g.bytes(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 4)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	h, ok := d.Stream.(*dirHandle)
	if !ok || d.Kind != host.KindDir {
		return abi.ENOTDIR
	}
	cookie := p[3]
	if cookie == 0 || h.entries == nil {
		if e := h.list(); e != 0 {
			return e
		}
	}
	n := 0
	var ent [direntSize]byte
	for i := cookie; i < uint64(len(h.entries)) && n < len(buf); i++ {
		de := h.entries[i]
		le.PutUint64(ent[0:], i+1)
		le.PutUint64(ent[8:], de.ino)
		le.PutUint32(ent[16:], uint32(len(de.name)))
		ent[20] = de.typ
		ent[21], ent[22], ent[23] = 0, 0, 0
		n += copy(buf[n:], ent[:])
		n += copy(buf[n:], de.name)
	}
	return g.putU32(out, uint32(n))
}

// dirent is one entry of a directory listing.
type dirent struct {
	name string
	ino  uint64
	typ  uint8
}

// list reads the directory's entries.
func (h *dirHandle) list() abi.Errno {
	f, err := h.root.Open(".")
	if err != nil {
		return host.FSErrno(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return host.FSErrno(err)
	}
	self := dirent{name: ".", typ: filetypeDirectory}
	if fi, err := f.Stat(); err == nil {
		self.ino = statFromInfo(fi).ino
	}
	out := []dirent{self, {name: "..", typ: filetypeDirectory}}
	for _, de := range ents {
		e := dirent{name: de.Name(), typ: fileModeType(de.Type())}
		if fi, err := de.Info(); err == nil {
			e.ino = statFromInfo(fi).ino
		} else if os.IsNotExist(err) {
			continue // removed meanwhile
		}
		out = append(out, e)
	}
	h.entries = out
	return 0
}
