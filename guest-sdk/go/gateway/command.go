package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
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
func serveCommand(h http.Handler, lfd string) {
	if err := acceptLoop(h, lfd); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func acceptLoop(h http.Handler, lfd string) error {
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
	for {
		n, err := l.Read(buf)
		for i := 0; i+4 <= n; i += 4 {
			fd := int32(binary.LittleEndian.Uint32(buf[i:]))
			go serveFD(h, fd)
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("accepting requests: %w", err)
		}
	}
}

// serveFD serves request descriptor fd and closes it, which ends the
// request.
func serveFD(h http.Handler, fd int32) {
	f := os.NewFile(uintptr(fd), "gateway-request")
	if f == nil {
		return
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway: request descriptor:", err)
		return
	}
	serveRequest(h, &reqFD{fd: fd, rc: rc})
}
