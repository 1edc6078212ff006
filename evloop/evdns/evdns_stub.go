//go:build !cgo || !linux

package evdns

import (
	"net/netip"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
)

// Supported reports whether New works for l: never without cgo.
func Supported(*evloop.Loop) bool { return false }

// Client is unavailable without cgo.
type Client struct{}

// Query is unavailable without cgo.
type Query struct{}

// New returns ErrUnsupported without cgo.
func New(*evloop.Loop, []netip.AddrPort, time.Duration) (*Client, error) {
	return nil, ErrUnsupported
}

// Start returns ErrUnsupported without cgo.
func (*Client) Start(int, Kind, string, netip.Addr) (*Query, error) { return nil, ErrUnsupported }

// Wait returns ErrUnsupported without cgo.
func (*Query) Wait(*evloop.Task) (Result, error) { return Result{}, ErrUnsupported }

// Cancel does nothing without cgo.
func (*Query) Cancel() {}
