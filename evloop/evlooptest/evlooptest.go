// Package evlooptest provides event loops for tests of the packages built
// on evloop, as net/http/httptest provides servers.
package evlooptest

import (
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
)

// Start makes a loop on backend, starts it on its own goroutine and stops
// it (waiting until it has stopped) when the test ends.
func Start(t testing.TB, backend string) *evloop.Loop {
	t.Helper()
	loop, err := evloop.New(backend)
	if err != nil {
		t.Fatalf("evloop.New(%q): %v", backend, err)
	}
	loop.Start()
	t.Cleanup(func() {
		loop.Stop()
		select {
		case <-loop.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("the %s loop did not stop", backend)
		}
	})
	return loop
}
