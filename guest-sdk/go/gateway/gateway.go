// Package gateway runs a standard Go http.Handler as a ptsevent gateway
// app: the host's HTTP/1.1 server (or its net/http adapter) parses each
// request, and the guest's handler sees an ordinary *http.Request and
// http.ResponseWriter.
//
//	package main
//
//	import (
//		"net/http"
//
//		"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
//	)
//
//	func init() {
//		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
//			w.Write([]byte("Hello, World!\n"))
//		})
//		gateway.Serve(http.DefaultServeMux)
//	}
//
//	func main() {}
//
// Build the app as a reactor, so that the host calls its exported
// pts_handle once per request on a long-lived instance:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o app.wasm .
//
// A reactor's main never runs (only its package initializers do, from
// _initialize), so call Serve from an init function. This is the
// blocking-style gateway: an instance serves one request at a time, and
// the host keeps a pool of instances for concurrent requests. While the
// handler waits (reading a slow body, writing to a slow client, in
// ptsevent.Sleep), the instance is suspended and the host's loop serves
// other requests. Wait with ptsevent.Sleep rather than time.Sleep.
//
// # Scheduler style: a command
//
// An app whose main calls Serve, built as an ordinary command
// (GOOS=wasip1 GOARCH=wasm go build), is served in the scheduler style:
// the host runs one instance per event loop for as long as it serves, and
// Serve accepts requests from the host's request listener (the descriptor
// named by PTSEVENT_GATEWAY_FD) and serves them on goroutines: a request
// whose handler waits never holds up another. Requests are non-blocking
// descriptors, so a goroutine that waits (for the body, for a slow
// client, in time.Sleep, on a channel) parks in the Go runtime, which
// waits for all of them at once in poll_oneoff: one instance serves
// thousands of slow requests. The request and response
// mapping is the same as a reactor's; a panic is printed to stderr and
// answered with 500 when nothing was sent yet. Serve returns when the
// server stops.
//
//	func main() {
//		http.HandleFunc("/", hello)
//		gateway.Serve(nil)
//	}
//
// # The Ctx mapping
//
// ServeCtx registers a func(*Ctx) instead of an http.Handler, in either
// style: the request's environ, body and response straight on the gateway
// imports, as fasthttp's RequestCtx is to net/http. Inside wasm, building
// an http.Request and its Header map and routing through ServeMux cost
// far more than the host's whole share of a small request (make bench
// compares examples/wasm/hello with examples/wasm/hello-ctx); a Ctx
// request allocates nothing. Its strings are valid only during the call.
//
// The request: Method, URL (from REQUEST_URI), Proto, Header (from the
// HTTP_* environ keys, names canonicalized: a header the client sent as
// "X-Foo" arrives as "X-Foo"; repeated headers come joined with ", "),
// Host, ContentLength, TransferEncoding, RemoteAddr, RequestURI, TLS (a
// non-nil empty state over HTTPS) and Body (read from the host, de-chunked,
// never past the request). The response: WriteHeader and Write map to
// start_response and write, with net/http's defaults (status 200 on the
// first Write; Content-Type sniffed when not set, where a nil value, a
// Content-Encoding or a Transfer-Encoding means no sniffing; header
// values with CR or LF turned into spaces and invalid names dropped);
// Flush (the http.Flusher interface, or http.ResponseController) sends
// what is buffered. A body that fits in the host's buffer gets a
// Content-Length; a longer one is sent chunked. Hijack, trailers and 1xx
// responses are not supported; a Write after WriteHeader(204) or (304)
// fails with http.ErrBodyNotAllowed. A panic fails the request
// (req_abort: 500 if nothing was sent yet, else the connection is closed
// with the response cut short) and is printed to stderr, as net/http
// does.
package gateway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// app is the handler registered by Serve or ServeCtx.
var app appHandler

// appHandler serves requests with a net/http handler (Serve) or a Ctx
// handler (ServeCtx).
type appHandler struct {
	h   http.Handler
	ctx func(*Ctx)
}

