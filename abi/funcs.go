package abi

// Type is a wasm value type of a parameter.
type Type uint8

// Wasm value types used by the ABI.
const (
	I32 Type = iota
	I64
)

// String returns the WAT name of the type.
func (t Type) String() string {
	if t == I64 {
		return "i64"
	}
	return "i32"
}

// Kind says what a parameter means, which the generators use for typing and
// the host for bounds checks.
type Kind uint8

// Parameter kinds.
const (
	Value  Kind = iota // a plain integer
	Fd                 // a descriptor number in the instance's table
	Ptr                // a guest pointer to bytes the host reads or writes
	Len                // the byte length of the Ptr parameter before it
	OutPtr             // a guest pointer where the host stores a result
)

// Param is one parameter of an imported function.
type Param struct {
	Name string
	Type Type
	Kind Kind
}

// Group names the area a function belongs to, for SPEC.md's sections.
type Group string

// Function groups.
const (
	GroupMeta    Group = "meta"
	GroupIO      Group = "descriptors and I/O"
	GroupSocket  Group = "sockets"
	GroupFile    Group = "pipes, files and inherited descriptors"
	GroupPoll    Group = "poll and sleep"
	GroupDNS     Group = "DNS"
	GroupTLS     Group = "TLS"
	GroupGateway Group = "gateway (HTTP requests)"
)

// Func is one function of the import module. Every function but
// abi_version returns an Errno as its single i32 result; results other than
// the errno are stored through OutPtr parameters, which the host writes only
// on success.
type Func struct {
	Name   string
	Group  Group
	Params []Param
	// ResultIsErrno is false only for abi_version.
	ResultIsErrno bool
	// Blocks says that on a blocking descriptor the call may suspend the
	// calling guest until it can finish.
	Blocks bool
	// Doc is the English description (first sentence: what it replaces).
	Doc string
	// Errors lists the errno values the function returns besides the
	// universal EBADF (bad descriptor) and EFAULT (bad pointer).
	Errors []Errno
}

func p(name string, k Kind) Param   { return Param{Name: name, Type: I32, Kind: k} }
func p64(name string, k Kind) Param { return Param{Name: name, Type: I64, Kind: k} }
func errs(e ...Errno) []Errno       { return e }
func buf(name string) []Param       { return []Param{p(name, Ptr), p(name+"_len", Len)} }
func join(ps ...[]Param) (out []Param) {
	for _, x := range ps {
		out = append(out, x...)
	}
	return out
}

