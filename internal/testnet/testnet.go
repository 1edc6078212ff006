// Package testnet holds network helpers shared by the tests and the
// conformance runner's peers.
package testnet

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenRcvBuf listens on addr with the accepted connections' receive
// buffer set to rcvbuf bytes (0: the system's default), so that a peer
// writing to them meets back-pressure. The size is set on the listening
// socket, before listen, and every accepted connection inherits it.
// Shrinking the buffer of an established connection instead
// (TCPConn.SetReadBuffer after Accept) can leave it advertising a window
// below the loopback MSS and under half the largest window it offered,
// which Linux's sender treats as a silly window and stalls on, probing,
// for seconds once the peer reads (a peer that never reads may shrink it
// after Accept).
func ListenRcvBuf(network, addr string, rcvbuf int) (net.Listener, error) {
	var lc net.ListenConfig
	if rcvbuf > 0 {
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	return lc.Listen(context.Background(), network, addr)
}
