//go:build cgo && linux

package evloop_test

import (
	"testing"

	"github.com/ptsevent/ptsevent/evloop/internal/cbench"
)

// The C ping-pong reads with the same buffer as the Go ones.
var (
	_ [pingPongBuf - cbench.BufSize]struct{}
	_ [cbench.BufSize - pingPongBuf]struct{}
)

func init() {
	pingPongExtra = append(pingPongExtra, pingPongCase{"c-libevent", benchCPingPong})
}

// benchCPingPong is the plain-C libevent baseline: the whole exchange in one
// cgo call. ns/event is from the C-side clock, without setup.
func benchCPingPong(b *testing.B) {
	cpu := -cpuTime()
	d, err := cbench.PingPong(b.N)
	cpu += cpuTime()
	if err != nil {
		b.Fatal(err)
	}
	reportPerEvent(b, d)
	reportCPU(b, cpu)
}