// serve serves the request on f; it returns what pts_handle returns (1
// when no handler was registered).
func (a appHandler) serve(f *reqFD) int32 {
	switch {
	case a.ctx != nil:
		return serveCtx(a.ctx, f)
	case a.h != nil:
		return serveRequest(a.h, f)
	}
	fmt.Fprintln(os.Stderr, "gateway: no handler: call gateway.Serve or gateway.ServeCtx from an init function")
	return 1
}

// Serve runs h as the app's handler (nil means http.DefaultServeMux).
//
// In a reactor (blocking style), call it from an init function: main does
// not run. Serve registers h and returns at once; the host calls the
// handler for each request through pts_handle.
//
// In a command (scheduler style: main calls Serve), the host sets
// PTSEVENT_GATEWAY_FD to its request listener and Serve blocks: it accepts
// requests and serves them on goroutines, until the host closes the
// listener (the server stops), when it returns. Without
// PTSEVENT_GATEWAY_FD, Serve returns at once here too.
func Serve(h http.Handler) {
	if h == nil {
		h = http.DefaultServeMux
	}
	app = appHandler{h: h}
	if v, ok := os.LookupEnv(ListenerEnv); ok {
		serveCommand(app, v)
	}
}

// errnoErr turns an import's result into an error (a ptsevent.Errno).
func errnoErr(e uint32) error {
	if e == 0 {
		return nil
	}
	return ptsevent.Errno(e)
}

// reqFD is a request descriptor as the request's body and response writer
// use it, with the buffers of its environ and header block. A reactor
// serves one request at a time and reuses one (reactorFD); a command
// serves each request on its goroutine with its own, whose waits go
// through the Go runtime's poller (rc).
type reqFD struct {
	fd int32
	// cmd is set in a command, whose request descriptors are non-blocking:
	// an operation that says EAGAIN waits in the runtime's poller through
	// file, made on the first such wait (most requests never wait, and an
	// *os.File costs a finalizer and a poller registration).
	cmd  bool
	file *os.File
	rc   syscall.RawConn
	env  []byte
	hdr  []byte
	ctx  Ctx // the request's Ctx under ServeCtx (reused: no allocation)
}

// reactorFD is the reactor's request descriptor, reused.
var reactorFD = reqFD{env: make([]byte, 4096)}

// read reads once from the request: the host suspends a reactor until
// bytes come; a command's goroutine parks in the runtime's poller on
// EAGAIN. The first try builds no closure (it would escape to the heap):
// most requests never wait.
func (f *reqFD) read(p []byte) (int, error) {
	var n uint32
	e := sys.Read(f.fd, &p[0], uint32(len(p)), &n)
	if f.cmd && abi.Errno(e) == abi.EAGAIN {
		return f.readWait(p)
	}
	return int(n), errnoErr(e)
}

// readWait is a command's read after EAGAIN.
func (f *reqFD) readWait(p []byte) (int, error) {
	var n, e uint32
	op := func() bool {
		e = sys.Read(f.fd, &p[0], uint32(len(p)), &n)
		return abi.Errno(e) != abi.EAGAIN
	}
	if err := f.wait(f.rcRead, op); err != nil {
		return 0, err
	}
	return int(n), errnoErr(e)
}

// write writes once to the request (a zero-length write flushes), waiting
// as read does.
func (f *reqFD) write(p []byte) (int, error) {
	ptr := &zero
	if len(p) > 0 {
		ptr = &p[0]
	}
	var n uint32
	e := sys.Write(f.fd, ptr, uint32(len(p)), &n)
	if f.cmd && abi.Errno(e) == abi.EAGAIN {
		return f.writeWait(ptr, len(p))
	}
	return int(n), errnoErr(e)
}

// writeWait is a command's write after EAGAIN.
func (f *reqFD) writeWait(ptr *byte, size int) (int, error) {
	var n, e uint32
	op := func() bool {
		e = sys.Write(f.fd, ptr, uint32(size), &n)
		return abi.Errno(e) != abi.EAGAIN
	}
	if err := f.wait(f.rcWrite, op); err != nil {
		return 0, err
	}
	return int(n), errnoErr(e)
}

func (f *reqFD) rcRead(op func(uintptr) bool) error  { return f.rc.Read(op) }
func (f *reqFD) rcWrite(op func(uintptr) bool) error { return f.rc.Write(op) }

