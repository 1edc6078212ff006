//go:build wasip1

// Command conformance-go-sdk is a guest of the conformance suite
// (tests/conformance) written as an application would be, with the Go
// guest SDK (guest-sdk/go, package ptsevent): connections as net.Conn,
// listeners, the resolver, pipes and files, poll and select, TLS, many
// goroutines (the SDK then makes descriptors non-blocking and waits with
// one poll), and unmodified net/http clients and servers.
//
// os.Args[1] names the scenario; the other arguments are its parameters.
// Results are check lines (tests/conformance/README.md).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

var scenarios = map[string]func(args []string){
	"abi":        abiScenario,
	"tcp":        tcp,
	"goroutines": goroutines,
	"listen":     listen,
	"http":       httpScenario,
	"udp":        udp,
	"unix":       unixScenario,
	"files":      files,
	"dns":        dns,
	"tls":        tlsScenario,
	"fromfd":     fromfd,
}

func main() {
	if len(os.Args) < 2 {
		check.Fatalf("usage", "conformance-go-sdk SCENARIO ARGS...")
	}
	f, ok := scenarios[os.Args[1]]
	if !ok {
		check.Fatalf("usage", "unknown scenario %q", os.Args[1])
	}
	f(os.Args[2:])
	check.Done()
}

func arg(args []string, i int) string {
	if i >= len(args) {
		check.Fatalf("usage", "scenario %s needs %d arguments", os.Args[1], i+1)
	}
	return args[i]
}

// ok reports name as passed when err is nil and cond holds.
func ok(name string, err error, cond bool, format string, args ...any) bool {
	if err != nil {
		check.Failf(name, "%v", err)
		return false
	}
	return check.That(name, cond, format, args...)
}

func abiScenario([]string) {
	ok("sdk/check-abi", ptsevent.CheckABI(), true, "")
	major, _ := ptsevent.ABIVersion()
	check.That("sdk/abi-version", major == abi.Version, "major %d", major)
}

// tcp ECHO SILENT CLOSED: a client as net.Conn.
func tcp(args []string) {
	echo, silent, closed := arg(args, 0), arg(args, 1), arg(args, 2)
	c, err := ptsevent.Dial("tcp", echo)
	if !ok("sdk/dial", err, true, "") {
		return
	}
	ok("sdk/remote-addr", nil, c.RemoteAddr().String() == echo, "RemoteAddr %v, want %s", c.RemoteAddr(), echo)
	ok("sdk/local-addr", nil, strings.HasPrefix(c.LocalAddr().String(), "127.0.0.1:"), "LocalAddr %v", c.LocalAddr())
	_, err = io.WriteString(c, "one\ntwo\n")
	ok("sdk/write", err, true, "")
	lr := c.LineReader(64)
	l1, err1 := lr.ReadString()
	l2, err2 := lr.ReadString()
	ok("sdk/linereader", errors.Join(err1, err2), l1 == "one\n" && l2 == "two\n", "lines %q %q", l1, l2)
	io.WriteString(c, "full")
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	ok("sdk/read", err, string(buf) == "full", "read %q", buf)
	ok("sdk/set-nodelay", c.SetNoDelay(true), true, "")
	ok("sdk/set-keepalive", c.SetKeepAlive(true), true, "")
	ok("sdk/close-write", c.CloseWrite(), true, "")
	rest, err := io.ReadAll(c)
	ok("sdk/read-to-eof", err, len(rest) == 0, "read %q after CloseWrite", rest)
	ok("sdk/close", c.Close(), true, "")
	_, err = c.Write([]byte("x"))
	check.That("sdk/write-after-close", errors.Is(err, net.ErrClosed), "got %v, want net.ErrClosed", err)

	s, err := ptsevent.Dial("tcp", silent)
	if ok("sdk/dial-silent", err, true, "") {
		s.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		start := time.Now()
		_, err = s.Read(buf)
		var ne net.Error
		check.That("sdk/read-deadline", errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout() && time.Since(start) >= 150*time.Millisecond,
			"Read: %v after %v", err, time.Since(start))
		s.Close()
	}
	_, err = ptsevent.Dial("tcp", closed)
	check.That("sdk/dial-refused", errors.Is(err, ptsevent.Errno(abi.ECONNREFUSED)), "Dial: %v", err)
	_, err = ptsevent.DialTimeout("tcp", "192.0.2.1:80", time.Second)
	check.That("sdk/dial-denied", errors.Is(err, fs.ErrPermission), "Dial without a grant: %v", err)
}

