// Package dnstest runs a small authoritative DNS server (github.com/miekg/dns)
// on 127.0.0.1, UDP and TCP on one random port, for the resolver's tests and
// the host's DNS import tests. Its zone covers the cases a stub resolver
// must handle:
//
//	a.test.          A     192.0.2.1
//	aaaa.test.       AAAA  2001:db8::1
//	both.test.       A     192.0.2.2, AAAA 2001:db8::2
//	multi.test.      A     192.0.2.10, 192.0.2.11
//	cname.test.      CNAME c1.test. -> c1.test. CNAME both.test. (whole chain answered)
//	www.sub.test.    A     192.0.2.80 (reached through the search list "sub.test")
//	override.test.   A     192.0.2.5 (the tests' hosts file says 203.0.113.5)
//	tc.test.         over UDP: an empty truncated answer; over TCP: A 192.0.2.53, 192.0.2.54
//	spoof.test.      a reply with the wrong ID (198.51.100.66), one with the
//	                 wrong question (198.51.100.67), then the real one, A 192.0.2.7
//	slow.test.       A 192.0.2.9, answered only once Release is called
//	servfail.test.   SERVFAIL
//	refused.test.    REFUSED
//	malformed.test.  a reply whose answer section is cut short
//	timeout.test.    never answered
//	PTR: 192.0.2.1 -> a.test., 2001:db8::1 -> aaaa.test., 192.0.2.2 -> both.test.
//
// Any other name is NXDOMAIN; a name of the zone asked for a type it does
// not have gets an empty NOERROR answer (NODATA).
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// HostsFile is a hosts(5) file to use with the server's zone: it names a
// host the DNS does not know and overrides one it does.
const HostsFile = `# dnstest hosts file
192.0.2.100   hostsonly.test hostalias
2001:db8::100 hostsonly.test
203.0.113.5   override.test
`

var zone = map[string][]string{
	"a.test.":        {"a.test. 60 IN A 192.0.2.1"},
	"aaaa.test.":     {"aaaa.test. 60 IN AAAA 2001:db8::1"},
	"both.test.":     {"both.test. 60 IN A 192.0.2.2", "both.test. 60 IN AAAA 2001:db8::2"},
	"multi.test.":    {"multi.test. 60 IN A 192.0.2.10", "multi.test. 60 IN A 192.0.2.11"},
	"cname.test.":    {"cname.test. 60 IN CNAME c1.test."},
	"c1.test.":       {"c1.test. 60 IN CNAME both.test."},
	"www.sub.test.":  {"www.sub.test. 60 IN A 192.0.2.80"},
	"override.test.": {"override.test. 60 IN A 192.0.2.5"},
	"tc.test.":       {"tc.test. 60 IN A 192.0.2.53", "tc.test. 60 IN A 192.0.2.54"},
	"spoof.test.":    {"spoof.test. 60 IN A 192.0.2.7"},
	"slow.test.":     {"slow.test. 60 IN A 192.0.2.9"},
	"delay.test.":    {"delay.test. 60 IN A 192.0.2.30", "delay.test. 60 IN AAAA 2001:db8::30"},

	"1.2.0.192.in-addr.arpa.": {"1.2.0.192.in-addr.arpa. 60 IN PTR a.test."},
	"2.2.0.192.in-addr.arpa.": {"2.2.0.192.in-addr.arpa. 60 IN PTR both.test."},
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": {
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR aaaa.test.",
	},
}

// Delay is how long delay.test. takes to answer.
const Delay = 300 * time.Millisecond

// Server is a running test server.
type Server struct {
	// Addr is "127.0.0.1:port", the same port for UDP and TCP.
	Addr string
	// SlowQueried receives a value each time slow.test. is asked (it is
	// buffered; extra signals are dropped).
	SlowQueried chan struct{}

	rrs     map[string][]dns.RR
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	counts  map[string]int
	tcp     map[string]int
}

