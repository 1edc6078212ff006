package http1

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestStatusTextMatchesNetHTTP(t *testing.T) {
	for c := -1; c < 1000; c++ {
		if got, want := StatusText(c), http.StatusText(c); got != want {
			t.Errorf("StatusText(%d) = %q, net/http %q", c, got, want)
		}
	}
}

func TestAppendStatusLine(t *testing.T) {
	for _, tc := range []struct {
		minor, code int
		want        string
	}{
		{1, 200, "HTTP/1.1 200 OK\r\n"},
		{0, 200, "HTTP/1.0 200 OK\r\n"},
		{1, 404, "HTTP/1.1 404 Not Found\r\n"},
		{1, 100, "HTTP/1.1 100 Continue\r\n"},
		{1, 418, "HTTP/1.1 418 I'm a teapot\r\n"},
		{1, 599, "HTTP/1.1 599 \r\n"},
		{0, 299, "HTTP/1.0 299 \r\n"},
		{7, 204, "HTTP/1.1 204 No Content\r\n"},
		{1, 99, "HTTP/1.1 500 Internal Server Error\r\n"},
		{1, 600, "HTTP/1.1 500 Internal Server Error\r\n"},
		{1, -200, "HTTP/1.1 500 Internal Server Error\r\n"},
	} {
		if got := string(AppendStatusLine([]byte("x"), tc.minor, tc.code)); got != "x"+tc.want {
			t.Errorf("AppendStatusLine(%d, %d) = %q, want %q", tc.minor, tc.code, got, "x"+tc.want)
		}
	}
	if got := string(AppendStatusLineReason(nil, 1, 201, "Made It")); got != "HTTP/1.1 201 Made It\r\n" {
		t.Errorf("AppendStatusLineReason = %q", got)
	}
	if got := string(AppendStatusLineReason(nil, 0, 1000, []byte("x"))); got != "HTTP/1.0 500 x\r\n" {
		t.Errorf("AppendStatusLineReason invalid = %q", got)
	}
	// Every valid status line parses with net/http.
	for c := 100; c < 600; c++ {
		head := AppendStatusLine(nil, 1, c)
		head = AppendContentLength(head, 0)
		head = append(head, "\r\n"...)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
		if err != nil || resp.StatusCode != c {
			t.Fatalf("net/http on %q: %v", head, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in     string
		code   int
		reason string
		ok     bool
	}{
		{"200 OK", 200, "OK", true},
		{"404 Not Found", 404, "Not Found", true},
		{"204", 204, "", true},
		{"299 ", 299, "", true},
		{"500 caf\xc3\xa9\tx", 500, "caf\xc3\xa9\tx", true},
		{"200OK", 0, "", false},
		{"2000 OK", 0, "", false},
		{"099 Low", 0, "", false},
		{"600 High", 0, "", false},
		{"20", 0, "", false},
		{"", 0, "", false},
		{"abc OK", 0, "", false},
		{"200 OK\r\nX-Injected: 1", 0, "", false},
		{"200 OK\n", 0, "", false},
		{"200 \x00", 0, "", false},
	} {
		code, reason, ok := ParseStatus(tc.in)
		if code != tc.code || reason != tc.reason || ok != tc.ok {
			t.Errorf("ParseStatus(%q) = %d, %q, %v", tc.in, code, reason, ok)
		}
		bcode, breason, bok := ParseStatus([]byte(tc.in))
		if bcode != code || string(breason) != reason || bok != ok {
			t.Errorf("ParseStatus([]byte %q) differs", tc.in)
		}
	}
}

func TestValidHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Content-Type", true}, {"X_Y", true}, {"!#$%&'*+-.^_`|~", true},
		{"", false}, {"A B", false}, {"A:", false}, {"A\r\nB", false}, {"é", false}, {"(x)", false},
	} {
		if ValidHeaderName(tc.name) != tc.ok || ValidHeaderName([]byte(tc.name)) != tc.ok {
			t.Errorf("ValidHeaderName(%q) != %v", tc.name, tc.ok)
		}
	}
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"", true}, {"text/html; charset=utf-8", true}, {"a\tb", true}, {"caf\xc3\xa9", true}, {" x ", true},
		{"a\rb", false}, {"a\nb", false}, {"a\r\nX-Evil: 1", false}, {"a\x00", false}, {"\x7f", false}, {"\x01", false},
	} {
		if ValidHeaderValue(tc.value) != tc.ok || ValidHeaderValue([]byte(tc.value)) != tc.ok {
			t.Errorf("ValidHeaderValue(%q) != %v", tc.value, tc.ok)
		}
	}
}

func TestAppendHeadAndChunks(t *testing.T) {
	b := AppendStatusLine(nil, 1, 200)
	b = AppendHeader(b, "Content-Type", []byte("text/plain"))
	b = AppendHeader(b, []byte("X-A"), "1")
	b = AppendHeader(b, "Transfer-Encoding", "chunked")
	b = append(b, "\r\n"...)
	b = AppendChunk(b, []byte("hello "))
	b = AppendChunk(b, nil) // no-op
	b = AppendChunkHeader(b, 26)
	b = append(b, strings.Repeat("z", 26)...)
	b = append(b, "\r\n"...)
	b = AppendLastChunk(b)
	want := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"6\r\nhello \r\n1a\r\n" + strings.Repeat("z", 26) + "\r\n0\r\n\r\n"
	if string(b) != want {
		t.Fatalf("got %q\nwant %q", b, want)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil || body.String() != "hello "+strings.Repeat("z", 26) {
		t.Fatalf("net/http body %q, %v", body.String(), err)
	}
	if got := string(AppendContentLength(nil, 1234567890123)); got != "Content-Length: 1234567890123\r\n" {
		t.Errorf("AppendContentLength = %q", got)
	}
}