// goroutines ECHO: many goroutines doing I/O at once, which the SDK serves
// with non-blocking descriptors and one poll.
func goroutines(args []string) {
	echo := arg(args, 0)
	const n, size = 8, 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ptsevent.Dial("tcp", echo)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			data := bytes.Repeat([]byte{byte('a' + i)}, size)
			go c.Write(data)
			got := make([]byte, size)
			if _, err := io.ReadFull(c, got); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, data) {
				errs <- fmt.Errorf("goroutine %d: echo differs", i)
			}
		}()
	}
	// Meanwhile another goroutine sleeps on a host timer.
	slept := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		ptsevent.Sleep(50 * time.Millisecond)
		slept <- time.Since(start)
	}()
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	ok("sdk/goroutines-echo", errors.Join(all...), true, "")
	d := <-slept
	check.That("sdk/goroutines-sleep", d >= 50*time.Millisecond, "slept %v", d)

	// Closing a connection wakes the goroutine blocked reading it.
	c, err := ptsevent.Dial("tcp", echo)
	if !ok("sdk/dial", err, true, "") {
		return
	}
	res := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		res <- err
	}()
	ptsevent.Sleep(30 * time.Millisecond)
	c.Close()
	select {
	case err := <-res:
		check.That("sdk/close-wakes-reader", errors.Is(err, net.ErrClosed), "Read after Close: %v", err)
	case <-time.After(5 * time.Second):
		check.Failf("sdk/close-wakes-reader", "the reader is still blocked 5s after Close")
	}
}

// listen: a listener and a client in the same guest.
func listen([]string) {
	ln, err := ptsevent.Listen("tcp", "127.0.0.1:0")
	if !ok("sdk/listen", err, true, "") {
		return
	}
	addr := ln.Addr().String()
	done := make(chan error, 1)
	go func() {
		c, err := ptsevent.Dial("tcp", addr)
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		io.WriteString(c, "ping\n")
		l, err := bufio.NewReader(c).ReadString('\n')
		if err == nil && l != "PING\n" {
			err = fmt.Errorf("got %q", l)
		}
		done <- err
	}()
	s, err := ln.Accept()
	if ok("sdk/accept", err, true, "") {
		l, _ := bufio.NewReader(s).ReadString('\n')
		io.WriteString(s, strings.ToUpper(l))
		s.Close()
	}
	ok("sdk/listen-roundtrip", <-done, true, "")
	ln.SetDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = ln.Accept()
	check.That("sdk/accept-deadline", errors.Is(err, os.ErrDeadlineExceeded), "Accept: %v", err)
	ok("sdk/listener-close", ln.Close(), true, "")
}

