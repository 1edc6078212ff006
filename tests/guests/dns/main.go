//go:build wasip1

// Command dns is the test guest of the DNS imports (host/dns_test.go). Each
// argument is one command; for each it prints one line, "ok ..." with the
// results or the errno's name:
//
//	gai NODE SERVICE FAMILY SOCKTYPE FLAGS MAX   getaddrinfo; "-" is an empty
//	                                             node or service, FLAGS a comma
//	                                             list (passive, numerichost,
//	                                             numericserv) or 0; prints
//	                                             "socktype,protocol,addr:port"
//	ghbn NAME FAMILY MAX                         gethostbyname; prints addresses
//	ghba ADDR SIZE                               gethostbyaddr into a SIZE-byte
//	                                             buffer; prints the name, or
//	                                             "ERANGE n" with the needed size
//	efault                                       every import with a bad pointer
//
// FAMILY is unspec, inet, inet6 or a number; SOCKTYPE 0, stream, dgram or
// a number.
//
// It calls the imports through package sys (guest-sdk/go/sys), the raw
// bindings generated from package abi.
package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// badPtr is beyond any guest memory this test uses.
const badPtr = 0xfffffff0

func main() {
	for _, arg := range os.Args[1:] {
		fmt.Println(arg, "=>", command(strings.Fields(arg)))
	}
}

func command(f []string) string {
	if len(f) == 0 {
		return "usage"
	}
	switch {
	case f[0] == "gai" && len(f) == 7:
		return gai(f[1], f[2], family(f[3]), socktype(f[4]), flags(f[5]), atoi(f[6]))
	case f[0] == "ghbn" && len(f) == 4:
		return ghbn(f[1], family(f[2]), atoi(f[3]))
	case f[0] == "ghba" && len(f) == 3:
		return ghba(f[1], atoi(f[2]))
	case f[0] == "efault":
		return efault()
	}
	return "usage"
}

func errnoString(e uint32) string { return abi.Errno(e).Name() }

// bad returns a pointer to wasm32 address a, which need not be inside
// the guest's memory: the bindings pass a pointer as its i32 address.
func bad[T any](a uintptr) *T { return (*T)(unsafe.Add(unsafe.Pointer(nil), a)) }

// badString is a string of n bytes at wasm32 address a.
func badString(a uintptr, n int) string { return unsafe.String(bad[byte](a), n) }

func ptr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func gai(node, service string, fam, stype, fl int32, resMax int) string {
	hints := sys.AddrinfoHints{Flags: fl, Family: fam, Socktype: stype}
	res := make([]sys.Addrinfo, resMax+1)
	var nres uint32
	e := sys.Getaddrinfo(dash(node), dash(service), &hints, &res[0], int32(resMax), &nres)
	if e != 0 {
		return errnoString(e)
	}
	out := []string{"ok"}
	for _, ent := range res[:nres] {
		name := map[int32]string{abi.SOCK_STREAM: "stream", abi.SOCK_DGRAM: "dgram"}[ent.Socktype]
		out = append(out, fmt.Sprintf("%s,%d,%s", name, ent.Protocol, sockaddr(&ent.Addr)))
	}
	return strings.Join(out, " ")
}

func ghbn(name string, fam int32, addrsMax int) string {
	addrs := make([]sys.Sockaddr, addrsMax+1)
	var count uint32
	e := sys.Gethostbyname(name, fam, &addrs[0], int32(addrsMax), &count)
	if e != 0 {
		return errnoString(e)
	}
	out := []string{"ok"}
	for i := range int(count) {
		ap := sockaddrAddrPort(&addrs[i])
		if ap.Port() != 0 {
			out = append(out, ap.String()) // the port must be 0: show it if not
			continue
		}
		out = append(out, ap.Addr().String())
	}
	return strings.Join(out, " ")
}

func ghba(addr string, size int) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "bad address"
	}
	sa := putSockaddr(ip)
	buf := make([]byte, size+1)
	var n uint32
	e := sys.Gethostbyaddr(sa, ptr(buf), uint32(size), &n)
	if abi.Errno(e) == abi.ERANGE {
		return fmt.Sprintf("ERANGE %d", n)
	}
	if e != 0 {
		return errnoString(e)
	}
	return "ok " + string(buf[:n])
}

