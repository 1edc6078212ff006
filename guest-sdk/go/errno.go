package ptsevent

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/ptsevent/ptsevent/abi"
)

// Errno is the error code of a failed ptsevent import: an abi.Errno
// (WASI's errno numbering, EAI_* resolver codes from 200) as a Go error.
//
// errors.Is(err, target) holds for target an abi.Errno or Errno of the same
// value, and for these sentinels:
//
//	os.ErrDeadlineExceeded, context.DeadlineExceeded  ETIMEDOUT
//	fs.ErrNotExist                                    ENOENT
//	fs.ErrExist                                       EEXIST
//	fs.ErrPermission                                  EACCES, EPERM, ENOTCAPABLE
//	errors.ErrUnsupported                             ENOSYS, ENOTSUP
//
// and, under GOOS=wasip1, the syscall.Errno of the same number.
type Errno abi.Errno

// Error returns a short description such as "connection refused (ECONNREFUSED)".
func (e Errno) Error() string {
	name := abi.Errno(e).Name()
	if t := errnoText(e); t != "" {
		return t + " (" + name + ")"
	}
	return name
}

// Name returns the errno's symbolic name, such as "EAGAIN".
func (e Errno) Name() string { return abi.Errno(e).Name() }

// Is reports whether e matches target (see Errno).
func (e Errno) Is(target error) bool {
	switch t := target.(type) {
	case Errno:
		return e == t
	case abi.Errno:
		return abi.Errno(e) == t
	}
	switch target {
	case os.ErrDeadlineExceeded, context.DeadlineExceeded:
		return e == Errno(abi.ETIMEDOUT)
	case fs.ErrNotExist:
		return e == Errno(abi.ENOENT)
	case fs.ErrExist:
		return e == Errno(abi.EEXIST)
	case fs.ErrPermission:
		return e == Errno(abi.EACCES) || e == Errno(abi.EPERM) || e == Errno(abi.ENOTCAPABLE)
	case errors.ErrUnsupported:
		return e == Errno(abi.ENOSYS) || e == Errno(abi.ENOTSUP)
	}
	return isSyscallErrno(e, target)
}

// Timeout reports whether e is a timeout (ETIMEDOUT), as net.Error asks.
func (e Errno) Timeout() bool { return e == Errno(abi.ETIMEDOUT) }

// Temporary reports whether retrying may succeed: EAGAIN (the descriptor is
// non-blocking and not ready), EINTR, ETIMEDOUT, EMFILE, ENFILE, ENOBUFS,
// ECONNABORTED, ECONNRESET and EAI_AGAIN.
func (e Errno) Temporary() bool {
	switch abi.Errno(e) {
	case abi.EAGAIN, abi.EINTR, abi.ETIMEDOUT, abi.EMFILE, abi.ENFILE, abi.ENOBUFS,
		abi.ECONNABORTED, abi.ECONNRESET, abi.EAI_AGAIN:
		return true
	}
	return false
}

// Errors used by the SDK's own checks.
const (
	eAGAIN     = Errno(abi.EAGAIN)
	eBADF      = Errno(abi.EBADF)
	eINVAL     = Errno(abi.EINVAL)
	eTIMEDOUT  = Errno(abi.ETIMEDOUT)
	eINPROG    = Errno(abi.EINPROGRESS)
	eRANGE     = Errno(abi.ERANGE)
	eNOTSUP    = Errno(abi.ENOTSUP)
	eAFNOSUP   = Errno(abi.EAFNOSUPPORT)
	eTOOLONG   = Errno(abi.ENAMETOOLONG)
	eNONAME    = Errno(abi.EAI_NONAME)
	eNODATA    = Errno(abi.EAI_NODATA)
	eAIAGAIN   = Errno(abi.EAI_AGAIN)
	eAISERVICE = Errno(abi.EAI_SERVICE)
)

// errno converts an import's result.
func errno(r uint32) Errno { return Errno(r) }

var eaiText = map[Errno]string{
	Errno(abi.EAI_NONAME):  "no such host",
	Errno(abi.EAI_AGAIN):   "temporary failure in name resolution",
	Errno(abi.EAI_FAIL):    "non-recoverable failure in name resolution",
	Errno(abi.EAI_NODATA):  "no address of the requested family",
	Errno(abi.EAI_FAMILY):  "address family not supported",
	Errno(abi.EAI_SERVICE): "unknown service",
}
