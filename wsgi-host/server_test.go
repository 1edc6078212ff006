package wsgihost

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawCase is one black-box exchange with the server: raw bytes in, the
// expected status lines and connection state out.
type rawCase struct {
	name    string
	raw     string
	methods []string // one per expected response; nil: one GET
	status  []int
	close   bool
	check   func(t *testing.T, rs []response, wire []byte)
	// valid marks a well-formed request, also sent one byte per write.
	valid bool
}

func bodyIs(want string) func(t *testing.T, rs []response, wire []byte) {
	return func(t *testing.T, rs []response, wire []byte) {
		t.Helper()
		if got := string(rs[len(rs)-1].body); got != want {
			t.Errorf("body %q, want %q", got, want)
		}
	}
}

func rawCases() []rawCase {
	long := strings.Repeat("a", 9000)
	bigHeader := "X-Big: " + strings.Repeat("b", 20<<10) + "\r\n"
	var pipe100 strings.Builder
	for i := range 100 {
		fmt.Fprintf(&pipe100, "GET /env?i=%d HTTP/1.1\r\nHost: test\r\n\r\n", i)
	}
	return []rawCase{
		{name: "keep-alive", raw: get("/"), status: []int{200}, valid: true, check: bodyIs("Hello, World!\n")},
		{name: "content-length set by server", raw: get("/"), status: []int{200}, check: func(t *testing.T, rs []response, wire []byte) {
			if rs[0].ContentLength != 14 || rs[0].TransferEncoding != nil {
				t.Errorf("ContentLength %d TransferEncoding %v, want 14 and none", rs[0].ContentLength, rs[0].TransferEncoding)
			}
			if !strings.Contains(string(wire), "Content-Length: 14\r\n") || strings.Contains(string(wire), "Connection:") {
				t.Errorf("wire: %q", wire)
			}
		}},
		{name: "pipelined 3", raw: get("/") + "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello" + get("/env?third"),
			methods: repeat("GET", 3), status: []int{200, 200, 200}, valid: true,
			check: func(t *testing.T, rs []response, wire []byte) {
				if string(rs[0].body) != "Hello, World!\n" || string(rs[1].body) != "hello" || envLines(rs[2].body)["QUERY_STRING"] != "third" {
					t.Errorf("bodies out of order: %q %q %q", rs[0].body, rs[1].body, rs[2].body)
				}
			}},
		{name: "pipelined 100", raw: pipe100.String(), methods: repeat("GET", 100), status: nil,
			check: func(t *testing.T, rs []response, wire []byte) {
				for i, r := range rs {
					if r.StatusCode != 200 || envLines(r.body)["QUERY_STRING"] != "i="+strconv.Itoa(i) {
						t.Fatalf("response %d: %d %q", i, r.StatusCode, r.body)
					}
				}
			}},
		{name: "chunked request echoed", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n" + get("/"),
			methods: repeat("POST", 2), status: []int{200, 200}, valid: true,
			check: func(t *testing.T, rs []response, wire []byte) {
				if string(rs[0].body) != "hello world" || rs[0].Header.Get("X-Read-Errno") != "0" {
					t.Errorf("echo %q errno %s", rs[0].body, rs[0].Header.Get("X-Read-Errno"))
				}
			}},
		{name: "body read by readline", raw: "POST /readline HTTP/1.1\r\nHost: test\r\nContent-Length: 12\r\n\r\none\ntwo\nthree", status: []int{200}, check: bodyIs("3")},
		{name: "chunked response", raw: get("/stream?n=100000"), status: []int{200}, valid: true, check: func(t *testing.T, rs []response, wire []byte) {
			if len(rs[0].body) != 100000 || len(rs[0].TransferEncoding) != 1 || rs[0].TransferEncoding[0] != "chunked" {
				t.Errorf("body %d bytes, TransferEncoding %v", len(rs[0].body), rs[0].TransferEncoding)
			}
		}},
		{name: "flushed response is chunked", raw: get("/stream?n=20&piece=5&flush=1"), status: []int{200}, check: func(t *testing.T, rs []response, wire []byte) {
			if string(rs[0].body) != "abcdeabcdeabcdeabcde" || len(rs[0].TransferEncoding) != 1 {
				t.Errorf("body %q, TransferEncoding %v", rs[0].body, rs[0].TransferEncoding)
			}
		}},
		{name: "HTTP/1.0 close", raw: "GET / HTTP/1.0\r\n\r\n", status: []int{200}, close: true, valid: true, check: bodyIs("Hello, World!\n")},
		{name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", status: []int{200}, valid: true, check: func(t *testing.T, rs []response, wire []byte) {
			if rs[0].Header.Get("Connection") != "keep-alive" {
				t.Errorf("Connection %q", rs[0].Header.Get("Connection"))
			}
		}},
		{name: "HTTP/1.0 streamed body is close-delimited", raw: "GET /stream?n=100000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", status: []int{200}, close: true,
			check: func(t *testing.T, rs []response, wire []byte) {
				if len(rs[0].body) != 100000 || rs[0].TransferEncoding != nil || rs[0].ContentLength != -1 {
					t.Errorf("body %d, TE %v, CL %d", len(rs[0].body), rs[0].TransferEncoding, rs[0].ContentLength)
				}
			}},
		{name: "HEAD", raw: "HEAD / HTTP/1.1\r\nHost: test\r\n\r\n" + get("/"), methods: []string{"HEAD", "GET"}, status: []int{200, 200}, valid: true,
			check: func(t *testing.T, rs []response, wire []byte) {
				if len(rs[0].body) != 0 || rs[0].ContentLength != 14 || string(rs[1].body) != "Hello, World!\n" {
					t.Errorf("HEAD body %q CL %d; next %q", rs[0].body, rs[0].ContentLength, rs[1].body)
				}
			}},
		{name: "204 has no body", raw: get("/204") + get("/"), methods: repeat("GET", 2), status: []int{204, 200}, check: func(t *testing.T, rs []response, wire []byte) {
			if strings.Contains(string(wire), "ignored") || strings.Contains(string(wire), "Content-Length: 7") {
				t.Errorf("wire: %q", wire)
			}
		}},
		{name: "leading CRLF", raw: "\r\n" + get("/"), status: []int{200}, valid: true},
		{name: "CL and TE", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: []int{400}, close: true},
		{name: "bad Content-Length", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: abc\r\n\r\n", status: []int{400}, close: true},
		{name: "differing Content-Length", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", status: []int{400}, close: true},
		{name: "unknown transfer coding", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: []int{501}, close: true},
		{name: "bad version", raw: "GET / HTTP/2.0\r\nHost: test\r\n\r\n", status: []int{505}, close: true},
		{name: "malformed version", raw: "GET / HTTX/1.1\r\nHost: test\r\n\r\n", status: []int{400}, close: true},
		{name: "missing Host", raw: "GET / HTTP/1.1\r\n\r\n", status: []int{400}, close: true},
		{name: "bad header name", raw: "GET / HTTP/1.1\r\nHost: test\r\nBad Name: x\r\n\r\n", status: []int{400}, close: true},
		{name: "bad header value", raw: "GET / HTTP/1.1\r\nHost: test\r\nX: a\x01b\r\n\r\n", status: []int{400}, close: true},
		{name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: test\r\nX: a\r\n b\r\n\r\n", status: []int{400}, close: true},
		{name: "bad escape in path", raw: get("/a%zz"), status: []int{400}, close: true},
		{name: "long URI", raw: get("/" + long), status: []int{414}, close: true},
		{name: "big headers", raw: "GET / HTTP/1.1\r\nHost: test\r\n" + bigHeader + "\r\n", status: []int{431}, close: true},
		{name: "big body", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2000000\r\n\r\n", status: []int{413}, close: true},
		{name: "big chunked body", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\nxxxx", status: []int{413}, close: true},
		{name: "bad chunk framing", raw: "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", status: []int{400}, close: true},
		{name: "unread body drained", raw: "POST /noread HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789" + get("/"), methods: repeat("GET", 2), status: []int{200, 200}},
		{name: "guest header with CR LF", raw: get("/inject"), status: []int{500}, close: true, check: func(t *testing.T, rs []response, wire []byte) {
			if strings.Contains(string(wire), "Injected") || strings.Contains(string(wire), "X-Good") || strings.Contains(string(wire), "X-Bad") {
				t.Errorf("guest header reached the wire: %q", wire)
			}
		}},
		{name: "guest status with CR LF", raw: get("/badstatus"), status: []int{500}, close: true, check: func(t *testing.T, rs []response, wire []byte) {
			if strings.Contains(string(wire), "X: y") {
				t.Errorf("wire: %q", wire)
			}
		}},
		{name: "exc_info replaces the response", raw: get("/exc"), status: []int{500}, check: func(t *testing.T, rs []response, wire []byte) {
			w := string(wire)
			if !strings.HasPrefix(w, "HTTP/1.1 500 Oops\r\n") || strings.Contains(w, "X-First") || !strings.Contains(w, "X-Second: 2") || strings.Contains(w, "partial") || string(rs[0].body) != "error page\n" {
				t.Errorf("wire: %q", wire)
			}
		}},
		{name: "exc_info after the head went out", raw: get("/exc-late"), status: []int{200}, close: true, check: func(t *testing.T, rs []response, wire []byte) {
			if rs[0].bodyErr == nil {
				t.Errorf("body of a failed response read cleanly (%d bytes)", len(rs[0].body))
			}
		}},
		{name: "write before start_response", raw: get("/early-write") + get("/last"), methods: repeat("GET", 2), status: []int{200, 200}, check: bodyIs("65")},
		{name: "declared length is a ceiling", raw: get("/cl-over") + get("/last"), methods: repeat("GET", 2), status: []int{200, 200}, check: func(t *testing.T, rs []response, wire []byte) {
			if string(rs[0].body) != "hello" || string(rs[1].body) != "22" {
				t.Errorf("body %q, last errno %q (want EFBIG=22)", rs[0].body, rs[1].body)
			}
		}},
		{name: "short body closes", raw: get("/cl-short") + get("/"), status: []int{200}, close: true, check: func(t *testing.T, rs []response, wire []byte) {
			if rs[0].bodyErr == nil {
				t.Errorf("short body read cleanly")
			}
		}},
		{name: "no start_response", raw: get("/nostart"), status: []int{500}, close: true},
		{name: "non-zero return", raw: get("/fail"), status: []int{500}, close: true},
		{name: "close ends the response", raw: get("/close-early") + get("/"), methods: repeat("GET", 2), status: []int{200, 200}, check: func(t *testing.T, rs []response, wire []byte) {
			if string(rs[0].body) != "closed\n" {
				t.Errorf("body %q", rs[0].body)
			}
		}},
		{name: "not found", raw: get("/nope"), status: []int{404}, valid: true},
	}
}

func TestRawHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), nil)
		for _, tc := range rawCases() {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				runRaw(t, addr, tc, false)
				if tc.valid {
					runRaw(t, addr, tc, true)
				}
			})
		}
	})
}

