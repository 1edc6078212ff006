package host

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"golang.org/x/sys/unix"
)

// The unlink import: remove a file under a directory mount, or a unix
// socket file at a host path a bind grant covers (so a guest can clean up
// after the sockets it bound, as net.UnixListener.Close does).

func init() { register("unlink", hostUnlink) }

// hostUnlink: unlink(path, path_len).
//
// A path that a unix: pattern of the bind grant matches is a host path, as
// bind's are: there only a socket may be removed (EACCES for any other
// file, so a grant to bind sockets in /tmp is not one to delete /tmp's
// files). Any other path is resolved in the guest's directory mounts as
// open resolves it (ENOTCAPABLE outside them, os.Root underneath, EROFS on
// a read-only mount). Directories are not removed (EISDIR).
func hostUnlink(c *call) abi.Errno {
	p, e := c.mem.string(c.u32(0), c.u32(1))
	if e != 0 {
		return e
	}
	if p == "" {
		return abi.ENOENT
	}
	if strings.IndexByte(p, 0) >= 0 {
		return abi.EINVAL
	}
	if allowUnix(c.in.caps.Bind, p) {
		return unlinkSocket(c.in.caps.Bind, p)
	}
	m, rel, e := resolveGuestPath(c.in.caps.Dirs, p)
	if e != 0 {
		return e
	}
	if !filepath.IsLocal(rel) {
		return abi.ENOTCAPABLE
	}
	if m.ReadOnly {
		return abi.EROFS
	}
	root, err := os.OpenRoot(m.Host)
	if err != nil {
		return ToErrno(err)
	}
	defer root.Close()
	st, err := root.Lstat(rel)
	if err != nil {
		return openErrno(err)
	}
	if st.IsDir() {
		return abi.EISDIR
	}
	return openErrno(root.Remove(rel))
}

// unlinkSocket removes the unix socket at host path p, which the bind
// patterns ps match. The path must be clean and absolute, and the
// directory it names, with its symlinks resolved, must still be one the
// patterns cover; the last element is not followed and must be a socket.
func unlinkSocket(ps []AddrPattern, p string) abi.Errno {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		return abi.EACCES
	}
	dir, base := filepath.Split(p)
	if base == "" {
		return abi.EISDIR
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ToErrno(err)
	}
	if !allowUnix(ps, filepath.Join(real, base)) {
		return abi.EACCES
	}
	dfd, err := unix.Open(real, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return ToErrno(err)
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return ToErrno(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return abi.EACCES
	}
	return ToErrno(unix.Unlinkat(dfd, base, 0))
}
