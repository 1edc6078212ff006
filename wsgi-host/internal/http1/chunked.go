package http1

import "io"

// MaxChunkLine bounds a chunk-size line: the hexadecimal size, any chunk
// extensions and the CR, not counting the LF. Longer lines get 400.
const MaxChunkLine = 4096

// Decoder states.
const (
	csSize     = iota // start of a chunk-size line: at least one HEXDIG
	csSizeMore        // more HEXDIG, BWS, ';' or CR
	csExtWS           // BWS after the size, before ';' or CR
	csExt             // inside chunk extensions, until CR
	csSizeLF          // LF ending the chunk-size line
	csData            // chunk data
	csDataCR          // CR after chunk data
	csDataLF          // LF after chunk data
	csTrailer         // start of a trailer line, or the final CR
	csTrName          // trailer field name
	csTrValue         // trailer field value, until CR
	csTrLF            // LF ending a trailer line
	csEndLF           // LF of the final empty line
	csDone            // body complete
	csError           // sticky error
)

// ChunkedDecoder decodes a request body in the chunked transfer coding (RFC
// 9112 section 7.1) without copying or allocating. It is a byte-at-a-time
// state machine: every byte handed to [ChunkedDecoder.Decode] is consumed and
// remembered in the decoder's state, so the caller never has to keep
// undecoded input around, whatever way the body is split across reads.
//
// Chunk extensions are checked for characters, bounded by [MaxChunkLine] and
// ignored; trailer fields are checked, bounded by Limits.MaxHeaderBytes and
// skipped. Unlike the head, the chunked framing requires CRLF line endings:
// a bare LF is an error, because a disagreement about line ends inside a
// body is a known request-smuggling vector.
//
// The zero value is ready to use with [DefaultLimits]; call
// [ChunkedDecoder.Reset] to reuse a decoder or to set limits.
type ChunkedDecoder struct {
	state    uint8
	lineLen  int   // bytes of the current size line
	size     int64 // size being parsed, then bytes left in the current chunk
	total    int64 // body bytes decoded so far
	trailer  int   // trailer section bytes so far
	maxBody  int64 // 0: DefaultMaxBodyBytes
	maxTrail int   // 0: DefaultMaxHeaderBytes
	err      *Error
}

// Reset prepares d for a new body under lim (nil means [DefaultLimits]):
// MaxBodyBytes bounds the decoded body (413) and MaxHeaderBytes the trailer
// section (431).
func (d *ChunkedDecoder) Reset(lim *Limits) {
	l := lim.resolved()
	*d = ChunkedDecoder{maxBody: l.MaxBodyBytes, maxTrail: l.MaxHeaderBytes}
}

// Done reports whether the whole body, trailers included, has been decoded.
func (d *ChunkedDecoder) Done() bool { return d.state == csDone }

// BodyLen returns the number of body bytes decoded so far.
func (d *ChunkedDecoder) BodyLen() int64 { return d.total }

func (d *ChunkedDecoder) fail(e *Error) *Error {
	d.state = csError
	d.err = e
	return e
}

// Decode consumes chunked framing from the start of buf up to the next run of
// body bytes, which it returns as data, a sub-slice of buf (not copied). n is
// the number of bytes of buf consumed, framing and data included; the caller
// continues with buf[n:].
//
// Decode returns after the first run of data, or when buf is used up (n ==
// len(buf), data empty: read more), or at the end of the body, when it
// returns io.EOF (n then covers the last chunk and trailer section; bytes
// after it belong to the next request). Data is empty whenever err is not
// nil. Protocol errors are [*Error] values: 400 for bad framing or a chunk
// size that overflows, 413 when the body grows past MaxBodyBytes (checked as
// soon as a chunk size is known), 431 for an oversize trailer section. After
// io.EOF or an error, Decode keeps returning it and consumes nothing.
func (d *ChunkedDecoder) Decode(buf []byte) (data []byte, n int, err error) {
	if d.maxBody == 0 {
		d.maxBody = DefaultMaxBodyBytes
	}
	if d.maxTrail == 0 {
		d.maxTrail = DefaultMaxHeaderBytes
	}
	i := 0
	for i < len(buf) {
		switch d.state {
		case csData:
			take := len(buf) - i
			if int64(take) > d.size {
				take = int(d.size)
			}
			d.size -= int64(take)
			d.total += int64(take)
			if d.size == 0 {
				d.state = csDataCR
			}
			return buf[i : i+take], i + take, nil
		case csDone:
			return nil, i, io.EOF
		case csError:
			return nil, i, d.err
		}

		b := buf[i]
		i++
		switch d.state {
		case csSize, csSizeMore:
			d.lineLen++
			if d.lineLen > MaxChunkLine {
				return nil, i, d.fail(errChunkLineLong)
			}
			if charClass[b]&cHex != 0 {
				if d.size >= 1<<59 { // size*16 + 15 would overflow int64
					return nil, i, d.fail(errChunkOverflow)
				}
				d.size = d.size<<4 | int64(unhex(b))
				d.state = csSizeMore
				continue
			}
			if d.state == csSize {
				return nil, i, d.fail(errChunkSize)
			}
			switch b {
			case '\r':
				d.state = csSizeLF
			case ' ', '\t':
				d.state = csExtWS
			case ';':
				d.state = csExt
			default:
				return nil, i, d.fail(errChunkSize)
			}
			if d.size > d.maxBody-d.total {
				return nil, i, d.fail(errBodyTooLarge)
			}
		case csExtWS, csExt:
			d.lineLen++
			if d.lineLen > MaxChunkLine {
				return nil, i, d.fail(errChunkLineLong)
			}
			switch {
			case b == '\r':
				d.state = csSizeLF
			case d.state == csExtWS && b == ';':
				d.state = csExt
			case d.state == csExtWS && (b == ' ' || b == '\t'):
			case d.state == csExt && charClass[b]&cVchar != 0:
			default:
				return nil, i, d.fail(errChunkExt)
			}
		case csSizeLF:
			if b != '\n' {
				return nil, i, d.fail(errChunkLineEnd)
			}
			d.lineLen = 0
			if d.size == 0 {
				d.state = csTrailer
			} else {
				d.state = csData
			}
		case csDataCR:
			if b != '\r' {
				return nil, i, d.fail(errChunkCRLF)
			}
			d.state = csDataLF
		case csDataLF:
			if b != '\n' {
				return nil, i, d.fail(errChunkCRLF)
			}
			d.state = csSize
		default: // trailer section
			d.trailer++
			if d.trailer > d.maxTrail {
				return nil, i, d.fail(errTrailerTooLong)
			}
			switch d.state {
			case csTrailer:
				switch {
				case b == '\r':
					d.state = csEndLF
				case isTchar(b):
					d.state = csTrName
				default:
					return nil, i, d.fail(errTrailer)
				}
			case csTrName:
				switch {
				case b == ':':
					d.state = csTrValue
				case !isTchar(b):
					return nil, i, d.fail(errTrailer)
				}
			case csTrValue:
				switch {
				case b == '\r':
					d.state = csTrLF
				case charClass[b]&cVchar == 0:
					return nil, i, d.fail(errTrailer)
				}
			case csTrLF:
				if b != '\n' {
					return nil, i, d.fail(errTrailer)
				}
				d.state = csTrailer
			case csEndLF:
				if b != '\n' {
					return nil, i, d.fail(errTrailer)
				}
				d.state = csDone
				return nil, i, io.EOF
			}
		}
	}
	switch d.state {
	case csDone:
		return nil, i, io.EOF
	case csError:
		return nil, i, d.err
	}
	return nil, i, nil
}