// efault calls each import with one bad pointer at a time.
func efault() string {
	node := "a.test"
	var hints sys.AddrinfoHints
	res := make([]sys.Addrinfo, 4)
	addrs := make([]sys.Sockaddr, 4)
	sa := putSockaddr(netip.MustParseAddr("192.0.2.1"))
	buf := make([]byte, 64)
	var n uint32
	es := []uint32{
		sys.Getaddrinfo(badString(badPtr, 6), "", nil, &res[0], 4, &n),
		sys.Getaddrinfo(node, badString(badPtr, 2), nil, &res[0], 4, &n),
		sys.Getaddrinfo(node, "", bad[sys.AddrinfoHints](badPtr), &res[0], 4, &n),
		sys.Getaddrinfo(node, "", &hints, bad[sys.Addrinfo](badPtr), 4, &n),
		sys.Getaddrinfo(node, "", &hints, &res[0], 0x7fffffff, &n),
		sys.Getaddrinfo(node, "", &hints, &res[0], 4, bad[uint32](badPtr)),
		sys.Getaddrinfo(unsafe.String(unsafe.StringData(node), 0xffffffff), "", &hints, &res[0], 4, &n),
		sys.Gethostbyname(badString(badPtr, 6), 0, &addrs[0], 4, &n),
		sys.Gethostbyname(node, 0, bad[sys.Sockaddr](badPtr), 1, &n),
		sys.Gethostbyname(node, 0, &addrs[0], 0x7fffffff, &n),
		sys.Gethostbyname(node, 0, &addrs[0], 4, bad[uint32](badPtr)),
		sys.Gethostbyaddr(bad[sys.Sockaddr](badPtr), ptr(buf), 64, &n),
		sys.Gethostbyaddr(sa, bad[byte](badPtr), 64, &n),
		sys.Gethostbyaddr(sa, ptr(buf), 0xfffffff0, &n),
		sys.Gethostbyaddr(sa, ptr(buf), 64, bad[uint32](badPtr)),
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = errnoString(e)
	}
	return strings.Join(out, " ")
}

// sockaddr renders a pts_sockaddr as "addr:port".
func sockaddr(sa *sys.Sockaddr) string {
	ap := sockaddrAddrPort(sa)
	if !ap.IsValid() {
		return "family?"
	}
	return ap.String()
}

// sockaddrAddrPort decodes an AF_INET or AF_INET6 pts_sockaddr.
func sockaddrAddrPort(sa *sys.Sockaddr) netip.AddrPort {
	switch sa.Family {
	case abi.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(sa.Addr[:4])), sa.Port)
	case abi.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), sa.Port)
	}
	return netip.AddrPort{}
}

func putSockaddr(ip netip.Addr) *sys.Sockaddr {
	sa := new(sys.Sockaddr)
	if ip.Is4() {
		sa.Family = abi.AF_INET
		a := ip.As4()
		copy(sa.Addr[:], a[:])
	} else {
		sa.Family = abi.AF_INET6
		sa.Addr = ip.As16()
	}
	return sa
}

func family(s string) int32 {
	switch s {
	case "unspec":
		return abi.AF_UNSPEC
	case "inet":
		return abi.AF_INET
	case "inet6":
		return abi.AF_INET6
	}
	return int32(atoi(s))
}

func socktype(s string) int32 {
	switch s {
	case "stream":
		return abi.SOCK_STREAM
	case "dgram":
		return abi.SOCK_DGRAM
	}
	return int32(atoi(s))
}

func flags(s string) int32 {
	var f int32
	for _, p := range strings.Split(s, ",") {
		switch p {
		case "passive":
			f |= abi.AI_PASSIVE
		case "numerichost":
			f |= abi.AI_NUMERICHOST
		case "numericserv":
			f |= abi.AI_NUMERICSERV
		case "canonname":
			f |= abi.AI_CANONNAME
		}
	}
	return f
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
