package http1

import (
	"bytes"
	"encoding/binary"
)

// Header is one field line of a request head. Name and Value are sub-slices
// of the buffer given to [ParseHead]; Name keeps the case the client sent and
// Value is trimmed of leading and trailing whitespace (OWS).
type Header struct {
	Name  []byte
	Value []byte
}

// Request is a parsed request head. Every []byte field is a sub-slice of the
// buffer given to [ParseHead] (nothing is copied), so it is valid only as long
// as that buffer is not modified or reused. A Request is meant to be reused
// across requests: [ParseHead] calls [Request.Reset], which keeps the
// capacity of Headers, so steady-state parsing does not allocate.
type Request struct {
	// Method is the request method, a case-sensitive token such as "GET".
	Method []byte
	// Target is the raw request-target (RFC 9112 section 3.2), as sent.
	Target []byte
	// Path is the raw (still percent-encoded) path of the target: the part
	// of an origin-form or absolute-form target before '?', or "*" for an
	// asterisk-form target. It is empty for an authority-form (CONNECT)
	// target and may be empty for an absolute-form target with no path.
	Path []byte
	// Query is the raw query of the target, after the first '?' (which is
	// not included); empty when there is none.
	Query []byte
	// Proto is the protocol version as sent: "HTTP/1.0" or "HTTP/1.1".
	Proto []byte
	// ProtoMinor is the minor version: 0 or 1.
	ProtoMinor int
	// Headers lists the field lines in order, including Host,
	// Content-Length, Transfer-Encoding and the other fields that are also
	// interpreted below.
	Headers []Header
	// Host is the Host field value, or the authority of an absolute-form
	// target, which overrides it (RFC 9112 section 3.2.2). It may be empty
	// (HTTP/1.0 without Host, or an empty Host field).
	Host []byte
	// ContentType is the value of the first Content-Type field, or nil.
	ContentType []byte
	// ContentLength is the declared body length, or -1 when there is no
	// Content-Length field. With neither Content-Length nor Chunked the body
	// is empty (RFC 9112 section 6.3).
	ContentLength int64
	// Chunked reports that the body uses the chunked transfer coding
	// (Transfer-Encoding: chunked); decode it with a [ChunkedDecoder].
	Chunked bool
	// KeepAlive reports whether the connection may be reused after the
	// response (RFC 9112 section 9.3): HTTP/1.1 unless the client sent
	// "Connection: close"; HTTP/1.0 only if the client sent
	// "Connection: keep-alive" and no "close". It is false when CloseAfter
	// is set.
	KeepAlive bool
	// ExpectContinue reports an HTTP/1.1 request with "Expect:
	// 100-continue"; the server should send "HTTP/1.1 100 Continue" before
	// reading the body, or answer with a final status and close (RFC 9110
	// section 10.1.1). The expectation is ignored for HTTP/1.0.
	ExpectContinue bool
	// CloseAfter reports that framing forbids reusing the connection after
	// this request whatever the client asked: a CONNECT request, after which
	// the bytes on the connection are not HTTP messages.
	CloseAfter bool
	// HeadLen is the number of bytes of the head, the value ParseHead
	// returned: any leading empty line, the request line, the field lines
	// and the empty line that ends the head. The body (if any) starts at
	// buf[HeadLen:].
	HeadLen int
}

// Reset clears r for reuse, keeping the capacity of r.Headers.
func (r *Request) Reset() {
	h := r.Headers[:0]
	*r = Request{Headers: h, ContentLength: -1}
}

// Get returns the value of the first field whose name equals name, ignoring
// ASCII case, or nil when there is none. It does not allocate.
func (r *Request) Get(name string) []byte {
	for i := range r.Headers {
		if equalFoldBoth(r.Headers[i].Name, name) {
			return r.Headers[i].Value
		}
	}
	return nil
}

// HasBody reports whether a body follows the head: chunked, or a positive
// Content-Length.
func (r *Request) HasBody() bool { return r.Chunked || r.ContentLength > 0 }

