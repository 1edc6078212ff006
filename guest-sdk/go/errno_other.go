//go:build !wasip1

package ptsevent

// isSyscallErrno is false outside wasip1: the host's syscall.Errno values
// use another numbering.
func isSyscallErrno(Errno, error) bool { return false }

func errnoText(e Errno) string { return eaiText[e] }
