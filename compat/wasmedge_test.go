package compat_test

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// pingServers starts a TCP server that answers each "ping" with a "pong"
// (until the client closes) and a UDP server that answers "udp-ping"
// with "udp-pong"; it returns their ports.
func pingServers(t *testing.T) (tcpPort, udpPort int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					io.WriteString(c, strings.Repeat("pong", strings.Count(string(buf[:n]), "ping")))
				}
			}()
		}
	}()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "udp-ping" {
				pc.WriteTo([]byte("udp-pong"), from)
			}
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, pc.LocalAddr().(*net.UDPAddr).Port
}

// TestWasmEdgeSockets runs guests written against the WasmEdge socket
// extension, in both signatures of the names whose signature changed
// between WasmEdge's socket API v1 and v2 (sock_accept, sock_recv_from,
// sock_getlocaladdr, sock_getpeeraddr), on the same runtime: each guest is
// linked to the variant its imports ask for. They connect (with and
// without a grant), bind, listen, accept, send and receive on TCP and UDP,
// set and get options and resolve a name.
func TestWasmEdgeSockets(t *testing.T) {
	for _, g := range []string{"compat-wasmedge", "compat-wasmedge-v1"} {
		t.Run(g, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, backend string) {
				mod := guest(t, backend, "tests/guests/"+g)
				tcpPort, udpPort := pingServers(t)
				denied := tcpPort + 1
				out := testguest.NewLineWriter()
				done := start(mod, host.InstanceConfig{
					Args:   []string{g, fmt.Sprint(tcpPort), fmt.Sprint(udpPort), fmt.Sprint(denied)},
					Stdout: out,
					Stderr: out,
					Caps: host.Capabilities{
						Connect: host.MustParseAddrPatterns(fmt.Sprintf("127.0.0.1:%d", tcpPort), fmt.Sprintf("127.0.0.1:%d", udpPort)),
						Bind:    host.MustParseAddrPatterns("127.0.0.1:0"),
						DNS:     true,
					},
				})
				port, err := strconv.Atoi(strings.TrimSpace(out.WaitLine(t, "listening ")))
				if err != nil {
					t.Fatal(err)
				}
				c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.WriteString(c, "hello")
				reply, _ := io.ReadAll(c)
				c.Close()
				if string(reply) != "world" {
					t.Errorf("reply %q, want world", reply)
				}
				r := wait(t, done, out)
				if r.err != nil || r.code != 0 {
					t.Errorf("exit %d, %v", r.code, r.err)
				}
				checkLines(t, out.String(), 40)
			})
		})
	}
}
