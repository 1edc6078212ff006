package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
)

// ListenerEnv is the environment variable through which the host gives a
// scheduler-style app (a command) the number of its request listener
// (host.GatewayListenerEnv; see SPEC.md, Gateway).
const ListenerEnv = "PTSEVENT_GATEWAY_FD"

// serveCommand is Serve in a command: it accepts requests from the
// listener whose number is lfd and serves each on a goroutine. The
// listener and the requests are non-blocking descriptors, so a goroutine
// that waits parks in the Go runtime's poller, which waits for all of them
// in poll_oneoff. It returns when the host closes the listener; it exits
// the program when the listener fails.
func serveCommand(a appHandler, lfd string) {
	if err := acceptLoop(a, lfd); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func acceptLoop(a appHandler, lfd string) error {
	n, err := strconv.ParseUint(lfd, 10, 31)
	if err != nil {
		return fmt.Errorf("bad %s %q", ListenerEnv, lfd)
	}
	l := os.NewFile(uintptr(n), "gateway-listener")
	if l == nil {
		return fmt.Errorf("bad %s %q", ListenerEnv, lfd)
	}
	defer l.Close()
	// Each record is a request descriptor, 4 bytes little-endian; a read
	// returns whole records.
	buf := make([]byte, 4*64)
	w := &workers{app: a, jobs: make(chan int32)}
	for {
		n, err := l.Read(buf)
		for i := 0; i+4 <= n; i += 4 {
			w.dispatch(int32(binary.LittleEndian.Uint32(buf[i:])))
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("accepting requests: %w", err)
		}
	}
}

// maxIdleWorkers bounds the goroutines kept waiting for requests.
const maxIdleWorkers = 256

// workers serves requests on goroutines that outlive a request. A new
// goroutine starts with a small stack that serving its first request grows
// by copying, which in wasm (no native stack walking) cost more than the
// rest of a hello-world request; an idle worker already has its stack.
// Concurrency is not bounded: with no idle worker, a request gets a new
// goroutine, and at most maxIdleWorkers stay waiting afterwards.
type workers struct {
	app  appHandler
	jobs chan int32   // unbuffered: a send succeeds only if a worker waits
	idle atomic.Int32 // workers waiting on jobs
}

// dispatch hands request fd to an idle worker, or to a new one.
func (w *workers) dispatch(fd int32) {
	select {
	case w.jobs <- fd:
	default:
		go w.worker(fd)
	}
}

// worker serves fd, then waits for more requests unless enough workers
// already wait.
func (w *workers) worker(fd int32) {
	// One request descriptor state per worker, reused from request to
	// request with its environ and header buffers (4 KiB and more that a
	// request would otherwise allocate).
	f := &reqFD{cmd: true}
	for {
		serveFD(w.app, f, fd)
		if w.idle.Add(1) > maxIdleWorkers {
			w.idle.Add(-1)
			return
		}
		fd = <-w.jobs
		w.idle.Add(-1)
	}
}

// serveFD serves request descriptor fd on f and closes it, which ends
// the request.
func serveFD(a appHandler, f *reqFD, fd int32) {
	f.fd, f.file, f.rc = fd, nil, nil
	defer f.close()
	a.serve(f)
}