// Functions is the ABI: every function of ModuleName, in SPEC.md order.
var Functions = []Func{
	{Name: "abi_version", Group: GroupMeta, Doc: "Returns Version<<16 | VersionMinor. A guest SDK checks the major number once at start-up."},

	// Descriptors and I/O.
	{Name: "close", Group: GroupIO, ResultIsErrno: true, Params: []Param{p("fd", Fd)},
		Doc: "Closes a descriptor (close(2)). Waiters on it in other tasks wake with EBADF; the number may be reused at once."},
	{Name: "set_nonblock", Group: GroupIO, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("on", Value)},
		Doc: "Makes a descriptor non-blocking (on=1: calls that would wait return EAGAIN) or blocking (on=0: they suspend the calling guest), like fcntl(F_SETFL, O_NONBLOCK)."},
	{Name: "read", Group: GroupIO, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("nread", OutPtr)}),
		Doc: "Reads up to buf_len bytes (read(2)); *nread=0 means end of file. Works on every descriptor kind.", Errors: errs(EAGAIN, ETIMEDOUT, ECONNRESET, EIO)},
	{Name: "write", Group: GroupIO, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("nwritten", OutPtr)}),
		Doc: "Writes up to buf_len bytes (write(2)). On a blocking descriptor it returns when all bytes are written, the send timeout passes or an error occurs; *nwritten counts what was written.", Errors: errs(EAGAIN, ETIMEDOUT, EPIPE, ECONNRESET)},
	{Name: "readv", Group: GroupIO, ResultIsErrno: true, Blocks: true, Params: []Param{p("fd", Fd), p("iovs", Ptr), p("iovs_len", Value), p("nread", OutPtr)},
		Doc: "Scatter read into an array of pts_iovec (readv(2)); at most MaxIovecs entries.", Errors: errs(EAGAIN, ETIMEDOUT, EINVAL)},
	{Name: "writev", Group: GroupIO, ResultIsErrno: true, Blocks: true, Params: []Param{p("fd", Fd), p("iovs", Ptr), p("iovs_len", Value), p("nwritten", OutPtr)},
		Doc: "Gather write from an array of pts_iovec (writev(2)); at most MaxIovecs entries.", Errors: errs(EAGAIN, ETIMEDOUT, EINVAL, EPIPE)},
	{Name: "readline", Group: GroupIO, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("nread", OutPtr)}),
		Doc: "Reads one line, up to and including '\\n', from a host-side buffer filled with large reads (the seed's line-buffering socket file). A line longer than buf_len returns its first buf_len bytes; the rest comes with the next call. At end of file returns the last partial line, then *nread=0. Mixing read and readline on one descriptor is allowed: read drains the line buffer first.", Errors: errs(EAGAIN, ETIMEDOUT)},

	// Sockets.
	{Name: "socket", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("family", Value), p("type", Value), p("protocol", Value), p("fd", OutPtr)},
		Doc: "Creates a socket (socket(2)): family AF_INET, AF_INET6 or AF_UNIX; type SOCK_STREAM or SOCK_DGRAM, optionally | SOCK_NONBLOCK.", Errors: errs(EAFNOSUPPORT, EPROTOTYPE, EMFILE, EACCES)},
	{Name: "bind", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("addr", Ptr)},
		Doc: "Binds to the pts_sockaddr at addr (bind(2)). Needs a bind grant matching the address.", Errors: errs(EACCES, EADDRINUSE, EADDRNOTAVAIL, EINVAL)},
	{Name: "listen", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("backlog", Value)},
		Doc: "Marks a bound stream socket as listening (listen(2)).", Errors: errs(EINVAL, ENOTSOCK)},
	{Name: "accept", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: []Param{p("fd", Fd), p("flags", Value), p("newfd", OutPtr), p("addr", OutPtr)},
		Doc: "Accepts a connection (accept4(2)); flags may hold SOCK_NONBLOCK for the new descriptor; addr (0 to skip) receives the peer's pts_sockaddr.", Errors: errs(EAGAIN, ETIMEDOUT, EMFILE, EINVAL)},
	{Name: "connect", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: []Param{p("fd", Fd), p("addr", Ptr)},
		Doc: "Connects to the pts_sockaddr at addr (connect(2)). Blocking: suspends until the connection is made or fails. Non-blocking: returns EINPROGRESS; poll for POLLOUT, then getsockopt(SO_ERROR). Needs a connect grant.", Errors: errs(EACCES, EINPROGRESS, ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EALREADY, EISCONN)},
	{Name: "send", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("flags", Value), p("nsent", OutPtr)}),
		Doc: "Sends on a connected socket (send(2)); flags: MSG_DONTWAIT.", Errors: errs(EAGAIN, ETIMEDOUT, EPIPE, ECONNRESET)},
	{Name: "recv", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("flags", Value), p("nrecv", OutPtr)}),
		Doc: "Receives from a socket (recv(2)); flags: MSG_PEEK, MSG_DONTWAIT.", Errors: errs(EAGAIN, ETIMEDOUT, ECONNRESET)},
	{Name: "sendto", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("flags", Value), p("addr", Ptr), p("nsent", OutPtr)}),
		Doc: "Sends a datagram to the pts_sockaddr at addr (sendto(2)). Needs a connect grant for the destination.", Errors: errs(EAGAIN, EACCES, EMSGSIZE)},
	{Name: "recvfrom", Group: GroupSocket, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("flags", Value), p("addr", OutPtr), p("nrecv", OutPtr)}),
		Doc: "Receives a datagram and its source address (recvfrom(2)); addr may be 0.", Errors: errs(EAGAIN, ETIMEDOUT)},
	{Name: "shutdown", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("how", Value)},
		Doc: "Shuts down one or both directions (shutdown(2)): SHUT_RD, SHUT_WR, SHUT_RDWR.", Errors: errs(ENOTCONN, EINVAL)},
	{Name: "getsockname", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("addr", OutPtr)},
		Doc: "Stores the socket's local pts_sockaddr (getsockname(2)).", Errors: errs(ENOTSOCK)},
	{Name: "getpeername", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("fd", Fd), p("addr", OutPtr)},
		Doc: "Stores the connected peer's pts_sockaddr (getpeername(2)).", Errors: errs(ENOTCONN, ENOTSOCK)},
	{Name: "setsockopt", Group: GroupSocket, ResultIsErrno: true, Params: join([]Param{p("fd", Fd), p("level", Value), p("name", Value)}, buf("val")),
		Doc: "Sets a socket option (setsockopt(2)). Integer options take an i32; SO_LINGER a pts_linger; SO_RCVTIMEO/SO_SNDTIMEO an i64 of nanoseconds, enforced with loop timers (ETIMEDOUT).", Errors: errs(ENOPROTOOPT, EINVAL)},
	{Name: "getsockopt", Group: GroupSocket, ResultIsErrno: true, Params: join([]Param{p("fd", Fd), p("level", Value), p("name", Value)}, buf("val"), []Param{p("val_size", OutPtr)}),
		Doc: "Reads a socket option (getsockopt(2)); *val_size receives the value's size. SO_ERROR reports (and clears) a pending error as an errno.", Errors: errs(ENOPROTOOPT, EINVAL)},
	{Name: "socketpair", Group: GroupSocket, ResultIsErrno: true, Params: []Param{p("family", Value), p("type", Value), p("protocol", Value), p("fds", OutPtr)},
		Doc: "Creates a connected pair of AF_UNIX sockets (socketpair(2)); fds receives two i32.", Errors: errs(EAFNOSUPPORT, EMFILE)},

	// Pipes, files, inherited descriptors.
	{Name: "pipe", Group: GroupFile, ResultIsErrno: true, Params: []Param{p("flags", Value), p("fds", OutPtr)},
		Doc: "Creates a pipe (pipe2(2)); fds receives the read end then the write end; flags may hold O_NONBLOCK.", Errors: errs(EMFILE)},
	{Name: "open", Group: GroupFile, ResultIsErrno: true, Blocks: true, Params: join(buf("path"), []Param{p("flags", Value), p("mode", Value), p("fd", OutPtr)}),
		Doc: "Opens a file under a preopened directory (open(2)); the path is relative to the guest's directory mounts and cannot escape them (os.Root). Pipes, FIFOs, sockets and character devices are waited on by the loop; regular-file I/O runs off the loop.", Errors: errs(ENOENT, EACCES, ENOTCAPABLE, EEXIST, EISDIR, ELOOP)},
	{Name: "unlink", Group: GroupFile, ResultIsErrno: true, Params: buf("path"),
		Doc: "Removes a file (unlink(2)): under a writable directory mount, resolved as open resolves it (os.Root), or a unix socket at a host path a bind grant's unix: pattern matches (only a socket there).", Errors: errs(ENOENT, EACCES, ENOTCAPABLE, EISDIR, EROFS, EINVAL)},
	{Name: "fromfd", Group: GroupFile, ResultIsErrno: true, Params: join(buf("name"), []Param{p("fd", OutPtr)}),
		Doc: "Adopts a descriptor the embedder granted under name (socket.fromfd): an inherited listening socket, say.", Errors: errs(ENOENT)},

	// Poll and sleep.
	{Name: "poll", Group: GroupPoll, ResultIsErrno: true, Blocks: true, Params: []Param{p("fds", Ptr), p("nfds", Value), p64("timeout_ns", Value), p("nready", OutPtr)},
		Doc: "Waits until one of nfds pts_pollfd entries is ready or timeout_ns passes (poll(2); negative: no limit, 0: check only). Sets each revents; a negative fd is ignored; an unknown fd gets POLLNVAL.", Errors: errs(EINVAL)},
	{Name: "sleep", Group: GroupPoll, ResultIsErrno: true, Blocks: true, Params: []Param{p64("ns", Value)},
		Doc: "Suspends the calling guest for ns nanoseconds on a loop timer; other guests run meanwhile.", Errors: errs(EINVAL)},

	// DNS.
	{Name: "getaddrinfo", Group: GroupDNS, ResultIsErrno: true, Blocks: true, Params: join(buf("node"), buf("service"), []Param{p("hints", Ptr), p("res", OutPtr), p("res_max", Value), p("nres", OutPtr)}),
		Doc: "Resolves a host and service (getaddrinfo(3)) without blocking the loop; hints (0 for none) is a pts_addrinfo_hints; res receives up to res_max pts_addrinfo. Needs a DNS grant.", Errors: errs(EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA, EAI_FAMILY, EAI_SERVICE, EACCES)},
	{Name: "gethostbyname", Group: GroupDNS, ResultIsErrno: true, Blocks: true, Params: join(buf("name"), []Param{p("family", Value), p("addrs", OutPtr), p("addrs_max", Value), p("naddrs", OutPtr)}),
		Doc: "Resolves a host name to addresses of family (AF_UNSPEC for both) (gethostbyname(3)); addrs receives up to addrs_max pts_sockaddr with port 0.", Errors: errs(EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA, EACCES)},
	{Name: "gethostbyaddr", Group: GroupDNS, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("addr", Ptr)}, buf("name"), []Param{p("name_size", OutPtr)}),
		Doc: "Reverse-resolves the pts_sockaddr at addr to a host name (gethostbyaddr(3), PTR); name receives it without a trailing dot; *name_size its full length (ERANGE if it did not fit).", Errors: errs(EAI_NONAME, EAI_AGAIN, EAI_FAIL, ERANGE, EACCES)},

	// TLS.
	{Name: "tls_client", Group: GroupTLS, ResultIsErrno: true, Blocks: true, Params: join([]Param{p("fd", Fd)}, buf("server_name"), []Param{p("flags", Value)}),
		Doc: "Wraps a connected stream socket as a TLS client (ssl.wrap_socket) with SNI server_name, verified against the system roots or the embedder's CA; the handshake runs now (blocking) or on the first read/write (non-blocking). Afterwards read/write/send/recv on fd carry plaintext.", Errors: errs(EPROTO, EINVAL, EAGAIN)},
	{Name: "tls_server", Group: GroupTLS, ResultIsErrno: true, Blocks: true, Params: []Param{p("fd", Fd), p("flags", Value)},
		Doc: "Wraps an accepted stream socket as a TLS server with the certificate the embedder configured.", Errors: errs(EPROTO, EINVAL, ENOTSUP, EAGAIN)},

	// Gateway (HTTP requests). A request is a descriptor: the guest reads the
	// body with read/readline/readv, writes the response body with
	// write/writev (a zero-length write flushes), and close (or returning
	// from pts_handle) ends the response.
	{Name: "req_environ", Group: GroupGateway, ResultIsErrno: true, Params: join([]Param{p("fd", Fd)}, buf("buf"), []Param{p("env_size", OutPtr)}),
		Doc: "Copies the request's environ, the CGI/WSGI variables (REQUEST_METHOD, PATH_INFO, HTTP_*, ...; SPEC.md's Gateway section lists them), into buf as KEY\\0VALUE\\0 pairs and stores its size in *env_size. If buf_len is smaller, stores the size, writes nothing and returns ERANGE (call again with a larger buffer).", Errors: errs(ERANGE, EINVAL)},
	{Name: "start_response", Group: GroupGateway, ResultIsErrno: true, Params: join([]Param{p("fd", Fd)}, buf("status"), buf("headers"), []Param{p("flags", Value)}),
		Doc: "Sets the response status (\"200 OK\": three digits from 200 to 599, a space, a reason phrase) and headers (Name\\0Value\\0 pairs) of the request fd, as WSGI's start_response; they are sent with the first body bytes. A bad status, a name that is not a token or a value with CR, LF, NUL or another control character returns EINVAL and fails the request (the client gets 500, none of the guest's headers). A second call needs flags & START_RESPONSE_EXC_INFO and must come before the response went out (else EALREADY); it replaces the status and headers and drops the unsent body.", Errors: errs(EINVAL, EALREADY)},
	{Name: "req_abort", Group: GroupGateway, ResultIsErrno: true, Params: []Param{p("fd", Fd)},
		Doc: "Fails the response of request fd, as a handler that panics or an exception does: if nothing went out yet the client gets 500 (the guest's status, headers and buffered body are dropped); otherwise the host closes the connection without completing the response (a chunked body gets no last chunk, a Content-Length body stays short), so the client sees it incomplete. Later writes on fd return EPIPE; close it as usual. For a blocking-style guest, returning non-zero from pts_handle does the same; a scheduler-style guest, whose requests end when it closes them, has only this way.", Errors: errs(EINVAL)},
}

