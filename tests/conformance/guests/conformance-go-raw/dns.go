//go:build wasip1

package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
	"github.com/ptsevent/ptsevent/tests/conformance/guests/internal/check"
)

// gai calls getaddrinfo and renders the results as "stream,6,ADDR:PORT"
// words, or returns the errno.
func gai(node, service string, hints *sys.AddrinfoHints, max int) (string, uint32) {
	res := make([]sys.Addrinfo, max+1)
	var n uint32
	e := sys.Getaddrinfo(node, service, hints, &res[0], int32(max), &n)
	if e != 0 {
		return "", e
	}
	var out []string
	for _, r := range res[:n] {
		st := map[int32]string{abi.SOCK_STREAM: "stream", abi.SOCK_DGRAM: "dgram"}[r.Socktype]
		out = append(out, fmt.Sprintf("%s,%d,%s", st, r.Protocol, addrPort(&r.Addr)))
	}
	return strings.Join(out, " "), 0
}

func ghbn(name string, family int32, max int) (string, uint32) {
	addrs := make([]sys.Sockaddr, max+1)
	var n uint32
	e := sys.Gethostbyname(name, family, &addrs[0], int32(max), &n)
	if e != 0 {
		return "", e
	}
	var out []string
	for i := range addrs[:n] {
		out = append(out, addrPort(&addrs[i]).String())
	}
	return strings.Join(out, " "), 0
}

func ghba(ip string, size int) (string, uint32, uint32) {
	sa := sockaddrOf(netip.AddrPortFrom(netip.MustParseAddr(ip), 0))
	buf := make([]byte, size+1)
	var n uint32
	e := sys.Gethostbyaddr(sa, ptr(buf), uint32(size), &n)
	if e != 0 {
		return "", n, e
	}
	return string(buf[:n]), n, 0
}