// wait parks a command's goroutine in the runtime's poller through wait
// (rc.Read or rc.Write) until op no longer says EAGAIN. The request's
// *os.File and RawConn are made on the first wait.
func (f *reqFD) wait(wait func(func(uintptr) bool) error, op func() bool) error {
	if f.rc == nil {
		f.file = os.NewFile(uintptr(f.fd), "gateway-request")
		if f.file == nil {
			return os.ErrInvalid
		}
		rc, err := f.file.SyscallConn()
		if err != nil {
			return err
		}
		f.rc = rc
	}
	return wait(func(uintptr) bool { return op() })
}

// close ends a command's request: through its *os.File if one was made
// (which also leaves the poller), else with the close import.
func (f *reqFD) close() {
	if f.file != nil {
		f.file.Close()
		return
	}
	sys.Close(f.fd)
}

// abortOnPanic fails the request after its handler panicked with p, and
// returns what pts_handle returns then (1): 500 if nothing went out yet,
// else the host closes the connection so the client sees the response cut
// short (a command's requests end by close, so returning 1 is not enough
// there). The panic is printed with the stack, as net/http does, unless
// it is http.ErrAbortHandler.
func (f *reqFD) abortOnPanic(p any, method, uri string) int32 {
	if p != http.ErrAbortHandler {
		buf := make([]byte, 64<<10)
		buf = buf[:runtime.Stack(buf, false)]
		fmt.Fprintf(os.Stderr, "gateway: panic serving %s %s: %v\n%s", method, uri, p, buf)
	}
	sys.ReqAbort(f.fd)
	return 1
}

// writeAll writes all of p to the response, or stops at the first error.
func (f *reqFD) writeAll(p []byte) (int, error) {
	total := 0
	for total < len(p) {
		n, err := f.write(p[total:])
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readEnviron fetches the environ of the request into f.env: one
// req_environ call once the buffer has grown to fit the requests seen.
func (f *reqFD) readEnviron() ([]byte, error) {
	var size uint32
	e := uint32(abi.ERANGE) // no buffer yet
	if len(f.env) > 0 {
		e = sys.ReqEnviron(f.fd, &f.env[0], uint32(len(f.env)), &size)
	}
	if e == 0 {
		return f.env[:size], nil
	}
	return f.growEnviron(e, size)
}

// growEnviron finishes readEnviron after a call that returned e (and the
// size needed, for ERANGE): it grows the buffer and calls again.
func (f *reqFD) growEnviron(e, size uint32) ([]byte, error) {
	for {
		switch abi.Errno(e) {
		case 0:
			return f.env[:size], nil
		case abi.ERANGE:
			f.env = make([]byte, max(size+size/2, 4096))
		default:
			return nil, errnoErr(e)
		}
		e = sys.ReqEnviron(f.fd, &f.env[0], uint32(len(f.env)), &size)
	}
}

// Handle serves the request fd with the handler registered by Serve (or
// ServeCtx) and returns what pts_handle returns (0, or 1 when the request
// failed). The
// SDK's exported pts_handle calls it; an app that exports its own
// pts_handle (to count requests, say) may call it too.
func Handle(fd int32) int32 { return handle(fd) }

// handle serves request fd of a reactor with the registered handler.
func handle(fd int32) int32 {
	f := &reactorFD
	f.fd = fd
	if app.ctx != nil {
		return serveCtx(app.ctx, f) // app.serve's first case, one call sooner
	}
	return app.serve(f)
}

// serveRequest serves the request on f with h and returns what pts_handle
// returns: 0, or 1 when the request failed (h panicked, or the response
// could not be sent).
func serveRequest(h http.Handler, f *reqFD) (ret int32) {
	env, err := f.readEnviron()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway: req_environ:", err)
		return 1
	}
	x, err := newExchange(env, f)
	if err != nil {
		w := &responseWriter{f: f, header: http.Header{}}
		http.Error(w, "400 Bad Request: "+err.Error(), http.StatusBadRequest)
		return 0
	}
	req := &x.req
	w := &x.w
	w.f, w.header, w.req = f, http.Header{}, req
	defer func() {
		// The request's descriptor (and, reused, its reqFD) serves the
		// next request once this returns: a body or writer the handler
		// kept must not reach it.
		w.closed, x.body.closed = true, true
		if p := recover(); p != nil {
			ret = f.abortOnPanic(p, req.Method, req.RequestURI)
		}
	}()
	h.ServeHTTP(w, req)
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 1
	}
	return 0
}

