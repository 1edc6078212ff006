package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"testing"
)

// fuzzLimits picks limits from a fuzzer byte, so that the limit paths are
// reachable with small inputs.
func fuzzLimits(sel uint8) *Limits {
	switch sel % 3 {
	case 0:
		return nil
	case 1:
		return &Limits{MaxRequestLine: 24, MaxHeaderBytes: 48, MaxHeaders: 3, MaxBodyBytes: 9}
	default:
		return &Limits{MaxRequestLine: 1, MaxHeaderBytes: 1, MaxHeaders: 1, MaxBodyBytes: 1}
	}
}

// within reports whether s is a sub-slice of buf[:n] (or empty).
func within(buf []byte, n int, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	off := cap(buf) - cap(s)
	return off >= 0 && off+len(s) <= n && &buf[off] == &s[0]
}

func FuzzParseHead(f *testing.F) {
	for _, tc := range headCases() {
		f.Add([]byte(tc.raw), uint8(0))
		f.Add([]byte(tc.raw), uint8(1))
	}
	for _, h := range benchHeads {
		f.Add([]byte(h.raw), uint8(0))
	}
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: h\r\n\r\n"), uint8(0))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint8(2))

	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		lim := fuzzLimits(sel)
		l := lim.resolved()
		var r Request
		n, err := ParseHead(data, lim, &r)
		if n < 0 || n > len(data) {
			t.Fatalf("n = %d, len %d", n, len(data))
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			var e *Error
			if err != ErrNeedMore && !errors.As(err, &e) {
				t.Fatalf("error of type %T", err)
			}
			if e != nil {
				switch e.Status {
				case 400, 413, 414, 431, 501, 505:
				default:
					t.Fatalf("status %d", e.Status)
				}
			}
		} else {
			checkParsed(t, data, n, &r, &l)
			// The head alone parses the same.
			var r2 Request
			if n2, err2 := ParseHead(data[:n:n], lim, &r2); n2 != n || err2 != nil {
				t.Fatalf("head alone: %d, %v; want %d", n2, err2, n)
			}
			differential(t, data[:n], &r)
		}

		// Fed byte by byte, every prefix answers ErrNeedMore or the whole
		// input's answer (an error found early, or the same head). Long inputs
		// are sampled to keep this quadratic check fast.
		step := 1
		if len(data) > 2048 {
			step = len(data) / 512
		}
		for k := 0; k < len(data); k += step {
			var rk Request
			nk, errk := ParseHead(data[:k:k], lim, &rk)
			if errk == ErrNeedMore {
				if nk != 0 {
					t.Fatalf("prefix %d: n = %d with ErrNeedMore", k, nk)
				}
				continue
			}
			if nk != n || errk != err {
				t.Fatalf("prefix %d: %d, %v; whole: %d, %v", k, nk, errk, n, err)
			}
		}
	})
}

func checkParsed(t *testing.T, data []byte, n int, r *Request, l *Limits) {
	t.Helper()
	if r.HeadLen != n || data[n-1] != '\n' {
		t.Fatalf("HeadLen %d, n %d, last byte %q", r.HeadLen, n, data[n-1])
	}
	for _, s := range [][]byte{r.Method, r.Target, r.Path, r.Query, r.Proto, r.Host, r.ContentType} {
		if !within(data, n, s) {
			t.Fatalf("field %q is not a sub-slice of the head", s)
		}
	}
	if !validToken(r.Method) || len(r.Target) == 0 {
		t.Fatalf("method %q target %q", r.Method, r.Target)
	}
	if string(r.Proto) != "HTTP/1.0" && string(r.Proto) != "HTTP/1.1" || int(r.Proto[7]-'0') != r.ProtoMinor {
		t.Fatalf("proto %q minor %d", r.Proto, r.ProtoMinor)
	}
	if len(r.Headers) > l.MaxHeaders {
		t.Fatalf("%d headers", len(r.Headers))
	}
	for _, h := range r.Headers {
		if !within(data, n, h.Name) || !within(data, n, h.Value) {
			t.Fatalf("header %q: %q not in the head", h.Name, h.Value)
		}
		if !ValidHeaderName(h.Name) || !ValidHeaderValue(h.Value) || !bytes.Equal(trimOWS(h.Value), h.Value) {
			t.Fatalf("header %q: %q", h.Name, h.Value)
		}
	}
	if r.Chunked && r.ContentLength != -1 || r.ContentLength > l.MaxBodyBytes || r.ContentLength < -1 {
		t.Fatalf("chunked %v, content-length %d", r.Chunked, r.ContentLength)
	}
	if r.Chunked && r.ProtoMinor == 0 || r.ExpectContinue && r.ProtoMinor == 0 || r.CloseAfter && r.KeepAlive {
		t.Fatalf("chunked %v expect %v close-after %v keep-alive %v on %q", r.Chunked, r.ExpectContinue, r.CloseAfter, r.KeepAlive, r.Proto)
	}
	if r.ProtoMinor == 1 && r.Get("Host") == nil {
		t.Fatal("HTTP/1.1 without Host accepted")
	}
}