// Start starts a server for the life of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		SlowQueried: make(chan struct{}, 16),
		rrs:         map[string][]dns.RR{},
		release:     make(chan struct{}),
		counts:      map[string]int{},
		tcp:         map[string]int{},
	}
	for name, lines := range zone {
		for _, l := range lines {
			rr, err := dns.NewRR(l)
			if err != nil {
				t.Fatalf("dnstest: zone line %q: %v", l, err)
			}
			s.rrs[name] = append(s.rrs[name], rr)
		}
	}
	var pc net.PacketConn
	var ln net.Listener
	for i := 0; ; i++ {
		var err error
		pc, err = net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: listen udp: %v", err)
		}
		ln, err = net.Listen("tcp4", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if i == 20 {
			t.Fatalf("dnstest: listen tcp: %v", err)
		}
	}
	s.Addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	servers := []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}}
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("dnstest: server did not start")
		}
	}
	t.Cleanup(func() {
		s.Release()
		for _, srv := range servers {
			_ = srv.Shutdown()
		}
	})
	return s
}

// Release lets the answers to slow.test. go out (once; later calls do
// nothing).
func (s *Server) Release() { s.once.Do(func() { close(s.release) }) }

// Queries returns how many queries for name (fully qualified, any type,
// UDP or TCP) the server received.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[strings.ToLower(dns.Fqdn(name))]
}

// TCPQueries returns how many of them came over TCP.
func (s *Server) TCPQueries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tcp[strings.ToLower(dns.Fqdn(name))]
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	udp := w.RemoteAddr().Network() == "udp"
	s.mu.Lock()
	s.counts[name]++
	if !udp {
		s.tcp[name]++
	}
	s.mu.Unlock()

	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	switch name {
	case "timeout.test.":
		return
	case "servfail.test.":
		m.Rcode = dns.RcodeServerFailure
		_ = w.WriteMsg(m)
		return
	case "refused.test.":
		m.Rcode = dns.RcodeRefused
		_ = w.WriteMsg(m)
		return
	case "malformed.test.":
		rr, _ := dns.NewRR("malformed.test. 60 IN A 192.0.2.99")
		m.Answer = []dns.RR{rr}
		b, err := m.Pack()
		if err == nil {
			_, _ = w.Write(b[:len(b)-3])
		}
		return
	case "tc.test.":
		if udp {
			m.Truncated = true
			_ = w.WriteMsg(m)
			return
		}
	case "spoof.test.":
		bad := m.Copy()
		bad.Id ^= 0x5a5a
		rr, _ := dns.NewRR("spoof.test. 60 IN A 198.51.100.66")
		bad.Answer = []dns.RR{rr}
		_ = w.WriteMsg(bad)
		wrongQ := m.Copy()
		wrongQ.Question[0].Name = "other.test."
		rr, _ = dns.NewRR("other.test. 60 IN A 198.51.100.67")
		wrongQ.Answer = []dns.RR{rr}
		_ = w.WriteMsg(wrongQ)
	case "delay.test.":
		time.Sleep(Delay)
	case "slow.test.":
		select {
		case s.SlowQueried <- struct{}{}:
		default:
		}
		select {
		case <-s.release:
		case <-time.After(30 * time.Second):
		}
	}
	s.answer(m, name, q.Qtype)
	_ = w.WriteMsg(m)
}

// answer fills m from the zone, following CNAMEs as a recursive server
// would.
func (s *Server) answer(m *dns.Msg, name string, qtype uint16) {
	if _, ok := s.rrs[name]; !ok {
		m.Rcode = dns.RcodeNameError
		soa, _ := dns.NewRR("test. 60 IN SOA ns.test. admin.test. 1 60 60 60 60")
		m.Ns = []dns.RR{soa}
		return
	}
	for range 16 {
		next := ""
		for _, rr := range s.rrs[name] {
			switch {
			case rr.Header().Rrtype == qtype:
				m.Answer = append(m.Answer, rr)
			case rr.Header().Rrtype == dns.TypeCNAME:
				m.Answer = append(m.Answer, rr)
				next = strings.ToLower(rr.(*dns.CNAME).Target)
			}
		}
		if next == "" {
			return
		}
		name = next
	}
}

// Blackhole returns the address of a UDP socket that never answers, for
// nameserver-failover tests.
func Blackhole(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest: listen udp: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// ServfailServer starts a server that answers every query SERVFAIL, for
// failover tests, and returns its address.
func ServfailServer(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest: listen udp: %v", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}