// equalFoldBoth compares a and b ignoring ASCII case on both sides.
func equalFoldBoth(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// headState collects what the field lines say about framing and
// persistence until the whole head has been seen.
type headState struct {
	hosts          int
	clSeen         bool
	teSeen         bool
	teLastChunked  bool // the last coding seen so far is chunked
	chunkedNotLast bool // a chunked coding was followed by another coding
	teOther        bool // a coding other than chunked was seen
	connClose      bool
	connKeepAlive  bool
	expect100      bool
}

// ParseHead parses the request head at the start of buf into r and returns
// the number of bytes it occupies (also stored in r.HeadLen); the body, or
// the next pipelined request, starts at buf[n:]. A nil lim means
// [DefaultLimits].
//
// When buf holds only part of a head, ParseHead returns (0, [ErrNeedMore]),
// unless the part already breaks a limit: a request line longer than
// MaxRequestLine (414), a field section longer than MaxHeaderBytes or with
// more than MaxHeaders lines (431), or a method with a byte that is not a
// token character (400, so that for example a TLS handshake is refused on its
// first bytes). Those checks come first for a complete head too, so however
// buf grows, every result other than ErrNeedMore equals the result for the
// complete input. All other rules (see the package documentation) are
// applied once the empty line that ends the head is present. Errors are
// [*Error] values with the status to answer.
//
// The caller may call ParseHead again on the grown buffer after each read:
// until the head is complete a call only looks for line ends with
// [bytes.IndexByte], within the limits, so a head trickling in costs little. With pipelining, the next head starts
// after this one's body.
//
// ParseHead does not allocate once r.Headers has grown to the number of
// fields of the requests seen. On error the fields of r are unspecified.
func ParseHead(buf []byte, lim *Limits, r *Request) (n int, err error) {
	r.Reset()
	l := lim.resolved()

	// RFC 9112 2.2: ignore at least one empty line before the request line.
	// We ignore exactly one; a second one fails as an empty method.
	i := 0
	if len(buf) > 0 {
		switch buf[0] {
		case '\n':
			i = 1
		case '\r':
			if len(buf) == 1 {
				return 0, ErrNeedMore
			}
			if buf[1] == '\n' {
				i = 2
			}
		}
	}

	// Phase 1, framing: find the end of the head and check the limits,
	// looking only for line ends (bytes.IndexByte, vectorized), so that
	// calling again after each read of a slowly arriving head stays cheap,
	// and never scanning past the limits. The method is also checked here, over the
	// same bytes whether or not its line is complete, so that garbage such
	// as a TLS handshake is refused at once. Phase 1 reads the bytes in
	// order and stops at the first limit broken, so it gives the same answer
	// on a prefix as on the complete head, and phase 2 only runs once the
	// head is complete: hence the prefix guarantee documented above.
	start := i
	lineMax := min(len(buf), start+l.MaxRequestLine+2) // room for CRLF
	lf := bytes.IndexByte(buf[start:lineMax], '\n')
	scanEnd := lineMax
	if lf >= 0 {
		scanEnd = start + lf
	}
	for _, b := range buf[start:scanEnd] {
		if b == ' ' {
			break
		}
		if !isTchar(b) {
			return 0, errMethod
		}
	}
	if lf < 0 {
		if len(buf)-start > l.MaxRequestLine+1 {
			return 0, errURITooLong
		}
		return 0, ErrNeedMore
	}
	lineEnd := start + lf // index of the LF
	line := buf[start:lineEnd]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > l.MaxRequestLine {
		return 0, errURITooLong
	}
	// The field section ends with an empty line. Walk its lines up to
	// MaxHeaderBytes, counting them.
	hs := lineEnd + 1 // start of the field section
	winEnd := min(len(buf), hs+l.MaxHeaderBytes)
	headEnd := 0
	for pos, fields := hs, 0; ; fields++ {
		lf := bytes.IndexByte(buf[pos:winEnd], '\n')
		if lf < 0 {
			if len(buf)-hs > l.MaxHeaderBytes {
				return 0, errHeadTooLarge
			}
			return 0, ErrNeedMore
		}
		if lf == 0 || lf == 1 && buf[pos] == '\r' {
			headEnd = pos + lf + 1
			break
		}
		if fields == l.MaxHeaders {
			return 0, errTooManyFields
		}
		pos += lf + 1
	}

	// Phase 2, syntax: the request line, then the field lines in order
	// (RFC 9112 sections 3 and 5).
	authority, err := parseRequestLine(line, r)
	if err != nil {
		return 0, err
	}
	var st headState
	for pos := hs; ; {
		if b := buf[pos]; b == '\n' || b == '\r' && buf[pos+1] == '\n' {
			break // the empty line, at headEnd
		}
		next, err := parseField(buf, pos, r, &st)
		if err != nil {
			if err == errObsFold && pos == hs {
				err = errLeadingWS // RFC 9112 2.2
			}
			return 0, err
		}
		pos = next
	}

	// Whole-head rules.
	if st.hosts == 0 && r.ProtoMinor == 1 {
		return 0, errNoHost // RFC 9112 3.2
	}
	if authority != nil {
		r.Host = authority // RFC 9112 3.2.2
	}
	if st.teSeen { // RFC 9112 6.1 and 6.3
		switch {
		case r.ProtoMinor == 0:
			return 0, errTEHTTP10
		case st.clSeen:
			return 0, errTEAndCL
		case st.chunkedNotLast:
			return 0, errChunkedNotEnd
		case st.teOther || !st.teLastChunked:
			return 0, errTEUnsupported
		}
		r.Chunked = true
	} else if r.ContentLength > l.MaxBodyBytes {
		return 0, errBodyTooLarge
	}
	if r.ProtoMinor == 1 {
		r.KeepAlive = !st.connClose
		r.ExpectContinue = st.expect100
	} else {
		r.KeepAlive = st.connKeepAlive && !st.connClose
	}
	if string(r.Method) == "CONNECT" {
		r.CloseAfter = true
		r.KeepAlive = false
	}
	r.HeadLen = headEnd
	return headEnd, nil
}

// parseRequestLine parses "method SP request-target SP HTTP-version" (the
// line without its terminator; its method bytes are already known to be
// tchar). It returns the authority of an absolute-form target, else nil.
func parseRequestLine(line []byte, r *Request) (authority []byte, err error) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return nil, errRequestLine
	}
	if sp == 0 {
		return nil, errMethod
	}
	r.Method = line[:sp]
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return nil, errRequestLine
	}
	target, proto := rest[:sp], rest[sp+1:]

	// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3), case-sensitive.
	if len(proto) != 8 || string(proto[:5]) != "HTTP/" || !isDigit(proto[5]) ||
		proto[6] != '.' || !isDigit(proto[7]) {
		return nil, errVersion
	}
	if proto[5] != '1' || proto[7] > '1' {
		return nil, errVersionNotSup
	}
	r.Proto = proto
	r.ProtoMinor = int(proto[7] - '0')

	if len(target) == 0 || !allClass(target, cTarget) {
		return nil, errTarget
	}
	r.Target = target
	connect := string(r.Method) == "CONNECT"
	switch {
	case target[0] == '/': // origin-form
		if connect {
			return nil, errTargetForm
		}
		r.Path, r.Query = splitQuery(target)
	case len(target) == 1 && target[0] == '*': // asterisk-form
		if string(r.Method) != "OPTIONS" {
			return nil, errTargetForm
		}
		r.Path = target
	case connect: // authority-form
		if !validAuthorityForm(target) {
			return nil, errTarget
		}
	default: // absolute-form
		return parseAbsolute(target, r)
	}
	return nil, nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func splitQuery(t []byte) (path, query []byte) {
	if q := bytes.IndexByte(t, '?'); q >= 0 {
		return t[:q], t[q+1:]
	}
	return t, nil
}

