package compat

import (
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// The path_* functions. Every directory descriptor holds an os.Root, and
// every lookup goes through it: "..", absolute symlinks and symlinks that
// climb out of the directory are refused by os.Root itself, whatever the
// path looks like, so nothing a guest passes reaches outside its preopens.
// Escapes are ENOTCAPABLE (as in wasmtime and the ptsevent open import);
// absolute paths are ENOTCAPABLE before any lookup (wasi-libc and Go turn
// absolute guest paths into paths relative to a preopen, so a raw absolute
// path is an attempt to name a host path).
//
// Operations that must not follow a final symlink (path_open without
// SYMLINK_FOLLOW, the no-follow set_times, rename, link) work on the
// parent directory, opened through the root, and the last path element,
// with the kernel's *at calls: the element is a single name, never "." or
// "..", so the kernel cannot leave the parent either.

// dirHandle is a directory descriptor's Stream: its root and, for a
// preopen, its guest path.
type dirHandle struct {
	root     *os.Root
	name     string // guest path of a preopen
	preopen  bool
	readOnly bool     // under a read-only mount: no writes (EROFS)
	entries  []dirent // fd_readdir's listing, read at cookie 0
}

func (h *dirHandle) Read([]byte) (int, error)  { return 0, unix.EISDIR }
func (h *dirHandle) Write([]byte) (int, error) { return 0, unix.EBADF }
func (h *dirHandle) Close() error              { return h.root.Close() }

// roFile marks a regular file opened under a read-only mount: it reads
// and writes its OS descriptor as the table would, and tells the overlay
// to refuse what an O_RDONLY descriptor still allows (setting times).
type roFile struct{ fd int }

func (f *roFile) Read(p []byte) (int, error) { return unix.Read(f.fd, p) }
func (f *roFile) Write([]byte) (int, error)  { return 0, unix.EBADF }
func (f *roFile) Close() error               { return nil } // the table closes the descriptor

func readOnlyFile(d *host.Desc) bool {
	_, ok := d.Stream.(*roFile)
	return ok
}

// newDirDesc makes a directory descriptor over h: always ready, no OS
// descriptor.
func newDirDesc(loop *evloop.Loop, h *dirHandle) *host.Desc {
	pd := loop.NewVirtual()
	pd.SetReady(evloop.Readable | evloop.Writable)
	return &host.Desc{Kind: host.KindDir, OSFd: -1, PD: pd, Stream: h}
}

// newPreopen opens mount m as a preopened directory.
func newPreopen(loop *evloop.Loop, m host.DirMount) (*host.Desc, error) {
	root, err := os.OpenRoot(m.Host)
	if err != nil {
		return nil, err
	}
	name := m.Guest
	if name == "" {
		name = "/"
	}
	return newDirDesc(loop, &dirHandle{root: root, name: name, preopen: true, readOnly: m.ReadOnly}), nil
}

// dirOf returns the directory handle of descriptor fd: EBADF if there is
// none, ENOTDIR if it is not a directory.
func dirOf(s *host.Sys, fd int32) (*dirHandle, abi.Errno) {
	d, e := s.FDs().Get(fd)
	if e != 0 {
		return nil, e
	}
	h, ok := d.Stream.(*dirHandle)
	if !ok || d.Kind != host.KindDir {
		return nil, abi.ENOTDIR
	}
	return h, 0
}

// maxPath bounds the paths the overlay accepts (PATH_MAX).
const maxPath = 4096

// checkPath validates a guest path relative to a directory descriptor.
func checkPath(p string) abi.Errno {
	switch {
	case p == "":
		return abi.ENOENT
	case len(p) > maxPath:
		return abi.ENAMETOOLONG
	case strings.IndexByte(p, 0) >= 0:
		return abi.EINVAL
	case p[0] == '/':
		return abi.ENOTCAPABLE
	}
	return 0
}

// dirPath reads the (dir fd, path, path_len) arguments at p[i:].
func dirPath(s *host.Sys, g mem, p []uint64, i int) (*dirHandle, string, abi.Errno) {
	name, e := g.string(u32Arg(p, i+1), u32Arg(p, i+2))
	if e != 0 {
		return nil, "", e
	}
	h, e := dirOf(s, fdArg(p, i))
	if e != 0 {
		return nil, "", e
	}
	if e := checkPath(name); e != 0 {
		return nil, "", e
	}
	return h, name, 0
}

// splitParent splits rel into its parent directory (for root.Open) and
// its last element, which must be a name: "." and ".." (and an empty
// path) are EINVAL here, since the caller hands the element to the kernel.
func splitParent(rel string) (string, string, abi.Errno) {
	trimmed := strings.TrimRight(rel, "/")
	if trimmed == "" {
		return "", "", abi.EINVAL
	}
	dir, base := path.Split(trimmed)
	if base == "." || base == ".." {
		return "", "", abi.EINVAL
	}
	if dir == "" {
		dir = "."
	}
	return dir, base, 0
}

// withParent runs fn with the parent directory of rel (opened through h's
// root) and its last element.
func withParent(h *dirHandle, rel string, fn func(dirfd int, base string) error) abi.Errno {
	dir, base, e := splitParent(rel)
	if e != 0 {
		return e
	}
	f, err := h.root.Open(dir)
	if err != nil {
		return host.FSErrno(err)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return host.ToErrno(err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd), base) }); err != nil {
		return host.ToErrno(err)
	}
	return host.FSErrno(ferr)
}

