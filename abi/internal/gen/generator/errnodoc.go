package generator

// wasiErrnoText is the meaning of each WASI errno, after the WASI preview1
// witx descriptions, for SPEC.md and the C header's comments. (The EAI_*
// codes are described by their doc comments in abi/errno.go.)
var wasiErrnoText = map[string]string{
	"ESUCCESS":        "No error occurred.",
	"E2BIG":           "Argument list too long.",
	"EACCES":          "Permission denied: in ptsevent, the capability was not granted.",
	"EADDRINUSE":      "Address in use.",
	"EADDRNOTAVAIL":   "Address not available.",
	"EAFNOSUPPORT":    "Address family not supported.",
	"EAGAIN":          "Resource unavailable, or operation would block (non-blocking descriptor).",
	"EALREADY":        "Connection already in progress.",
	"EBADF":           "Bad file descriptor, or the descriptor was closed while waiting.",
	"EBADMSG":         "Bad message.",
	"EBUSY":           "Device or resource busy.",
	"ECANCELED":       "Operation canceled.",
	"ECHILD":          "No child processes.",
	"ECONNABORTED":    "Connection aborted.",
	"ECONNREFUSED":    "Connection refused.",
	"ECONNRESET":      "Connection reset.",
	"EDEADLK":         "Resource deadlock would occur.",
	"EDESTADDRREQ":    "Destination address required.",
	"EDOM":            "Mathematics argument out of domain of function.",
	"EDQUOT":          "Reserved.",
	"EEXIST":          "File exists.",
	"EFAULT":          "Bad address: a pointer and length outside the guest's memory.",
	"EFBIG":           "File too large.",
	"EHOSTUNREACH":    "Host is unreachable.",
	"EIDRM":           "Identifier removed.",
	"EILSEQ":          "Illegal byte sequence.",
	"EINPROGRESS":     "Operation in progress (non-blocking connect).",
	"EINTR":           "Interrupted function.",
	"EINVAL":          "Invalid argument.",
	"EIO":             "I/O error.",
	"EISCONN":         "Socket is connected.",
	"EISDIR":          "Is a directory.",
	"ELOOP":           "Too many levels of symbolic links.",
	"EMFILE":          "Too many open descriptors in the instance.",
	"EMLINK":          "Too many links.",
	"EMSGSIZE":        "Message too large.",
	"EMULTIHOP":       "Reserved.",
	"ENAMETOOLONG":    "Filename too long.",
	"ENETDOWN":        "Network is down.",
	"ENETRESET":       "Connection aborted by network.",
	"ENETUNREACH":     "Network unreachable.",
	"ENFILE":          "Too many files open in system.",
	"ENOBUFS":         "No buffer space available.",
	"ENODEV":          "No such device.",
	"ENOENT":          "No such file or directory (or no descriptor granted under that name).",
	"ENOEXEC":         "Executable file format error.",
	"ENOLCK":          "No locks available.",
	"ENOLINK":         "Reserved.",
	"ENOMEM":          "Not enough space.",
	"ENOMSG":          "No message of the desired type.",
	"ENOPROTOOPT":     "Protocol not available (unknown socket option).",
	"ENOSPC":          "No space left on device.",
	"ENOSYS":          "Function not supported.",
	"ENOTCONN":        "The socket is not connected.",
	"ENOTDIR":         "Not a directory or a symbolic link to a directory.",
	"ENOTEMPTY":       "Directory not empty.",
	"ENOTRECOVERABLE": "State not recoverable.",
	"ENOTSOCK":        "Not a socket.",
	"ENOTSUP":         "Not supported, or operation not supported on socket.",
	"ENOTTY":          "Inappropriate I/O control operation.",
	"ENXIO":           "No such device or address.",
	"EOVERFLOW":       "Value too large to be stored in data type.",
	"EOWNERDEAD":      "Previous owner died.",
	"EPERM":           "Operation not permitted.",
	"EPIPE":           "Broken pipe.",
	"EPROTO":          "Protocol error (a failed TLS handshake, say).",
	"EPROTONOSUPPORT": "Protocol not supported.",
	"EPROTOTYPE":      "Protocol wrong type for socket.",
	"ERANGE":          "Result too large for the buffer.",
	"EROFS":           "Read-only file system.",
	"ESPIPE":          "Invalid seek.",
	"ESRCH":           "No such process.",
	"ESTALE":          "Reserved.",
	"ETIMEDOUT":       "Timed out: the connection, or the descriptor's SO_RCVTIMEO/SO_SNDTIMEO.",
	"ETXTBSY":         "Text file busy.",
	"EXDEV":           "Cross-device link.",
	"ENOTCAPABLE":     "Capabilities insufficient: outside the instance's mounts, or no instance.",
}

// errnoDescription returns an errno's meaning: its doc comment in package
// abi when it has one, else the WASI text.
func errnoDescription(src *source, name string) string {
	if d := src.errnoDoc(name); d != "" {
		// "EAI_NONAME: the name does not exist ..." -> drop the name.
		if rest, ok := cutPrefixFold(d, name+":"); ok {
			d = rest
		}
		return upperFirst(d)
	}
	return wasiErrnoText[name]
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return trimSpace(s[len(prefix):]), true
	}
	return s, false
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\n') {
		s = s[1:]
	}
	return s
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
