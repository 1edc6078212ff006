// Package abi is the single source of truth for ptsevent's guest ABI: the
// import module's name and version, every function's name and signature (the
// Functions table), the errno table, flags, constants and struct layouts.
// abi/SPEC.md describes each function in English; the Go guest bindings, the
// C header and SPEC.md's tables are generated from this package by
// `go generate ./abi` and checked for staleness by a test.
//
// The package is pure Go and builds for the host and for GOOS=wasip1.
package abi

//go:generate go run ./internal/gen -root ..

// ModuleName is the import module every ptsevent function lives in.
const ModuleName = "ptsevent"

// Version is the ABI version: the major number changes when a function's
// meaning or signature changes (a guest built for another major refuses to
// run), the minor when functions are added. abi_version returns
// Version<<16 | VersionMinor.
const (
	Version      = 1
	VersionMinor = 1
)

// Address families (pts_sockaddr.family), numbered as in wasi-libc.
const (
	AF_UNSPEC = 0
	AF_INET   = 1
	AF_INET6  = 2
	AF_UNIX   = 3
)

// Socket types for socket() and socketpair(); SOCK_NONBLOCK and
// SOCK_CLOEXEC may be or-ed in.
const (
	SOCK_STREAM   = 1
	SOCK_DGRAM    = 2
	SOCK_NONBLOCK = 0x100
	SOCK_CLOEXEC  = 0x200 // accepted and ignored: guests do not exec
	SOCK_TYPEMASK = 0xff
)

// Socket option levels and names (Linux numbering).
const (
	SOL_SOCKET  = 1
	IPPROTO_TCP = 6
	IPPROTO_UDP = 17

	SO_REUSEADDR = 2
	SO_TYPE      = 3
	SO_ERROR     = 4
	SO_SNDBUF    = 7
	SO_RCVBUF    = 8
	SO_KEEPALIVE = 9
	SO_LINGER    = 13
	SO_REUSEPORT = 15
	// SO_RCVTIMEO and SO_SNDTIMEO take an i64 of nanoseconds (0: none);
	// a blocking read or write that waits longer fails with ETIMEDOUT.
	SO_RCVTIMEO = 20
	SO_SNDTIMEO = 21

	TCP_NODELAY      = 1
	TCP_KEEPIDLE     = 4
	TCP_DEFER_ACCEPT = 9
)

// shutdown() directions.
const (
	SHUT_RD   = 0
	SHUT_WR   = 1
	SHUT_RDWR = 2
)

// send/recv flags.
const (
	MSG_PEEK     = 0x2
	MSG_DONTWAIT = 0x40
)

// open() flags (Linux numbering).
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_DIRECTORY = 0x10000
)

// poll() event bits (pts_pollfd.events and .revents), Linux numbering.
const (
	POLLIN   = 0x1
	POLLOUT  = 0x4
	POLLERR  = 0x8
	POLLHUP  = 0x10
	POLLNVAL = 0x20
)

// getaddrinfo() hint flags.
const (
	AI_PASSIVE     = 0x1
	AI_CANONNAME   = 0x2
	AI_NUMERICHOST = 0x4
	AI_NUMERICSERV = 0x400
)

// tls_client()/tls_server() flags.
const (
	// TLS_INSECURE_SKIP_VERIFY disables certificate verification (tests only).
	TLS_INSECURE_SKIP_VERIFY = 0x1
)

// Limits and sizes.
const (
	// ReadlineMax is the largest line readline returns in one call.
	ReadlineMax = 64 << 10
	// MaxIovecs is the largest iovec count readv/writev accept (IOV_MAX).
	MaxIovecs = 1024
	// MaxPollFds is the most descriptors one poll call takes.
	MaxPollFds = 65536
)

// Sockaddr is the layout of pts_sockaddr, the fixed-size socket address every
// socket function reads or writes (little-endian, as wasm memory is):
//
//	offset size field
//	0      2    family   (AF_INET, AF_INET6, AF_UNIX)
//	2      2    port     (host byte order)
//	4      4    scope_id (IPv6 zone index)
//	8      16   addr     (IPv4 in the first 4 bytes, network order)
//	24     104  path     (AF_UNIX: NUL-terminated path)
//
// SockaddrSize is its size in bytes; functions take a pointer to one.
const (
	SockaddrSize          = 128
	SockaddrOffFamily     = 0
	SockaddrOffPort       = 2
	SockaddrOffScopeID    = 4
	SockaddrOffAddr       = 8
	SockaddrOffPath       = 24
	SockaddrPathMax       = SockaddrSize - SockaddrOffPath
	PollfdSize            = 8 // pts_pollfd: i32 fd, u16 events, u16 revents
	PollfdOffFd           = 0
	PollfdOffEvents       = 4
	PollfdOffRevents      = 6
	IovecSize             = 8 // pts_iovec: u32 buf, u32 len
	AddrinfoSize          = 8 + SockaddrSize
	AddrinfoOffSocktype   = 0 // i32 socktype
	AddrinfoOffProtocol   = 4 // i32 protocol
	AddrinfoOffSockaddr   = 8 // pts_sockaddr
	LingerSize            = 8 // i32 onoff, i32 seconds
	AddrinfoHintsSize     = 16
	AddrinfoHintsOffFlags = 0  // i32 flags (AI_*)
	AddrinfoHintsOffFam   = 4  // i32 family (AF_UNSPEC for any)
	AddrinfoHintsOffType  = 8  // i32 socktype (0 for any)
	AddrinfoHintsOffProto = 12 // i32 protocol (0 for any)
)
