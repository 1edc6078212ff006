package gateway

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func environ(kv ...string) []byte {
	var b []byte
	for _, s := range kv {
		b = append(b, s...)
		b = append(b, 0)
	}
	return b
}

func TestNewRequest(t *testing.T) {
	env := environ(
		"REQUEST_METHOD", "POST", "SCRIPT_NAME", "", "PATH_INFO", "/a b", "QUERY_STRING", "x=1",
		"REQUEST_URI", "/a%20b?x=1", "SERVER_NAME", "example.com", "SERVER_PORT", "8080",
		"SERVER_PROTOCOL", "HTTP/1.1", "REMOTE_ADDR", "::1", "REMOTE_PORT", "5555", "URL_SCHEME", "https",
		"CONTENT_TYPE", "text/plain", "CONTENT_LENGTH", "3", "HTTP_HOST", "example.com:8080",
		"HTTP_X_FORWARDED_FOR", "10.0.0.1, 10.0.0.2", "HTTP_X_CUSTOM_THING", "v", "HTTP_USER_AGENT", "ua",
	)
	r, err := newRequest(env, &reqFD{fd: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.URL.Path != "/a b" || r.URL.RawPath != "" || r.URL.RawQuery != "x=1" ||
		r.RequestURI != "/a%20b?x=1" || r.Proto != "HTTP/1.1" || r.ProtoMajor != 1 || r.ProtoMinor != 1 ||
		r.Host != "example.com:8080" || r.RemoteAddr != "[::1]:5555" || r.TLS == nil || r.ContentLength != 3 || r.Close {
		t.Errorf("request: %+v URL %+v", r, r.URL)
	}
	want := http.Header{
		"Content-Type":    {"text/plain"},
		"Content-Length":  {"3"},
		"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"},
		"X-Custom-Thing":  {"v"},
		"User-Agent":      {"ua"},
	}
	if !reflect.DeepEqual(r.Header, want) {
		t.Errorf("header %v, want %v", r.Header, want)
	}
	if _, ok := r.Body.(*body); !ok {
		t.Errorf("body %T", r.Body)
	}
	// Adding to a header must not clobber its neighbours in the shared
	// backing array.
	r.Header.Add("Content-Type", "extra")
	if r.Header.Get("Content-Length") != "3" {
		t.Errorf("Add clobbered a neighbour: %v", r.Header)
	}

	r, err = newRequest(environ("REQUEST_METHOD", "GET", "PATH_INFO", "/", "QUERY_STRING", "", "REQUEST_URI", "/",
		"SERVER_PROTOCOL", "HTTP/1.0", "REMOTE_ADDR", "127.0.0.1", "REMOTE_PORT", "1", "URL_SCHEME", "http",
		"HTTP_TRANSFER_ENCODING", "chunked"), &reqFD{fd: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS != nil || !r.Close || r.ContentLength != -1 || !reflect.DeepEqual(r.TransferEncoding, []string{"chunked"}) || r.Header.Get("Transfer-Encoding") != "" {
		t.Errorf("HTTP/1.0 chunked: %+v", r)
	}
	if _, err := newRequest(environ("REQUEST_METHOD", "GET", "REQUEST_URI", "/", "SERVER_PROTOCOL", "HTTP/x"), &reqFD{fd: 3}); err == nil {
		t.Errorf("bad protocol accepted")
	}
}

// TestNewRequestEnvironCopy: the request's strings are a copy of the
// environ (the buffer is reused for the next request), whether the copy
// and RemoteAddr fit in the exchange's own buffer, only the copy does, or
// neither.
func TestNewRequestEnvironCopy(t *testing.T) {
	for n := 300; n <= 560; n += 7 {
		pad := strings.Repeat("c", n)
		env := environ("REQUEST_METHOD", "GET", "PATH_INFO", "/p", "QUERY_STRING", "q=1", "REQUEST_URI", "/p?q=1",
			"SERVER_PROTOCOL", "HTTP/1.1", "REMOTE_ADDR", "2001:db8::1", "REMOTE_PORT", "5555",
			"HTTP_HOST", "h", "HTTP_COOKIE", pad)
		r, err := newRequest(env, &reqFD{fd: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i := range env {
			env[i] = 'X' // the host's next request
		}
		if r.Method != "GET" || r.URL.Path != "/p" || r.URL.RawQuery != "q=1" || r.Host != "h" ||
			r.RemoteAddr != "[2001:db8::1]:5555" || r.Header.Get("Cookie") != pad {
			t.Fatalf("environ of %d bytes: method %q path %q query %q host %q remote %q cookie of %d bytes",
				len(env), r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.RemoteAddr, len(r.Header.Get("Cookie")))
		}
	}
}

// TestSimpleURL: the fast path builds exactly what url.ParseRequestURI
// builds, or declines.
func TestSimpleURL(t *testing.T) {
	for _, uri := range []string{"/", "/a/b", "/a?x=1&y=2", "/a?", "/a%20b", "/a%2Fb?q=%20", "*", "/a;b?c", "http://h/x"} {
		want, err := url.ParseRequestURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		path, query, _ := strings.Cut(uri, "?")
		dec, _ := url.PathUnescape(path)
		got := new(url.URL)
		ok := simpleURL(uri, dec, query, got)
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", uri, got, want)
		}
		if !ok && !strings.ContainsAny(uri, "%*") && uri[0] == '/' {
			t.Errorf("%s: declined", uri)
		}
	}
}

func TestHeaderName(t *testing.T) {
	for cgi, want := range map[string]string{
		"USER_AGENT": "User-Agent", "X_FORWARDED_FOR": "X-Forwarded-For", "X_MY_HEADER": "X-My-Header",
		"DNT": "Dnt", "A": "A", "WWW_AUTHENTICATE": "Www-Authenticate",
	} {
		if got := headerName(cgi); got != want || got != http.CanonicalHeaderKey(want) {
			t.Errorf("headerName(%s) = %s, want %s", cgi, got, want)
		}
	}
}

// TestWriteHeader checks the header block given to start_response (the
// host-build import stub fails with ENOSYS, which the writer records).
func TestWriteHeader(t *testing.T) {
	w := &responseWriter{f: &reqFD{fd: 3}, header: http.Header{}}
	w.Header().Set("X-A", "1\r\nInjected: yes")
	w.Header()["Bad Name"] = []string{"x"}
	w.WriteHeader(http.StatusTeapot)
	if got := string(w.f.hdr); got != "X-A\x001  Injected: yes\x00" {
		t.Errorf("header block %q", got)
	}
	if w.err == nil {
		t.Errorf("no error from the host-build stub")
	}
	if statusLine(418) != "418 I'm a teapot" || statusLine(299) != "299" {
		t.Errorf("status lines %q %q", statusLine(418), statusLine(299))
	}
}

// TestCtxHeader: Ctx.Header matches a header name without regard to case
// against the environ's CGI keys, CONTENT_TYPE and CONTENT_LENGTH without
// the HTTP_ prefix, and never a name with "_" (the host drops those).
func TestCtxHeader(t *testing.T) {
	env := environ(
		"REQUEST_METHOD", "GET", "PATH_INFO", "/p", "CONTENT_TYPE", "text/plain", "CONTENT_LENGTH", "3",
		"HTTP_HOST", "h:1", "HTTP_X_FORWARDED_FOR", "10.0.0.1, 10.0.0.2", "HTTP_ACCEPT", "",
	)
	c := &Ctx{env: string(env)}
	for _, tc := range []struct {
		name, want string
	}{
		{"Host", "h:1"},
		{"host", "h:1"},
		{"HOST", "h:1"},
		{"X-Forwarded-For", "10.0.0.1, 10.0.0.2"},
		{"x-forwarded-for", "10.0.0.1, 10.0.0.2"},
		{"X_Forwarded_For", ""},
		{"X-Forwarded", ""},
		{"Content-Type", "text/plain"},
		{"content-length", "3"},
		{"Accept", ""},
		{"Path-Info", ""},
		{"Request-Method", ""},
		{"", ""},
	} {
		if got := c.Header(tc.name); got != tc.want {
			t.Errorf("Header(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if v, ok := c.LookupEnv("HTTP_ACCEPT"); !ok || v != "" {
		t.Errorf("LookupEnv(HTTP_ACCEPT) = %q, %v; want an empty value that is there", v, ok)
	}
	if v, ok := c.LookupEnv("QUERY_STRING"); ok || v != "" {
		t.Errorf("LookupEnv(QUERY_STRING) = %q, %v; want none", v, ok)
	}
	if c.Method() != "GET" || c.Path() != "/p" || c.Query() != "" {
		t.Errorf("Method %q Path %q Query %q", c.Method(), c.Path(), c.Query())
	}
	var keys []string
	c.VisitEnv(func(k, _ string) { keys = append(keys, k) })
	if len(keys) != 7 || keys[0] != "REQUEST_METHOD" || keys[6] != "HTTP_ACCEPT" {
		t.Errorf("VisitEnv keys %v", keys)
	}
	// A truncated environ (no NUL after the last value) ends the scan.
	c.env = "REQUEST_METHOD\x00GET"
	if v, ok := c.LookupEnv("REQUEST_METHOD"); ok {
		t.Errorf("truncated environ: LookupEnv = %q, true", v)
	}
}

// TestNewRequestAllocs pins newRequest's allocations for a typical small
// request (each costs far more in a wasm guest than natively): the
// exchange (Request, URL, body, response writer, up to four header
// values, the environ's copy and RemoteAddr) and the header map (its
// header and one group of slots). It was 9 (and 2456 B) when the map was
// made for 16 headers whatever came, 7 before the exchange, 5 before the
// environ's copy and RemoteAddr moved into it.
func TestNewRequestAllocs(t *testing.T) {
	env := environ(
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "", "PATH_INFO", "/", "QUERY_STRING", "",
		"REQUEST_URI", "/", "SERVER_NAME", "127.0.0.1", "SERVER_PORT", "8080",
		"SERVER_PROTOCOL", "HTTP/1.1", "REMOTE_ADDR", "127.0.0.1", "REMOTE_PORT", "5555", "URL_SCHEME", "http",
		"HTTP_HOST", "127.0.0.1:8080", "HTTP_USER_AGENT", "wrk", "HTTP_ACCEPT", "*/*",
	)
	f := &reqFD{fd: 3}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := newRequest(env, f); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("newRequest: %v allocations, want at most 3", allocs)
	}
}

// TestWriteSniffsContentType: the first Write sets Content-Type from the
// body as net/http does: not when the handler set it (a nil value asks
// for none), nor for an encoded or transfer-coded body, nor for an empty
// first write.
func TestWriteSniffsContentType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		want   string
	}{
		{"html", http.Header{}, "<html><body>hi", "text/html; charset=utf-8"},
		{"text", http.Header{}, "hello", "text/plain; charset=utf-8"},
		{"set", http.Header{"Content-Type": {"application/json"}}, "<html>", "application/json"},
		{"set empty", http.Header{"Content-Type": {""}}, "<html>", ""},
		{"suppressed", http.Header{"Content-Type": nil}, "<html>", ""},
		{"encoded", http.Header{"Content-Encoding": {"gzip"}}, "<html>", ""},
		{"chunked", http.Header{"Transfer-Encoding": {"chunked"}}, "<html>", ""},
		{"empty body", http.Header{}, "", ""},
	} {
		w := &responseWriter{f: &reqFD{fd: 3}, header: tc.header}
		w.Write([]byte(tc.body)) // the host-build stub fails start_response; the header is set before
		if got := w.header.Get("Content-Type"); got != tc.want {
			t.Errorf("%s: Content-Type %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestWriteNoBodyStatus: after WriteHeader(204) or (304) a Write fails
// with http.ErrBodyNotAllowed, as net/http's does; other statuses get no
// such error.
func TestWriteNoBodyStatus(t *testing.T) {
	for _, tc := range []struct {
		code int
		want bool
	}{{204, true}, {304, true}, {200, false}, {404, false}} {
		w := &responseWriter{f: &reqFD{fd: 3}, header: http.Header{}}
		w.WriteHeader(tc.code)
		_, err := w.Write([]byte("x"))
		if got := err == http.ErrBodyNotAllowed; got != tc.want {
			t.Errorf("status %d: Write error %v", tc.code, err)
		}
	}
}

// BenchmarkNewRequest is the net/http mapping's cost of turning an environ
// into an *http.Request: wrk's GET (Host only) and a browser's (eight more
// headers). make bench runs this package's benchmarks inside wasm, under
// ptsevent run, where they cost several times what they do natively.
func BenchmarkNewRequest(b *testing.B) {
	base := []string{
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "", "PATH_INFO", "/", "QUERY_STRING", "",
		"REQUEST_URI", "/", "SERVER_NAME", "127.0.0.1", "SERVER_PORT", "8080",
		"SERVER_PROTOCOL", "HTTP/1.1", "REMOTE_ADDR", "127.0.0.1", "REMOTE_PORT", "41000", "URL_SCHEME", "http",
		"HTTP_HOST", "127.0.0.1:8080",
	}
	browser := append(append([]string{}, base...),
		"HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)", "HTTP_ACCEPT", "text/html,*/*;q=0.8",
		"HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.5", "HTTP_ACCEPT_ENCODING", "gzip, deflate",
		"HTTP_CONNECTION", "keep-alive", "HTTP_COOKIE", "session=abc",
		"HTTP_UPGRADE_INSECURE_REQUESTS", "1", "HTTP_SEC_FETCH_DEST", "document")
	for _, tc := range []struct {
		name string
		kv   []string
	}{{"wrk", base}, {"browser", browser}} {
		b.Run(tc.name, func(b *testing.B) {
			env := environ(tc.kv...)
			f := &reqFD{fd: 3}
			b.ReportAllocs()
			for range b.N {
				if _, err := newRequest(env, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupEnv is the Ctx mapping's environ lookup of PATH_INFO, the
// third key the host sends.
func BenchmarkLookupEnv(b *testing.B) {
	env := string(environ(
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "", "PATH_INFO", "/", "QUERY_STRING", "",
		"REQUEST_URI", "/", "SERVER_NAME", "127.0.0.1", "SERVER_PORT", "8080",
	))
	for range b.N {
		if v, ok := lookupEnv(env, "PATH_INFO"); !ok || v != "/" {
			b.Fatalf("PATH_INFO = %q, %v", v, ok)
		}
	}
}
