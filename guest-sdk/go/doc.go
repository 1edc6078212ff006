// Package ptsevent is the Go guest SDK of ptsevent: drop-in, host-backed
// replacements for the parts of the standard library that wait (sockets,
// DNS, pipes, files, select, sleep, TLS) for Go programs compiled with
// GOOS=wasip1 GOARCH=wasm and run by a ptsevent host. A call that would
// block suspends the guest instance inside the host, which runs other
// guests meanwhile; the guest sees an ordinary blocking call.
//
// The replacements, after the seed's list (Python's names in parentheses):
//
//	ptsevent.GetHostByName   net.LookupIP's first IPv4   (socket.gethostbyname)
//	ptsevent.GetHostByAddr   net.LookupAddr              (socket.gethostbyaddr)
//	ptsevent.GetAddrInfo     net.Resolver, getaddrinfo   (socket.getaddrinfo)
//	ptsevent.LookupHost, LookupIP, LookupAddr  net.LookupHost, net.LookupIP, net.LookupAddr
//	ptsevent.Pipe            os.Pipe                     (os.pipe)
//	ptsevent.Dial, DialContext, Dialer  net.Dial, net.DialContext, net.Dialer (socket.socket)
//	ptsevent.Listen          net.Listen                  (socket.socket + bind + listen)
//	ptsevent.ListenPacket    net.ListenPacket            (socket.socket, SOCK_DGRAM)
//	ptsevent.Conn            net.TCPConn, net.UDPConn, net.UnixConn (socket._realsocket)
//	ptsevent.LineReader      bufio.Reader.ReadSlice('\n') on a conn (socket._fileobject)
//	ptsevent.FileListener, FileConn, FromFD  net.FileListener, net.FileConn, os.NewFile (socket.fromfd)
//	ptsevent.Socketpair      syscall.Socketpair          (socket.socketpair)
//	ptsevent.Open            os.OpenFile                 (open, file)
//	ptsevent.Unlink          os.Remove (files, unix socket files)  (os.unlink)
//	ptsevent.TLSClient, TLSServer, DialTLS  tls.Client, tls.Server, tls.Dial (ssl.SSLSocket)
//	ptsevent.Select, Poll    select(2), poll(2)          (select.select)
//	ptsevent.Sleep           time.Sleep                  (time.sleep)
//
// An unmodified net/http client works through a Dialer:
//
//	d := &ptsevent.Dialer{Timeout: 10 * time.Second}
//	client := &http.Client{Transport: &http.Transport{
//		DialContext:    d.DialContext,
//		DialTLSContext: d.DialTLSContext, // TLS done by the host
//	}}
//
// and a net/http server through a Listener: http.Serve(ln, handler).
//
// # Blocking and goroutines
//
// A guest is one thread: an import that waits suspends every goroutine of
// the instance. While the program has a single goroutine, the SDK uses
// blocking descriptors (one host call per operation) and implements
// deadlines with the host's per-descriptor timeouts (SO_RCVTIMEO,
// SO_SNDTIMEO). As soon as more than one goroutine exists, a descriptor the
// SDK operates on is switched to non-blocking, and a goroutine that would
// block parks instead; one of the parked goroutines then waits for all of
// them with a single host poll, after letting every runnable goroutine run.
// So net/http's client and server, which read and write from separate
// goroutines, work unmodified. Two limits remain: DNS lookups, Poll and
// Select block the whole instance while they wait, and time.Sleep and
// timers in other goroutines are checked at least every 50ms while
// goroutines are parked in the SDK (use ptsevent.Sleep to sleep).
//
// # Errors
//
// Imports fail with an Errno (abi.Errno's values, WASI's numbering).
// Errors from Conn, Listener and PacketConn are *net.OpError values
// wrapping an Errno, as the net package's are; errors.Is matches the usual
// sentinels: os.ErrDeadlineExceeded for ETIMEDOUT, net.ErrClosed after
// Close, fs.ErrNotExist for ENOENT, fs.ErrPermission for EACCES (a
// capability the embedder did not grant), and the abi.E* values.
//
// Outside GOOS=wasip1 the package builds with stubs that fail with ENOSYS,
// so code using it can be vetted and unit-tested on the host.
package ptsevent
