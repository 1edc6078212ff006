//go:build wasip1

package gateway

// ptsHandle is the app's entry point, called by the host once per request
// (abi.Exports).
//
//lint:ignore U1000 called by the host (go:wasmexport)
//go:wasmexport pts_handle
func ptsHandle(reqFd int32) int32 { return handle(reqFd) }