// dns: the resolver imports against the runner's DNS server (its zone is
// internal/dnsclient/dnstest's; its hosts file is dnstest.HostsFile).
func dns([]string) {
	stream := &sys.AddrinfoHints{Family: abi.AF_INET, Socktype: abi.SOCK_STREAM}
	unspec := &sys.AddrinfoHints{Family: abi.AF_UNSPEC, Socktype: abi.SOCK_STREAM}
	for _, c := range []struct {
		name, node, service string
		hints               *sys.AddrinfoHints
		max                 int
		want                string
		errno               abi.Errno
	}{
		{"getaddrinfo/a", "a.test", "80", stream, 8, "stream,6,192.0.2.1:80", 0},
		{"getaddrinfo/a-and-aaaa", "both.test", "http", unspec, 8, "stream,6,192.0.2.2:80 stream,6,[2001:db8::2]:80", 0},
		{"getaddrinfo/cname", "cname.test", "443", stream, 8, "stream,6,192.0.2.2:443", 0},
		{"getaddrinfo/no-hints", "a.test", "53", nil, 8, "stream,6,192.0.2.1:53 dgram,17,192.0.2.1:53", 0},
		{"getaddrinfo/res-max", "both.test", "80", unspec, 1, "stream,6,192.0.2.2:80", 0},
		{"getaddrinfo/numeric-host", "192.0.2.7", "80", &sys.AddrinfoHints{Flags: abi.AI_NUMERICHOST, Socktype: abi.SOCK_STREAM}, 8, "stream,6,192.0.2.7:80", 0},
		{"getaddrinfo/passive", "", "8080", &sys.AddrinfoHints{Flags: abi.AI_PASSIVE, Family: abi.AF_INET, Socktype: abi.SOCK_STREAM}, 8, "stream,6,0.0.0.0:8080", 0},
		{"getaddrinfo/hosts-file", "hostsonly.test", "80", stream, 8, "stream,6,192.0.2.100:80", 0},
		{"getaddrinfo/eai_noname", "nx.test", "80", unspec, 8, "", abi.EAI_NONAME},
		{"getaddrinfo/eai_fail", "servfail.test", "80", unspec, 8, "", abi.EAI_FAIL},
		{"getaddrinfo/eai_again", "timeout.test", "80", stream, 8, "", abi.EAI_AGAIN},
		{"getaddrinfo/eai_nodata", "aaaa.test", "80", stream, 8, "", abi.EAI_NODATA},
		{"getaddrinfo/eai_family", "a.test", "80", &sys.AddrinfoHints{Family: 99}, 8, "", abi.EAI_FAMILY},
		{"getaddrinfo/eai_service", "a.test", "nosuchservice", stream, 8, "", abi.EAI_SERVICE},
		{"getaddrinfo/numericserv", "a.test", "http", &sys.AddrinfoHints{Flags: abi.AI_NUMERICSERV, Socktype: abi.SOCK_STREAM}, 8, "", abi.EAI_NONAME},
	} {
		got, e := gai(c.node, c.service, c.hints, c.max)
		if c.errno != 0 {
			check.Errno(c.name, e, c.errno)
			continue
		}
		check.That(c.name, e == 0 && got == c.want, "%s %s: %s %q, want %q", c.node, c.service, check.Name(e), got, c.want)
	}
	for _, c := range []struct {
		name, host string
		family     int32
		max        int
		want       string
		errno      abi.Errno
	}{
		{"gethostbyname/a-and-aaaa", "both.test", abi.AF_UNSPEC, 8, "192.0.2.2:0 [2001:db8::2]:0", 0},
		{"gethostbyname/inet6", "both.test", abi.AF_INET6, 8, "[2001:db8::2]:0", 0},
		{"gethostbyname/addrs-max", "multi.test", abi.AF_INET, 1, "192.0.2.10:0", 0},
		{"gethostbyname/eai_noname", "nx.test", abi.AF_UNSPEC, 8, "", abi.EAI_NONAME},
		{"gethostbyname/eai_fail", "servfail.test", abi.AF_INET, 8, "", abi.EAI_FAIL},
		{"gethostbyname/eai_nodata", "aaaa.test", abi.AF_INET, 8, "", abi.EAI_NODATA},
	} {
		got, e := ghbn(c.host, c.family, c.max)
		if c.errno != 0 {
			check.Errno(c.name, e, c.errno)
			continue
		}
		check.That(c.name, e == 0 && got == c.want, "%s: %s %q, want %q", c.host, check.Name(e), got, c.want)
	}
	name, _, e := ghba("192.0.2.1", 64)
	check.That("gethostbyaddr/ipv4", e == 0 && name == "a.test", "%s %q", check.Name(e), name)
	name, _, e = ghba("2001:db8::1", 64)
	check.That("gethostbyaddr/ipv6", e == 0 && name == "aaaa.test", "%s %q", check.Name(e), name)
	_, size, e := ghba("192.0.2.2", 4)
	check.That("gethostbyaddr/erange", e == uint32(abi.ERANGE) && size == 9, "%s size %d", check.Name(e), size)
	name, _, e = ghba("192.0.2.2", 9)
	check.That("gethostbyaddr/exact-buffer", e == 0 && name == "both.test", "%s %q", check.Name(e), name)
	_, _, e = ghba("192.0.2.250", 64)
	check.Errno("gethostbyaddr/eai_noname", e, abi.EAI_NONAME)
}

// dns-denied: without the DNS grant every lookup is EACCES.
func dnsDenied([]string) {
	_, e := gai("a.test", "80", nil, 4)
	check.Errno("getaddrinfo/eacces", e, abi.EACCES)
	_, e = ghbn("a.test", abi.AF_UNSPEC, 4)
	check.Errno("gethostbyname/eacces", e, abi.EACCES)
	_, _, e = ghba("192.0.2.1", 64)
	check.Errno("gethostbyaddr/eacces", e, abi.EACCES)
}
