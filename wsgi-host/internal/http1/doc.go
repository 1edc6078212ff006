// Package http1 is the HTTP/1.1 wire layer of the wsgi-host gateway: an
// incremental, allocation-free request-head parser, a chunked body decoder and
// helpers that append response heads and chunked framing to byte slices.
//
// The package never reads or writes a connection. The server, running on an
// event loop, reads whatever bytes a non-blocking socket has into its own
// buffer and hands that buffer to [ParseHead]; until a complete head is
// present ParseHead answers [ErrNeedMore] (after checking that the limits are
// not already exceeded), so it may be called again after each read. The parsed
// [Request] holds sub-slices of the caller's buffer; nothing is copied, and
// the buffer must not be reused while the Request is in use.
//
// Every error that concerns the peer's bytes is an [*Error] carrying the
// status code the server should answer with before closing the connection
// (400, 413, 414, 431, 501 or 505). Errors are preallocated values, so even
// hostile input costs no allocation.
//
// The rules follow RFC 9112 (HTTP/1.1) and RFC 9110 (HTTP Semantics):
//
//   - Message format and line terminators, RFC 9112 section 2.1 and 2.2: CRLF
//     ends a line, a bare LF is accepted in the head, a bare CR is rejected,
//     at most one empty line before the request line is ignored, and
//     whitespace between the start line and the first field is rejected.
//   - Request line, RFC 9112 section 3: method SP request-target SP version,
//     separated by single spaces; the four target forms of section 3.2
//     (origin, absolute, authority for CONNECT, asterisk for OPTIONS); the
//     version syntax of section 2.3 (a well-formed version other than 1.0 or
//     1.1 is answered with 505).
//   - Host, RFC 9112 section 3.2 and 3.2.2: an HTTP/1.1 request needs exactly
//     one valid Host field; an absolute-form target overrides it.
//   - Field syntax, RFC 9112 section 5 and RFC 9110 section 5.1, 5.5 and 5.6.2:
//     names are tokens, no whitespace before the colon, values have no control
//     characters other than HTAB, obs-fold (section 5.2) is rejected.
//   - Message body length, RFC 9112 section 6.1 and 6.3: Transfer-Encoding and
//     Content-Length together, Transfer-Encoding in HTTP/1.0, chunked not
//     final and unequal Content-Length values are rejected; codings other than
//     chunked get 501.
//   - Chunked transfer coding, RFC 9112 section 7.1: chunk size, extensions
//     (bounded, ignored) and trailer fields (bounded, skipped) by
//     [ChunkedDecoder]; [AppendChunk] and [AppendLastChunk] for responses.
//   - Persistence, RFC 9112 section 9.3: [Request.KeepAlive].
//   - Status line, RFC 9112 section 4: [AppendStatusLine].
//
// It also has the two gateway helpers of CGI (RFC 3875 section 4.1) and
// WSGI (PEP 3333): [AppendCGIKey] builds HTTP_* environ keys and flags names
// containing '_' so that they can be dropped (a client could otherwise smuggle
// a header that collides with a dash-named one), and [AppendUnescapePath]
// percent-decodes the path for PATH_INFO.
package http1
