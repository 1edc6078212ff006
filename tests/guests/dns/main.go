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
// The imports are declared here by hand until the generated Go guest SDK
// (guest-sdk/go) provides them.
package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ptsevent/ptsevent/abi"
)

//go:wasmimport ptsevent getaddrinfo
func getaddrinfo(node, nodeLen, service, serviceLen, hints, res, resMax, nres uint32) uint32

//go:wasmimport ptsevent gethostbyname
func gethostbyname(name, nameLen, family, addrs, addrsMax, naddrs uint32) uint32

//go:wasmimport ptsevent gethostbyaddr
func gethostbyaddr(addr, name, nameLen, nameSize uint32) uint32

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

// ptr passes b to an import as a wasm32 address: the Go wasm port's heap
// does not move, and no guest code (so no collection) runs while an import
// is in progress.
func ptr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&b[0])))
}

func u32ptr(p *uint32) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

func dash(s string) []byte {
	if s == "-" {
		return nil
	}
	return []byte(s)
}

func gai(node, service string, fam, stype, fl int32, resMax int) string {
	n, s := dash(node), dash(service)
	hints := make([]byte, abi.AddrinfoHintsSize)
	binary.LittleEndian.PutUint32(hints[abi.AddrinfoHintsOffFlags:], uint32(fl))
	binary.LittleEndian.PutUint32(hints[abi.AddrinfoHintsOffFam:], uint32(fam))
	binary.LittleEndian.PutUint32(hints[abi.AddrinfoHintsOffType:], uint32(stype))
	res := make([]byte, resMax*abi.AddrinfoSize+1)
	var nres uint32
	e := getaddrinfo(ptr(n), uint32(len(n)), ptr(s), uint32(len(s)), ptr(hints), ptr(res), uint32(resMax), u32ptr(&nres))
	if e != 0 {
		return errnoString(e)
	}
	out := []string{"ok"}
	for i := range int(nres) {
		ent := res[i*abi.AddrinfoSize:]
		st := int32(binary.LittleEndian.Uint32(ent[abi.AddrinfoOffSocktype:]))
		pr := int32(binary.LittleEndian.Uint32(ent[abi.AddrinfoOffProtocol:]))
		name := map[int32]string{abi.SOCK_STREAM: "stream", abi.SOCK_DGRAM: "dgram"}[st]
		out = append(out, fmt.Sprintf("%s,%d,%s", name, pr, sockaddr(ent[abi.AddrinfoOffSockaddr:])))
	}
	return strings.Join(out, " ")
}

func ghbn(name string, fam int32, addrsMax int) string {
	n := []byte(name)
	addrs := make([]byte, addrsMax*abi.SockaddrSize+1)
	var count uint32
	e := gethostbyname(ptr(n), uint32(len(n)), uint32(fam), ptr(addrs), uint32(addrsMax), u32ptr(&count))
	if e != 0 {
		return errnoString(e)
	}
	out := []string{"ok"}
	for i := range int(count) {
		ap := sockaddrAddrPort(addrs[i*abi.SockaddrSize:])
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
	e := gethostbyaddr(ptr(sa), ptr(buf), uint32(size), u32ptr(&n))
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
	node := []byte("a.test")
	hints := make([]byte, abi.AddrinfoHintsSize)
	res := make([]byte, 4*abi.AddrinfoSize)
	sa := putSockaddr(netip.MustParseAddr("192.0.2.1"))
	buf := make([]byte, 64)
	var n uint32
	np := u32ptr(&n)
	es := []uint32{
		getaddrinfo(badPtr, 6, 0, 0, 0, ptr(res), 4, np),
		getaddrinfo(ptr(node), 6, badPtr, 2, 0, ptr(res), 4, np),
		getaddrinfo(ptr(node), 6, 0, 0, badPtr, ptr(res), 4, np),
		getaddrinfo(ptr(node), 6, 0, 0, ptr(hints), badPtr, 4, np),
		getaddrinfo(ptr(node), 6, 0, 0, ptr(hints), ptr(res), 0x7fffffff, np),
		getaddrinfo(ptr(node), 6, 0, 0, ptr(hints), ptr(res), 4, badPtr),
		getaddrinfo(ptr(node), 0xffffffff, 0, 0, ptr(hints), ptr(res), 4, np),
		gethostbyname(badPtr, 6, 0, ptr(res), 4, np),
		gethostbyname(ptr(node), 6, 0, badPtr, 1, np),
		gethostbyname(ptr(node), 6, 0, ptr(res), 0x7fffffff, np),
		gethostbyname(ptr(node), 6, 0, ptr(res), 4, badPtr),
		gethostbyaddr(badPtr, ptr(buf), 64, np),
		gethostbyaddr(ptr(sa), badPtr, 64, np),
		gethostbyaddr(ptr(sa), ptr(buf), 0xfffffff0, np),
		gethostbyaddr(ptr(sa), ptr(buf), 64, badPtr),
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = errnoString(e)
	}
	return strings.Join(out, " ")
}

// sockaddr renders a pts_sockaddr as "addr:port".
func sockaddr(b []byte) string {
	ap := sockaddrAddrPort(b)
	if !ap.IsValid() {
		return "family?"
	}
	return ap.String()
}

// sockaddrAddrPort decodes an AF_INET or AF_INET6 pts_sockaddr.
func sockaddrAddrPort(b []byte) netip.AddrPort {
	port := binary.LittleEndian.Uint16(b[abi.SockaddrOffPort:])
	switch binary.LittleEndian.Uint16(b[abi.SockaddrOffFamily:]) {
	case abi.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[abi.SockaddrOffAddr:])), port)
	case abi.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[abi.SockaddrOffAddr:])), port)
	}
	return netip.AddrPort{}
}

func putSockaddr(ip netip.Addr) []byte {
	b := make([]byte, abi.SockaddrSize)
	if ip.Is4() {
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_INET)
		a := ip.As4()
		copy(b[abi.SockaddrOffAddr:], a[:])
	} else {
		binary.LittleEndian.PutUint16(b[abi.SockaddrOffFamily:], abi.AF_INET6)
		a := ip.As16()
		copy(b[abi.SockaddrOffAddr:], a[:])
	}
	return b
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