// path_open(fd, dirflags, path, path_len, oflags, rights_base,
// rights_inheriting, fdflags, opened_fd). The access mode comes from the
// rights (FD_READ/FD_READDIR for reading, FD_WRITE for writing), as Go
// and wasi-libc set them from O_RDONLY, O_WRONLY and O_RDWR. Opens are
// non-blocking at the OS level (a FIFO never stalls the loop); NONBLOCK is
// the guest's mode. A directory gets a directory descriptor with its own
// root.
func pathOpen(s *host.Sys, g mem, p []uint64) abi.Errno {
	name, e := g.string(u32Arg(p, 2), u32Arg(p, 3))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 8)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	h, e := dirOf(s, fdArg(p, 0))
	if e != 0 {
		return e
	}
	dirflags, oflags, fdflags := u32Arg(p, 1), u32Arg(p, 4), u32Arg(p, 7)
	rights := p[5]
	if oflags&^oflagsMask != 0 || fdflags&^fdflagsMask != 0 {
		return abi.EINVAL
	}
	if e := checkPath(name); e != 0 {
		return e
	}
	read := rights&(rightFdRead|rightFdReaddir) != 0
	write := rights&rightFdWrite != 0
	if h.readOnly && (write || oflags&(oflagCreat|oflagTrunc) != 0 || fdflags&fdflagAppend != 0) {
		return abi.EROFS
	}
	if oflags&oflagDirectory != 0 && write {
		return abi.EISDIR
	}
	fds := s.FDs()
	if fds.Len() >= fds.Max() {
		return abi.EMFILE // before creating anything
	}
	if dirflags&lookupSymlinkFollow == 0 {
		if fi, err := h.root.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if oflags&(oflagCreat|oflagExcl) == oflagCreat|oflagExcl {
				return abi.EEXIST
			}
			return abi.ELOOP
		}
	}

	flags := unix.O_RDONLY
	switch {
	case read && write:
		flags = unix.O_RDWR
	case write:
		flags = unix.O_WRONLY
	}
	flags |= unix.O_NONBLOCK | unix.O_NOCTTY
	for _, m := range [...]struct {
		wasi uint32
		os   int
	}{
		{oflagCreat, unix.O_CREAT}, {oflagExcl, unix.O_EXCL}, {oflagTrunc, unix.O_TRUNC},
		{oflagDirectory, unix.O_DIRECTORY},
	} {
		if oflags&m.wasi != 0 {
			flags |= m.os
		}
	}
	if fdflags&fdflagAppend != 0 {
		flags |= unix.O_APPEND
	}
	flags |= osSyncFlags(fdflags)

	f, err := h.root.OpenFile(name, flags, 0o666)
	if err != nil {
		return host.FSErrno(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return host.ToErrno(err)
	}
	var fd int32
	if fi.IsDir() {
		f.Close()
		sub, err := h.root.OpenRoot(name)
		if err != nil {
			return host.FSErrno(err)
		}
		d := newDirDesc(s.Instance().Loop(), &dirHandle{root: sub, readOnly: h.readOnly})
		if fd, e = fds.Insert(d); e != 0 {
			d.PD.Close()
			sub.Close()
			return e
		}
	} else {
		fd, e = s.Instance().AdoptFile(f, fdflags&fdflagNonblock != 0)
		f.Close()
		if e != 0 {
			return e
		}
		if h.readOnly {
			if d, e := fds.Get(fd); e == 0 && d.Kind == host.KindFile {
				d.Stream = &roFile{fd: d.OSFd}
			}
		}
	}
	return g.putU32(out, uint32(fd))
}

