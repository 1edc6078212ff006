package gateway

import (
	"fmt"
	"os"
	"slices"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// Ctx is one request served by a handler registered with ServeCtx: the
// environ, the body and the response, mapped straight onto the gateway
// imports, without net/http's types. It is to Serve what fasthttp's
// RequestCtx is to net/http: serving a request allocates nothing, which
// in a wasm guest is most of the cost of a small request. A hello world's
// guest call (wsgi-host's BenchmarkGuestCall) takes 8-11 us through Serve
// with a bare HandlerFunc (http.Request, its Header, the response Header
// and the allocator), 11-16 us with a ServeMux, and 0.75-0.9 us through
// ServeCtx; the same app in C takes 0.55-0.65 us, and a guest that calls
// the three imports and nothing else 0.33 us.
//
// A Ctx, and every string its methods return, is valid only until the
// handler returns: the strings alias the environ buffer, which the next
// request reuses. Copy what you keep (strings.Clone).
//
// The response: SetStatus and AddHeader before the first Write (or
// Flush); Write buffers in the host, which sends a body that fits its
// buffer with a Content-Length, and a longer one chunked (HTTP/1.1). No
// header is added for the app (no Content-Type sniffing): set what the
// response needs. Header names and values are checked by the host; one
// with CR or LF fails the response (500), as start_response does.
type Ctx struct {
	f       *reqFD
	env     string // the environ, aliasing f.env
	status  int
	hdr     []byte // the header block for start_response, kept for the next request
	started bool
	bodyEOF bool
	err     error
}

// ServeCtx runs h as the app's handler, like Serve but with the Ctx
// mapping: call it from an init function in a reactor, or from main in a
// command, as Serve. A panic in h fails its request as with Serve.
func ServeCtx(h func(*Ctx)) {
	app = appHandler{ctx: h}
	if v, ok := os.LookupEnv(ListenerEnv); ok {
		serveCommand(app, v)
	}
}

// serveCtx serves the request on f with h; it returns what pts_handle
// returns. The Ctx, reused in f, is reset field by field: a composite
// literal costs the guest a zeroing call per request.
func serveCtx(h func(*Ctx), f *reqFD) (ret int32) {
	// readEnviron, inline: a call costs the guest more than this.
	var size uint32
	e := uint32(abi.ERANGE) // no buffer yet
	if len(f.env) > 0 {
		e = sys.ReqEnviron(f.fd, &f.env[0], uint32(len(f.env)), &size)
	}
	if e != 0 {
		env, err := f.growEnviron(e, size)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gateway: req_environ:", err)
			return 1
		}
		size = uint32(len(env))
	}
	c := &f.ctx
	c.f = f
	c.env = unsafe.String(unsafe.SliceData(f.env), size)
	c.status = 200
	c.hdr = c.hdr[:0]
	c.started, c.bodyEOF = false, false
	c.err = nil
	returned := false
	defer func() {
		if !returned {
			if p := recover(); p != nil {
				ret = f.abortOnPanic(p, c.Method(), c.RequestURI())
			}
		}
	}()
	h(c)
	returned = true
	if !c.started {
		c.start()
	}
	if c.err != nil {
		return 1
	}
	return 0
}

// Env returns the value of environ key ("REQUEST_METHOD", "HTTP_ACCEPT",
// ...; see the gateway keys in SPEC.md), or "" when the request has none.
func (c *Ctx) Env(key string) string {
	v, _ := c.LookupEnv(key)
	return v
}

// LookupEnv returns the value of environ key and whether the request has
// it.
func (c *Ctx) LookupEnv(key string) (string, bool) { return lookupEnv(c.env, key) }

// VisitEnv calls fn for each environ key and value, in the host's order.
func (c *Ctx) VisitEnv(fn func(key, value string)) {
	for env := c.env; ; {
		k, v, rest, ok := nextPair(env)
		if !ok {
			return
		}
		fn(k, v)
		env = rest
	}
}

// Method is the request method (REQUEST_METHOD).
func (c *Ctx) Method() string { return leadingValue(c.env, leadMethod) }

// Path is the percent-decoded path (PATH_INFO).
func (c *Ctx) Path() string { return leadingValue(c.env, leadPath) }

// Query is the raw query string, without "?" (QUERY_STRING).
func (c *Ctx) Query() string { return leadingValue(c.env, leadQuery) }