func runRaw(t *testing.T, addr string, tc rawCase, oneByte bool) {
	t.Helper()
	methods := tc.methods
	if methods == nil {
		methods = make([]string, max(1, len(tc.status)))
		for i := range methods {
			methods[i] = "GET"
		}
	}
	rs, closed, wire := rawExchange(t, addr, tc.raw, methods, oneByte)
	for i, want := range tc.status {
		if rs[i].StatusCode != want {
			t.Fatalf("oneByte=%v: response %d: status %d, want %d (wire %q)", oneByte, i+1, rs[i].StatusCode, want, wire)
		}
	}
	if closed != tc.close {
		t.Errorf("oneByte=%v: connection closed=%v, want %v (wire %q)", oneByte, closed, tc.close, wire)
	}
	if tc.check != nil {
		tc.check(t, rs, wire)
	}
}

// TestExpectContinue: 100 Continue comes when the guest first reads the
// body, not before; a guest that answers without reading gets no 100 and
// the connection closes.
func TestExpectContinue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), nil)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		if l, _ := br.ReadString('\n'); l != "\r\n" {
			t.Fatalf("100 Continue not ended by an empty line: %q", l)
		}
		io.WriteString(c, "hello")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "hello" {
			t.Fatalf("%d %q", resp.StatusCode, b)
		}

		// The guest answers without reading: no 100, and the connection
		// closes (the client may or may not send the body).
		rs, closed, wire := rawExchange(t, addr, "POST /noread HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", []string{"POST"}, false)
		if rs[0].StatusCode != 200 || !closed || strings.Contains(string(wire), "100 Continue") || !rs[0].Close {
			t.Fatalf("status %d closed %v wire %q", rs[0].StatusCode, closed, wire)
		}
	})
}

