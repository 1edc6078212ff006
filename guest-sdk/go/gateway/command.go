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
// listener whose number is lfd and serves them on goroutines (workers). The
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
	w := &workers{app: a, l: l, done: make(chan error, 1)}
	// Two readers: one on the listener, one ready to take over when the
	// first one's handler waits.
	w.spawn()
	w.spawn()
	return <-w.done
}

// maxIdleWorkers bounds the goroutines kept waiting for requests.
const maxIdleWorkers = 256

// workers serves requests on goroutines that read the listener
// themselves, one request per read, and serve it before reading again: a
// batch of requests whose handlers do not wait is served by one goroutine
// without a switch (a goroutine switch unwinds and rewinds the whole wasm
// stack). When a worker takes a request and no other is left reading, it
// starts one, so a handler that waits never holds up the next request:
// concurrency is not bounded, and at most maxIdleWorkers stay waiting.
// A worker outlives its requests because a new goroutine's stack grows by
// copying while it serves its first one, which in wasm costs more than a
// hello-world request.
type workers struct {
	app     appHandler
	l       *os.File
	readers atomic.Int32 // workers reading (or waiting to read) the listener
	done    chan error   // the first worker to see the listener end reports it
}

// spawn starts a worker that reads the listener.
func (w *workers) spawn() {
	w.readers.Add(1)
	go w.worker()
}

// worker takes requests from the listener and serves them, until the
// listener ends or enough other workers are waiting.
func (w *workers) worker() {
	// One request descriptor state per worker, reused from request to
	// request with its environ and header buffers (4 KiB and more that a
	// request would otherwise allocate).
	f := &reqFD{cmd: true}
	var rec [4]byte // one record: a request descriptor, little-endian
	for {
		n, err := w.l.Read(rec[:])
		if n == len(rec) {
			if w.readers.Add(-1) == 0 {
				w.spawn()
			}
			serveFD(w.app, f, int32(binary.LittleEndian.Uint32(rec[:])))
			if w.readers.Add(1) > maxIdleWorkers {
				w.readers.Add(-1)
				return
			}
			continue
		}
		switch {
		case errors.Is(err, io.EOF):
			err = nil
		case err == nil:
			err = fmt.Errorf("accepting requests: short read of %d bytes", n)
		default:
			err = fmt.Errorf("accepting requests: %w", err)
		}
		select {
		case w.done <- err:
		default:
		}
		return
	}
}

// serveFD serves request descriptor fd on f and closes it, which ends
// the request.
func serveFD(a appHandler, f *reqFD, fd int32) {
	f.fd, f.file, f.rc = fd, nil, nil
	defer f.close()
	a.serve(f)
}
