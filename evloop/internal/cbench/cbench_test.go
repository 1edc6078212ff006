//go:build cgo && linux

package cbench

import "testing"

func TestPingPong(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		d, err := PingPong(n)
		if err != nil {
			t.Fatalf("PingPong(%d): %v", n, err)
		}
		if n > 0 && d <= 0 {
			t.Fatalf("PingPong(%d) took %v", n, d)
		}
	}
}
