package dnsclient

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Default settings, as glibc's resolver has them.
const (
	DefaultResolvConf = "/etc/resolv.conf"
	DefaultHostsFile  = "/etc/hosts"
	DefaultTimeout    = 5 * time.Second
	DefaultAttempts   = 2
	DefaultNdots      = 1
	maxNdots          = 15
	maxAttempts       = 5
	maxNameservers    = 3 // as glibc's MAXNS
)

// Config configures a Resolver. The zero value reads /etc/resolv.conf and
// /etc/hosts; each set field overrides what resolv.conf says.
type Config struct {
	// Nameservers are "ip", "ip:port" or "[ipv6]:port" (port 53 when
	// omitted). When empty, resolv.conf's nameserver lines are used, and
	// when it has none, 127.0.0.1:53 and [::1]:53.
	Nameservers []string
	// ResolvConf and HostsFile name the files to read ("" for the system's).
	// A missing file is not an error: it contributes nothing.
	ResolvConf, HostsFile string
	// Search replaces resolv.conf's search list when non-nil (an empty,
	// non-nil slice disables the search list).
	Search []string
	// Ndots replaces resolv.conf's ndots option when > 0.
	Ndots int
	// Timeout bounds one attempt against one server (resolv.conf's
	// timeout option, default 5s); Attempts is how many rounds over the
	// servers a query gets (attempts option, default 2).
	Timeout  time.Duration
	Attempts int
	// Rotate starts each query at the next server in turn instead of the
	// first (resolv.conf's rotate option also sets it).
	Rotate bool
	// PureGo sends the queries with this package's own exchange even on a
	// loop whose backend is libevent, where libevent's evdns carries them
	// by default.
	PureGo bool
}

// resolvConf is what a resolv.conf file says.
type resolvConf struct {
	servers  []string
	search   []string
	ndots    int
	timeout  time.Duration
	attempts int
	rotate   bool
}

func defaultResolvConf() resolvConf {
	return resolvConf{ndots: DefaultNdots, timeout: DefaultTimeout, attempts: DefaultAttempts}
}

// readResolvConf reads path; a missing or unreadable file gives the
// defaults.
func readResolvConf(path string) resolvConf {
	f, err := os.Open(path)
	if err != nil {
		return defaultResolvConf()
	}
	defer f.Close()
	return parseResolvConf(f)
}

// parseResolvConf parses resolv.conf(5): nameserver, domain, search and
// options ndots:n timeout:n attempts:n rotate. Unknown lines are ignored.
func parseResolvConf(r io.Reader) resolvConf {
	c := defaultResolvConf()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 && len(c.servers) < maxNameservers {
				c.servers = append(c.servers, f[1])
			}
		case "domain":
			if len(f) > 1 {
				c.search = []string{f[1]}
			}
		case "search":
			c.search = append([]string(nil), f[1:]...)
		case "options":
			for _, o := range f[1:] {
				k, v, _ := strings.Cut(o, ":")
				n, err := strconv.Atoi(v)
				switch k {
				case "ndots":
					if err == nil {
						c.ndots = min(max(n, 0), maxNdots)
					}
				case "timeout":
					if err == nil {
						c.timeout = time.Duration(max(n, 1)) * time.Second
					}
				case "attempts":
					if err == nil {
						c.attempts = min(max(n, 1), maxAttempts)
					}
				case "rotate":
					c.rotate = true
				}
			}
		}
	}
	return c
}

// parseNameserver parses "ip", "ip:port" or "[ip]:port".
func parseNameserver(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("dnsclient: nameserver %q: want ip or ip:port", s)
	}
	return netip.AddrPortFrom(a.Unmap(), 53), nil
}

// nameList returns the fully qualified names to query for name, in order,
// as resolv.conf(5) describes: a name ending in a dot is only itself; a
// name with at least ndots dots is tried as is before the search list, any
// other after it.
func (r *Resolver) nameList(name string) []string {
	if strings.HasSuffix(name, ".") {
		return []string{name}
	}
	abs := name + "."
	if len(r.search) == 0 {
		return []string{abs}
	}
	out := make([]string, 0, len(r.search)+1)
	early := strings.Count(name, ".") >= r.ndots
	if early {
		out = append(out, abs)
	}
	for _, s := range r.search {
		if n := abs + s; len(n) <= 254 {
			out = append(out, n)
		}
	}
	if !early {
		out = append(out, abs)
	}
	return out
}