// START_RESPONSE_EXC_INFO is start_response's flag for a call that replaces
// an earlier status and headers (WSGI's exc_info): an application that
// fails after starting a response sends an error response instead, as
// long as nothing went out yet.
const START_RESPONSE_EXC_INFO = 0x1

// Export is a function the host calls in a guest, which the guest exports.
type Export struct {
	Name    string
	Group   Group
	Params  []Param
	Results []Type
	// Doc is the English description.
	Doc string
}

// Exports lists the functions a guest exports for the host to call, by
// role. The host checks their types; guest SDKs export them.
var Exports = []Export{
	{Name: "pts_handle", Group: GroupGateway, Params: []Param{p("req_fd", Fd)}, Results: []Type{I32},
		Doc: "The entry point of a blocking-style gateway app (one request per instance at a time): called once per HTTP request with the request's descriptor; the guest reads the environ (req_environ) and the body (read), calls start_response, writes the body (write) and returns 0. Returning non-zero fails the request: 500 if nothing was sent yet, else the connection is closed. The host closes req_fd after the call if the guest did not. A guest built as a reactor (a C guest with -mexec-model=reactor, a Go guest with -buildmode=c-shared) exports _initialize too, which runs once per instance."},
}

// Lookup returns the function named name.
func Lookup(name string) (Func, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}
