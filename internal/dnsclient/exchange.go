package dnsclient

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// ednsSize is the UDP payload size advertised with EDNS0 (the DNS flag
// day 2020 value, which avoids IP fragmentation).
const ednsSize = 1232

// query is one question in flight: what was asked and, once finished,
// the final reply (NOERROR or NXDOMAIN) or the last failure.
type query struct {
	name  string // fully qualified
	qtype uint16
	addr  netip.Addr // the address of a PTR query
	id    uint16
	wire  []byte

	reply    *dns.Msg
	err      error // ErrTimeout or ErrServerFailure, when reply is nil
	inflight bool  // sent on the current socket, not yet answered
}

func (q *query) pack() error {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.Id = q.id
	m.RecursionDesired = true
	m.SetEdns0(ednsSize, false)
	b, err := m.Pack()
	q.wire = b
	return err
}

// matches reports whether m is the reply to q: the same ID, the response
// bit, and the same question. A reply that carries no question is
// accepted only as an error answer (some servers send REFUSED that way).
func (q *query) matches(m *dns.Msg) bool {
	if m.Id != q.id || !m.Response || m.Opcode != dns.OpcodeQuery {
		return false
	}
	if len(m.Question) == 0 {
		return m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError
	}
	if len(m.Question) != 1 {
		return false
	}
	qq := m.Question[0]
	return qq.Qtype == q.qtype && qq.Qclass == dns.ClassINET && strings.EqualFold(qq.Name, q.name)
}

// finish records a matching reply: NOERROR and NXDOMAIN end the query,
// anything else is this server's failure and leaves it for the next server.
func (q *query) finish(m *dns.Msg) {
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		q.reply, q.err = m, nil
	default:
		q.err = ErrServerFailure
	}
}

// fatal reports whether a wait error must end the lookup at once (the
// task was interrupted or the loop is closing), as opposed to a timeout.
func fatal(err error) bool { return err != nil && err != evloop.ErrTimeout }