// differential checks a head we accepted against net/http: when net/http
// accepts it too, the two must agree on what matters for framing.
func differential(t *testing.T, head []byte, r *Request) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return // we are stricter in places and laxer in others (e.g. bare LF); no verdict
	}
	if req.Method != string(r.Method) || req.RequestURI != string(r.Target) || req.ProtoMinor != r.ProtoMinor {
		t.Fatalf("net/http: %s %s 1.%d; we: %s %s %d", req.Method, req.RequestURI, req.ProtoMinor, r.Method, r.Target, r.ProtoMinor)
	}
	chunked := len(req.TransferEncoding) > 0
	if chunked != r.Chunked {
		t.Fatalf("net/http chunked %v, we %v", chunked, r.Chunked)
	}
	if !r.Chunked {
		cl := max(r.ContentLength, 0)
		if req.ContentLength != cl {
			t.Fatalf("net/http content-length %d, we %d", req.ContentLength, r.ContentLength)
		}
	}
	if string(r.Method) != "CONNECT" && req.Close == r.KeepAlive {
		t.Fatalf("net/http close %v, we keep-alive %v", req.Close, r.KeepAlive)
	}
}

func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		"0005;a=b\r\nhello\r\n0;x\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n",
		"5 ; a=\"b\"\r\nhello\r\n0\r\n\r\n",
		"ffffffffffffffffff\r\n",
		"100001\r\n",
		"5\nhello\n0\n\n",
		"0\r\nBad Name: x\r\n\r\n",
		"0\r\n\r\r",
		"3\r\nabc\r\n",
		string(AppendLastChunk(AppendChunk(nil, bytes.Repeat([]byte("x"), 300)))),
	} {
		f.Add([]byte(s), uint8(0), uint8(1))
		f.Add([]byte(s), uint8(1), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, sel, split uint8) {
		lim := fuzzLimits(sel)
		body, n, err := decodeAll(t, data, lim, 0)
		if n > len(data) {
			t.Fatalf("consumed %d of %d", n, len(data))
		}
		if err == nil && n != len(data) {
			t.Fatalf("no error, consumed %d of %d", n, len(data))
		}
		var e *Error
		if err != nil && err != io.EOF && !errors.As(err, &e) {
			t.Fatalf("error of type %T", err)
		}
		l := lim.resolved()
		if int64(len(body)) > l.MaxBodyBytes {
			t.Fatalf("body %d > limit", len(body))
		}
		for _, step := range []int{1, int(split) + 1} {
			body2, n2, err2 := decodeAll(t, data, lim, step)
			if !bytes.Equal(body, body2) || n != n2 || err != err2 {
				t.Fatalf("step %d: %d bytes, n=%d, %v; all at once: %d bytes, n=%d, %v",
					step, len(body2), n2, err2, len(body), n, err)
			}
		}
		if err == io.EOF {
			// net/http's decoder, when it accepts the body, gets the same bytes.
			std, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data[:n])))
			if err == nil && !bytes.Equal(std, body) {
				t.Fatalf("net/http decoded %q, we %q", std, body)
			}
		}
	})
}
