package dnsclient

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evdns"
)

// Family selects the address families LookupIP returns.
type Family int

// Address families for LookupIP.
const (
	AnyFamily Family = iota // IPv4 and IPv6 (A and AAAA)
	IPv4                    // A only
	IPv6                    // AAAA only
)

// Resolution failures; the errors LookupIP and LookupAddr return wrap one
// of them (test with errors.Is).
var (
	// ErrNotFound: the name does not exist (NXDOMAIN), or is not valid.
	ErrNotFound = errors.New("no such host")
	// ErrNoData: the name exists but has no record of the requested type.
	ErrNoData = errors.New("no record of the requested type")
	// ErrTimeout: every nameserver timed out or was unreachable.
	ErrTimeout = errors.New("nameservers timed out")
	// ErrServerFailure: the nameservers answered SERVFAIL, REFUSED or
	// something malformed.
	ErrServerFailure = errors.New("server failure")
)

// Error is a failed lookup: the name (or address) looked up and the cause,
// one of the Err* values.
type Error struct {
	Name string
	Err  error
}

func (e *Error) Error() string { return "lookup " + e.Name + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// maxCNAMEHops bounds CNAME chains followed in an answer.
const maxCNAMEHops = 16

// Resolver resolves names for the tasks of one loop. It keeps no lock: use
// it only on its loop's goroutine, from tasks (New may be called anywhere).
type Resolver struct {
	loop     *evloop.Loop
	servers  []netip.AddrPort
	search   []string // fully qualified suffixes ("example.com.")
	ndots    int
	timeout  time.Duration
	attempts int
	rotate   bool
	next     uint32
	hosts    *hostsFile
	buf      []byte        // UDP receive buffer; used only between a read and its parse
	ev       *evdns.Client // libevent's evdns carries the queries; nil: exchangeUDP does
}

// New makes a resolver for loop's tasks from cfg and the files it names.
// It fails only on a malformed Config.Nameservers entry.
func New(loop *evloop.Loop, cfg Config) (*Resolver, error) {
	path := cfg.ResolvConf
	if path == "" {
		path = DefaultResolvConf
	}
	rc := readResolvConf(path)
	r := &Resolver{
		loop:     loop,
		ndots:    rc.ndots,
		timeout:  rc.timeout,
		attempts: rc.attempts,
		rotate:   rc.rotate || cfg.Rotate,
		buf:      make([]byte, 64<<10),
	}
	servers := cfg.Nameservers
	if len(servers) == 0 {
		servers = rc.servers
	}
	for _, s := range servers {
		ap, err := parseNameserver(s)
		if err != nil {
			if len(cfg.Nameservers) > 0 {
				return nil, err
			}
			continue // resolv.conf lines we cannot use are skipped, as libc does
		}
		r.servers = append(r.servers, ap)
	}
	if len(r.servers) == 0 {
		r.servers = []netip.AddrPort{
			netip.MustParseAddrPort("127.0.0.1:53"),
			netip.MustParseAddrPort("[::1]:53"),
		}
	}
	search := rc.search
	if cfg.Search != nil {
		search = cfg.Search
	}
	for _, s := range search {
		s = strings.Trim(s, ".")
		if s == "" {
			continue
		}
		if _, ok := dns.IsDomainName(s); ok {
			r.search = append(r.search, s+".")
		}
	}
	if cfg.Ndots > 0 {
		r.ndots = min(cfg.Ndots, maxNdots)
	}
	if cfg.Timeout > 0 {
		r.timeout = cfg.Timeout
	}
	if cfg.Attempts > 0 {
		r.attempts = cfg.Attempts
	}
	hosts := cfg.HostsFile
	if hosts == "" {
		hosts = DefaultHostsFile
	}
	r.hosts = newHostsFile(hosts)
	if !cfg.PureGo && evdns.Supported(loop) {
		ev, err := evdns.New(loop, r.servers, r.timeout)
		if err != nil {
			return nil, fmt.Errorf("dnsclient: %w", err)
		}
		r.ev = ev
	}
	return r, nil
}

// Engine names what carries the queries: "evdns" (libevent's, on a loop
// whose backend is libevent) or "go" (this package's own exchange).
func (r *Resolver) Engine() string {
	if r.ev != nil {
		return "evdns"
	}
	return "go"
}

// Loop returns the loop the resolver serves.
func (r *Resolver) Loop() *evloop.Loop { return r.loop }

// Nameservers returns the servers queried, in order.
func (r *Resolver) Nameservers() []netip.AddrPort { return append([]netip.AddrPort(nil), r.servers...) }

// LookupIP returns the addresses of name of the given family, IPv4 before
// IPv6, and its canonical name (the end of its CNAME chain, without the
// trailing dot). The calling task parks while queries are in flight.
func (r *Resolver) LookupIP(t *evloop.Task, name string, family Family) ([]netip.Addr, string, error) {
	if family != AnyFamily && family != IPv4 && family != IPv6 {
		return nil, "", &Error{Name: name, Err: ErrNoData}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		a = a.Unmap()
		if !family.match(a) {
			return nil, "", &Error{Name: name, Err: ErrNoData}
		}
		return []netip.Addr{a}, name, nil
	}
	bare := strings.TrimSuffix(name, ".")
	if !validName(name) {
		return nil, "", &Error{Name: name, Err: ErrNotFound}
	}
	r.hosts.refresh(time.Now())
	if as, canon := r.hosts.lookup(bare); len(as) > 0 {
		if out := family.filter(as); len(out) > 0 {
			return out, canon, nil
		}
	}
	if lower := strings.ToLower(bare); lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		out := family.filter([]netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()})
		return out, bare, nil
	}

	var types []uint16
	if family != IPv6 {
		types = append(types, dns.TypeA)
	}
	if family != IPv4 {
		types = append(types, dns.TypeAAAA)
	}
	var firstErr error
	sawNoData, sawFailure := false, false
	for _, fqdn := range r.nameList(name) {
		qs := make([]*query, len(types))
		for i, qt := range types {
			qs[i] = &query{name: fqdn, qtype: qt}
		}
		if err := r.exchange(t, qs); err != nil {
			return nil, "", err
		}
		var addrs []netip.Addr
		var canon string
		var errs []error
		for _, q := range qs {
			as, cn, err := q.result()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			addrs = append(addrs, as...)
			if canon == "" {
				canon = cn
			}
		}
		if len(addrs) > 0 {
			return addrs, canon, nil
		}
		err := worst(errs)
		if firstErr == nil {
			firstErr = err
		}
		switch err {
		case ErrTimeout:
			// The servers are not answering: trying more names would only
			// multiply the wait (glibc stops here too).
			return nil, "", &Error{Name: name, Err: ErrTimeout}
		case ErrNoData:
			sawNoData = true
		case ErrServerFailure:
			sawFailure = true
		}
	}
	switch {
	case sawNoData:
		firstErr = ErrNoData
	case sawFailure:
		firstErr = ErrServerFailure
	}
	return nil, "", &Error{Name: name, Err: firstErr}
}

