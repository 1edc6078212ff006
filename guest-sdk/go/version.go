package ptsevent

import (
	"fmt"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// ABIVersion returns the host's ABI version (abi_version): major and minor.
// Outside a ptsevent host (or outside wasip1) it returns 0, 0.
func ABIVersion() (major, minor int) {
	v := sys.ABIVersion()
	return int(v >> 16), int(v & 0xffff)
}

// CheckABI reports an error unless the host speaks the ABI major version
// this SDK was built for (abi.Version) with at least its minor version.
// Call it once at start-up:
//
//	if err := ptsevent.CheckABI(); err != nil {
//		log.Fatal(err)
//	}
func CheckABI() error {
	major, minor := ABIVersion()
	switch {
	case major == 0 && minor == 0:
		return fmt.Errorf("ptsevent: not running on a ptsevent host (abi_version returned 0)")
	case major != abi.Version:
		return fmt.Errorf("ptsevent: host ABI version %d.%d, this guest needs %d.x", major, minor, abi.Version)
	case minor < abi.VersionMinor:
		return fmt.Errorf("ptsevent: host ABI version %d.%d is older than this guest's %d.%d", major, minor, abi.Version, abi.VersionMinor)
	}
	return nil
}

// Flags and events, re-exported from package abi for the SDK's signatures.
const (
	// Poll events (PollFd.Events and Revents).
	POLLIN   = abi.POLLIN
	POLLOUT  = abi.POLLOUT
	POLLERR  = abi.POLLERR
	POLLHUP  = abi.POLLHUP
	POLLNVAL = abi.POLLNVAL

	// Open flags.
	O_RDONLY    = abi.O_RDONLY
	O_WRONLY    = abi.O_WRONLY
	O_RDWR      = abi.O_RDWR
	O_CREAT     = abi.O_CREAT
	O_EXCL      = abi.O_EXCL
	O_TRUNC     = abi.O_TRUNC
	O_APPEND    = abi.O_APPEND
	O_NONBLOCK  = abi.O_NONBLOCK
	O_DIRECTORY = abi.O_DIRECTORY

	// Address families and socket types (Socketpair, AddrInfo).
	AF_UNSPEC   = abi.AF_UNSPEC
	AF_INET     = abi.AF_INET
	AF_INET6    = abi.AF_INET6
	AF_UNIX     = abi.AF_UNIX
	SOCK_STREAM = abi.SOCK_STREAM
	SOCK_DGRAM  = abi.SOCK_DGRAM
)
