package http1

import (
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
)

// decodeAll runs a decoder over in, split into pieces of at most step bytes
// (0: all at once). It returns the body, the bytes consumed and the final
// error (io.EOF at the end of the body, nil when the input ran out first).
func decodeAll(t testing.TB, in []byte, lim *Limits, step int) (body []byte, consumed int, err error) {
	var d ChunkedDecoder
	d.Reset(lim)
	for consumed < len(in) || step == 0 {
		end := len(in)
		if step > 0 && consumed+step < end {
			end = consumed + step
		}
		piece := in[consumed:end]
		for {
			data, n, e := d.Decode(piece)
			if n < 0 || n > len(piece) {
				t.Fatalf("n = %d for %d bytes", n, len(piece))
			}
			if len(data) > 0 {
				if e != nil {
					t.Fatalf("data with error %v", e)
				}
				// data must be the tail of the consumed bytes.
				if &piece[n-len(data)] != &data[0] {
					t.Fatalf("data is not buf[n-len(data):n]")
				}
			}
			body = append(body, data...)
			consumed += n
			piece = piece[n:]
			if e != nil {
				if e == io.EOF && !d.Done() {
					t.Fatalf("io.EOF but not Done")
				}
				if d.BodyLen() != int64(len(body)) {
					t.Fatalf("BodyLen %d, decoded %d", d.BodyLen(), len(body))
				}
				// Sticky.
				if _, n2, e2 := d.Decode([]byte("5\r\n")); n2 != 0 || e2 != e {
					t.Fatalf("after %v: Decode = %d, %v", e, n2, e2)
				}
				return body, consumed, e
			}
			if len(piece) == 0 {
				break
			}
			if n == 0 {
				t.Fatalf("no progress with %d bytes left", len(piece))
			}
		}
		if step == 0 {
			break
		}
	}
	return body, consumed, nil
}

