package wsgihost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/wsgi-host/internal/http1"
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

// BenchmarkGuestCall is the guest's share of a hello-world request: one
// pts_handle call on a pooled instance, with its environ, start_response
// and write, against an in-memory request (no socket, no parsing), for the
// example app in C, on the Go SDK's net/http mapping and on its Ctx
// mapping, and for a Go guest that calls the imports with no SDK (the
// floor for Go). It is what the wasm boundary and the guest's own code
// cost per request, without the kernel's noise.
func BenchmarkGuestCall(b *testing.B) {
	e := getEnv(b, evloop.Backends()[0])
	loop := e.rt.Loops()[0]
	for _, g := range []struct{ name, dir string }{
		{"c", cAppDir},
		{"go", goGuestDir},
		{"go-handlerfunc", "tests/guests/gateway-handlerfunc"},
		{"go-ctx", goCtxDir},
		{"go-floor", "tests/guests/gateway-floor"},
	} {
		b.Run(g.name, func(b *testing.B) {
			mod := e.module(b, g.dir)
			req := &memRequest{env: helloEnviron(b)}
			err := loop.Submit(func(t *evloop.Task) {
				pool := mod.NewPool(loop, host.InstanceConfig{}, 1)
				defer pool.Close()
				in, err := pool.Get(context.Background(), t)
				if err != nil {
					b.Error(err)
					return
				}
				defer pool.Put(in)
				pd := loop.NewVirtual()
				defer pd.Close()
				var d host.Desc
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					req.out = req.out[:0]
					fd, _, e := in.FDs().AddStreamInto(&d, req, pd, false)
					if e != 0 {
						b.Error(e)
						return
					}
					res, err := in.Call(context.Background(), t, host.GatewayExport, uint64(fd))
					in.FDs().Close(fd)
					if err != nil || res[0] != 0 {
						b.Errorf("pts_handle: %v %v", res, err)
						return
					}
				}
				b.StopTimer()
				if req.status != "200 OK" || string(req.out) != "Hello, World!\n" {
					b.Errorf("response %q %q", req.status, req.out)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// helloEnviron is the environ the server makes of wrk's GET /: the head
// parsed and turned into an environ by the server's own code, on a
// connection from 127.0.0.1:41000 to 127.0.0.1:8080.
func helloEnviron(tb testing.TB) []byte {
	tb.Helper()
	var req http1.Request
	head := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
	if _, err := http1.ParseHead(head, &http1.Limits{}, &req); err != nil {
		tb.Fatalf("parse wrk's request: %v", err)
	}
	c := &conn{local: sockAddr{ip: "127.0.0.1", port: "8080"}, remote: sockAddr{ip: "127.0.0.1", port: "41000"}}
	r := &request{c: c}
	if err := r.buildEnviron(&req); err != nil {
		tb.Fatalf("environ of wrk's request: %v", err)
	}
	return bytes.Clone(r.env)
}

// memRequest is a gateway request in memory: a fixed environ, no body,
// and the response kept.
type memRequest struct {
	env    []byte
	status string
	out    []byte
}

func (r *memRequest) Environ() []byte            { return r.env }
func (r *memRequest) Read(p []byte) (int, error) { return 0, nil }
func (r *memRequest) Write(p []byte) (int, error) {
	r.out = append(r.out, p...)
	return len(p), nil
}
func (r *memRequest) Close() error     { return nil }
func (r *memRequest) Abort() abi.Errno { return 0 }
func (r *memRequest) StartResponse(status, headers []byte, flags uint32) abi.Errno {
	if string(status) != r.status {
		r.status = string(status)
	}
	return 0
}