// path_create_directory(fd, path, path_len).
func pathCreateDirectory(s *host.Sys, g mem, p []uint64) abi.Errno {
	h, name, e := dirPath(s, g, p, 0)
	if e != 0 {
		return e
	}
	if h.readOnly {
		return abi.EROFS
	}
	return host.FSErrno(h.root.Mkdir(name, 0o777))
}

// path_remove_directory(fd, path, path_len).
func pathRemoveDirectory(s *host.Sys, g mem, p []uint64) abi.Errno {
	h, name, e := dirPath(s, g, p, 0)
	if e != 0 {
		return e
	}
	if h.readOnly {
		return abi.EROFS
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return host.FSErrno(err)
	}
	if !fi.IsDir() {
		return abi.ENOTDIR
	}
	return host.FSErrno(h.root.Remove(name))
}

// path_unlink_file(fd, path, path_len).
func pathUnlinkFile(s *host.Sys, g mem, p []uint64) abi.Errno {
	h, name, e := dirPath(s, g, p, 0)
	if e != 0 {
		return e
	}
	if h.readOnly {
		return abi.EROFS
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return host.FSErrno(err)
	}
	if fi.IsDir() {
		return abi.EISDIR
	}
	if strings.HasSuffix(name, "/") {
		return abi.ENOTDIR
	}
	return host.FSErrno(h.root.Remove(name))
}

// path_filestat_get(fd, flags, path, path_len, filestat).
func pathFilestatGet(s *host.Sys, g mem, p []uint64) abi.Errno {
	name, e := g.string(u32Arg(p, 2), u32Arg(p, 3))
	if e != 0 {
		return e
	}
	b, e := g.bytes(u32Arg(p, 4), filestatSize)
	if e != 0 {
		return e
	}
	h, e := dirOf(s, fdArg(p, 0))
	if e != 0 {
		return e
	}
	if e := checkPath(name); e != 0 {
		return e
	}
	var fi fs.FileInfo
	var err error
	if u32Arg(p, 1)&lookupSymlinkFollow != 0 {
		fi, err = h.root.Stat(name)
	} else {
		fi, err = h.root.Lstat(name)
	}
	if err != nil {
		return host.FSErrno(err)
	}
	putFilestat(b, statFromInfo(fi))
	return 0
}

// path_filestat_set_times(fd, flags, path, path_len, atim, mtim, fst_flags).
func pathFilestatSetTimes(s *host.Sys, g mem, p []uint64) abi.Errno {
	name, e := g.string(u32Arg(p, 2), u32Arg(p, 3))
	if e != 0 {
		return e
	}
	h, e := dirOf(s, fdArg(p, 0))
	if e != 0 {
		return e
	}
	if e := checkPath(name); e != 0 {
		return e
	}
	ts, e := timesArg(p[4], p[5], u32Arg(p, 6))
	if e != 0 {
		return e
	}
	if h.readOnly {
		return abi.EROFS
	}
	if u32Arg(p, 1)&lookupSymlinkFollow != 0 {
		return host.FSErrno(h.root.Chtimes(name, fromTimespec(ts[0]), fromTimespec(ts[1])))
	}
	if _, _, e := splitParent(name); e != 0 {
		// "." or "..": a directory, never a symlink, so follow or not is
		// the same; os.Root keeps ".." inside.
		return host.FSErrno(h.root.Chtimes(name, fromTimespec(ts[0]), fromTimespec(ts[1])))
	}
	return withParent(h, name, func(dirfd int, base string) error {
		return unix.UtimesNanoAt(dirfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW)
	})
}

