package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"testing"
)

var benchHeads = []struct {
	name string
	raw  string
}{
	{"small", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"browser", "GET /static/app.js?v=1234567 HTTP/1.1\r\n" +
		"Host: www.example.com\r\n" +
		"Connection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
		"sec-ch-ua-platform: \"Linux\"\r\n" +
		"Accept: */*\r\n" +
		"Sec-Fetch-Site: same-origin\r\n" +
		"Sec-Fetch-Mode: no-cors\r\n" +
		"Sec-Fetch-Dest: script\r\n" +
		"Referer: https://www.example.com/index.html\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n" +
		"Cookie: session=0123456789abcdef0123456789abcdef; theme=dark; _ga=GA1.2.1234567890.1234567890\r\n" +
		"\r\n"},
	{"post", "POST /api/v1/items HTTP/1.1\r\n" +
		"Host: api.example.com\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Length: 42\r\n" +
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl\r\n" +
		"Accept: application/json\r\n" +
		"\r\n"},
}

// chunkedBody is a 64 KiB body in 4 KiB chunks with an extension and a trailer.
var chunkedBody = func() []byte {
	var b []byte
	for i := range 16 {
		b = AppendChunkHeader(b, 4096)
		b = append(b, bytes.Repeat([]byte{byte('a' + i)}, 4096)...)
		b = append(b, "\r\n"...)
	}
	return append(b, "0;ext=1\r\nX-Checksum: abc\r\n\r\n"...)
}()

func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("AllocsPerRun")
	}
	var r Request
	lim := DefaultLimits()
	for _, h := range benchHeads {
		buf := []byte(h.raw)
		if a := testing.AllocsPerRun(100, func() {
			if _, err := ParseHead(buf, &lim, &r); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("ParseHead %s: %v allocs", h.name, a)
		}
	}
	// Errors and need-more cost nothing either.
	for _, raw := range []string{"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "\x16\x03\x01"} {
		buf := []byte(raw)
		if a := testing.AllocsPerRun(100, func() { _, _ = ParseHead(buf, nil, &r) }); a != 0 {
			t.Errorf("ParseHead(%q): %v allocs", raw, a)
		}
	}
	var d ChunkedDecoder
	if a := testing.AllocsPerRun(100, func() {
		d.Reset(&lim)
		for in := chunkedBody; ; {
			_, n, err := d.Decode(in)
			in = in[n:]
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}); a != 0 {
		t.Errorf("ChunkedDecoder: %v allocs", a)
	}
	dst := make([]byte, 0, 4096)
	if a := testing.AllocsPerRun(100, func() {
		b := AppendStatusLine(dst[:0], 1, 404)
		b = AppendHeader(b, "Content-Type", "text/plain")
		b = AppendHeader(b, []byte("X-A"), []byte("b"))
		b = AppendContentLength(b, 12345)
		b = AppendChunk(b, []byte("hello"))
		b = AppendLastChunk(b)
		b, _ = AppendCGIKey(b, []byte("X-Forwarded-For"))
		b, _ = AppendUnescapePath(b, []byte("/a%20b"))
		_, _, _ = ParseStatus([]byte("200 OK"))
		_ = ValidHeaderName([]byte("X-A")) && ValidHeaderValue([]byte("v"))
		_ = b
	}); a != 0 {
		t.Errorf("response helpers: %v allocs", a)
	}
}

// BenchmarkParseHead compares ParseHead with net/http's ReadRequest on the
// same bytes: go test -run '^$' -bench ParseHead -benchmem
func BenchmarkParseHead(b *testing.B) {
	for _, h := range benchHeads {
		buf := []byte(h.raw)
		b.Run("http1/"+h.name, func(b *testing.B) {
			var r Request
			lim := DefaultLimits()
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseHead(buf, &lim, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("nethttp/"+h.name, func(b *testing.B) {
			rd := bytes.NewReader(buf)
			br := bufio.NewReader(rd)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(buf)
				br.Reset(rd)
				if _, err := http.ReadRequest(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseHeadIncremental measures a head arriving in 64-byte reads,
// re-parsed after each (the event-loop pattern).
func BenchmarkParseHeadIncremental(b *testing.B) {
	buf := []byte(benchHeads[1].raw)
	var r Request
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		for k := 64; ; k += 64 {
			_, err := ParseHead(buf[:min(k, len(buf))], nil, &r)
			if err == nil {
				break
			}
			if err != ErrNeedMore {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkChunkedDecode(b *testing.B) {
	b.Run("http1", func(b *testing.B) {
		var d ChunkedDecoder
		b.SetBytes(int64(len(chunkedBody)))
		b.ReportAllocs()
		for b.Loop() {
			d.Reset(nil)
			for in := chunkedBody; ; {
				_, n, err := d.Decode(in)
				in = in[n:]
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		// net/http's chunked reader stops at the last chunk (it leaves the
		// trailer to its caller), so it gets the body without trailer.
		body := chunkedBody[:bytes.LastIndex(chunkedBody, []byte("0;ext"))]
		body = append(body[:len(body):len(body)], "0\r\n"...)
		rd := bytes.NewReader(body)
		br := bufio.NewReader(rd)
		out := make([]byte, 32<<10)
		b.SetBytes(int64(len(chunkedBody)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			br.Reset(rd)
			cr := httputil.NewChunkedReader(br)
			for {
				_, err := cr.Read(out)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkResponseHead(b *testing.B) {
	dst := make([]byte, 0, 512)
	ctype := []byte("text/html; charset=utf-8")
	b.ReportAllocs()
	for b.Loop() {
		h := AppendStatusLine(dst[:0], 1, 200)
		if !ValidHeaderName(ctype[:0:0]) && !ValidHeaderValue(ctype) {
			b.Fatal("invalid")
		}
		h = AppendHeader(h, "Content-Type", ctype)
		h = AppendContentLength(h, 1234)
		h = append(h, "\r\n"...)
		dst = h
	}
}

func BenchmarkCGIKeys(b *testing.B) {
	var r Request
	if _, err := ParseHead([]byte(benchHeads[1].raw), nil, &r); err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		d := dst[:0]
		for _, h := range r.Headers {
			d, _ = AppendCGIKey(d, h.Name)
		}
		d, _ = AppendUnescapePath(d, r.Path)
		dst = d
	}
}
