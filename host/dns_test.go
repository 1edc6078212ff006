package host_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/dnsclient/dnstest"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// dnsFiles writes the dnstest hosts file and a resolv.conf whose search
// list is sub.test.
func dnsFiles(t *testing.T) (resolvConf, hosts string) {
	t.Helper()
	dir := t.TempDir()
	resolvConf = filepath.Join(dir, "resolv.conf")
	hosts = filepath.Join(dir, "hosts")
	if err := os.WriteFile(resolvConf, []byte("search sub.test\noptions ndots:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hosts, []byte(dnstest.HostsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return resolvConf, hosts
}

// dnsGuest runs the DNS test guest with one command and returns what it
// printed after "=>".
func dnsGuest(mod *host.Module, cmd string, grant bool) (string, error) {
	var out, errOut bytes.Buffer
	code, err := mod.Run(context.Background(), host.InstanceConfig{
		Args:     []string{"dns", cmd},
		Stdout:   &out,
		Stderr:   &errOut,
		Caps:     host.Capabilities{DNS: grant},
		Deadline: 30 * time.Second,
	})
	if err != nil || code != 0 {
		return "", fmt.Errorf("guest %q: exit %d, %v\nstderr: %s", cmd, code, err, errOut.String())
	}
	_, res, ok := strings.Cut(strings.TrimSpace(out.String()), " => ")
	if !ok {
		return "", fmt.Errorf("guest %q printed %q", cmd, out.String())
	}
	return res, nil
}

func runDNSGuest(t *testing.T, mod *host.Module, cmd string, grant bool) string {
	t.Helper()
	res, err := dnsGuest(mod, cmd, grant)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const efaultAll = "EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT EFAULT"

func TestDNSImports(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/dns")
	srv := dnstest.Start(t)
	rc, hosts := dnsFiles(t)
	cache := t.TempDir()
	cases := []struct {
		name    string
		cmd     string
		noGrant bool
		want    string
	}{
		// getaddrinfo
		{"A, stream", "gai a.test 80 inet stream 0 8", false, "ok stream,6,192.0.2.1:80"},
		{"socktype 0 gives stream and dgram", "gai a.test 80 inet 0 0 8", false, "ok stream,6,192.0.2.1:80 dgram,17,192.0.2.1:80"},
		{"A and AAAA, named service", "gai both.test http unspec stream 0 8", false, "ok stream,6,192.0.2.2:80 stream,6,[2001:db8::2]:80"},
		{"res_max drops the rest", "gai both.test 53 unspec 0 0 3", false, "ok stream,6,192.0.2.2:53 dgram,17,192.0.2.2:53 stream,6,[2001:db8::2]:53"},
		{"res_max 0", "gai both.test 53 unspec 0 0 0", false, "ok"},
		{"AAAA, dgram, service domain", "gai both.test domain inet6 dgram 0 8", false, "ok dgram,17,[2001:db8::2]:53"},
		{"CNAME chain", "gai cname.test https inet 0 0 8", false, "ok stream,6,192.0.2.2:443 dgram,17,192.0.2.2:443"},
		{"tcp-only service with socktype 0", "gai a.test ssh inet 0 0 8", false, "ok stream,6,192.0.2.1:22"},
		{"udp-only service over stream", "gai a.test ntp inet stream 0 8", false, "EAI_SERVICE"},
		{"unknown service", "gai a.test nosuchservice inet stream 0 8", false, "EAI_SERVICE"},
		{"port out of range", "gai a.test 70000 inet stream 0 8", false, "EAI_SERVICE"},
		{"AI_NUMERICSERV with a name", "gai a.test http inet stream numericserv 8", false, "EAI_NONAME"},
		{"AI_NUMERICSERV with a number", "gai a.test 8080 inet stream numericserv 8", false, "ok stream,6,192.0.2.1:8080"},
		{"AI_NUMERICHOST with an address", "gai 2001:db8::7 80 unspec stream numerichost 8", false, "ok stream,6,[2001:db8::7]:80"},
		{"AI_NUMERICHOST with a name", "gai a.test 80 unspec stream numerichost 8", false, "EAI_NONAME"},
		{"AI_CANONNAME accepted", "gai cname.test 80 inet stream canonname 8", false, "ok stream,6,192.0.2.2:80"},
		{"AI_PASSIVE with a name", "gai a.test 80 inet stream passive 8", false, "ok stream,6,192.0.2.1:80"},
		{"REFUSED", "gai refused.test 80 inet stream 0 8", false, "EAI_FAIL"},
		{"malformed answer", "gai malformed.test 80 inet stream 0 8", false, "EAI_FAIL"},
		{"gethostbyname AAAA", "ghbn aaaa.test inet6 8", false, "ok 2001:db8::1"},
		{"numeric address of the other family", "gai 192.0.2.7 80 inet6 stream 0 8", false, "EAI_NODATA"},
		{"bad family", "gai a.test 80 99 stream 0 8", false, "EAI_FAMILY"},
		{"bad socktype", "gai a.test 80 inet 5 0 8", false, "EAI_SERVICE"},
		{"empty node, passive", "gai - 8080 unspec stream passive 8", false, "ok stream,6,0.0.0.0:8080 stream,6,[::]:8080"},
		{"empty node, passive, IPv6", "gai - 8080 inet6 stream passive 8", false, "ok stream,6,[::]:8080"},
		{"empty node", "gai - 8080 unspec stream 0 8", false, "ok stream,6,127.0.0.1:8080 stream,6,[::1]:8080"},
		{"empty node and service", "gai - - unspec stream 0 8", false, "EAI_NONAME"},
		{"empty service", "gai a.test - inet stream 0 8", false, "ok stream,6,192.0.2.1:0"},
		{"hosts file", "gai hostsonly.test 80 unspec stream 0 8", false, "ok stream,6,192.0.2.100:80 stream,6,[2001:db8::100]:80"},
		{"hosts file before DNS", "gai override.test 80 inet stream 0 8", false, "ok stream,6,203.0.113.5:80"},
		{"localhost", "gai localhost 80 unspec stream 0 8", false, "ok stream,6,127.0.0.1:80 stream,6,[::1]:80"},
		{"search list", "gai www 80 inet stream 0 8", false, "ok stream,6,192.0.2.80:80"},
		{"truncated answer, TCP retry", "gai tc.test 80 inet stream 0 8", false, "ok stream,6,192.0.2.53:80 stream,6,192.0.2.54:80"},
		{"wrong reply ID ignored", "gai spoof.test 80 inet stream 0 8", false, "ok stream,6,192.0.2.7:80"},
		{"NXDOMAIN", "gai nx.test 80 unspec stream 0 8", false, "EAI_NONAME"},
		{"no record of the family", "gai aaaa.test 80 inet stream 0 8", false, "EAI_NODATA"},
		{"SERVFAIL", "gai servfail.test 80 unspec stream 0 8", false, "EAI_FAIL"},
		{"timeout", "gai timeout.test 80 unspec stream 0 8", false, "EAI_AGAIN"},
		{"no DNS grant", "gai a.test 80 inet stream 0 8", true, "EACCES"},

		// gethostbyname
		{"gethostbyname A and AAAA", "ghbn both.test unspec 8", false, "ok 192.0.2.2 2001:db8::2"},
		{"gethostbyname IPv6", "ghbn both.test inet6 8", false, "ok 2001:db8::2"},
		{"gethostbyname addrs_max", "ghbn multi.test inet 1", false, "ok 192.0.2.10"},
		{"gethostbyname numeric", "ghbn 192.0.2.33 unspec 8", false, "ok 192.0.2.33"},
		{"gethostbyname hosts alias", "ghbn hostalias inet 8", false, "ok 192.0.2.100"},
		{"gethostbyname NXDOMAIN", "ghbn nx.test unspec 8", false, "EAI_NONAME"},
		{"gethostbyname SERVFAIL", "ghbn servfail.test inet 8", false, "EAI_FAIL"},
		{"gethostbyname timeout", "ghbn timeout.test inet 8", false, "EAI_AGAIN"},
		{"gethostbyname NODATA", "ghbn aaaa.test inet 8", false, "EAI_NODATA"},
		{"gethostbyname bad family", "ghbn a.test 7 8", false, "EAI_FAMILY"},
		{"gethostbyname no DNS grant", "ghbn a.test unspec 8", true, "EACCES"},

		// gethostbyaddr
		{"PTR IPv4", "ghba 192.0.2.1 64", false, "ok a.test"},
		{"PTR IPv6", "ghba 2001:db8::1 64", false, "ok aaaa.test"},
		{"PTR from hosts file", "ghba 192.0.2.100 64", false, "ok hostsonly.test"},
		{"PTR buffer too small", "ghba 192.0.2.2 4", false, "ERANGE 9"},
		{"PTR buffer exact", "ghba 192.0.2.2 9", false, "ok both.test"},
		{"PTR NXDOMAIN", "ghba 192.0.2.250 64", false, "EAI_NONAME"},
		{"PTR no DNS grant", "ghba 192.0.2.1 64", true, "EACCES"},

		// Bounds are checked before anything else, grant or not.
		{"bad pointers", "efault", false, efaultAll},
		{"bad pointers, no DNS grant", "efault", true, efaultAll},
	}
	for _, run := range dnsRuns() {
		t.Run(run, func(t *testing.T) {
			backend, pure := strings.CutSuffix(run, "-purego")
			ctx := context.Background()
			rt, err := host.NewRuntime(ctx, host.Config{
				Backend: backend, Loops: 1, CacheDir: cache,
				Resolver: host.ResolverConfig{
					Nameservers: []string{srv.Addr}, ResolvConf: rc, HostsFile: hosts,
					Timeout: 200 * time.Millisecond, Attempts: 1, PureGo: pure,
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			mod, err := rt.Compile(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range cases {
				t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
					if got := runDNSGuest(t, mod, tc.cmd, !tc.noGrant); got != tc.want {
						t.Errorf("%s => %s, want %s", tc.cmd, got, tc.want)
					}
				})
			}
			// The lookups left no socket registered on the loop.
			var n int
			if err := rt.Loops()[0].Submit(func(*evloop.Task) { n = rt.Loops()[0].Stats().Descriptors }); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d descriptors still registered after the guests exited", n)
			}
		})
	}
}

// TestDNSImportsLoopKeepsRunning runs two guests on a one-loop runtime: the
// first resolves a name the server answers only when released, and the
// second, started while that query is in flight, must run to its end
// meanwhile, because a lookup suspends only its own guest. Then a guest
// whose deadline passes during a lookup must be unwound.
func TestDNSImportsLoopKeepsRunning(t *testing.T) {
	wasm := testguest.Go(t, "tests/guests/dns")
	rc, hosts := dnsFiles(t)
	cache := t.TempDir()
	for _, run := range dnsRuns() {
		t.Run(run, func(t *testing.T) {
			backend, pure := strings.CutSuffix(run, "-purego")
			srv := dnstest.Start(t) // Release is one-way: a server per backend
			ctx := context.Background()
			rt, err := host.NewRuntime(ctx, host.Config{
				Backend: backend, Loops: 1, CacheDir: cache,
				Resolver: host.ResolverConfig{Nameservers: []string{srv.Addr}, ResolvConf: rc, HostsFile: hosts,
					Timeout: 20 * time.Second, Attempts: 1, PureGo: pure},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			mod, err := rt.Compile(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			slowDone := make(chan string, 1)
			go func() {
				var out bytes.Buffer
				_, err := mod.Run(ctx, host.InstanceConfig{Args: []string{"dns", "ghbn slow.test inet 4"}, Stdout: &out, Caps: host.Capabilities{DNS: true}})
				if err != nil {
					slowDone <- err.Error()
					return
				}
				slowDone <- strings.TrimSpace(out.String())
			}()
			select {
			case <-srv.SlowQueried:
			case <-time.After(20 * time.Second):
				t.Fatal("the slow guest's query never reached the server")
			}
			type result struct {
				out string
				err error
			}
			quick := make(chan result, 1)
			go func() {
				out, err := dnsGuest(mod, "gai hostsonly.test 80 inet stream 0 4", true)
				quick <- result{out, err}
			}()
			select {
			case got := <-quick:
				if got.err != nil || got.out != "ok stream,6,192.0.2.100:80" {
					t.Errorf("quick guest: %q, %v", got.out, got.err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the quick guest did not finish while the other guest's lookup was in flight")
			}
			select {
			case got := <-slowDone:
				t.Fatalf("the slow guest finished before its answer was released: %s", got)
			default:
			}
			srv.Release()
			select {
			case got := <-slowDone:
				if want := "ghbn slow.test inet 4 => ok 192.0.2.9"; got != want {
					t.Errorf("slow guest: %q, want %q", got, want)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the slow guest did not finish after the release")
			}

			// A guest whose deadline passes while its lookup is in flight
			// is unwound; its socket is closed.
			start := time.Now()
			code, err := mod.Run(ctx, host.InstanceConfig{Args: []string{"dns", "ghbn timeout.test inet 4"},
				Caps: host.Capabilities{DNS: true}, Deadline: 200 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), "deadline") {
				t.Errorf("guest past its deadline: exit %d, %v; want a deadline error", code, err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("the deadline took %v to end the lookup", took)
			}
			var n int
			if err := rt.Loops()[0].Submit(func(*evloop.Task) { n = rt.Loops()[0].Stats().Descriptors }); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d descriptors still registered after the deadline", n)
			}
		})
	}
}

// dnsRuns names the resolver set-ups the DNS tests run on: each backend
// (libevent resolves with evdns, epoll with the pure-Go resolver), and
// libevent with ResolverConfig.PureGo.
func dnsRuns() []string {
	var runs []string
	for _, b := range evloop.Backends() {
		runs = append(runs, b)
		if b == "libevent" {
			runs = append(runs, b+"-purego")
		}
	}
	return runs
}

// TestDNSImportsBadNameserver checks that a malformed nameserver address
// fails NewRuntime.
func TestDNSImportsBadNameserver(t *testing.T) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.Config{Loops: 1, Resolver: host.ResolverConfig{Nameservers: []string{"not-an-address"}}})
	if err == nil {
		rt.Close(ctx)
		t.Fatal("NewRuntime accepted a malformed nameserver")
	}
}
