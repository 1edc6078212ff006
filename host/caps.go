package host

import (
	"fmt"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
)

// Capabilities are what a guest may do beyond computing: a guest gets
// nothing by default. The embedder (or the CLI's flags) grants each.
type Capabilities struct {
	// Connect lists the addresses a guest may connect (or send datagrams) to.
	Connect []AddrPattern
	// Bind lists the addresses a guest may bind (and listen on).
	Bind []AddrPattern
	// DNS allows name resolution.
	DNS bool
	// Dirs are host directories mounted into the guest's file namespace.
	Dirs []DirMount
	// Files are descriptors the guest may adopt with fromfd, by name.
	Files map[string]*os.File
}

// DirMount mounts host directory Host at guest path Guest (e.g. "/data"),
// read-only when ReadOnly is set. Access goes through os.Root, so neither
// ".." nor symlinks can reach outside Host.
type DirMount struct {
	Host, Guest string
	ReadOnly    bool
}

// AddrPattern matches socket addresses: a host part ("*" for any, an IP, a
// CIDR prefix like "10.0.0.0/8", or "unix:" followed by a path glob) and a
// port part ("*", a port, or a range "8000-8999").
type AddrPattern struct {
	Any      bool         // host "*"
	Prefix   netip.Prefix // an IP or CIDR
	UnixGlob string       // for unix: patterns
	IsUnix   bool
	PortLo   int
	PortHi   int
}

// ParseAddrPattern parses "host:port" patterns such as "*:*",
// "127.0.0.1:8080", "[::1]:*", "10.0.0.0/8:1000-2000" and "unix:/tmp/*".
func ParseAddrPattern(s string) (AddrPattern, error) {
	if rest, ok := strings.CutPrefix(s, "unix:"); ok {
		if _, err := path.Match(rest, ""); err != nil {
			return AddrPattern{}, fmt.Errorf("address pattern %q: %w", s, err)
		}
		return AddrPattern{IsUnix: true, UnixGlob: rest}, nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return AddrPattern{}, fmt.Errorf("address pattern %q: want host:port", s)
	}
	host, port := s[:i], s[i+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var p AddrPattern
	switch {
	case host == "*":
		p.Any = true
	case host == "localhost":
		p.Prefix = netip.MustParsePrefix("127.0.0.0/8")
	case strings.Contains(host, "/"):
		pr, err := netip.ParsePrefix(host)
		if err != nil {
			return AddrPattern{}, fmt.Errorf("address pattern %q: %w", s, err)
		}
		p.Prefix = pr.Masked()
	default:
		a, err := netip.ParseAddr(host)
		if err != nil {
			return AddrPattern{}, fmt.Errorf("address pattern %q: %w", s, err)
		}
		p.Prefix = netip.PrefixFrom(a, a.BitLen())
	}
	switch lo, hi, ok := strings.Cut(port, "-"); {
	case port == "*":
		p.PortLo, p.PortHi = 0, 65535
	case ok:
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || l < 0 || h > 65535 || l > h {
			return AddrPattern{}, fmt.Errorf("address pattern %q: bad port range", s)
		}
		p.PortLo, p.PortHi = l, h
	default:
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return AddrPattern{}, fmt.Errorf("address pattern %q: bad port", s)
		}
		p.PortLo, p.PortHi = n, n
	}
	return p, nil
}

// MustParseAddrPatterns parses patterns and panics on error; for tests and
// literals.
func MustParseAddrPatterns(ss ...string) []AddrPattern {
	out := make([]AddrPattern, len(ss))
	for i, s := range ss {
		p, err := ParseAddrPattern(s)
		if err != nil {
			panic(err)
		}
		out[i] = p
	}
	return out
}

// MatchIP reports whether the pattern admits ip:port.
func (p AddrPattern) MatchIP(ip netip.Addr, port int) bool {
	if p.IsUnix || port < p.PortLo || port > p.PortHi {
		return false
	}
	if p.Any {
		return true
	}
	ip = ip.Unmap()
	return p.Prefix.Contains(ip)
}

// MatchUnix reports whether the pattern admits the unix socket path.
func (p AddrPattern) MatchUnix(name string) bool {
	if !p.IsUnix {
		return false
	}
	ok, _ := path.Match(p.UnixGlob, name)
	return ok
}

func allowIP(ps []AddrPattern, ip netip.Addr, port int) bool {
	for _, p := range ps {
		if p.MatchIP(ip, port) {
			return true
		}
	}
	return false
}

func allowUnix(ps []AddrPattern, name string) bool {
	for _, p := range ps {
		if p.MatchUnix(name) {
			return true
		}
	}
	return false
}