// exchange is one request's objects in the SDK, allocated together: an
// allocation costs far more in a wasm guest than natively (three small
// ones cost about as much as the rest of a hello request's mapping).
type exchange struct {
	req  http.Request
	url  url.URL
	w    responseWriter
	body body
	vals [4]string // the header values, when there are at most 4
	// buf holds the copy of the environ that the request's strings are
	// substrings of, and RemoteAddr, when they fit (most requests).
	buf [512]byte
}

// newRequest builds the *http.Request of an environ (newExchange's).
func newRequest(envb []byte, f *reqFD) (*http.Request, error) {
	x, err := newExchange(envb, f)
	if err != nil {
		return nil, err
	}
	return &x.req, nil
}

// newExchange builds the request of an environ. It allocates little:
// every value is a substring of one copy of the environ, header values
// share one backing array, common header names come from a table, and the
// request, its URL, body and response writer, the environ's copy and
// RemoteAddr are one allocation unless the environ is long.
func newExchange(envb []byte, f *reqFD) (*exchange, error) {
	x := &exchange{}
	envc := append(x.buf[:0], envb...) // in x.buf when it fits
	env := unsafe.String(unsafe.SliceData(envc), len(envc))
	var spare []byte // the rest of x.buf, for RemoteAddr
	if len(envc) <= len(x.buf) {
		spare = x.buf[len(envc):len(envc)]
	}
	// The headers are gathered first and the map made for as many as
	// there are (most requests have a few; a map made for 16 costs four
	// times as much to allocate and clear). Loops cost more in a guest
	// than natively (each iteration may be a termination check): the
	// environ is scanned once.
	var hdrs [16][2]string // name (CGI form after "HTTP_", or canonical), value
	hs := hdrs[:0]
	r := &x.req
	var uri, path, query, clen, remoteIP, remotePort string
	for {
		k, v, rest, ok := nextPair(env)
		if !ok {
			break
		}
		env = rest
		// An if chain on keyIs rather than a switch: a string switch
		// compares with runtime.memequal, a call and a byte loop in a
		// guest, for every key whose length matches a case.
		switch {
		case len(k) > 5 && k[:5] == "HTTP_":
			if keyIs(k, "HTTP_HOST") {
				r.Host = v
			} else {
				hs = append(hs, [2]string{headerName(k[5:]), v})
			}
		case keyIs(k, "REQUEST_METHOD"):
			r.Method = v
		case keyIs(k, "PATH_INFO"):
			path = v
		case keyIs(k, "QUERY_STRING"):
			query = v
		case keyIs(k, "REQUEST_URI"):
			uri = v
		case keyIs(k, "SERVER_PROTOCOL"):
			r.Proto = v
		case keyIs(k, "REMOTE_ADDR"):
			remoteIP = v
		case keyIs(k, "REMOTE_PORT"):
			remotePort = v
		case keyIs(k, "URL_SCHEME"):
			if v == "https" {
				r.TLS = &tls.ConnectionState{HandshakeComplete: true}
			}
		case keyIs(k, "CONTENT_TYPE"):
			hs = append(hs, [2]string{"Content-Type", v})
		case keyIs(k, "CONTENT_LENGTH"):
			clen = v
			hs = append(hs, [2]string{"Content-Length", v})
		}
	}
	// One backing array for the values: each header's slice is one of
	// its elements, capped so that an Add reallocates instead of
	// overwriting the next.
	h := make(http.Header, len(hs))
	vals := x.vals[:]
	if len(hs) > len(vals) {
		vals = make([]string, len(hs))
	}
	for i, kv := range hs {
		vals[i] = kv[1]
		h[kv[0]] = vals[i : i+1 : i+1]
	}
	r.Header = h
	var ok bool
	if r.ProtoMajor, r.ProtoMinor, ok = http.ParseHTTPVersion(r.Proto); !ok {
		return nil, fmt.Errorf("malformed HTTP version %q", r.Proto)
	}
	r.RequestURI = uri
	if remotePort != "" {
		r.RemoteAddr = joinHostPort(spare, remoteIP, remotePort)
	} else {
		r.RemoteAddr = remoteIP
	}
	if simpleURL(uri, path, query, &x.url) {
		r.URL = &x.url
	} else {
		justAuthority := r.Method == "CONNECT" && !strings.HasPrefix(uri, "/")
		raw := uri
		if justAuthority {
			raw = "http://" + uri
		}
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return nil, err
		}
		if justAuthority {
			u.Scheme = ""
		}
		r.URL = u
		if r.Host == "" {
			r.Host = u.Host
		}
	}
	switch {
	case clen != "":
		n, err := strconv.ParseInt(clen, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", clen)
		}
		r.ContentLength = n
	case h["Transfer-Encoding"] != nil:
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
		delete(h, "Transfer-Encoding")
	}
	if c := h["Connection"]; c != nil {
		r.Close = hasToken(c[0], "close") || (r.ProtoMinor == 0 && !hasToken(c[0], "keep-alive"))
	} else {
		r.Close = r.ProtoMinor == 0
	}
	if r.ContentLength == 0 {
		r.Body = http.NoBody
	} else {
		x.body.f = f
		r.Body = &x.body
	}
	return x, nil
}

