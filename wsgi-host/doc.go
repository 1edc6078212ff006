// Package wsgihost is ptsevent's gateway: an HTTP/1.1 server on the event
// loops that hands each request to a WebAssembly guest app, and an
// http.Handler adapter that runs the same app inside any Go net/http server.
//
// # The server
//
// [Server] runs one listener per loop (SO_REUSEPORT), one accept task per
// listener and a task per connection with a request to serve, all on the
// loops of a [host.Runtime], with no other goroutines. A connection task
// reads into its buffer (trying the read first and parking on the socket
// only on EAGAIN; a plain connection with nothing of a next request gives
// its task and its buffers back to the loop instead, and takes the most
// recently freed ones when bytes come, so a busy loop works from a few
// coroutine stacks and buffers that stay in cache, and an idle keep-alive
// connection costs neither), parses the head with the wire layer in internal/http1,
// answers framing errors itself (400, 408, 413, 414, 431, 501, 505: they
// never reach a guest), takes an instance from its loop's pool, adds the
// request to the instance's descriptor table and calls the guest's
// pts_handle(req_fd) in the same task. The guest's blocking reads and
// writes park that very task on the connection's socket, so a slow client
// back-pressures the guest and a slow guest holds only its own instance.
// Keep-alive, pipelining (responses in order), chunked bodies both ways,
// Expect: 100-continue, HTTP/1.0 with and without keep-alive and HEAD follow
// RFC 9112; limits and timeouts are [Server] fields with safe defaults.
//
// # The gateway model
//
// A request is a descriptor (a [host.GatewayRequest] stream):
//
//   - req_environ gives the CGI/WSGI environ as KEY\0VALUE\0 pairs: see
//     [EnvironKeys] for the keys;
//   - read, readv and readline on the descriptor read the request body,
//     de-chunked, and never past it into a pipelined request; the first
//     read of a request with "Expect: 100-continue" sends "100 Continue";
//   - start_response(status, headers, flags) sets the status and headers
//     (PEP 3333 rules: validated, sent with the first body byte, a second
//     call only with START_RESPONSE_EXC_INFO before anything went out);
//   - write and writev send the body: buffered and sent in one write with
//     the head when the app ends (the server then adds Content-Length),
//     else flushed every 32 KiB or on a zero-length write, with chunked
//     framing for HTTP/1.1 when the app declared no Content-Length; never
//     more bytes than a declared Content-Length (EFBIG), no body for HEAD,
//     204 and 304;
//   - close (or returning from pts_handle) ends the response.
//
// A guest that traps, exits, returns non-zero or passes its deadline fails
// only its own request (500, or 503 for the deadline), is logged with the
// wasm stack, and its instance is discarded and replaced.
//
// # Scheduler-style apps
//
// The above is the blocking style: a reactor exporting pts_handle, one
// request per instance at a time. A command (a Go main calling the SDK's
// gateway.Serve) is served in the scheduler style instead ([Style]): each
// worker starts one instance of it with [host.Module.StartWith], with a
// [host.GatewayListener] in its table (its number in PTSEVENT_GATEWAY_FD).
// A connection task adds each parsed request to that table as a
// non-blocking descriptor, queues it on the listener and parks until the
// guest closes it, the command ends, or the request deadline passes (503,
// and the descriptor is revoked). The guest's reads and writes never park
// the command's task: they return EAGAIN, and its Go runtime parks the
// goroutine and waits for all of its descriptors in poll_oneoff (the WASI
// overlay's). A command that exits or traps fails its requests in flight
// (500) and is restarted, with backoff when it keeps failing at start; one
// that computes past the request deadline without waiting is stopped by a
// watchdog (503). Shutdown drains the requests in flight, then closes the
// listener, so the guest's Serve returns.
//
// In both styles BodyReadTimeout and WriteTimeout bound each wait of the
// guest on a request (in a read or write, or in poll or poll_oneoff), not
// the whole request. A wait for body bytes past BodyReadTimeout fails the
// body: that read and every later one get ETIMEDOUT, the response says
// Connection: close (unless its head went out already), and the
// connection closes after it without waiting for the rest of the body. A
// wait for the client to take output past WriteTimeout fails the
// connection: that write and every later one get ETIMEDOUT, nothing more
// is sent, and it closes when the request ends.
package wsgihost