// exchange sends the unfinished queries of qs to the servers in turn, all
// of them on one socket per server, for r.attempts rounds, until each has
// a final reply. It returns an error only when the task's wait was cut
// short; per-query outcomes are left in the queries.
func (r *Resolver) exchange(t *evloop.Task, qs []*query) error {
	n := len(r.servers)
	start := 0
	if r.rotate && n > 1 {
		start = int(r.next % uint32(n))
		r.next++
	}
	for range r.attempts {
		for i := range n {
			pending := qs[:0:0]
			for _, q := range qs {
				if q.reply == nil {
					pending = append(pending, q)
				}
			}
			if len(pending) == 0 {
				return nil
			}
			var err error
			if r.ev != nil {
				err = r.exchangeEvdns(t, (start+i)%n, pending)
			} else {
				err = r.exchangeUDP(t, r.servers[(start+i)%n], pending)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// exchangeUDP sends qs to srv from one fresh connected UDP socket (a new
// random source port per exchange; the kernel drops datagrams from other
// addresses) and waits until each is answered or the attempt's deadline
// passes. Replies that match no query in flight are ignored.
func (r *Resolver) exchangeUDP(t *evloop.Task, srv netip.AddrPort, qs []*query) error {
	fd, pd, err := r.open(srv, unix.SOCK_DGRAM)
	if err != nil {
		for _, q := range qs {
			q.fail(ErrTimeout)
		}
		return nil
	}
	defer closeFD(fd, pd)
	dl := time.Now().Add(r.timeout)
	waiting := 0
	for _, q := range qs {
		q.id = dns.Id()
		q.inflight = false
		if err := q.pack(); err != nil {
			q.fail(ErrNotFound) // a name we cannot encode cannot exist
			continue
		}
		for {
			_, err = unix.Write(fd, q.wire)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			// EAGAIN on a fresh UDP socket means no buffer space; like
			// any other send error, the server counts as unreachable.
			q.fail(ErrTimeout)
			continue
		}
		q.inflight = true
		waiting++
	}
	defer func() {
		for _, q := range qs {
			if q.inflight {
				q.inflight = false
				q.fail(ErrTimeout)
			}
		}
	}()
	for waiting > 0 {
		n, err := unix.Read(fd, r.buf)
		switch {
		case err == unix.EAGAIN:
			werr := t.WaitFD(pd, evloop.Readable, dl)
			if fatal(werr) {
				return werr
			}
			if werr != nil { // this attempt timed out
				return nil
			}
			continue
		case err == unix.EINTR:
			continue
		case err != nil:
			// ECONNREFUSED and friends: an ICMP error for our datagram.
			return nil
		}
		m := new(dns.Msg)
		perr := m.Unpack(r.buf[:n])
		var q *query
		for _, c := range qs {
			if c.inflight && c.matches(m) {
				q = c
				break
			}
		}
		if q == nil {
			continue // stray, late or spoofed: keep waiting
		}
		q.inflight = false
		waiting--
		switch {
		case perr != nil:
			q.fail(ErrServerFailure)
		case m.Truncated:
			tm, err := r.exchangeTCP(t, srv, q)
			if fatal(err) {
				return err
			}
			switch {
			case err != nil:
				q.fail(ErrTimeout)
			case tm == nil:
				q.fail(ErrServerFailure)
			default:
				q.finish(tm)
			}
		default:
			q.finish(m)
		}
	}
	return nil
}

// fail records a failure for q unless it already has a worse one: a
// server failure seen on one server outranks a timeout on the next.
func (q *query) fail(err error) {
	if q.err == ErrServerFailure && err == ErrTimeout {
		return
	}
	q.err = err
}

// exchangeTCP asks q again over TCP (after a truncated UDP answer). It
// returns the matching reply, nil for a malformed or mismatched one,
// evloop.ErrTimeout when the server cannot be reached in time, or another
// wait error when the task was interrupted.
func (r *Resolver) exchangeTCP(t *evloop.Task, srv netip.AddrPort, q *query) (*dns.Msg, error) {
	dl := time.Now().Add(r.timeout)
	fd, pd, err := r.open(srv, unix.SOCK_STREAM)
	if err != nil {
		return nil, evloop.ErrTimeout
	}
	defer closeFD(fd, pd)
	if err := waitConnected(t, fd, pd, dl); err != nil {
		return nil, err
	}
	out := make([]byte, 2+len(q.wire))
	binary.BigEndian.PutUint16(out, uint16(len(q.wire)))
	copy(out[2:], q.wire)
	for len(out) > 0 {
		n, err := unix.Write(fd, out)
		switch {
		case err == unix.EAGAIN:
			if err := t.WaitFD(pd, evloop.Writable, dl); err != nil {
				return nil, err
			}
			continue
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, evloop.ErrTimeout
		}
		out = out[n:]
	}
	var hdr [2]byte
	if err := readFull(t, fd, pd, hdr[:], dl); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if err := readFull(t, fd, pd, body, dl); err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	if err := m.Unpack(body); err != nil || !q.matches(m) {
		return nil, nil
	}
	return m, nil
}

// readFull reads len(p) bytes, parking on EAGAIN. A connection closed
// early is reported as evloop.ErrTimeout (the server failed to answer).
func readFull(t *evloop.Task, fd int, pd *evloop.PollDesc, p []byte, dl time.Time) error {
	for len(p) > 0 {
		n, err := unix.Read(fd, p)
		switch {
		case err == unix.EAGAIN:
			if err := t.WaitFD(pd, evloop.Readable, dl); err != nil {
				return err
			}
			continue
		case err == unix.EINTR:
			continue
		case err != nil, n == 0:
			return evloop.ErrTimeout
		}
		p = p[n:]
	}
	return nil
}

// waitConnected waits for a non-blocking connect to finish. Readiness can
// come early (a fresh socket may report itself writable), so completion is
// confirmed with SO_ERROR and getpeername, as Go's netpoller does.
func waitConnected(t *evloop.Task, fd int, pd *evloop.PollDesc, dl time.Time) error {
	for {
		if _, err := unix.Getpeername(fd); err == nil {
			return nil
		}
		if err := t.WaitFD(pd, evloop.Writable, dl); err != nil {
			return err
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return evloop.ErrTimeout
		}
		switch e := unix.Errno(soerr); e {
		case 0, unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		default:
			return evloop.ErrTimeout // refused or unreachable
		}
	}
}

// open makes a non-blocking socket of type typ, starts connecting it to
// srv and registers it with the loop. For UDP the connect is complete on
// return; for TCP it may be in progress.
func (r *Resolver) open(srv netip.AddrPort, typ int) (int, *evloop.PollDesc, error) {
	var sa unix.Sockaddr
	af := unix.AF_INET
	if a := srv.Addr(); a.Is4() {
		sa = &unix.SockaddrInet4{Port: int(srv.Port()), Addr: a.As4()}
	} else {
		af = unix.AF_INET6
		s6 := &unix.SockaddrInet6{Port: int(srv.Port()), Addr: a.As16()}
		if z := a.Zone(); z != "" {
			s6.ZoneId = zoneID(z)
		}
		sa = s6
	}
	fd, err := unix.Socket(af, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	if typ == unix.SOCK_STREAM {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, nil, err
	}
	pd, err := r.loop.Register(fd)
	if err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	return fd, pd, nil
}

// closeFD unregisters and closes a socket, in that order, so the number
// cannot be reused while still registered.
func closeFD(fd int, pd *evloop.PollDesc) {
	pd.Close()
	unix.Close(fd)
}

// zoneID turns an IPv6 zone (an interface name or index) into its index;
// 0 when unknown.
func zoneID(zone string) uint32 {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}