// validAuthorityForm checks a CONNECT target: uri-host ":" port, port
// required (RFC 9112 3.2.3, RFC 9110 9.3.6).
func validAuthorityForm(t []byte) bool {
	c := bytes.LastIndexByte(t, ':')
	if c <= 0 || c == len(t)-1 {
		return false
	}
	for _, b := range t[c+1:] {
		if !isDigit(b) {
			return false
		}
	}
	host := t[:c]
	if host[0] == '[' {
		if host[len(host)-1] != ']' {
			return false
		}
	} else if bytes.IndexByte(host, ':') >= 0 {
		return false
	}
	return validHost(host)
}

// validHost checks a uri-host with optional port (the Host field or an
// authority, RFC 3986 3.2.2 and 3.2.3): reg-name or IPv4 characters, or an
// IP-literal in brackets, then optionally ":" and digits; no userinfo.
func validHost(h []byte) bool {
	if !allClass(h, cHost) {
		return false
	}
	var port []byte
	if len(h) > 0 && h[0] == '[' {
		e := bytes.IndexByte(h, ']')
		if e < 0 || bytes.IndexByte(h[1:e], '[') >= 0 {
			return false
		}
		if rest := h[e+1:]; len(rest) > 0 {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
		}
	} else {
		if bytes.IndexByte(h, '[') >= 0 || bytes.IndexByte(h, ']') >= 0 {
			return false
		}
		if c := bytes.IndexByte(h, ':'); c >= 0 {
			port = h[c+1:]
		}
	}
	for _, b := range port {
		if !isDigit(b) {
			return false
		}
	}
	return true
}

// parseAbsolute parses an absolute-form target: scheme "://" authority
// [path] ["?" query] (RFC 9112 3.2.2).
func parseAbsolute(t []byte, r *Request) ([]byte, error) {
	i := 0
	for i < len(t) && t[i] != ':' {
		b := t[i]
		alpha := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
		if !alpha && (i == 0 || !isDigit(b) && b != '+' && b != '-' && b != '.') {
			return nil, errTarget
		}
		i++
	}
	if i == 0 || len(t)-i < 3 || t[i+1] != '/' || t[i+2] != '/' {
		return nil, errTarget
	}
	rest := t[i+3:]
	a := len(rest)
	for j, b := range rest {
		if b == '/' || b == '?' {
			a = j
			break
		}
	}
	auth := rest[:a]
	if len(auth) == 0 || !validHost(auth) {
		return nil, errTarget
	}
	r.Path, r.Query = splitQuery(rest[a:])
	return auth, nil
}

