package generator

// The struct layouts of the ABI. Package abi records them as size and
// offset constants; this table names the fields and types for the
// bindings. Every size and offset is asserted against abi's constants at
// compile time, in the Go bindings and in the C header, so the two cannot
// drift apart unnoticed.

type field struct {
	C      string // C field name
	Go     string // Go field name
	CType  string // C element type
	GoType string // Go element type
	// Len is the array length: an abi constant name or a literal ("" for
	// a scalar).
	Len    string
	Off    string // abi constant naming the offset ("" when OffLit is used)
	OffLit int64
	Doc    string
}

type layout struct {
	C      string // C typedef and struct tag
	Go     string // Go type name
	Size   string // abi constant naming the size
	Doc    string
	Fields []field
}

var layouts = []layout{
	{
		C: "pts_sockaddr", Go: "Sockaddr", Size: "SockaddrSize",
		Doc: "A socket address, fixed size, as every socket function reads or writes it.",
		Fields: []field{
			{C: "family", Go: "Family", CType: "uint16_t", GoType: "uint16", Off: "SockaddrOffFamily", Doc: "AF_INET, AF_INET6 or AF_UNIX"},
			{C: "port", Go: "Port", CType: "uint16_t", GoType: "uint16", Off: "SockaddrOffPort", Doc: "port in host byte order (little-endian)"},
			{C: "scope_id", Go: "ScopeID", CType: "uint32_t", GoType: "uint32", Off: "SockaddrOffScopeID", Doc: "IPv6 zone index"},
			{C: "addr", Go: "Addr", CType: "uint8_t", GoType: "byte", Len: "16", Off: "SockaddrOffAddr", Doc: "IPv6 address, or IPv4 in the first 4 bytes (network order)"},
			{C: "path", Go: "Path", CType: "char", GoType: "byte", Len: "SockaddrPathMax", Off: "SockaddrOffPath", Doc: "AF_UNIX: NUL-terminated path"},
		},
	},
	{
		C: "pts_pollfd", Go: "PollFd", Size: "PollfdSize",
		Doc: "One entry of poll's array.",
		Fields: []field{
			{C: "fd", Go: "Fd", CType: "int32_t", GoType: "int32", Off: "PollfdOffFd", Doc: "descriptor; negative: ignored"},
			{C: "events", Go: "Events", CType: "uint16_t", GoType: "uint16", Off: "PollfdOffEvents", Doc: "POLLIN, POLLOUT"},
			{C: "revents", Go: "Revents", CType: "uint16_t", GoType: "uint16", Off: "PollfdOffRevents", Doc: "set by poll: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL"},
		},
	},
	{
		C: "pts_iovec", Go: "Iovec", Size: "IovecSize",
		Doc: "One buffer of readv's or writev's array.",
		Fields: []field{
			{C: "buf", Go: "Buf", CType: "void *", GoType: "uint32", OffLit: 0, Doc: "guest address of the buffer"},
			{C: "len", Go: "Len", CType: "uint32_t", GoType: "uint32", OffLit: 4, Doc: "its length in bytes"},
		},
	},
	{
		C: "pts_addrinfo", Go: "Addrinfo", Size: "AddrinfoSize",
		Doc: "One result of getaddrinfo.",
		Fields: []field{
			{C: "socktype", Go: "Socktype", CType: "int32_t", GoType: "int32", Off: "AddrinfoOffSocktype", Doc: "SOCK_STREAM or SOCK_DGRAM"},
			{C: "protocol", Go: "Protocol", CType: "int32_t", GoType: "int32", Off: "AddrinfoOffProtocol", Doc: "IPPROTO_TCP or IPPROTO_UDP"},
			{C: "addr", Go: "Addr", CType: "pts_sockaddr", GoType: "Sockaddr", Off: "AddrinfoOffSockaddr", Doc: "the address and port"},
		},
	},
	{
		C: "pts_addrinfo_hints", Go: "AddrinfoHints", Size: "AddrinfoHintsSize",
		Doc: "getaddrinfo's hints.",
		Fields: []field{
			{C: "flags", Go: "Flags", CType: "int32_t", GoType: "int32", Off: "AddrinfoHintsOffFlags", Doc: "AI_* flags"},
			{C: "family", Go: "Family", CType: "int32_t", GoType: "int32", Off: "AddrinfoHintsOffFam", Doc: "AF_UNSPEC for any"},
			{C: "socktype", Go: "Socktype", CType: "int32_t", GoType: "int32", Off: "AddrinfoHintsOffType", Doc: "0 for any"},
			{C: "protocol", Go: "Protocol", CType: "int32_t", GoType: "int32", Off: "AddrinfoHintsOffProto", Doc: "0 for any"},
		},
	},
	{
		C: "pts_linger", Go: "Linger", Size: "LingerSize",
		Doc: "SO_LINGER's value.",
		Fields: []field{
			{C: "onoff", Go: "Onoff", CType: "int32_t", GoType: "int32", OffLit: 0, Doc: "non-zero: linger on close"},
			{C: "seconds", Go: "Seconds", CType: "int32_t", GoType: "int32", OffLit: 4, Doc: "how long"},
		},
	},
}

// isLiteral reports whether an array length is a literal number.
func isLiteral(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
