package http1

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// want lists the parsed fields a table row checks. Strings are compared
// exactly; nil pointers are not checked.
type want struct {
	method, target, path, query, proto, host, ctype string
	minor                                           int
	cl                                              int64
	chunked, keepAlive, expect, closeAfter          bool
	headers                                         []string // "Name: Value" in order, when non-nil
}

type headCase struct {
	name   string
	raw    string
	lim    *Limits
	status int   // 0: success
	w      *want // checked on success
	n      int   // expected n on success; 0 means len(raw)
}

func get(host string) *want {
	return &want{method: "GET", target: "/", path: "/", proto: "HTTP/1.1", minor: 1, host: host, cl: -1, keepAlive: true}
}

func with(w *want, f func(*want)) *want { f(w); return w }

var (
	smallLimits = &Limits{MaxRequestLine: 32, MaxHeaderBytes: 64, MaxHeaders: 3, MaxBodyBytes: 10}
)

func headCases() []headCase {
	long := func(n int) string { return strings.Repeat("a", n) }
	return []headCase{
		// Basic forms.
		{name: "minimal", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", w: with(get("a"), func(w *want) {
			w.headers = []string{"Host: a"}
		})},
		{name: "path and query", raw: "GET /p/a%20b?x=1&y=?2 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", w: with(get("example.com:8080"), func(w *want) {
			w.target, w.path, w.query = "/p/a%20b?x=1&y=?2", "/p/a%20b", "x=1&y=?2"
		})},
		{name: "empty query", raw: "GET /x? HTTP/1.1\r\nHost: a\r\n\r\n", w: with(get("a"), func(w *want) {
			w.target, w.path, w.query = "/x?", "/x", ""
		})},
		{name: "utf8 in target tolerated", raw: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", w: with(get("a"), func(w *want) {
			w.target, w.path = "/caf\xc3\xa9", "/caf\xc3\xa9"
		})},
		{name: "extension method", raw: "PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n", w: with(get("a"), func(w *want) {
			w.method, w.target, w.path = "PROPFIND", "/d", "/d"
		})},
		{name: "HTTP/1.0 no host", raw: "GET / HTTP/1.0\r\n\r\n", w: with(get(""), func(w *want) {
			w.proto, w.minor, w.keepAlive, w.headers = "HTTP/1.0", 0, false, []string{}
		})},
		{name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", w: with(get(""), func(w *want) {
			w.proto, w.minor = "HTTP/1.0", 0
		})},
		{name: "HTTP/1.0 keep-alive list, case", raw: "GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n", w: with(get(""), func(w *want) {
			w.proto, w.minor = "HTTP/1.0", 0
		})},
		{name: "HTTP/1.0 keep-alive and close", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", w: with(get(""), func(w *want) {
			w.proto, w.minor, w.keepAlive = "HTTP/1.0", 0, false
		})},
		{name: "HTTP/1.1 close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", w: with(get("a"), func(w *want) { w.keepAlive = false })},
		{name: "HTTP/1.1 close in list", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", w: with(get("a"), func(w *want) { w.keepAlive = false })},
		{name: "HTTP/1.1 keep-alive token", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", w: get("a")},
		{name: "closed token prefix is not close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", w: get("a")},

		// Line terminators and empty lines (RFC 9112 2.2).
		{name: "bare LF", raw: "GET / HTTP/1.1\nHost: a\n\n", w: get("a")},
		{name: "mixed LF and CRLF", raw: "GET / HTTP/1.1\r\nHost: a\n\r\n", w: get("a")},
		{name: "one leading CRLF", raw: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", w: get("a")},
		{name: "one leading LF", raw: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", w: get("a")},
		{name: "two leading CRLF", raw: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "two leading LF", raw: "\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "bare CR ends request line", raw: "GET / HTTP/1.1\rHost: a\r\n\r\n", status: 400},
		{name: "bare CR ends field line", raw: "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", status: 400},
		{name: "bare CR ends head", raw: "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n", status: 400},
		{name: "CR CR LF", raw: "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", status: 400},
		{name: "leading bare CR", raw: "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "whitespace before first field", raw: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: 400},
		{name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n  c\r\n\r\n", status: 400},
		{name: "obs-fold tab", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", status: 400},

		// Fields.
		{name: "OWS trimmed", raw: "GET / HTTP/1.1\r\nHost:   a \t\r\nX-A:\tb  c \r\nX-Empty:\r\nX-Sp:   \r\n\r\n", w: with(get("a"), func(w *want) {
			w.headers = []string{"Host: a", "X-A: b  c", "X-Empty: ", "X-Sp: "}
		})},
		{name: "obs-text in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", w: with(get("a"), func(w *want) {
			w.headers = []string{"Host: a", "X: caf\xc3\xa9"}
		})},
		{name: "name case kept, matched folded", raw: "GET / HTTP/1.1\r\nhOsT: a\r\ncOnTeNt-TyPe: text/plain; charset=utf-8\r\n\r\n", w: with(get("a"), func(w *want) {
			w.ctype = "text/plain; charset=utf-8"
			w.headers = []string{"hOsT: a", "cOnTeNt-TyPe: text/plain; charset=utf-8"}
		})},
		{name: "first content-type kept", raw: "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n", w: with(get("a"), func(w *want) { w.ctype = "a/b" })},
		{name: "tchar name", raw: "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", w: with(get("a"), func(w *want) {
			w.headers = []string{"Host: a", "!#$%&'*+-.^_`|~09azAZ: v"}
		})},
		{name: "colon in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a:b: c\r\n\r\n", w: with(get("a"), func(w *want) {
			w.headers = []string{"Host: a", "X: a:b: c"}
		})},
		{name: "space in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", status: 400},
		{name: "space before colon", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A : x\r\n\r\n", status: 400},
		{name: "tab before colon", raw: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", status: 400},
		{name: "non-tchar in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX(a): x\r\n\r\n", status: 400},
		{name: "non-ascii in name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: x\r\n\r\n", status: 400},
		{name: "empty name", raw: "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", status: 400},
		{name: "no colon", raw: "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", status: 400},
		{name: "NUL in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", status: 400},
		{name: "DEL in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", status: 400},
		{name: "CTL in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1bb\r\n\r\n", status: 400},
		{name: "CR in value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", status: 400},

		// Host (RFC 9112 3.2).
		{name: "missing Host 1.1", raw: "GET / HTTP/1.1\r\n\r\n", status: 400},
		{name: "two Host", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: 400},
		{name: "two Host 1.0", raw: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", status: 400},
		{name: "empty Host", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", w: get("")},
		{name: "IPv6 Host", raw: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", w: get("[::1]:8080")},
		{name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400},
		{name: "Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400},
		{name: "Host with slash", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
		{name: "Host bad brackets", raw: "GET / HTTP/1.1\r\nHost: a]b\r\n\r\n", status: 400},
		{name: "Host bad IP-literal suffix", raw: "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", status: 400},
		{name: "Host bad IP-literal port", raw: "GET / HTTP/1.1\r\nHost: [::1]:[2]\r\n\r\n", status: 400},
		{name: "Host two colons", raw: "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", status: 400},
		{name: "Host port not digits", raw: "GET / HTTP/1.1\r\nHost: a:http\r\n\r\n", status: 400},
		{name: "Host empty port", raw: "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", w: get("a:")},
		{name: "Host pct-encoded and sub-delims", raw: "GET / HTTP/1.1\r\nHost: a%41!$&'()*+,;=-._~\r\n\r\n", w: get("a%41!$&'()*+,;=-._~")},

		// Request line (RFC 9112 3).
		{name: "bad method char", raw: "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "leading space", raw: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "double space", raw: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "tab separator", raw: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "method only", raw: "GET\r\nHost: a\r\n\r\n", status: 400},
		{name: "no version", raw: "GET /\r\nHost: a\r\n\r\n", status: 400},
		{name: "trailing space", raw: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400},
		{name: "space in target", raw: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "CTL in target", raw: "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "DEL in target", raw: "GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "fragment in target", raw: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "relative target", raw: "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505},
		{name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505},
		{name: "HTTP/0.9", raw: "GET / HTTP/0.9\r\nHost: a\r\n\r\n", status: 505},
		{name: "HTTP/9.9", raw: "GET / HTTP/9.9\r\nHost: a\r\n\r\n", status: 505},
		{name: "HTTP/1.10", raw: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", status: 400},
		{name: "lower-case http", raw: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "HTTP/1", raw: "GET / HTTP/1\r\nHost: a\r\n\r\n", status: 400},
		{name: "HTTP/a.b", raw: "GET / HTTP/a.b\r\nHost: a\r\n\r\n", status: 400},
		{name: "HTTP/2", raw: "GET / HTTP/2\r\nHost: a\r\n\r\n", status: 400},
		{name: "HTTP/1,1", raw: "GET / HTTP/1,1\r\nHost: a\r\n\r\n", status: 400},

		// Target forms (RFC 9112 3.2).
		{name: "absolute-form", raw: "GET http://example.com/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n", w: with(get("example.com"), func(w *want) {
			w.target, w.path, w.query = "http://example.com/p?q=1", "/p", "q=1"
		})},
		{name: "absolute-form no path", raw: "GET https://example.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n", w: with(get("example.com:8443"), func(w *want) {
			w.target, w.path = "https://example.com:8443", ""
		})},
		{name: "absolute-form query only", raw: "GET http://h?x HTTP/1.1\r\nHost: h\r\n\r\n", w: with(get("h"), func(w *want) {
			w.target, w.path, w.query = "http://h?x", "", "x"
		})},
		{name: "absolute-form still needs Host", raw: "GET http://example.com/ HTTP/1.1\r\n\r\n", status: 400},
		{name: "absolute-form userinfo", raw: "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400},
		{name: "absolute-form empty authority", raw: "GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", status: 400},
		{name: "absolute-form no slashes", raw: "GET http:/p HTTP/1.1\r\nHost: h\r\n\r\n", status: 400},
		{name: "absolute-form bad scheme", raw: "GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400},
		{name: "asterisk-form", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", w: with(get("a"), func(w *want) {
			w.method, w.target, w.path = "OPTIONS", "*", "*"
		})},
		{name: "asterisk-form not OPTIONS", raw: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "authority-form", raw: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", w: with(get("example.com:443"), func(w *want) {
			w.method, w.target, w.path, w.keepAlive, w.closeAfter = "CONNECT", "example.com:443", "", false, true
		})},
		{name: "authority-form IPv6", raw: "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", w: with(get("[::1]:443"), func(w *want) {
			w.method, w.target, w.path, w.keepAlive, w.closeAfter = "CONNECT", "[::1]:443", "", false, true
		})},
		{name: "authority-form two ports", raw: "CONNECT a:1:443 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "authority-form IPv6 two ports", raw: "CONNECT [::1]:1:443 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "authority-form IPv6 unbracketed", raw: "CONNECT ::1:443 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "authority-form no port", raw: "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", status: 400},
		{name: "authority-form empty port", raw: "CONNECT example.com: HTTP/1.1\r\nHost: example.com\r\n\r\n", status: 400},
		{name: "authority-form on GET", raw: "GET example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", status: 400},
		{name: "CONNECT origin-form", raw: "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "CONNECT absolute-form", raw: "CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
		{name: "CONNECT asterisk", raw: "CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},

		// Content-Length (RFC 9112 6.3, RFC 9110 8.6).
		{name: "content-length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 5 })},
		{name: "content-length zero", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 0 })},
		{name: "content-length leading zeros", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 7 })},
		{name: "content-length list same", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 5 })},
		{name: "content-length list same no space", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5 ,\t5\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 5 })},
		{name: "content-length repeated same", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 5 })},
		{name: "content-length repeated numerically same", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 5 })},
		{name: "content-length list differs", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", status: 400},
		{name: "content-length repeated differs", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400},
		{name: "content-length empty", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", status: 400},
		{name: "content-length empty member", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n", status: 400},
		{name: "content-length empty member middle", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,,5\r\n\r\n", status: 400},
		{name: "content-length negative", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400},
		{name: "content-length plus", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", status: 400},
		{name: "content-length hex", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", status: 400},
		{name: "content-length inner space", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", status: 400},
		{name: "content-length overflow", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", status: 400},
		{name: "content-length max int64 too large", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", status: 413},
		{name: "content-length over limit", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", status: 413},
		{name: "content-length at limit", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 1<<20 })},
		{name: "content-length HTTP/1.0", raw: "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n", w: with(get(""), func(w *want) {
			w.method, w.cl, w.proto, w.minor, w.keepAlive = "POST", 3, "HTTP/1.0", 0, false
		})},

		// Transfer-Encoding (RFC 9112 6.1).
		{name: "chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.chunked = "POST", true })},
		{name: "chunked case", raw: "POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD \r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.chunked = "POST", true })},
		{name: "TE and CL", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
		{name: "CL and TE", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 400},
		{name: "TE gzip, chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
		{name: "TE gzip then chunked lines", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501},
		{name: "TE identity", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", status: 501},
		{name: "TE gzip", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501},
		{name: "TE chunked, gzip", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400},
		{name: "TE chunked then gzip lines", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400},
		{name: "TE chunked twice", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400},
		{name: "TE empty", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", status: 400},
		{name: "TE trailing comma", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", status: 400},
		{name: "TE parameter", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", status: 400},
		{name: "TE quoted", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", status: 400},
		{name: "TE HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
		{name: "TE HTTP/1.0 gzip", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", status: 400},
		{name: "chunked ignores MaxBodyBytes in head", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", lim: smallLimits, w: with(get("a"), func(w *want) { w.method, w.chunked = "POST", true })},

		// Expect (RFC 9110 10.1.1).
		{name: "expect 100-continue", raw: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.cl, w.expect = "POST", 1, true })},
		{name: "expect case", raw: "POST / HTTP/1.1\r\nHost: a\r\nexpect: 100-Continue\r\n\r\n", w: with(get("a"), func(w *want) { w.method, w.expect = "POST", true })},
		{name: "expect other", raw: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", w: with(get("a"), func(w *want) { w.method = "POST" })},
		{name: "expect HTTP/1.0 ignored", raw: "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", w: with(get(""), func(w *want) {
			w.method, w.proto, w.minor, w.keepAlive = "POST", "HTTP/1.0", 0, false
		})},

		// Limits.
		{name: "request line at limit", raw: "GET /" + long(32-len("GET / HTTP/1.1")) + " HTTP/1.1\r\nHost: a\r\n\r\n", lim: smallLimits, w: nil},
		{name: "request line over limit", raw: "GET /" + long(33-len("GET / HTTP/1.1")) + " HTTP/1.1\r\nHost: a\r\n\r\n", lim: smallLimits, status: 414},
		{name: "request line over default", raw: "GET /" + long(8192) + " HTTP/1.1\r\nHost: a\r\n\r\n", status: 414},
		{name: "request line over, bad method later", raw: long(40) + "@ / HTTP/1.1\r\nHost: a\r\n\r\n", lim: smallLimits, status: 414},
		{name: "fields at max count", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", lim: smallLimits, w: nil},
		{name: "fields over max count", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim: smallLimits, status: 431},
		{name: "fields over default count", raw: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("A: 1\r\n", 100) + "\r\n", status: 431},
		{name: "field section at byte limit", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: " + long(64-2-9-5) + "\r\n\r\n", lim: smallLimits, w: nil},
		{name: "field section over byte limit", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: " + long(64-2-9-4) + "\r\n\r\n", lim: smallLimits, status: 431},
		{name: "field section over default", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: " + long(16<<10) + "\r\n\r\n", status: 431},
		{name: "body over small limit", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", lim: smallLimits, status: 413},
		{name: "body at small limit", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", lim: smallLimits, w: with(get("a"), func(w *want) { w.method, w.cl = "POST", 10 })},

		// Garbage.
		{name: "TLS handshake", raw: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", status: 400},
		{name: "HTTP/2 preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505},
		{name: "empty line only", raw: "\r\n\r\n", status: 400},
		{name: "NUL", raw: "\x00", status: 400},
		{name: "CR LF then CR", raw: "\r\n\rGET", status: 400},
	}
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return -1
}

func checkWant(t *testing.T, r *Request, w *want) {
	t.Helper()
	str := func(b []byte) string { return string(b) }
	got := want{
		method: str(r.Method), target: str(r.Target), path: str(r.Path), query: str(r.Query),
		proto: str(r.Proto), host: str(r.Host), ctype: str(r.ContentType), minor: r.ProtoMinor,
		cl: r.ContentLength, chunked: r.Chunked, keepAlive: r.KeepAlive, expect: r.ExpectContinue,
		closeAfter: r.CloseAfter,
	}
	if w.headers != nil {
		got.headers = []string{}
		for _, h := range r.Headers {
			got.headers = append(got.headers, str(h.Name)+": "+str(h.Value))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(*w) {
		t.Errorf("parsed\n got %+v\nwant %+v", got, *w)
	}
}

func TestParseHeadTable(t *testing.T) {
	var r Request
	for _, tc := range headCases() {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseHead([]byte(tc.raw), tc.lim, &r)
			if tc.status != 0 {
				if got := statusOf(err); got != tc.status {
					t.Fatalf("ParseHead(%q) = %d, %v; want status %d", tc.raw, n, err, tc.status)
				}
				if n != 0 {
					t.Errorf("n = %d on error", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHead(%q) error %v", tc.raw, err)
			}
			wantN := tc.n
			if wantN == 0 {
				wantN = len(tc.raw)
			}
			if n != wantN || r.HeadLen != n {
				t.Errorf("n = %d, HeadLen = %d; want %d", n, r.HeadLen, wantN)
			}
			if tc.w != nil {
				checkWant(t, &r, tc.w)
			}
		})
	}
}

// TestParseHeadIncremental feeds every table row one byte at a time: each
// strict prefix must give ErrNeedMore or, for errors detected early, the same
// error as the whole input; the whole input gives the table's answer.
func TestParseHeadIncremental(t *testing.T) {
	var r Request
	for _, tc := range headCases() {
		t.Run(tc.name, func(t *testing.T) {
			buf := []byte(tc.raw)
			fullN, fullErr := ParseHead(buf, tc.lim, &r)
			for k := 0; k < len(buf); k++ {
				n, err := ParseHead(buf[:k], tc.lim, &r)
				if err == ErrNeedMore {
					if n != 0 {
						t.Fatalf("prefix %d: n = %d with ErrNeedMore", k, n)
					}
					continue
				}
				if tc.status == 0 {
					t.Fatalf("prefix %d of a valid head: %d, %v", k, n, err)
				}
				if err != fullErr || n != fullN {
					t.Fatalf("prefix %d: %d, %v; whole input: %d, %v", k, n, err, fullN, fullErr)
				}
				return // an early error: the same as the whole input
			}
		})
	}
}

func TestParseHeadEarlyErrors(t *testing.T) {
	var r Request
	for _, tc := range []struct {
		name   string
		raw    string
		status int
	}{
		{"long request line, no LF", "GET /" + strings.Repeat("a", 8200), 414},
		{"long field section, no end", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 16400), 431},
		{"too many fields, no end", "GET / HTTP/1.1\r\n" + strings.Repeat("A: 1\r\n", 101), 431},
		{"TLS ClientHello prefix", "\x16\x03\x01", 400},
	} {
		_, err := ParseHead([]byte(tc.raw), nil, &r)
		if statusOf(err) != tc.status {
			t.Errorf("%s: %v, want %d", tc.name, err, tc.status)
		}
	}
	// Just under the limits: need more.
	for _, raw := range []string{
		"GET /" + strings.Repeat("a", 8192-5),
		"GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 16384-12),
		"GET / HTTP/1.1\r\n" + strings.Repeat("A: 1\r\n", 100),
		"", "\r", "\r\n", "\n", "G", "GET", "GET ", "GET / HTTP/1.1", "GET / HTTP/1.1\r",
		"GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r",
		// Syntax beyond the method is checked once the head is complete.
		"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n", "GET / HTTP/3.0\r\n", "GET /\x00 HTTP/1.1\r\n",
	} {
		if _, err := ParseHead([]byte(raw), nil, &r); err != ErrNeedMore {
			t.Errorf("ParseHead(%.40q...) = %v, want ErrNeedMore", raw, err)
		}
	}
}

func TestParseHeadPipelined(t *testing.T) {
	raw := []byte("POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" +
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n" +
		"\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" +
		"GET /d HTTP/1.1\r\n")
	var r Request
	off := 0
	var paths []string
	for {
		n, err := ParseHead(raw[off:], nil, &r)
		if err == ErrNeedMore {
			break
		}
		if err != nil {
			t.Fatalf("at %d: %v", off, err)
		}
		paths = append(paths, string(r.Path))
		off += n
		if r.ContentLength > 0 {
			body := raw[off : off+int(r.ContentLength)]
			if string(body) != "abc" {
				t.Fatalf("body %q", body)
			}
			off += int(r.ContentLength)
		}
		if string(r.Path) == "/c" && r.KeepAlive {
			t.Error("/c: KeepAlive with Connection: close")
		}
	}
	if got := strings.Join(paths, " "); got != "/a /b /c" {
		t.Errorf("paths %q", got)
	}
	if string(raw[off:]) != "GET /d HTTP/1.1\r\n" {
		t.Errorf("left %q", raw[off:])
	}
}

func TestRequestGetAndReset(t *testing.T) {
	var r Request
	raw := []byte("GET / HTTP/1.1\r\nHost: a\r\nX-Foo: 1\r\nx-foo: 2\r\n\r\n")
	if _, err := ParseHead(raw, nil, &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Get("X-FOO")) != "1" || r.Get("X-Bar") != nil || string(r.Get("host")) != "a" {
		t.Errorf("Get: %q %q %q", r.Get("X-FOO"), r.Get("X-Bar"), r.Get("host"))
	}
	if r.HasBody() {
		t.Error("HasBody")
	}
	c := cap(r.Headers)
	r.Reset()
	if len(r.Headers) != 0 || cap(r.Headers) != c || r.ContentLength != -1 || r.Method != nil {
		t.Errorf("Reset: %+v", r)
	}
}

func TestLimits(t *testing.T) {
	var nilLim *Limits
	if got := nilLim.resolved(); got != DefaultLimits() {
		t.Errorf("nil limits %+v", got)
	}
	d := DefaultLimits()
	if d.MaxRequestLine != 8192 || d.MaxHeaderBytes != 16384 || d.MaxHeaders != 100 || d.MaxBodyBytes != 1<<20 {
		t.Errorf("defaults %+v", d)
	}
	if got := (&Limits{MaxHeaders: 7}).resolved(); got.MaxHeaders != 7 || got.MaxRequestLine != 8192 {
		t.Errorf("partial limits %+v", got)
	}
	if got := nilLim.MaxHeadLen(); got != 2+8192+2+16384 {
		t.Errorf("MaxHeadLen %d", got)
	}
	// A head of exactly MaxHeadLen bytes parses.
	l := &Limits{MaxRequestLine: 20, MaxHeaderBytes: 30}
	head := "\r\nGET /" + strings.Repeat("a", 20-len("GET / HTTP/1.1")) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 30-9-5-2) + "\r\n\r\n"
	if len(head) != l.MaxHeadLen() {
		t.Fatalf("test head is %d bytes, want %d", len(head), l.MaxHeadLen())
	}
	var r Request
	if n, err := ParseHead([]byte(head), l, &r); err != nil || n != len(head) {
		t.Errorf("max-size head: %d, %v", n, err)
	}
}

func TestErrorString(t *testing.T) {
	if got := errNoHost.Error(); got != "http1: 400 missing Host" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSkipVchar8(t *testing.T) {
	for c := 0; c < 256; c++ {
		for p := 0; p < 8; p++ {
			buf := []byte("abcdefghABCDEFGH\n")
			buf[p] = byte(c)
			bad := c < 0x20 || c == 0x7f
			want := 16
			if bad {
				want = 0
			}
			if got := skipVchar8(buf, 0); got != want {
				t.Fatalf("byte %#x at %d: skipped to %d, want %d", c, p, got, want)
			}
			// Mixed with obs-text and SP neighbours.
			buf2 := []byte("\xff \x80~!\xc3\xa9 \xff \x80~!\xc3\xa9 \n")
			buf2[8+p] = byte(c)
			want = 16
			if bad {
				want = 8
			}
			if got := skipVchar8(buf2, 0); got != want {
				t.Fatalf("obs-text word, byte %#x at %d: skipped to %d, want %d", c, p, got, want)
			}
		}
	}
}
