// Command dns-lookup resolves each argument with the host's resolver, the
// way a program would with the net package:
//
//   - a host name with ptsevent.LookupHost (net.LookupHost: every IPv4
//     and IPv6 address) and ptsevent.GetAddrInfo (getaddrinfo: the socket
//     addresses to connect to for a service);
//   - an IP address with ptsevent.LookupAddr (net.LookupAddr: a PTR
//     lookup).
//
// Each lookup is one host import: the guest is suspended while the host
// asks the DNS servers without blocking its event loop, so other guests
// keep running.
//
//	make wasm build
//	bin/ptsevent run --allow-dns build/wasm/dns-lookup.wasm -- example.com localhost 8.8.8.8
//
// Output, one line per lookup:
//
//	example.com: LookupHost 93.184.215.14 2606:2800:21f:cb07:6820:80da:af6b:8b2c
//	example.com: GetAddrInfo tcp 93.184.215.14:80 [2606:2800:21f:cb07:6820:80da:af6b:8b2c]:80
//	8.8.8.8: LookupAddr dns.google.
//	nosuch.invalid: LookupHost error: lookup nosuch.invalid: ...
//
// Flags: -service S (the service GetAddrInfo resolves, default "80"). The
// exit status is 1 if any lookup failed. The guest needs --allow-dns;
// without it every lookup fails with EACCES.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/ptsevent/ptsevent/abi"
	ptsevent "github.com/ptsevent/ptsevent/guest-sdk/go"
)

func main() {
	service := flag.String("service", "80", "the `SERVICE` (port number or name) GetAddrInfo resolves")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: dns-lookup [-service S] NAME-OR-ADDRESS...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	report := func(arg, what string, results []string, err error) {
		if err != nil {
			fmt.Printf("%s: %s error: %v\n", arg, what, err)
			failed = true
			return
		}
		fmt.Printf("%s: %s %s\n", arg, what, strings.Join(results, " "))
	}
	for _, arg := range flag.Args() {
		if _, err := netip.ParseAddr(arg); err == nil {
			// An address: ask for its name (PTR record).
			names, err := ptsevent.LookupAddr(arg)
			report(arg, "LookupAddr", names, err)
			continue
		}
		// A name: its addresses, as net.LookupHost returns them...
		addrs, err := ptsevent.LookupHost(arg)
		report(arg, "LookupHost", addrs, err)

		// ...and, as getaddrinfo does, the TCP socket addresses to try
		// for the service, in the order to try them.
		hints := &ptsevent.AddrInfoHints{Family: abi.AF_UNSPEC, SockType: abi.SOCK_STREAM}
		ais, err := ptsevent.GetAddrInfo(arg, *service, hints)
		var eps []string
		for _, ai := range ais {
			eps = append(eps, ai.Addr.String())
		}
		report(arg, "GetAddrInfo tcp", eps, err)
	}
	if failed {
		os.Exit(1)
	}
}
