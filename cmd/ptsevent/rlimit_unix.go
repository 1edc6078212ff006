//go:build unix

package main

import "syscall"

// openFileLimit returns the process's soft RLIMIT_NOFILE. Go's syscall
// package has already raised it to (about) the hard limit at start.
func openFileLimit() (uint64, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	return uint64(lim.Cur), true
}