func TestChunkedTable(t *testing.T) {
	small := &Limits{MaxBodyBytes: 10, MaxHeaderBytes: 20}
	for _, tc := range []struct {
		name   string
		in     string
		lim    *Limits
		body   string
		status int // 0: io.EOF expected; -1: incomplete
		rest   string
	}{
		{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", body: "hello"},
		{name: "two chunks", in: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", body: "hello world"},
		{name: "empty body", in: "0\r\n\r\n", body: ""},
		{name: "hex upper", in: "A\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"},
		{name: "hex lower", in: "a\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"},
		{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", body: "hello"},
		{name: "extension", in: "5;name=val\r\nhello\r\n0;x\r\n\r\n", body: "hello"},
		{name: "extension quoted, BWS", in: "5 \t; a = \"b;c\" ;d\r\nhello\r\n0\r\n\r\n", body: "hello"},
		{name: "BWS only", in: "5 \r\nhello\r\n0\r\n\r\n", body: "hello"},
		{name: "trailers", in: "5\r\nhello\r\n0\r\nX-T: 1\r\nY:\r\n\r\n", body: "hello"},
		{name: "next request after body", in: "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", body: "x", rest: "GET / HTTP/1.1\r\n"},
		{name: "binary data", in: "4\r\n\r\n\x00\xff\r\n0\r\n\r\n", body: "\r\n\x00\xff"},
		{name: "at body limit", in: "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", lim: small, body: "helloworld"},
		{name: "trailer at limit", in: "0\r\nX: 1234567890123\r\n\r\n", lim: small, body: ""},

		{name: "incomplete size", in: "5", status: -1},
		{name: "incomplete data", in: "5\r\nhel", body: "hel", status: -1},
		{name: "incomplete trailer", in: "0\r\nX: 1\r\n", status: -1},
		{name: "missing final CRLF", in: "0\r\n", status: -1},

		{name: "not hex", in: "g\r\n", status: 400},
		{name: "empty size", in: "\r\nhello\r\n", status: 400},
		{name: "negative size", in: "-5\r\nhello\r\n", status: 400},
		{name: "0x prefix", in: "0x5\r\nhello\r\n", status: 400},
		{name: "space before size", in: " 5\r\nhello\r\n", status: 400},
		{name: "bare LF after size", in: "5\nhello\r\n0\r\n\r\n", status: 400},
		{name: "bare CR after size", in: "5\rhello\r\n", status: 400},
		{name: "data too long", in: "5\r\nhelloX\r\n0\r\n\r\n", body: "hello", status: 400},
		{name: "bare LF after data", in: "5\r\nhello\n0\r\n\r\n", body: "hello", status: 400},
		{name: "CR without LF after data", in: "5\r\nhello\rX", body: "hello", status: 400},
		{name: "hex overflow", in: "ffffffffffffffffff\r\n", status: 400},
		{name: "hex overflow 17 digits", in: "10000000000000000\r\n", status: 400},
		{name: "hex overflow beats limit", in: "8000000000000000\r\n", status: 400},
		{name: "size over body limit", in: "100001\r\n", status: 413},
		{name: "total over body limit", in: "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", lim: small, body: "hello ", status: 413},
		{name: "CTL in extension", in: "5;\x01\r\nhello\r\n", status: 400},
		{name: "LF in extension", in: "5;a\nhello\r\n", status: 400},
		{name: "garbage after BWS", in: "5 x\r\nhello\r\n", status: 400},
		{name: "extension too long", in: "5;" + strings.Repeat("a", MaxChunkLine) + "\r\nhello\r\n0\r\n\r\n", status: 400},
		{name: "leading zeros too long", in: strings.Repeat("0", MaxChunkLine+1) + "5\r\n", status: 400},
		{name: "bad trailer name", in: "0\r\nBad Name: x\r\n\r\n", status: 400},
		{name: "trailer without colon", in: "0\r\nX\r\n\r\n", status: 400},
		{name: "trailer obs-fold", in: "0\r\nX: 1\r\n 2\r\n\r\n", status: 400},
		{name: "trailer CTL", in: "0\r\nX: \x00\r\n\r\n", status: 400},
		{name: "trailer bare LF", in: "0\r\nX: 1\n\r\n", status: 400},
		{name: "final bare LF", in: "0\r\n\n", status: 400},
		{name: "final CR CR", in: "0\r\n\r\r", status: 400},
		{name: "trailer over limit", in: "0\r\nX: 12345678901234\r\n\r\n", lim: small, status: 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for _, step := range []int{0, 1, 2, 3, 7} {
				body, n, err := decodeAll(t, in, tc.lim, step)
				if string(body) != tc.body {
					t.Errorf("step %d: body %q, want %q", step, body, tc.body)
				}
				switch tc.status {
				case 0:
					if err != io.EOF {
						t.Fatalf("step %d: err %v, want io.EOF", step, err)
					}
					if string(in[n:]) != tc.rest {
						t.Errorf("step %d: rest %q, want %q", step, in[n:], tc.rest)
					}
				case -1:
					if err != nil || n != len(in) {
						t.Fatalf("step %d: %d, %v; want all consumed, no error", step, n, err)
					}
				default:
					if statusOf(err) != tc.status {
						t.Fatalf("step %d: err %v, want %d", step, err, tc.status)
					}
				}
			}
		})
	}
}

func TestChunkedZeroValue(t *testing.T) {
	var d ChunkedDecoder // zero value: default limits
	data, n, err := d.Decode([]byte("3\r\nabc\r\n"))
	if string(data) != "abc" || n != 6 || err != nil {
		t.Fatalf("Decode = %q, %d, %v", data, n, err)
	}
	if _, _, err := d.Decode([]byte("\r\n100001\r\n")); statusOf(err) != 413 {
		t.Fatalf("default body limit: %v", err)
	}
	d.Reset(nil)
	if d.Done() || d.BodyLen() != 0 {
		t.Fatal("Reset")
	}
	if _, _, err := d.Decode(nil); err != nil {
		t.Fatalf("empty input: %v", err)
	}
}

// TestChunkedRoundTrip encodes with AppendChunk and decodes with our decoder
// and with net/http's.
func TestChunkedRoundTrip(t *testing.T) {
	var want, enc []byte
	for i := range 300 {
		p := bytes.Repeat([]byte{byte(i)}, i*7%1000)
		want = append(want, p...)
		enc = AppendChunk(enc, p)
	}
	enc = AppendLastChunk(enc)
	got, n, err := decodeAll(t, enc, nil, 0)
	if err != io.EOF || n != len(enc) || !bytes.Equal(got, want) {
		t.Fatalf("decode: %d bytes, n=%d/%d, %v", len(got), n, len(enc), err)
	}
	std, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(enc)))
	if err != nil || !bytes.Equal(std, want) {
		t.Fatalf("net/http decode: %d bytes, %v", len(std), err)
	}
}