// joinHostPort is net.JoinHostPort appending to buf: when it fits in buf's
// capacity the result takes no allocation.
func joinHostPort(buf []byte, host, port string) string {
	if strings.IndexByte(host, ':') >= 0 {
		buf = append(append(append(buf, '['), host...), ']')
	} else {
		buf = append(buf, host...)
	}
	buf = append(append(buf, ':'), port...)
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// simpleURL sets u to the URL of an origin-form target without escapes
// ("/a/b?x=1"), which url.ParseRequestURI would parse to the same value,
// from the decoded PATH_INFO and the raw QUERY_STRING; it reports false,
// leaving u alone, for any other target.
func simpleURL(uri, path, query string, u *url.URL) bool {
	if len(uri) == 0 || uri[0] != '/' || strings.IndexByte(uri, '%') >= 0 {
		return false
	}
	p := uri
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		p = uri[:i]
	}
	if p != path {
		return false
	}
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: query == "" && len(p) < len(uri)}
	return true
}

// commonHeaders maps the CGI form of frequent header names (after
// "HTTP_") to their canonical form, so that they cost no allocation.
var commonHeaders = map[string]string{}

func init() {
	for _, n := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Cookie", "Dnt", "Expect", "Forwarded", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Keep-Alive",
		"Origin", "Pragma", "Range", "Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
		"Sec-Fetch-Site", "Sec-Fetch-User", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Upgrade-Insecure-Requests", "User-Agent", "Via", "X-Forwarded-For", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id", "Content-Encoding",
	} {
		commonHeaders[strings.ToUpper(strings.ReplaceAll(n, "-", "_"))] = n
	}
}

// headerName turns a CGI header name ("X_FORWARDED_FOR") into its
// canonical form ("X-Forwarded-For").
func headerName(cgi string) string {
	if n, ok := commonHeaders[cgi]; ok {
		return n
	}
	b := make([]byte, len(cgi))
	upper := true
	for i := 0; i < len(cgi); i++ {
		c := cgi[i]
		switch {
		case c == '_':
			c = '-'
			upper = true
			b[i] = c
			continue
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		upper = false
		b[i] = c
	}
	return string(b)
}

func hasToken(v, t string) bool {
	for f := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(f), t) {
			return true
		}
	}
	return false
}

// body reads the request body from the host.
type body struct {
	f      *reqFD
	eof    bool
	closed bool // the handler returned
}

// errHandlerReturned is what a body or response writer kept past its
// handler's return answers.
var errHandlerReturned = errors.New("gateway: use of a request or response after its handler returned")

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errHandlerReturned
	}
	return readBody(b.f, p, &b.eof)
}

