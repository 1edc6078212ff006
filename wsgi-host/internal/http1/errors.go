package http1

import (
	"errors"
	"strconv"
)

// Limits bounds what a single request may make the server buffer or accept.
// A zero or negative field means the corresponding [DefaultLimits] value.
type Limits struct {
	// MaxRequestLine is the longest request line accepted, in bytes, not
	// counting its line terminator. Longer lines get 414 (URI Too Long).
	MaxRequestLine int
	// MaxHeaderBytes bounds the field section: every byte after the request
	// line up to and including the empty line that ends the head. It also
	// bounds the trailer section of a chunked body. Exceeding it gets 431
	// (Request Header Fields Too Large).
	MaxHeaderBytes int
	// MaxHeaders is the largest number of field lines in a head. More get
	// 431.
	MaxHeaders int
	// MaxBodyBytes is the largest request body, declared by Content-Length or
	// decoded from chunks. Larger bodies get 413 (Content Too Large).
	MaxBodyBytes int64
}

// Default values of [Limits].
const (
	DefaultMaxRequestLine = 8 << 10
	DefaultMaxHeaderBytes = 16 << 10
	DefaultMaxHeaders     = 100
	DefaultMaxBodyBytes   = 1 << 20
)

// DefaultLimits returns the default limits: an 8 KiB request line, a 16 KiB
// field section, 100 fields and a 1 MiB body.
func DefaultLimits() Limits {
	return Limits{
		MaxRequestLine: DefaultMaxRequestLine,
		MaxHeaderBytes: DefaultMaxHeaderBytes,
		MaxHeaders:     DefaultMaxHeaders,
		MaxBodyBytes:   DefaultMaxBodyBytes,
	}
}

// resolved returns l with defaults filled in; a nil l is DefaultLimits.
func (l *Limits) resolved() Limits {
	if l == nil {
		return DefaultLimits()
	}
	r := *l
	if r.MaxRequestLine <= 0 {
		r.MaxRequestLine = DefaultMaxRequestLine
	}
	if r.MaxHeaderBytes <= 0 {
		r.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if r.MaxHeaders <= 0 {
		r.MaxHeaders = DefaultMaxHeaders
	}
	if r.MaxBodyBytes <= 0 {
		r.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return r
}

// MaxHeadLen is the longest head [ParseHead] can accept under l (a nil l
// means [DefaultLimits]): one leading empty line, the request line with its
// CRLF and the field section. A read buffer of this size always suffices to
// either parse a head or get its error.
func (l *Limits) MaxHeadLen() int {
	r := l.resolved()
	return 2 + r.MaxRequestLine + 2 + r.MaxHeaderBytes
}

// ErrNeedMore is returned by [ParseHead] when buf holds only the beginning of
// a head and no limit is exceeded yet: read more bytes, append them and call
// again.
var ErrNeedMore = errors.New("http1: incomplete request head")

// Error is a protocol error in the peer's bytes. Status is the HTTP status
// code the server should answer with (after which it should close the
// connection, since the message framing can no longer be trusted) and Reason
// a short description for logs.
//
// The package returns shared, preallocated *Error values: compare them by
// Status, and never modify them.
type Error struct {
	Status int
	Reason string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "http1: " + strconv.Itoa(e.Status) + " " + e.Reason
}

func newErr(status int, reason string) *Error { return &Error{Status: status, Reason: reason} }

// Errors of ParseHead, ChunkedDecoder and AppendUnescapePath. They are
// unexported so that callers switch on Status, not on identity.
var (
	errLeadingWS     = newErr(400, "whitespace before the first field line")
	errBareCR        = newErr(400, "bare CR")
	errMethod        = newErr(400, "invalid method")
	errRequestLine   = newErr(400, "malformed request line")
	errVersion       = newErr(400, "malformed HTTP version")
	errVersionNotSup = newErr(505, "HTTP version not supported")
	errTarget        = newErr(400, "invalid request target")
	errTargetForm    = newErr(400, "request target form not allowed for method")
	errURITooLong    = newErr(414, "request line too long")
	errHeadTooLarge  = newErr(431, "header section too large")
	errTooManyFields = newErr(431, "too many header fields")
	errObsFold       = newErr(400, "obsolete line folding")
	errNoColon       = newErr(400, "field line without colon")
	errFieldName     = newErr(400, "invalid field name")
	errSpaceColon    = newErr(400, "whitespace in field name or before colon")
	errFieldValue    = newErr(400, "invalid character in field value")
	errNoHost        = newErr(400, "missing Host")
	errDupHost       = newErr(400, "more than one Host")
	errBadHost       = newErr(400, "invalid Host")
	errContentLength = newErr(400, "invalid Content-Length")
	errCLMismatch    = newErr(400, "differing Content-Length values")
	errTEAndCL       = newErr(400, "both Transfer-Encoding and Content-Length")
	errTEHTTP10      = newErr(400, "Transfer-Encoding in HTTP/1.0")
	errTESyntax      = newErr(400, "malformed Transfer-Encoding")
	errChunkedNotEnd = newErr(400, "chunked is not the final transfer coding")
	errTEUnsupported = newErr(501, "unsupported transfer coding")
	errBodyTooLarge  = newErr(413, "request body too large")

	errChunkSize      = newErr(400, "invalid chunk size")
	errChunkOverflow  = newErr(400, "chunk size overflows")
	errChunkExt       = newErr(400, "invalid chunk extension")
	errChunkLineLong  = newErr(400, "chunk size line too long")
	errChunkCRLF      = newErr(400, "missing CRLF after chunk data")
	errChunkLineEnd   = newErr(400, "chunk size line not ended by CRLF")
	errTrailer        = newErr(400, "invalid trailer field")
	errTrailerTooLong = newErr(431, "trailer section too large")

	errEscape  = newErr(400, "invalid percent-encoding in path")
	errNULPath = newErr(400, "NUL in decoded path")
)