// TestEnviron checks the environ in the spirit of PEP 3333's
// wsgiref.validate: the required keys are there, CONTENT_TYPE and
// CONTENT_LENGTH are not HTTP_ keys, headers with '_' are dropped,
// repeated headers are joined, PATH_INFO is decoded.
func TestEnviron(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), nil)
		raw := "POST /env/a%20b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n" +
			"X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nX_Forwarded_For: evil\r\nCookie: a=1\r\nCookie: b=2\r\nProxy: http://evil\r\nUser-Agent: t\r\n\r\nabc"
		rs, _, _ := rawExchange(t, addr, raw, []string{"POST"}, false)
		env := envLines(rs[0].body)
		want := map[string]string{
			"REQUEST_METHOD":       "POST",
			"SCRIPT_NAME":          "",
			"PATH_INFO":            "/env/a b",
			"QUERY_STRING":         "x=1&y=%20",
			"REQUEST_URI":          "/env/a%20b?x=1&y=%20",
			"SERVER_NAME":          "example.com",
			"SERVER_PORT":          addr[strings.LastIndexByte(addr, ':')+1:],
			"SERVER_PROTOCOL":      "HTTP/1.1",
			"REMOTE_ADDR":          "127.0.0.1",
			"URL_SCHEME":           "http",
			"CONTENT_TYPE":         "text/plain",
			"CONTENT_LENGTH":       "3",
			"HTTP_HOST":            "example.com:8080",
			"HTTP_X_FORWARDED_FOR": "10.0.0.1, 10.0.0.2",
			"HTTP_COOKIE":          "a=1; b=2",
			"HTTP_USER_AGENT":      "t",
		}
		for k, v := range want {
			if got, ok := env[k]; !ok || got != v {
				t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
			}
		}
		for _, k := range []string{"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_PROXY"} {
			if _, ok := env[k]; ok {
				t.Errorf("%s present", k)
			}
		}
		if strings.Contains(string(rs[0].body), "evil") {
			t.Errorf("a header with '_' or Proxy reached the environ:\n%s", rs[0].body)
		}
		if p, err := strconv.Atoi(env["REMOTE_PORT"]); err != nil || p <= 0 {
			t.Errorf("REMOTE_PORT %q", env["REMOTE_PORT"])
		}
		for k := range env {
			if !strings.HasPrefix(k, "HTTP_") && !contains(EnvironKeys, k) {
				t.Errorf("undocumented key %s", k)
			}
		}

		// A chunked body has no CONTENT_LENGTH.
		rs, _, _ = rawExchange(t, addr, "POST /env HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", []string{"POST"}, false)
		if env := envLines(rs[0].body); env["HTTP_TRANSFER_ENCODING"] != "chunked" || env["CONTENT_LENGTH"] != "" {
			t.Errorf("chunked: %q", rs[0].body)
		}
		if _, ok := envLines(rs[0].body)["CONTENT_LENGTH"]; ok {
			t.Errorf("CONTENT_LENGTH present for a chunked body")
		}
		// HTTP/1.0 without Host: SERVER_NAME is the local address.
		rs, _, _ = rawExchange(t, addr, "GET /env HTTP/1.0\r\n\r\n", []string{"GET"}, false)
		if env := envLines(rs[0].body); env["SERVER_NAME"] != "127.0.0.1" || env["SERVER_PROTOCOL"] != "HTTP/1.0" {
			t.Errorf("HTTP/1.0: %q", rs[0].body)
		}
		if _, ok := envLines(rs[0].body)["HTTP_HOST"]; ok {
			t.Errorf("HTTP_HOST present without Host")
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
