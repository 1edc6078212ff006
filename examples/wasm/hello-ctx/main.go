// Command hello-ctx is the example gateway app on the guest SDK's Ctx
// mapping (gateway.ServeCtx): the same routes as examples/wasm/hello, with
// no net/http types, so that a request allocates nothing in the guest.
// It is what a hot path looks like when net/http's per-request objects
// cost too much inside wasm (compare the two in make bench).
//
//	make wasm     # build/wasm/hello-ctx.wasm (-buildmode=c-shared, from build.flags)
//	ptsevent serve build/wasm/hello-ctx.wasm --listen 127.0.0.1:8080
//	curl http://127.0.0.1:8080/
//	curl -d 'some text' http://127.0.0.1:8080/echo
//	curl http://127.0.0.1:8080/env
//	curl 'http://127.0.0.1:8080/sleep?ms=500'
package main

import (
	"io"
	"net/url"
	"strconv"
	"time"

	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/guest-sdk/go/gateway"
)

const textPlain = "text/plain; charset=utf-8"

var (
	hello    = []byte("Hello, World!\n")
	notFound = []byte("404 page not found\n")
	buf      = make([]byte, 32<<10)
)

// serve routes a request. Each route but the hot "/" has its own
// function: a guest zeroes a function's whole frame on every call, so the
// router's stays small.
func serve(c *gateway.Ctx) {
	switch c.Path() {
	case "/":
		c.AddHeader("Content-Type", textPlain)
		c.Write(hello)
	case "/echo":
		echo(c)
	case "/env":
		env(c)
	case "/sleep":
		sleep(c)
	default:
		c.SetStatus(404)
		c.AddHeader("Content-Type", textPlain)
		c.Write(notFound)
	}
}

// echo streams the body back as it comes: a short body gets a
// Content-Length from the host, a long one is sent chunked.
func echo(c *gateway.Ctx) {
	if ct := c.Header("Content-Type"); ct != "" {
		c.AddHeader("Content-Type", ct)
	}
	io.CopyBuffer(c, c, buf) // on an error the response just ends
}

// env lists a few request values.
func env(c *gateway.Ctx) {
	c.AddHeader("Content-Type", textPlain)
	b := buf[:0]
	for _, kv := range [...][2]string{
		{"method", c.Method()}, {"path", c.Path()}, {"query", c.Query()},
		{"proto", c.Env("SERVER_PROTOCOL")}, {"host", c.Header("Host")},
		{"remote", c.Env("REMOTE_ADDR") + ":" + c.Env("REMOTE_PORT")},
		{"user-agent", c.Header("User-Agent")},
	} {
		b = append(append(append(append(b, kv[0]...), ": "...), kv[1]...), '\n')
	}
	c.Write(b)
}

// sleep waits ?ms=N milliseconds (default 100), suspending this request
// only, then says how long it slept.
func sleep(c *gateway.Ctx) {
	q, _ := url.ParseQuery(c.Query())
	ms, _ := strconv.Atoi(q.Get("ms"))
	if ms <= 0 {
		ms = 100
	}
	start := time.Now()
	ptsevent.Sleep(time.Duration(ms) * time.Millisecond)
	c.AddHeader("Content-Type", textPlain)
	c.WriteString("slept " + time.Since(start).Round(time.Millisecond).String() + "\n")
}

func init() { gateway.ServeCtx(serve) }

func main() {}