// http HTTPURL HTTPSURL: unmodified net/http, as client and as server.
func httpScenario(args []string) {
	plain, secure := arg(args, 0), arg(args, 1)
	d := &ptsevent.Dialer{Timeout: 10 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:    d.DialContext,
		DialTLSContext: d.DialTLSContext,
	}}
	for _, c := range []struct{ name, url string }{{"sdk/http-get", plain}, {"sdk/https-get", secure}} {
		resp, err := client.Get(c.url + "/hello")
		if err != nil {
			check.Failf(c.name, "%v", err)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ok(c.name, err, resp.StatusCode == 200 && string(b) == "hello from the runner\n", "status %d body %q", resp.StatusCode, b)
	}

	// A net/http server on a guest listener, and the guest's own client.
	ln, err := ptsevent.Listen("tcp", "127.0.0.1:0")
	if !ok("sdk/http-listen", err, true, "") {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	body := bytes.Repeat([]byte("0123456789"), 100000)
	resp, err := client.Post("http://"+ln.Addr().String()+"/sum", "application/octet-stream", bytes.NewReader(body))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body))
		ok("sdk/http-server", nil, string(b) == want, "got %q, want %q", b, want)
	} else {
		check.Failf("sdk/http-server", "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok("sdk/http-shutdown", srv.Shutdown(ctx), true, "")
}

// udp ECHO: a datagram socket as net.PacketConn.
func udp(args []string) {
	echo := arg(args, 0)
	pc, err := ptsevent.ListenPacket("udp", "127.0.0.1:0")
	if !ok("sdk/listen-packet", err, true, "") {
		return
	}
	defer pc.Close()
	to, _ := net.ResolveUDPAddr("udp", echo)
	_, err = pc.WriteTo([]byte("ping"), to)
	ok("sdk/write-to", err, true, "")
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, from, err := pc.ReadFrom(buf)
	ok("sdk/read-from", err, string(buf[:n]) == "pong:ping" && from.String() == echo, "got %q from %v", buf[:n], from)
}

// unix DIR: AF_UNIX stream and datagram sockets, and socketpairs.
func unixScenario(args []string) {
	dir := arg(args, 0)
	ln, err := ptsevent.Listen("unix", dir+"/sdk.sock")
	if !ok("sdk/unix-listen", err, true, "") {
		return
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	c, err := ptsevent.Dial("unix", dir+"/sdk.sock")
	if ok("sdk/unix-dial", err, true, "") {
		io.WriteString(c, "unix!")
		buf := make([]byte, 5)
		_, err = io.ReadFull(c, buf)
		ok("sdk/unix-echo", err, string(buf) == "unix!", "got %q", buf)
		c.Close()
	}
	ln.Close()

	pc, err := ptsevent.ListenPacket("unixgram", dir+"/sdk.dgram")
	if ok("sdk/unixgram", err, true, "") {
		to := &net.UnixAddr{Name: dir + "/sdk.dgram", Net: "unixgram"}
		pc.WriteTo([]byte("self"), to)
		buf := make([]byte, 16)
		n, _, err := pc.ReadFrom(buf)
		ok("sdk/unixgram-self", err, string(buf[:n]) == "self", "got %q", buf[:n])
		pc.Close()
	}
	a, b, err := ptsevent.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM)
	if ok("sdk/socketpair", err, true, "") {
		go func() { io.WriteString(a, "pair"); a.Close() }()
		got, err := io.ReadAll(b)
		ok("sdk/socketpair-read", err, string(got) == "pair", "got %q", got)
		b.Close()
	}
}

// files: pipes, Open under /data (in.txt holds "line1\nline2\n"), Poll and
// Select.
func files([]string) {
	r, w, err := ptsevent.Pipe()
	if !ok("sdk/pipe", err, true, "") {
		return
	}
	rr, ww, _ := ptsevent.Select([]ptsevent.Fd{r.Fd()}, []ptsevent.Fd{w.Fd()}, 0)
	check.That("sdk/select-writable", len(rr) == 0 && len(ww) == 1, "ready %v %v", rr, ww)
	w.WriteString("through the pipe\n")
	rr, _, err = ptsevent.Select([]ptsevent.Fd{r.Fd()}, nil, time.Second)
	ok("sdk/select-readable", err, len(rr) == 1, "ready %v", rr)
	l, err := r.LineReader(64).ReadString()
	ok("sdk/pipe-line", err, l == "through the pipe\n", "got %q", l)
	w.Close()
	start := time.Now()
	n, err := ptsevent.Poll([]ptsevent.PollFd{{Fd: -1, Events: abi.POLLIN}}, 50*time.Millisecond)
	ok("sdk/poll-timeout", err, n == 0 && time.Since(start) >= 50*time.Millisecond, "Poll: %d after %v", n, time.Since(start))
	n, err = ptsevent.Poll([]ptsevent.PollFd{{Fd: r.Fd(), Events: abi.POLLIN}}, time.Second)
	ok("sdk/poll-hangup", err, n == 1, "Poll: %d", n)
	r.Close()
	_, _, err = ptsevent.Select([]ptsevent.Fd{r.Fd()}, nil, 0)
	check.That("sdk/select-closed", errors.Is(err, ptsevent.Errno(abi.EBADF)), "Select on a closed descriptor: %v", err)

	f, err := ptsevent.Open("/data/in.txt", abi.O_RDONLY, 0)
	if ok("sdk/open", err, true, "") {
		b, err := io.ReadAll(f)
		ok("sdk/open-read", err, string(b) == "line1\nline2\n", "got %q", b)
		f.Close()
	}
	f, err = ptsevent.Open("/data/sdk.txt", abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC, 0o644)
	if ok("sdk/open-create", err, true, "") {
		_, err = f.WriteString("from the sdk\n")
		ok("sdk/file-write", err, true, "")
		f.Close()
	}
	_, err = ptsevent.Open("/data/missing", abi.O_RDONLY, 0)
	check.That("sdk/open-missing", errors.Is(err, fs.ErrNotExist), "Open: %v", err)
	_, err = ptsevent.Open("/elsewhere/x", abi.O_RDONLY, 0)
	check.That("sdk/open-outside", errors.Is(err, ptsevent.Errno(abi.ENOTCAPABLE)), "Open: %v", err)
}

// dns: the SDK's resolver against the runner's DNS server.
func dns([]string) {
	addrs, err := ptsevent.LookupHost("both.test")
	ok("sdk/lookup-host", err, strings.Join(addrs, " ") == "192.0.2.2 2001:db8::2", "got %v", addrs)
	ips, err := ptsevent.LookupIP("multi.test")
	ok("sdk/lookup-ip", err, len(ips) == 2, "got %v", ips)
	names, err := ptsevent.LookupAddr("192.0.2.1")
	ok("sdk/lookup-addr", err, len(names) == 1 && strings.TrimSuffix(names[0], ".") == "a.test", "got %v", names)
	ip, err := ptsevent.GetHostByName("a.test")
	ok("sdk/gethostbyname", err, ip == "192.0.2.1", "got %q", ip)
	name, err := ptsevent.GetHostByAddr("2001:db8::1")
	ok("sdk/gethostbyaddr", err, strings.TrimSuffix(name, ".") == "aaaa.test", "got %q", name)
	ai, err := ptsevent.GetAddrInfo("cname.test", "https", &ptsevent.AddrInfoHints{Family: abi.AF_INET, SockType: abi.SOCK_STREAM})
	ok("sdk/getaddrinfo", err, len(ai) == 1 && ai[0].Addr.String() == "192.0.2.2:443", "got %v", ai)
	_, err = ptsevent.LookupHost("nx.test")
	var de *net.DNSError
	check.That("sdk/lookup-nxdomain", errors.As(err, &de) && de.IsNotFound, "LookupHost: %v", err)
	c, err := ptsevent.Dial("tcp", "hostsonly.test:9")
	if c != nil {
		c.Close()
	}
	check.That("sdk/dial-by-name", errors.Is(err, fs.ErrPermission), "Dial resolves the name, then the connect grant decides: %v", err)
}

// tls GOOD: TLS by the host, as a client and (with goroutines) as a server.
func tlsScenario(args []string) {
	good := arg(args, 0)
	c, err := ptsevent.DialTLS("tcp", good, "conformance.test")
	if ok("sdk/dial-tls", err, true, "") {
		io.WriteString(c, "over tls\n")
		l, err := c.LineReader(64).ReadString()
		ok("sdk/tls-echo", err, l == "over tls\n", "got %q", l)
		c.Close()
	}
	_, err = ptsevent.DialTLS("tcp", good, "wrong.test")
	check.That("sdk/tls-wrong-name", errors.Is(err, ptsevent.Errno(abi.EPROTO)), "DialTLS: %v", err)

	ln, err := ptsevent.Listen("tcp", "127.0.0.1:0")
	if !ok("sdk/tls-listen", err, true, "") {
		return
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		s, err := ln.AcceptConn()
		if err != nil {
			served <- err
			return
		}
		defer s.Close()
		if err := ptsevent.TLSServer(s); err != nil {
			served <- err
			return
		}
		l, err := s.LineReader(64).ReadString()
		if err == nil {
			_, err = io.WriteString(s, strings.ToUpper(l))
		}
		served <- err
	}()
	cl, err := ptsevent.DialTLS("tcp", ln.Addr().String(), "127.0.0.1")
	if ok("sdk/tls-self-dial", err, true, "") {
		io.WriteString(cl, "self\n")
		l, err := cl.LineReader(64).ReadString()
		ok("sdk/tls-self-echo", err, l == "SELF\n", "got %q", l)
		cl.Close()
	}
	ok("sdk/tls-server", <-served, true, "")
}

// fromfd: the runner's granted descriptors (see the raw guest's fromfd).
func fromfd([]string) {
	c, err := ptsevent.FileConn("conn")
	if ok("sdk/file-conn", err, true, "") {
		l, err := c.LineReader(64).ReadString()
		ok("sdk/file-conn-read", err, l == "from runner\n", "got %q", l)
		io.WriteString(c, "from guest\n")
		c.Close()
	}
	p, err := ptsevent.FromFD("pipe")
	if ok("sdk/fromfd", err, true, "") {
		b, err := io.ReadAll(p)
		ok("sdk/fromfd-read", err, string(b) == "piped\n", "got %q", b)
		p.Close()
	}
	ln, err := ptsevent.FileListener("listener")
	if ok("sdk/file-listener", err, true, "") {
		ln.SetDeadline(time.Now().Add(10 * time.Second))
		s, err := ln.Accept()
		if ok("sdk/file-listener-accept", err, true, "") {
			l, _ := bufio.NewReader(s).ReadString('\n')
			ok("sdk/file-listener-read", nil, l == "queued\n", "got %q", l)
			io.WriteString(s, "accepted\n")
			s.Close()
		}
		ln.Close()
	}
	_, err = ptsevent.FromFD("missing")
	check.That("sdk/fromfd-missing", errors.Is(err, fs.ErrNotExist), "FromFD: %v", err)
}
