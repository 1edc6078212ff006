package wsgihost

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

// Handler returns an http.Handler that runs the gateway app mod (a guest
// exporting pts_handle) on rt's loops, so that the app can be mounted in
// any Go net/http server, as a WSGI app in any WSGI server:
//
//	http.Handle("/", wsgihost.Handler(rt, mod, host.InstanceConfig{}))
//
// Each request runs as a task on one of the loops (round-robin), on an
// instance from that loop's pool (DefaultPoolSize instances at most), with
// the same environ, start_response and body rules as the built-in server.
// The request body is read from net/http on demand and the response is
// streamed back (a zero-length write flushes); net/http does the framing.
// cfg.Deadline, when 0, is DefaultRequestDeadline. A guest failure before
// the response started is answered with 500 (503 for the deadline); after,
// the connection is aborted (http.ErrAbortHandler). The reason phrase of
// the guest's status is net/http's, not the guest's.
func Handler(rt *host.Runtime, mod *host.Module, cfg host.InstanceConfig) http.Handler {
	if cfg.Deadline == 0 {
		cfg.Deadline = DefaultRequestDeadline
	}
	h := &adapter{rt: rt, mod: mod, pools: map[*evloop.Loop]*host.Pool{}, log: rt.Logger()}
	for _, l := range rt.Loops() {
		_ = l.Submit(func(*evloop.Task) {
			p := mod.NewPool(l, cfg, DefaultPoolSize)
			h.mu.Lock()
			h.pools[l] = p
			h.mu.Unlock()
		})
	}
	return h
}

type adapter struct {
	rt    *host.Runtime
	mod   *host.Module
	mu    sync.Mutex
	pools map[*evloop.Loop]*host.Pool
	log   *slog.Logger
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt+maxChunk); return &b }}

