package wsgihost

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
)

// BenchmarkServe measures hello-world requests through the server on
// keep-alive connections from clients in the same process (so ns/op
// includes the client), for the C and the Go guest on each backend.
// allocs/op counts the whole process's allocations per request.
func BenchmarkServe(b *testing.B) {
	for _, backend := range evloop.Backends() {
		e := getEnv(b, backend)
		for _, g := range []struct{ name, dir string }{{"c", cGuestDir}, {"go", goGuestDir}} {
			b.Run(backend+"/"+g.name, func(b *testing.B) {
				_, addr, _ := startServer(b, e, e.module(b, g.dir), nil)
				benchClients(b, addr, "GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
			})
		}
	}
}

func benchClients(b *testing.B, addr, req string) {
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		br := bufio.NewReaderSize(c, 16<<10)
		reqb := []byte(req)
		for pb.Next() {
			if _, err := c.Write(reqb); err != nil {
				b.Error(err)
				return
			}
			if err := readHello(br); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// readHello reads one response with a Content-Length body.
func readHello(br *bufio.Reader) error {
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return errors.New("no Content-Length")
	}
	_, err := br.Discard(n)
	if err == nil && n == 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
