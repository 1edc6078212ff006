package host

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// unixToErrno maps Linux errno values to the ABI's (WASI's) numbering: the
// one table every import and the WASI overlay use.
var unixToErrno = map[unix.Errno]abi.Errno{
	unix.E2BIG: abi.E2BIG, unix.EACCES: abi.EACCES, unix.EADDRINUSE: abi.EADDRINUSE,
	unix.EADDRNOTAVAIL: abi.EADDRNOTAVAIL, unix.EAFNOSUPPORT: abi.EAFNOSUPPORT, unix.EAGAIN: abi.EAGAIN,
	unix.EALREADY: abi.EALREADY, unix.EBADF: abi.EBADF, unix.EBADMSG: abi.EBADMSG, unix.EBUSY: abi.EBUSY,
	unix.ECANCELED: abi.ECANCELED, unix.ECHILD: abi.ECHILD, unix.ECONNABORTED: abi.ECONNABORTED,
	unix.ECONNREFUSED: abi.ECONNREFUSED, unix.ECONNRESET: abi.ECONNRESET, unix.EDEADLK: abi.EDEADLK,
	unix.EDESTADDRREQ: abi.EDESTADDRREQ, unix.EDOM: abi.EDOM, unix.EDQUOT: abi.EDQUOT, unix.EEXIST: abi.EEXIST,
	unix.EFAULT: abi.EFAULT, unix.EFBIG: abi.EFBIG, unix.EHOSTUNREACH: abi.EHOSTUNREACH, unix.EIDRM: abi.EIDRM,
	unix.EILSEQ: abi.EILSEQ, unix.EINPROGRESS: abi.EINPROGRESS, unix.EINTR: abi.EINTR, unix.EINVAL: abi.EINVAL,
	unix.EIO: abi.EIO, unix.EISCONN: abi.EISCONN, unix.EISDIR: abi.EISDIR, unix.ELOOP: abi.ELOOP,
	unix.EMFILE: abi.EMFILE, unix.EMLINK: abi.EMLINK, unix.EMSGSIZE: abi.EMSGSIZE, unix.EMULTIHOP: abi.EMULTIHOP,
	unix.ENAMETOOLONG: abi.ENAMETOOLONG, unix.ENETDOWN: abi.ENETDOWN, unix.ENETRESET: abi.ENETRESET,
	unix.ENETUNREACH: abi.ENETUNREACH, unix.ENFILE: abi.ENFILE, unix.ENOBUFS: abi.ENOBUFS, unix.ENODEV: abi.ENODEV,
	unix.ENOENT: abi.ENOENT, unix.ENOEXEC: abi.ENOEXEC, unix.ENOLCK: abi.ENOLCK, unix.ENOLINK: abi.ENOLINK,
	unix.ENOMEM: abi.ENOMEM, unix.ENOMSG: abi.ENOMSG, unix.ENOPROTOOPT: abi.ENOPROTOOPT, unix.ENOSPC: abi.ENOSPC,
	unix.ENOSYS: abi.ENOSYS, unix.ENOTCONN: abi.ENOTCONN, unix.ENOTDIR: abi.ENOTDIR, unix.ENOTEMPTY: abi.ENOTEMPTY,
	unix.ENOTRECOVERABLE: abi.ENOTRECOVERABLE, unix.ENOTSOCK: abi.ENOTSOCK, unix.EOPNOTSUPP: abi.ENOTSUP,
	unix.ENOTTY: abi.ENOTTY, unix.ENXIO: abi.ENXIO, unix.EOVERFLOW: abi.EOVERFLOW, unix.EOWNERDEAD: abi.EOWNERDEAD,
	unix.EPERM: abi.EPERM, unix.EPIPE: abi.EPIPE, unix.EPROTO: abi.EPROTO, unix.EPROTONOSUPPORT: abi.EPROTONOSUPPORT,
	unix.EPROTOTYPE: abi.EPROTOTYPE, unix.ERANGE: abi.ERANGE, unix.EROFS: abi.EROFS, unix.ESPIPE: abi.ESPIPE,
	unix.ESRCH: abi.ESRCH, unix.ESTALE: abi.ESTALE, unix.ETIMEDOUT: abi.ETIMEDOUT, unix.ETXTBSY: abi.ETXTBSY,
	unix.EXDEV: abi.EXDEV,
}

// ToErrno maps a host error to the ABI errno a guest sees. nil maps to
// ESUCCESS; errors it does not know map to EIO.
func ToErrno(err error) abi.Errno {
	if err == nil {
		return abi.ESUCCESS
	}
	var e abi.Errno
	if errors.As(err, &e) {
		return e
	}
	var ue unix.Errno
	if errors.As(err, &ue) {
		if m, ok := unixToErrno[ue]; ok {
			return m
		}
		return abi.EIO
	}
	switch {
	case errors.Is(err, evloop.ErrClosed):
		return abi.EBADF
	case errors.Is(err, evloop.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return abi.ETIMEDOUT
	case errors.Is(err, evloop.ErrLoopClosed), errors.Is(err, evloop.ErrCanceled), errors.Is(err, context.Canceled):
		return abi.ECANCELED
	case errors.Is(err, fs.ErrNotExist):
		return abi.ENOENT
	case errors.Is(err, fs.ErrExist):
		return abi.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return abi.EACCES
	case errors.Is(err, fs.ErrInvalid):
		return abi.EINVAL
	}
	return abi.EIO
}
