package http1

import "strconv"

// statusText holds the reason phrases of net/http's StatusText, indexed by
// code (a test keeps them in step).
var statusText = [600]string{
	100: "Continue",
	101: "Switching Protocols",
	102: "Processing",
	103: "Early Hints",
	200: "OK",
	201: "Created",
	202: "Accepted",
	203: "Non-Authoritative Information",
	204: "No Content",
	205: "Reset Content",
	206: "Partial Content",
	207: "Multi-Status",
	208: "Already Reported",
	226: "IM Used",
	300: "Multiple Choices",
	301: "Moved Permanently",
	302: "Found",
	303: "See Other",
	304: "Not Modified",
	305: "Use Proxy",
	307: "Temporary Redirect",
	308: "Permanent Redirect",
	400: "Bad Request",
	401: "Unauthorized",
	402: "Payment Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	406: "Not Acceptable",
	407: "Proxy Authentication Required",
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Request Entity Too Large",
	414: "Request URI Too Long",
	415: "Unsupported Media Type",
	416: "Requested Range Not Satisfiable",
	417: "Expectation Failed",
	418: "I'm a teapot",
	421: "Misdirected Request",
	422: "Unprocessable Entity",
	423: "Locked",
	424: "Failed Dependency",
	425: "Too Early",
	426: "Upgrade Required",
	428: "Precondition Required",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	451: "Unavailable For Legal Reasons",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
	505: "HTTP Version Not Supported",
	506: "Variant Also Negotiates",
	507: "Insufficient Storage",
	508: "Loop Detected",
	510: "Not Extended",
	511: "Network Authentication Required",
}

// statusLines holds the precomputed status lines "HTTP/1.x NNN Reason\r\n"
// of the codes that have a reason phrase, indexed by minor version and code.
var statusLines = func() (t [2][600]string) {
	for c, text := range statusText {
		if text != "" {
			code := strconv.Itoa(c)
			t[0][c] = "HTTP/1.0 " + code + " " + text + "\r\n"
			t[1][c] = "HTTP/1.1 " + code + " " + text + "\r\n"
		}
	}
	return t
}()

// StatusText returns the reason phrase of an HTTP status code, the same as
// net/http's StatusText, or "" when the code is unknown.
func StatusText(code int) string {
	if code < 0 || code >= len(statusText) {
		return ""
	}
	return statusText[code]
}

// ValidStatus reports whether code is a valid HTTP status code: three digits
// from 100 to 599 (RFC 9110 section 15).
func ValidStatus(code int) bool { return 100 <= code && code <= 599 }

// AppendStatusLine appends the status line "HTTP/1.<protoMinor> <code>
// <reason>\r\n" (RFC 9112 section 4) with the reason phrase of
// [StatusText]; protoMinor is 0 or 1 (any other value means 1). A server
// should answer HTTP/1.1 even to HTTP/1.0 requests (RFC 9110 section 2.5).
// The known codes come from a precomputed table, so the common case is a
// single copy. An invalid code (see [ValidStatus]) is written as 500: the
// caller must validate codes it did not choose.
func AppendStatusLine(dst []byte, protoMinor, code int) []byte {
	if !ValidStatus(code) {
		code = 500
	}
	minor := 1
	if protoMinor == 0 {
		minor = 0
	}
	if s := statusLines[minor][code]; s != "" {
		return append(dst, s...)
	}
	return AppendStatusLineReason(dst, protoMinor, code, "")
}

// AppendStatusLineReason is [AppendStatusLine] with the reason phrase given,
// for example the one of a WSGI status string split by [ParseStatus]. The
// reason must be valid (see [ValidReason]); an empty reason is allowed
// (RFC 9112 section 4: the space before it is still sent).
func AppendStatusLineReason[R ~string | ~[]byte](dst []byte, protoMinor, code int, reason R) []byte {
	if !ValidStatus(code) {
		code = 500
	}
	if protoMinor == 0 {
		dst = append(dst, "HTTP/1.0 "...)
	} else {
		dst = append(dst, "HTTP/1.1 "...)
	}
	dst = append(dst, byte('0'+code/100), byte('0'+code/10%10), byte('0'+code%10), ' ')
	dst = append(dst, reason...)
	return append(dst, '\r', '\n')
}

// ValidReason reports whether s can be sent as a reason phrase: HTAB, SP,
// visible ASCII and obs-text only (RFC 9112 section 4).
func ValidReason[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&cVchar == 0 {
			return false
		}
	}
	return true
}

// ParseStatus splits a WSGI/CGI status string such as "404 Not Found" (PEP
// 3333: a three-digit code, a space and a reason phrase) into its code and
// reason. A bare code ("204") is accepted with an empty reason. ok is false
// when the code is not in 100..599 or the reason has characters that
// [ValidReason] refuses (CR, LF and other controls).
func ParseStatus[T ~string | ~[]byte](s T) (code int, reason T, ok bool) {
	if len(s) < 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, reason, false
	}
	code = int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if !ValidStatus(code) {
		return 0, reason, false
	}
	if len(s) == 3 {
		return code, s[3:], true
	}
	if s[3] != ' ' || !ValidReason(s[4:]) {
		return 0, reason, false
	}
	return code, s[4:], true
}

// ValidHeaderName reports whether name is a valid field name: a non-empty
// RFC 9110 token. Use it on field names a guest provides.
func ValidHeaderName[T ~string | ~[]byte](name T) bool { return validToken(name) }

// ValidHeaderValue reports whether value can be sent as a field value: no
// CR, LF, NUL or other control character except HTAB (RFC 9110 section
// 5.5). Use it on field values a guest provides: a CR or LF would let it
// inject fields or split the response.
func ValidHeaderValue[T ~string | ~[]byte](value T) bool { return ValidReason(value) }

// AppendHeader appends the field line "name: value\r\n". It does not
// validate: check names and values from untrusted sources with
// [ValidHeaderName] and [ValidHeaderValue] first.
func AppendHeader[N, V ~string | ~[]byte](dst []byte, name N, value V) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// AppendContentLength appends the field line "Content-Length: n\r\n".
func AppendContentLength(dst []byte, n int64) []byte {
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendChunkHeader appends the chunk-size line of a chunk of n bytes
// ("<hex n>\r\n", RFC 9112 section 7.1), for a server that writes the data
// itself (for example straight from guest memory with writev); the data must
// then be followed by CRLF. n must be positive: a zero size is the last chunk.
func AppendChunkHeader(dst []byte, n int) []byte {
	dst = strconv.AppendUint(dst, uint64(n), 16)
	return append(dst, '\r', '\n')
}

// AppendChunk appends p as one chunk: its size in hex, CRLF, p, CRLF. An
// empty p appends nothing, since a zero-size chunk would end the body.
func AppendChunk(dst, p []byte) []byte {
	if len(p) == 0 {
		return dst
	}
	dst = AppendChunkHeader(dst, len(p))
	dst = append(dst, p...)
	return append(dst, '\r', '\n')
}

// AppendLastChunk appends the last chunk and the end of an empty trailer
// section, "0\r\n\r\n", which ends a chunked body.
func AppendLastChunk(dst []byte) []byte {
	return append(dst, "0\r\n\r\n"...)
}