// ServeHTTP implements http.Handler.
func (h *adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	env, err := environOf(r)
	if err != nil {
		http.Error(w, "400 Bad Request: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Let the guest read the body while it writes the response, as behind
	// the built-in server (net/http otherwise closes the body once the
	// response head is flushed).
	_ = http.NewResponseController(w).EnableFullDuplex()
	loop := h.rt.NextLoop()
	h.mu.Lock()
	pool := h.pools[loop]
	h.mu.Unlock()
	if pool == nil {
		http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	x := &exchange{
		h: h, loop: loop, pool: pool, r: r, env: env,
		msgs:   make(chan adapterMsg, 2),
		want:   make(chan struct{}, 1),
		declCL: -1,
		isHead: r.Method == http.MethodHead,
		noBody: r.Body == nil || r.Body == http.NoBody,
	}
	loop.Post(func() {
		x.pd = loop.NewVirtual()
		x.pd.SetReady(evloop.Writable)
		loop.Go(x.run)
	})
	select {
	case m := <-x.msgs:
		x.deliver(w, m)
	case <-loop.Done():
		http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
		return
	}
}

// deliver writes the messages of the loop side to w, from m to the final
// one.
func (x *exchange) deliver(w http.ResponseWriter, m adapterMsg) {
	rc := http.NewResponseController(w)
	abort := false
	for {
		if m.fail != 0 {
			if x.headSent {
				abort = true
			} else {
				http.Error(w, http1.StatusText(m.fail), m.fail)
			}
		}
		if m.head != nil {
			hd := w.Header()
			for _, kv := range m.head.fields {
				hd.Add(kv[0], kv[1])
			}
			if m.head.contentLength >= 0 {
				hd.Set("Content-Length", strconv.FormatInt(m.head.contentLength, 10))
			}
			w.WriteHeader(m.head.status)
			x.headSent = true
		}
		if m.data != nil {
			if len(*m.data) > 0 {
				_, _ = w.Write(*m.data)
			}
			if m.flush {
				_ = rc.Flush()
			}
			*m.data = (*m.data)[:0]
			bufPool.Put(m.data)
			if !m.final {
				x.loop.Post(x.acked)
			}
		}
		if m.final {
			break
		}
		select {
		case m = <-x.msgs:
			continue
		case <-x.loop.Done():
			abort = true
		}
		break
	}
	close(x.want)
	if x.pumpDone != nil {
		<-x.pumpDone
	}
	if abort {
		panic(http.ErrAbortHandler)
	}
}

// adapterMsg goes from the loop to the net/http goroutine. At most one
// data message is in flight (the next waits for its ack), plus the final
// one, so the loop never blocks sending.
type adapterMsg struct {
	head  *adapterHead
	data  *[]byte
	flush bool
	final bool
	fail  int // 500/503: answer with it, or abort if the response started
}

type adapterHead struct {
	status        int
	fields        [][2]string
	contentLength int64 // -1: let net/http frame the body
}

// exchange is one request through the adapter: a host.GatewayRequest on
// the loop side, a net/http handler call on the other.
type exchange struct {
	h        *adapter
	loop     *evloop.Loop
	pool     *host.Pool
	r        *http.Request
	env      []byte
	msgs     chan adapterMsg
	want     chan struct{}
	pumpDone chan struct{}
	headSent bool // net/http side

	// Loop side.
	pd          *evloop.PollDesc
	in          []byte
	bodyEOF     bool
	bodyErr     error
	wantPending bool
	noBody      bool // the request has no body
	isHead      bool

	started, poisoned, committed, ended, callDone bool
	aborted                                       bool // req_abort
	status                                        int
	hdr                                           []byte
	declCL                                        int64
	written                                       int64
	respNoBody                                    bool
	pending                                       *[]byte
	inFlight                                      bool
	finalSent                                     bool
}

var _ host.GatewayRequest = (*exchange)(nil)

// run is the loop-side task: the guest call.
func (x *exchange) run(t *evloop.Task) {
	defer x.pd.Close()
	ctx := context.Background()
	in, err := x.pool.Get(ctx, t)
	if err != nil {
		x.h.log.Error("wsgihost: no guest instance", "err", err)
		x.fail(503)
		return
	}
	fd, d, e := in.FDs().AddStream(x, x.pd, false)
	if e != 0 {
		x.pool.Put(in)
		x.fail(503)
		return
	}
	d.RecvTimeout = DefaultBodyReadTimeout
	d.SendTimeout = DefaultWriteTimeout
	res, err := in.Call(ctx, t, host.GatewayExport, uint64(fd))
	x.callDone = true
	if cur, e := in.FDs().Get(fd); e == 0 && cur == d {
		in.FDs().Close(fd)
	}
	x.pool.Put(in)
	status := 0
	if err == nil && len(res) > 0 && int32(res[0]) != 0 {
		err = errors.New("pts_handle returned " + strconv.Itoa(int(int32(res[0]))))
		status = 500
	} else if err != nil {
		status = 500
		var ee *sys.ExitError
		if errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled) {
			status = 503
		}
	}
	if err != nil {
		x.h.log.Error("wsgihost: guest failed", "module", x.h.mod.Name, "method", x.r.Method, "uri", x.r.RequestURI, "status", status, "err", err.Error())
	}
	if status == 0 && x.aborted {
		status = 500 // the guest's own decision: it reports why itself
	}
	switch {
	case status != 0 && !x.ended:
		x.fail(status)
	case !x.started || x.poisoned:
		if !x.poisoned && status == 0 {
			x.h.log.Error("wsgihost: guest returned without start_response", "module", x.h.mod.Name, "uri", x.r.RequestURI)
		}
		x.fail(500)
	default:
		x.end()
	}
}

func (x *exchange) fail(status int) {
	if x.finalSent {
		return
	}
	x.finalSent = true
	x.msgs <- adapterMsg{final: true, fail: status}
}

// Abort implements host.GatewayRequest (req_abort): the call's end fails
// the response (500, or net/http aborts the connection once the head went
// out).
func (x *exchange) Abort() abi.Errno {
	if x.ended {
		return abi.EINVAL
	}
	x.aborted = true
	return 0
}

// Environ implements host.GatewayRequest.
func (x *exchange) Environ() []byte { return x.env }

// StartResponse implements host.GatewayRequest.
func (x *exchange) StartResponse(status, headers []byte, flags uint32) abi.Errno {
	if x.poisoned {
		return abi.EINVAL
	}
	if (x.started && (flags&abi.START_RESPONSE_EXC_INFO == 0 || x.committed)) || x.ended {
		return abi.EALREADY
	}
	code, _, ok := http1.ParseStatus(status)
	if !ok || code < 200 {
		x.poison()
		return abi.EINVAL
	}
	rh, ok := parseResponseHeaders(x.hdr[:0], headers)
	if !ok {
		x.poison()
		return abi.EINVAL
	}
	x.hdr = rh.lines
	x.declCL = rh.contentLength
	if x.started && x.pending != nil {
		*x.pending = (*x.pending)[:0]
		x.written = 0
	}
	x.started = true
	x.status = code
	x.respNoBody = x.isHead || code == 204 || code == 304
	return 0
}

func (x *exchange) poison() {
	x.poisoned = true
	x.started = false
	if x.pending != nil {
		*x.pending = (*x.pending)[:0]
	}
}

// Read implements host.Stream: the body, fetched from net/http on demand.
func (x *exchange) Read(p []byte) (int, error) {
	if len(x.in) > 0 {
		n := copy(p, x.in)
		x.in = x.in[n:]
		return n, nil
	}
	switch {
	case x.noBody || x.bodyEOF || len(p) == 0:
		return 0, nil
	case x.bodyErr != nil:
		return 0, unix.ECONNRESET
	}
	if !x.wantPending {
		x.wantPending = true
		if x.pumpDone == nil {
			x.pumpDone = make(chan struct{})
			go x.pump()
		}
		x.want <- struct{}{}
	}
	return 0, unix.EAGAIN
}

// pump reads the request body for the loop, one read per request of it.
func (x *exchange) pump() {
	defer close(x.pumpDone)
	buf := make([]byte, 32<<10)
	for range x.want {
		n, err := x.r.Body.Read(buf)
		data := buf[:n]
		x.loop.Post(func() {
			x.in = data
			x.wantPending = false
			switch {
			case err == io.EOF:
				x.bodyEOF = true
			case err != nil:
				x.bodyErr = err
			}
			x.pd.SetReady(evloop.Readable)
		})
		if err != nil {
			return
		}
	}
}

// Write implements host.Stream: the response body, shipped to net/http
// once flushAt bytes are pending (unix.EAGAIN while a shipment is in
// flight), on a zero-length write, and at the end.
func (x *exchange) Write(p []byte) (int, error) {
	if x.aborted {
		return 0, unix.EPIPE
	}
	if !x.started || x.poisoned || x.ended {
		return 0, unix.EPROTO
	}
	if x.pending == nil {
		x.pending = bufPool.Get().(*[]byte)
	}
	if len(p) == 0 {
		if x.inFlight {
			return 0, unix.EAGAIN
		}
		x.ship(true, false)
		return 0, nil
	}
	if x.declCL >= 0 {
		left := x.declCL - x.written
		if left <= 0 {
			return 0, unix.EFBIG
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	if x.respNoBody {
		x.written += int64(len(p))
		return len(p), nil
	}
	total := 0
	for len(p) > 0 {
		if len(*x.pending) >= flushAt {
			if x.inFlight {
				if total > 0 {
					return total, nil
				}
				return 0, unix.EAGAIN
			}
			x.ship(false, false)
		}
		take := min(len(p), maxChunk)
		*x.pending = append(*x.pending, p[:take]...)
		x.written += int64(take)
		total += take
		p = p[take:]
	}
	return total, nil
}

// ship sends the pending body (with the head, the first time).
func (x *exchange) ship(flush, final bool) {
	m := adapterMsg{data: x.pending, flush: flush, final: final}
	if !x.committed {
		x.committed = true
		hd := &adapterHead{status: x.status, contentLength: x.declCL}
		for line := range bytes.SplitSeq(x.hdr, []byte("\r\n")) {
			if k, v, ok := bytes.Cut(line, []byte(": ")); ok {
				hd.fields = append(hd.fields, [2]string{string(k), string(v)})
			}
		}
		if final && hd.contentLength < 0 && x.status != 204 && x.status != 304 {
			hd.contentLength = x.written
		}
		m.head = hd
	}
	x.pending = bufPool.Get().(*[]byte)
	x.inFlight = true
	if final {
		x.finalSent = true
	}
	x.msgs <- m
}

// acked runs on the loop when net/http has written a shipment.
func (x *exchange) acked() {
	x.inFlight = false
	if x.ended && !x.finalSent {
		x.ship(false, true)
		return
	}
	x.pd.SetReady(evloop.Writable)
}

// end completes the response: the rest is shipped as the final message,
// now or when the shipment in flight is acknowledged.
func (x *exchange) end() {
	if x.ended {
		return
	}
	x.ended = true
	if x.pending == nil {
		x.pending = bufPool.Get().(*[]byte)
	}
	if !x.inFlight {
		x.ship(false, true)
	}
}

// Close implements host.Stream: closing the descriptor ends the response.
func (x *exchange) Close() error {
	if !x.callDone && x.started && !x.poisoned && !x.aborted {
		x.end()
	}
	return nil
}

// environOf builds the environ of a net/http request, with the same keys
// as the server's (EnvironKeys).
func environOf(r *http.Request) ([]byte, error) {
	e := envWriter{b: make([]byte, 0, 512)}
	e.addString("REQUEST_METHOD", r.Method)
	e.addString("SCRIPT_NAME", "")
	if strings.IndexByte(r.URL.Path, 0) >= 0 {
		return nil, errors.New("NUL in path")
	}
	e.addString("PATH_INFO", r.URL.Path)
	e.addString("QUERY_STRING", r.URL.RawQuery)
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	e.addString("REQUEST_URI", uri)
	var local sockAddr
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if h, p, err := net.SplitHostPort(la.String()); err == nil {
			local = sockAddr{ip: h, port: p}
		}
	}
	if r.Host != "" {
		e.addString("SERVER_NAME", hostPart(r.Host))
	} else {
		e.addString("SERVER_NAME", local.ip)
	}
	e.addString("SERVER_PORT", local.port)
	e.addString("SERVER_PROTOCOL", r.Proto)
	rh, rp, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		rh = r.RemoteAddr
	}
	e.addString("REMOTE_ADDR", rh)
	e.addString("REMOTE_PORT", rp)
	if r.TLS != nil {
		e.addString("URL_SCHEME", "https")
	} else {
		e.addString("URL_SCHEME", "http")
	}
	if ct, ok := r.Header["Content-Type"]; ok && len(ct) > 0 {
		e.addString("CONTENT_TYPE", ct[0])
	}
	if _, ok := r.Header["Content-Length"]; ok && len(r.TransferEncoding) == 0 && r.ContentLength >= 0 {
		e.addString("CONTENT_LENGTH", strconv.FormatInt(r.ContentLength, 10))
	}
	if r.Host != "" {
		e.addString("HTTP_HOST", r.Host)
	}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if skipHeader([]byte(k)) {
			continue
		}
		var ok bool
		if e.b, ok = http1.AppendCGIKey(e.b, k); !ok {
			continue
		}
		e.b = append(e.b, 0)
		sep := ", "
		if k == "Cookie" {
			sep = "; "
		}
		for i, v := range r.Header[k] {
			if i > 0 {
				e.b = append(e.b, sep...)
			}
			e.b = append(e.b, v...)
		}
		e.b = append(e.b, 0)
	}
	return e.b, nil
}