// worst picks the error to report for one name from its queries' errors:
// a timeout or server failure of either query outweighs an answer.
func worst(errs []error) error {
	rank := func(e error) int {
		switch e {
		case ErrTimeout:
			return 4
		case ErrServerFailure:
			return 3
		case ErrNoData:
			return 2
		}
		return 1
	}
	w := error(ErrNotFound)
	for _, e := range errs {
		if rank(e) > rank(w) {
			w = e
		}
	}
	return w
}

// LookupAddr returns the names of address a (PTR), without trailing dots:
// the hosts file's first, else the DNS's.
func (r *Resolver) LookupAddr(t *evloop.Task, a netip.Addr) ([]string, error) {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return nil, &Error{Name: a.String(), Err: ErrNotFound}
	}
	r.hosts.refresh(time.Now())
	if names := r.hosts.reverse(a); len(names) > 0 {
		return append([]string(nil), names...), nil
	}
	arpa, err := dns.ReverseAddr(a.String())
	if err != nil {
		return nil, &Error{Name: a.String(), Err: ErrNotFound}
	}
	q := &query{name: arpa, qtype: dns.TypePTR, addr: a}
	if err := r.exchange(t, []*query{q}); err != nil {
		return nil, err
	}
	m, err := q.reply, q.err
	if err != nil {
		return nil, &Error{Name: a.String(), Err: err}
	}
	if m.Rcode == dns.RcodeNameError {
		return nil, &Error{Name: a.String(), Err: ErrNotFound}
	}
	owner := chase(m, arpa)
	var names []string
	for _, rr := range m.Answer {
		if p, ok := rr.(*dns.PTR); ok && strings.EqualFold(p.Hdr.Name, owner) {
			if n := strings.TrimSuffix(p.Ptr, "."); validName(n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil, &Error{Name: a.String(), Err: ErrNoData}
	}
	return names, nil
}

// result turns a finished query into addresses and the canonical name, or
// one of the Err* values.
func (q *query) result() ([]netip.Addr, string, error) {
	if q.reply == nil {
		if q.err == nil {
			return nil, "", ErrTimeout
		}
		return nil, "", q.err
	}
	m := q.reply
	if m.Rcode == dns.RcodeNameError {
		return nil, "", ErrNotFound
	}
	owner := chase(m, q.name)
	var out []netip.Addr
	for _, rr := range m.Answer {
		if !strings.EqualFold(rr.Header().Name, owner) || rr.Header().Class != dns.ClassINET {
			continue
		}
		var a netip.Addr
		var ok bool
		switch v := rr.(type) {
		case *dns.A:
			if q.qtype == dns.TypeA {
				a, ok = netip.AddrFromSlice(v.A.To4())
			}
		case *dns.AAAA:
			if q.qtype == dns.TypeAAAA {
				a, ok = netip.AddrFromSlice(v.AAAA.To16())
			}
		}
		if ok && !containsAddr(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, "", ErrNoData
	}
	return out, strings.TrimSuffix(owner, "."), nil
}

// chase follows the CNAME chain from name through m's answer section and
// returns the name at its end.
func chase(m *dns.Msg, name string) string {
	for range maxCNAMEHops {
		next := ""
		for _, rr := range m.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next = c.Target
				break
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	return name
}

func (f Family) match(a netip.Addr) bool {
	switch f {
	case IPv4:
		return a.Is4()
	case IPv6:
		return a.Is6()
	}
	return true
}

// filter returns the addresses of as in f, IPv4 first.
func (f Family) filter(as []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a.Is4() && f.match(a) {
			out = append(out, a)
		}
	}
	for _, a := range as {
		if a.Is6() && f.match(a) {
			out = append(out, a)
		}
	}
	return out
}

// validName reports whether name can be looked up: a syntactically valid
// domain name of at most 253 characters (254 with the final dot).
func validName(name string) bool {
	if name == "" || name == "." || len(name) > 254 || (len(name) == 254 && !strings.HasSuffix(name, ".")) {
		return false
	}
	_, ok := dns.IsDomainName(name)
	return ok
}