// parseField parses the field line at buf[pos:] and applies the fields that
// matter to framing. It returns the start of the next line. Phase 1 has made
// sure an LF follows pos, so the scans stop.
func parseField(buf []byte, pos int, r *Request, st *headState) (next int, err error) {
	if b := buf[pos]; b == ' ' || b == '\t' {
		return 0, errObsFold // RFC 9112 5.2 (or 2.2 for the first line)
	}
	j := pos
	for ; buf[j] != ':'; j++ {
		if b := buf[j]; !isTchar(b) {
			switch b {
			case ' ', '\t':
				return 0, errSpaceColon // RFC 9112 5.1
			case '\n':
				return 0, errNoColon
			case '\r':
				if buf[j+1] == '\n' {
					return 0, errNoColon
				}
				return 0, errBareCR
			}
			return 0, errFieldName
		}
	}
	if j == pos {
		return 0, errFieldName
	}
	name := buf[pos:j]
	vs := j + 1
	k := skipVchar8(buf, vs)
	for {
		b := buf[k]
		if charClass[b]&cVchar != 0 {
			k++
			continue
		}
		if b == '\n' {
			next = k + 1
			break
		}
		if b == '\r' && buf[k+1] == '\n' {
			next = k + 2
			break
		}
		if b == '\r' {
			return 0, errBareCR
		}
		return 0, errFieldValue
	}
	value := trimOWS(buf[vs:k])

	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			st.hosts++
			if st.hosts > 1 {
				return 0, errDupHost
			}
			if !validHost(value) {
				return 0, errBadHost
			}
			r.Host = value
		}
	case 6:
		if equalFold(name, "expect") {
			for list := value; ; {
				m, rest, more := cutMember(list)
				if equalFold(m, "100-continue") {
					st.expect100 = true
				}
				if !more {
					break
				}
				list = rest
			}
		}
	case 10:
		if equalFold(name, "connection") {
			for list := value; ; {
				m, rest, more := cutMember(list)
				if equalFold(m, "close") {
					st.connClose = true
				} else if equalFold(m, "keep-alive") {
					st.connKeepAlive = true
				}
				if !more {
					break
				}
				list = rest
			}
		}
	case 12:
		if equalFold(name, "content-type") && r.ContentType == nil {
			r.ContentType = value
		}
	case 14:
		if equalFold(name, "content-length") {
			if err := parseContentLength(value, r); err != nil {
				return 0, err
			}
			st.clSeen = true
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			st.teSeen = true
			for list := value; ; {
				m, rest, more := cutMember(list)
				if !validToken(m) {
					return 0, errTESyntax
				}
				if st.teLastChunked {
					st.chunkedNotLast = true
				}
				st.teLastChunked = equalFold(m, "chunked")
				if !st.teLastChunked {
					st.teOther = true
				}
				if !more {
					break
				}
				list = rest
			}
		}
	}
	r.Headers = append(r.Headers, Header{Name: name, Value: value})
	return next, nil
}

// skipVchar8 advances k over whole 8-byte words of buf that hold only
// field-value bytes other than HTAB (no byte below 0x20, no DEL), testing a
// word at a time (SWAR); the caller checks the remaining bytes one by one.
func skipVchar8(buf []byte, k int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for k+8 <= len(buf) {
		x := binary.LittleEndian.Uint64(buf[k:])
		below := (x - 0x20*ones) &^ x & highs // some byte < 0x20
		d := x ^ 0x7f*ones
		del := (d - ones) &^ d & highs // some byte == 0x7f
		if below|del != 0 {
			break
		}
		k += 8
	}
	return k
}

// parseContentLength parses a Content-Length value, which may be a list of
// identical values ("5, 5", RFC 9112 6.3 item 5), and checks it against any
// earlier Content-Length field.
func parseContentLength(v []byte, r *Request) error {
	for list := v; ; {
		m, rest, more := cutMember(list)
		if len(m) == 0 {
			return errContentLength
		}
		var n int64
		for _, b := range m {
			if !isDigit(b) {
				return errContentLength
			}
			d := int64(b - '0')
			if n > (1<<63-1-d)/10 {
				return errContentLength
			}
			n = n*10 + d
		}
		if r.ContentLength >= 0 && n != r.ContentLength {
			return errCLMismatch
		}
		r.ContentLength = n
		if !more {
			return nil
		}
		list = rest
	}
}