// RequestURI is the request target as the client sent it (REQUEST_URI).
func (c *Ctx) RequestURI() string { return leadingValue(c.env, leadURI) }

// Header returns the value of request header name, matched without regard
// to case ("content-type", "X-Forwarded-For"); repeated headers come
// joined with ", ". Headers whose names contain "_" never reach the app.
func (c *Ctx) Header(name string) string {
	for env := c.env; ; {
		k, v, rest, ok := nextPair(env)
		if !ok {
			return ""
		}
		if cgiHeaderIs(k, name) {
			return v
		}
		env = rest
	}
}

// cgiHeaderIs reports whether environ key k is header name: HTTP_ followed
// by name upper-cased with "-" as "_", or CONTENT_TYPE and CONTENT_LENGTH,
// which CGI keeps without the prefix.
func cgiHeaderIs(k, name string) bool {
	switch {
	case len(k) == len(name)+5 && k[:5] == "HTTP_":
		k = k[5:]
	case len(k) == len(name) && (k == "CONTENT_TYPE" || k == "CONTENT_LENGTH"):
	default:
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case b == '-':
			b = '_'
		case 'a' <= b && b <= 'z':
			b -= 'a' - 'A'
		case b == '_':
			return false // the host drops such names; "x_y" must not match X-Y
		}
		if k[i] != b {
			return false
		}
	}
	return true
}

// Read reads the request body (de-chunked by the host, never past it); it
// returns io.EOF at its end.
func (c *Ctx) Read(p []byte) (int, error) { return readBody(c.f, p, &c.bodyEOF) }

// SetStatus sets the response status (200 unless set). It has no effect
// once the response started.
func (c *Ctx) SetStatus(code int) {
	if !c.started && code >= 100 && code <= 999 {
		c.status = code
	}
}

// AddHeader adds a response header. It has no effect once the response
// started.
func (c *Ctx) AddHeader(name, value string) {
	if c.started {
		return
	}
	// One capacity check and two copies: appending the four parts costs
	// a guest twice as much.
	n := len(c.hdr)
	end := n + len(name) + len(value) + 2
	c.hdr = slices.Grow(c.hdr, end-n)
	h := c.hdr[:end]
	copy(h[n:], name)
	h[n+len(name)] = 0
	copy(h[n+len(name)+1:], value)
	h[end-1] = 0
	c.hdr = h
}

// start calls start_response with the status and the headers.
func (c *Ctx) start() {
	c.started = true
	var p *byte
	if len(c.hdr) > 0 {
		p = &c.hdr[0]
	}
	if e := sys.StartResponse(c.f.fd, statusLine(c.status), p, uint32(len(c.hdr)), 0); e != 0 {
		c.startFailed(e)
	}
}

// startFailed records start_response's error e: out of start, which stays
// small.
func (c *Ctx) startFailed(e uint32) {
	c.err = fmt.Errorf("gateway: start_response: %w", errnoErr(e))
}

// Write writes to the response body, starting the response first.
func (c *Ctx) Write(p []byte) (int, error) {
	if !c.started {
		c.start()
	}
	if c.err != nil {
		return 0, c.err
	}
	if !c.f.cmd && len(p) > 0 {
		// A reactor's write takes all of p or fails (the host suspends
		// the instance while the client is slow): one import call here
		// instead of writeAll's layers.
		var n uint32
		if e := sys.Write(c.f.fd, &p[0], uint32(len(p)), &n); e != 0 || int(n) != len(p) {
			return c.writeRest(p, int(n), e)
		}
		return len(p), nil
	}
	n, err := c.f.writeAll(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// writeRest finishes a Write whose first write sent n bytes of p and
// returned e.
func (c *Ctx) writeRest(p []byte, n int, e uint32) (int, error) {
	if e != 0 {
		c.err = errnoErr(e)
		return n, c.err
	}
	m, err := c.f.writeAll(p[n:])
	if err != nil {
		c.err = err
	}
	return n + m, err
}

// WriteString writes s to the response body without copying it.
func (c *Ctx) WriteString(s string) (int, error) {
	return c.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Flush sends the status, headers and body written so far.
func (c *Ctx) Flush() error {
	if !c.started {
		c.start()
	}
	if c.err != nil {
		return c.err
	}
	if _, err := c.f.write(nil); err != nil {
		c.err = err
	}
	return c.err
}