// readBody reads the request body on f into p; *eof records its end,
// after which it returns io.EOF without asking the host again.
func readBody(f *reqFD, p []byte, eof *bool) (int, error) {
	if *eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := f.read(p)
	if err != nil {
		return 0, fmt.Errorf("gateway: reading the request body: %w", err)
	}
	if n == 0 {
		*eof = true
		return 0, io.EOF
	}
	return n, nil
}

func (b *body) Close() error { return nil }

// responseWriter maps http.ResponseWriter onto start_response and write.
type responseWriter struct {
	f           *reqFD
	req         *http.Request
	header      http.Header
	wroteHeader bool
	noBody      bool // the status is 204 or 304: Write fails, as net/http's
	closed      bool // the handler returned
	err         error
}

var _ http.Flusher = (*responseWriter)(nil)

func (w *responseWriter) Header() http.Header { return w.header }

// appendHeaderValue appends header value v with CR and LF turned into
// spaces, net/http's treatment of them, in one pass and no allocation.
func appendHeaderValue(b []byte, v string) []byte {
	start := len(b)
	b = append(b, v...)
	for i := start; i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			b[i] = ' '
		}
	}
	return b
}

func (w *responseWriter) WriteHeader(code int) {
	if w.closed {
		return
	}
	if w.wroteHeader {
		if w.req != nil {
			fmt.Fprintf(os.Stderr, "gateway: superfluous WriteHeader(%d) for %s %s\n", code, w.req.Method, w.req.RequestURI)
		}
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 {
		return // 1xx: not supported by the gateway; the final status follows
	}
	w.wroteHeader = true
	w.noBody = code == http.StatusNoContent || code == http.StatusNotModified
	w.startResponse(code, 0)
}

// startResponse calls start_response with the status and the headers.
func (w *responseWriter) startResponse(code int, flags int32) uint32 {
	status := statusLine(code)
	b := w.f.hdr[:0]
	for k, vs := range w.header {
		if !validHeaderName(k) {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, 0)
			b = appendHeaderValue(b, v)
			b = append(b, 0)
		}
	}
	w.f.hdr = b
	var p *byte
	if len(b) > 0 {
		p = &b[0]
	}
	e := sys.StartResponse(w.f.fd, status, p, uint32(len(b)), flags)
	if e != 0 && flags == 0 {
		w.err = fmt.Errorf("gateway: start_response: %w", errnoErr(e))
	}
	return e
}

// statusLines caches "200 OK" and the like.
var statusLines [1000]string

func statusLine(code int) string {
	if s := statusLines[code]; s != "" {
		return s
	}
	return newStatusLine(code)
}

// newStatusLine makes and caches the status line of code (statusLine's
// cached case stays small enough to be inlined).
func newStatusLine(code int) string {
	s := strconv.Itoa(code)
	if text := http.StatusText(code); text != "" {
		s += " " + text
	}
	statusLines[code] = s
	return s
}

// tokenChar marks the bytes of an RFC 9110 token (a valid header name).
var tokenChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
	}
	return t
}()

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !tokenChar[k[i]] {
			return false
		}
	}
	return true
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errHandlerReturned
	}
	if !w.wroteHeader {
		// net/http's rule: sniff unless Content-Type is there (even as
		// nil, which asks for none), or the body is encoded or
		// transfer-coded. Indexing with canonical names is Get without
		// its canonicalizing pass.
		_, haveType := w.header["Content-Type"]
		if len(p) > 0 && !haveType && first(w.header["Content-Encoding"]) == "" && first(w.header["Transfer-Encoding"]) == "" {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.noBody {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.writeAll(p)
	if errors.Is(err, ptsevent.Errno(abi.EFBIG)) {
		err = http.ErrContentLength
	}
	return n, err
}

// first returns vs[0], or "" when vs is empty (http.Header.Get's result).
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// WriteString avoids a copy for io.WriteString callers: Write only reads
// p (the host copies it out of guest memory).
func (w *responseWriter) WriteString(s string) (int, error) {
	return w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

var zero byte

// Flush sends the status, headers and body written so far.
func (w *responseWriter) Flush() {
	if w.closed {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return
	}
	if _, err := w.f.write(nil); err != nil {
		w.err = err
	}
}

// FlushError is Flush reporting the error (for http.ResponseController).
func (w *responseWriter) FlushError() error {
	w.Flush()
	return w.err
}
