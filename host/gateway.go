package host

import "github.com/ptsevent/ptsevent/abi"

// GatewayRequest is an HTTP request handed to a gateway guest (the WSGI of
// this project): a Stream the guest reads the request body from and writes
// the response body to, plus the two gateway imports. Package wsgihost
// implements it, once for its own server and once for the net/http
// adapter; the host only dispatches req_environ and start_response to it.
//
// As for every Stream, Read and Write never block: they return
// unix.EAGAIN and the guest waits on the descriptor's PollDesc. A
// zero-length Write flushes the response bytes buffered so far.
type GatewayRequest interface {
	Stream
	// Environ returns the request's environ as "KEY\x00VALUE\x00" pairs.
	// The host copies it into the guest and does not keep it.
	Environ() []byte
	// StartResponse sets the status ("200 OK") and the headers
	// ("Name\x00Value\x00" pairs) of the response. Both slices are views of
	// guest memory, valid only during the call: copy what must outlive it.
	StartResponse(status, headers []byte, flags uint32) abi.Errno
	// Abort fails the response (req_abort): 500 if nothing went out yet,
	// else the connection is closed with the response incomplete.
	Abort() abi.Errno
}

// GatewayExport is the function a blocking-style gateway guest exports:
// pts_handle(req_fd i32) -> i32 (see abi.Exports).
const GatewayExport = "pts_handle"

// Runtime returns the runtime the module was compiled by.
func (m *Module) Runtime() *Runtime { return m.rt }

// HasExport reports whether the module exports a function named name.
func (m *Module) HasExport(name string) bool {
	_, ok := m.compiled.ExportedFunctions()[name]
	return ok
}