// path_readlink(fd, path, path_len, buf, buf_len, bufused): the link's
// text, cut at buf_len as readlink(2) does.
func pathReadlink(s *host.Sys, g mem, p []uint64) abi.Errno {
	name, e := g.string(u32Arg(p, 1), u32Arg(p, 2))
	if e != 0 {
		return e
	}
	buf, e := g.bytes(u32Arg(p, 3), u32Arg(p, 4))
	if e != 0 {
		return e
	}
	out := u32Arg(p, 5)
	if e := g.check(out, 4); e != 0 {
		return e
	}
	h, e := dirOf(s, fdArg(p, 0))
	if e != 0 {
		return e
	}
	if e := checkPath(name); e != 0 {
		return e
	}
	target, err := h.root.Readlink(name)
	if err != nil {
		return host.FSErrno(err)
	}
	return g.putU32(out, uint32(copy(buf, target)))
}

// path_symlink(old_path, old_path_len, fd, new_path, new_path_len). The
// link's text is not looked up now, and following it later goes through a
// root, so a link may name anything relative; an absolute text names a
// host path and is ENOTCAPABLE, as in wasmtime.
func pathSymlink(s *host.Sys, g mem, p []uint64) abi.Errno {
	target, e := g.string(u32Arg(p, 0), u32Arg(p, 1))
	if e != 0 {
		return e
	}
	name, e := g.string(u32Arg(p, 3), u32Arg(p, 4))
	if e != 0 {
		return e
	}
	h, e := dirOf(s, fdArg(p, 2))
	if e != 0 {
		return e
	}
	if e := checkPath(name); e != 0 {
		return e
	}
	switch {
	case target == "":
		return abi.ENOENT
	case strings.IndexByte(target, 0) >= 0:
		return abi.EINVAL
	case target[0] == '/':
		return abi.ENOTCAPABLE
	case h.readOnly:
		return abi.EROFS
	}
	return host.FSErrno(h.root.Symlink(target, name))
}

// twoPaths reads the (directory, path) pairs of path_link and path_rename:
// the old directory and path at parameters oldFd and oldPath (the path's
// length follows it), the new ones at newFd and newPath. Pointers are
// checked first, then descriptors, then the paths.
func twoPaths(s *host.Sys, g mem, p []uint64, oldFd, oldPath, newFd, newPath int) (oh *dirHandle, oldName string, nh *dirHandle, newName string, e abi.Errno) {
	if oldName, e = g.string(u32Arg(p, oldPath), u32Arg(p, oldPath+1)); e != 0 {
		return
	}
	if newName, e = g.string(u32Arg(p, newPath), u32Arg(p, newPath+1)); e != 0 {
		return
	}
	if oh, e = dirOf(s, fdArg(p, oldFd)); e != 0 {
		return
	}
	if nh, e = dirOf(s, fdArg(p, newFd)); e != 0 {
		return
	}
	if e = checkPath(oldName); e != 0 {
		return
	}
	e = checkPath(newName)
	return
}

// path_link(old_fd, old_flags, old_path, old_path_len, new_fd, new_path,
// new_path_len): a hard link, between any two directories the guest
// holds. Following a final symlink of the old path is not supported
// (ENOTSUP): linkat would resolve it outside the root.
func pathLink(s *host.Sys, g mem, p []uint64) abi.Errno {
	oh, oldName, nh, newName, e := twoPaths(s, g, p, 0, 2, 4, 5)
	if e != 0 {
		return e
	}
	if nh.readOnly {
		return abi.EROFS
	}
	if u32Arg(p, 1)&lookupSymlinkFollow != 0 {
		if fi, err := oh.root.Lstat(oldName); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return abi.ENOTSUP
		}
	}
	return withParent(oh, oldName, func(ofd int, obase string) error {
		if e := withParent(nh, newName, func(nfd int, nbase string) error {
			return unix.Linkat(ofd, obase, nfd, nbase, 0)
		}); e != 0 {
			return e
		}
		return nil
	})
}

// path_rename(fd, old_path, old_path_len, new_fd, new_path, new_path_len).
func pathRename(s *host.Sys, g mem, p []uint64) abi.Errno {
	oh, oldName, nh, newName, e := twoPaths(s, g, p, 0, 1, 3, 4)
	if e != 0 {
		return e
	}
	if oh.readOnly || nh.readOnly {
		return abi.EROFS
	}
	return withParent(oh, oldName, func(ofd int, obase string) error {
		if e := withParent(nh, newName, func(nfd int, nbase string) error {
			return unix.Renameat(ofd, obase, nfd, nbase)
		}); e != 0 {
			return e
		}
		return nil
	})
}
