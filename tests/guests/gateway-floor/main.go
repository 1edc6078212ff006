// Command gateway-floor is the least a Go guest can do per request on the
// gateway ABI: pts_handle fetches the environ, then calls start_response
// and write with fixed bytes, with no SDK in between. Beside the SDK's
// guests in wsgi-host's BenchmarkGuestCall it is the floor the Go SDK's
// Ctx mapping is measured against: what is above it is the SDK's own code
// as the Go wasm port compiles it.
package main

import "github.com/ptsevent/ptsevent/guest-sdk/go/sys"

var (
	environ = make([]byte, 4096)
	headers = []byte("Content-Type\x00text/plain; charset=utf-8\x00")
	hello   = []byte("Hello, World!\n")
)

// ptsHandle answers every request with hello; 1 (a 500) when an import
// fails, which the benchmark reports.
//
//lint:ignore U1000 called by the host (go:wasmexport)
//go:wasmexport pts_handle
func ptsHandle(fd int32) int32 {
	var size uint32
	if sys.ReqEnviron(fd, &environ[0], uint32(len(environ)), &size) != 0 {
		return 1
	}
	if sys.StartResponse(fd, "200 OK", &headers[0], uint32(len(headers)), 0) != 0 {
		return 1
	}
	var n uint32
	if sys.Write(fd, &hello[0], uint32(len(hello)), &n) != 0 || int(n) != len(hello) {
		return 1
	}
	return 0
}

func main() {}
