//go:build wasip1

package ptsevent

import (
	"strings"
	"syscall"

	"github.com/ptsevent/ptsevent/abi"
)

// isSyscallErrno matches Go's own wasip1 errno values, which share WASI's
// numbering with abi.Errno.
func isSyscallErrno(e Errno, target error) bool {
	t, ok := target.(syscall.Errno)
	return ok && abi.Errno(e) <= abi.ENOTCAPABLE && uint32(t) == uint32(e)
}

func errnoText(e Errno) string {
	if t, ok := eaiText[e]; ok {
		return t
	}
	if e == 0 || abi.Errno(e) > abi.ENOTCAPABLE {
		return ""
	}
	return strings.ToLower(syscall.Errno(e).Error())
}
