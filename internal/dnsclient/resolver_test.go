package dnsclient

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evdns"
	"github.com/ptsevent/ptsevent/internal/dnsclient/dnstest"
)

// pureGoLoops marks the loops whose resolvers forEachBackend wants on the
// pure-Go exchange although their backend is libevent.
var pureGoLoops sync.Map

// forEachBackend runs body once per loop backend compiled in, and once
// more on libevent with Config.PureGo: "epoll" (the Go exchange),
// "libevent" (evdns) and "libevent-purego". Tests make their resolvers
// with newResolver so that each run gets its engine.
func forEachBackend(t *testing.T, body func(t *testing.T, l *evloop.Loop)) {
	t.Helper()
	names := evloop.Backends()
	if len(names) == 0 {
		t.Fatal("no backend compiled in")
	}
	var runs []string
	for _, name := range names {
		runs = append(runs, name)
		if name == "libevent" {
			runs = append(runs, name+"-purego")
		}
	}
	for _, run := range runs {
		t.Run(run, func(t *testing.T) {
			name, pure := strings.CutSuffix(run, "-purego")
			l, err := evloop.New(name)
			if err != nil {
				t.Fatalf("evloop.New(%q): %v", name, err)
			}
			if pure {
				pureGoLoops.Store(l, true)
			}
			l.Start()
			t.Cleanup(func() {
				l.Stop()
				<-l.Done()
				pureGoLoops.Delete(l)
			})
			body(t, l)
		})
	}
}

// newResolver is New with the engine forEachBackend chose for l, which it
// checks: evdns exactly on libevent loops not marked pure-Go.
func newResolver(t *testing.T, l *evloop.Loop, cfg Config) (*Resolver, error) {
	t.Helper()
	_, pure := pureGoLoops.Load(l)
	cfg.PureGo = cfg.PureGo || pure
	r, err := New(l, cfg)
	if err != nil {
		return nil, err
	}
	want := "go"
	if l.Backend().Name() == "libevent" && !pure && evdns.Supported(l) {
		want = "evdns"
	}
	if got := r.Engine(); got != want {
		t.Fatalf("resolver engine on %s: %s, want %s", l.Backend().Name(), got, want)
	}
	return r, nil
}

// run runs job as a task on l and waits for it.
func run(t *testing.T, l *evloop.Loop, job func(*evloop.Task)) {
	t.Helper()
	if err := l.Submit(job); err != nil {
		t.Fatalf("Submit: %v", err)
	}
}

// testFiles writes a resolv.conf (search sub.test) and the dnstest hosts
// file into a temporary directory.
func testFiles(t *testing.T) (resolvConf, hosts string) {
	t.Helper()
	dir := t.TempDir()
	resolvConf = filepath.Join(dir, "resolv.conf")
	hosts = filepath.Join(dir, "hosts")
	rc := "# test\nnameserver 192.0.2.253\nsearch sub.test\noptions ndots:1 timeout:9 attempts:3\n"
	if err := os.WriteFile(resolvConf, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hosts, []byte(dnstest.HostsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return resolvConf, hosts
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func TestDNSLookups(t *testing.T) {
	srv := dnstest.Start(t)
	rc, hosts := testFiles(t)
	cases := []struct {
		name    string
		host    string // forward lookup of host ...
		family  Family
		reverse string // ... or reverse lookup of this address
		timeout time.Duration
		want    []string // addresses, or names for reverse lookups
		canon   string
		err     error
		noQuery bool          // answered without asking the server
		tcp     bool          // the server must have seen a TCP query
		maxTime time.Duration // upper bound on the lookup's duration
	}{
		{name: "A", host: "a.test", family: IPv4, want: []string{"192.0.2.1"}, canon: "a.test"},
		{name: "A only, any family", host: "a.test", want: []string{"192.0.2.1"}, canon: "a.test"},
		{name: "AAAA", host: "aaaa.test", family: IPv6, want: []string{"2001:db8::1"}, canon: "aaaa.test"},
		{name: "AAAA only, IPv4 asked", host: "aaaa.test", family: IPv4, err: ErrNoData},
		{name: "A and AAAA", host: "both.test", want: []string{"192.0.2.2", "2001:db8::2"}, canon: "both.test"},
		{name: "A and AAAA, IPv6 asked", host: "both.test", family: IPv6, want: []string{"2001:db8::2"}},
		{name: "several A", host: "multi.test", family: IPv4, want: []string{"192.0.2.10", "192.0.2.11"}},
		{name: "trailing dot", host: "a.test.", family: IPv4, want: []string{"192.0.2.1"}, canon: "a.test"},
		{name: "case-insensitive", host: "BoTh.TeSt", family: IPv4, want: []string{"192.0.2.2"}},
		{name: "CNAME chain", host: "cname.test", want: []string{"192.0.2.2", "2001:db8::2"}, canon: "both.test"},
		{name: "search list", host: "www", family: IPv4, want: []string{"192.0.2.80"}, canon: "www.sub.test"},
		{name: "absolute name skips search", host: "www.", family: IPv4, err: ErrNotFound},
		{name: "NXDOMAIN", host: "nx.test", err: ErrNotFound},
		{name: "SERVFAIL", host: "servfail.test", err: ErrServerFailure},
		{name: "REFUSED", host: "refused.test", family: IPv4, err: ErrServerFailure},
		{name: "malformed answer", host: "malformed.test", family: IPv4, err: ErrServerFailure},
		{name: "timeout", host: "timeout.test", timeout: 150 * time.Millisecond, err: ErrTimeout, maxTime: 2 * time.Second},
		{name: "truncated UDP answer retried over TCP", host: "tc.test", family: IPv4, want: []string{"192.0.2.53", "192.0.2.54"}, tcp: true},
		{name: "wrong ID and wrong question ignored", host: "spoof.test", family: IPv4, want: []string{"192.0.2.7"}},
		{name: "A and AAAA in parallel", host: "delay.test", timeout: 2 * time.Second, want: []string{"192.0.2.30", "2001:db8::30"},
			maxTime: dnstest.Delay*2 - 50*time.Millisecond},
		{name: "hosts file", host: "hostsonly.test", want: []string{"192.0.2.100", "2001:db8::100"}, canon: "hostsonly.test", noQuery: true},
		{name: "hosts file alias", host: "HostAlias", family: IPv4, want: []string{"192.0.2.100"}, canon: "hostsonly.test", noQuery: true},
		{name: "hosts file before DNS", host: "override.test", family: IPv4, want: []string{"203.0.113.5"}, noQuery: true},
		{name: "localhost", host: "localhost", want: []string{"127.0.0.1", "::1"}, noQuery: true},
		{name: "localhost IPv6", host: "localhost.", family: IPv6, want: []string{"::1"}, noQuery: true},
		{name: "under .localhost", host: "app.localhost", family: IPv4, want: []string{"127.0.0.1"}, noQuery: true},
		{name: "numeric IPv4", host: "192.0.2.200", want: []string{"192.0.2.200"}, noQuery: true},
		{name: "numeric IPv6", host: "2001:db8::5", family: IPv6, want: []string{"2001:db8::5"}, noQuery: true},
		{name: "numeric of the other family", host: "2001:db8::5", family: IPv4, err: ErrNoData, noQuery: true},
		{name: "invalid name", host: "bad..name", err: ErrNotFound, noQuery: true},
		{name: "empty name", host: "", err: ErrNotFound, noQuery: true},
		{name: "PTR IPv4", reverse: "192.0.2.1", want: []string{"a.test"}},
		{name: "PTR IPv6", reverse: "2001:db8::1", want: []string{"aaaa.test"}},
		{name: "PTR from hosts file", reverse: "192.0.2.100", want: []string{"hostsonly.test", "hostalias"}, noQuery: true},
		{name: "PTR NXDOMAIN", reverse: "192.0.2.250", err: ErrNotFound},
	}
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				timeout := tc.timeout
				if timeout == 0 {
					timeout = time.Second
				}
				r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, ResolvConf: rc, HostsFile: hosts, Timeout: timeout, Attempts: 2})
				if err != nil {
					t.Fatal(err)
				}
				qname := tc.host
				if tc.reverse != "" {
					qname = tc.reverse
				}
				before := srv.Queries(qname)
				beforeTCP := srv.TCPQueries(qname)
				var got []string
				var canon string
				var lerr error
				var took time.Duration
				run(t, l, func(task *evloop.Task) {
					start := time.Now()
					if tc.reverse != "" {
						got, lerr = r.LookupAddr(task, netip.MustParseAddr(tc.reverse))
					} else {
						var as []netip.Addr
						as, canon, lerr = r.LookupIP(task, tc.host, tc.family)
						got = addrStrings(as)
					}
					took = time.Since(start)
				})
				if tc.err != nil {
					if !errors.Is(lerr, tc.err) {
						t.Fatalf("err = %v, want %v (got %v)", lerr, tc.err, got)
					}
				} else {
					if lerr != nil {
						t.Fatalf("err = %v, want %v", lerr, tc.want)
					}
					if !slices.Equal(got, tc.want) {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
					// evdns reports no CNAME chain: its canonical name is
					// the name asked (guests never see canonical names).
					if tc.canon != "" && canon != tc.canon && !(r.Engine() == "evdns" && tc.name == "CNAME chain") {
						t.Errorf("canonical name %q, want %q", canon, tc.canon)
					}
				}
				if tc.noQuery && srv.Queries(qname) != before {
					t.Errorf("the server was asked about %q", qname)
				}
				if tc.tcp && srv.TCPQueries(qname) == beforeTCP {
					t.Errorf("no TCP query for %q after a truncated answer", qname)
				}
				if tc.maxTime > 0 && took > tc.maxTime {
					t.Errorf("lookup took %v, want at most %v", took, tc.maxTime)
				}
			})
		}
		// Every socket a lookup opened has been unregistered and closed.
		run(t, l, func(*evloop.Task) {
			if n := l.Stats().Descriptors; n != 0 {
				t.Errorf("%d descriptors still registered after the lookups", n)
			}
		})
	})
}

// TestDNSTimeoutAttempts checks that a silent server costs Attempts
// rounds of Timeout, and no more.
func TestDNSTimeoutAttempts(t *testing.T) {
	srv := dnstest.Start(t)
	rc, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, ResolvConf: rc, HostsFile: hosts, Timeout: 100 * time.Millisecond, Attempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		before := srv.Queries("timeout.test")
		var took time.Duration
		var lerr error
		run(t, l, func(task *evloop.Task) {
			start := time.Now()
			_, _, lerr = r.LookupIP(task, "timeout.test", IPv4)
			took = time.Since(start)
		})
		if !errors.Is(lerr, ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", lerr)
		}
		if n := srv.Queries("timeout.test") - before; n != 3 {
			t.Errorf("server saw %d queries, want 3 (one per attempt)", n)
		}
		if took < 300*time.Millisecond || took > 2*time.Second {
			t.Errorf("took %v, want about 300ms", took)
		}
	})
}

// TestDNSFailover checks that a silent or failing first server is skipped.
func TestDNSFailover(t *testing.T) {
	srv := dnstest.Start(t)
	_, hosts := testFiles(t)
	cases := []struct {
		name  string
		first string
	}{
		{"silent first server", dnstest.Blackhole(t)},
		{"SERVFAIL first server", dnstest.ServfailServer(t)},
	}
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				r, err := newResolver(t, l, Config{Nameservers: []string{tc.first, srv.Addr}, Search: []string{}, HostsFile: hosts,
					Timeout: 200 * time.Millisecond, Attempts: 1})
				if err != nil {
					t.Fatal(err)
				}
				var got []netip.Addr
				var lerr error
				run(t, l, func(task *evloop.Task) { got, _, lerr = r.LookupIP(task, "a.test", IPv4) })
				if lerr != nil || len(got) != 1 || got[0].String() != "192.0.2.1" {
					t.Fatalf("LookupIP = %v, %v; want [192.0.2.1]", got, lerr)
				}
			})
		}
	})
}

// TestDNSRotate checks that rotate spreads queries over the servers.
func TestDNSRotate(t *testing.T) {
	s1, s2 := dnstest.Start(t), dnstest.Start(t)
	_, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		r, err := newResolver(t, l, Config{Nameservers: []string{s1.Addr, s2.Addr}, Search: []string{}, HostsFile: hosts, Rotate: true})
		if err != nil {
			t.Fatal(err)
		}
		b1, b2 := s1.Queries("a.test"), s2.Queries("a.test")
		run(t, l, func(task *evloop.Task) {
			for range 4 {
				if _, _, err := r.LookupIP(task, "a.test", IPv4); err != nil {
					t.Errorf("LookupIP: %v", err)
				}
			}
		})
		if n1, n2 := s1.Queries("a.test")-b1, s2.Queries("a.test")-b2; n1 != 2 || n2 != 2 {
			t.Errorf("queries per server %d and %d, want 2 and 2", n1, n2)
		}
	})
}

// TestDNSLoopKeepsRunning checks that a lookup in flight parks only its
// own task: another task of the same loop runs to completion meanwhile.
func TestDNSLoopKeepsRunning(t *testing.T) {
	_, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		srv := dnstest.Start(t) // Release is one-way: a server per backend
		r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, Search: []string{}, HostsFile: hosts, Timeout: 10 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		slowDone := make(chan struct{})
		var slow []netip.Addr
		var slowErr error
		l.Post(func() {
			l.Go(func(task *evloop.Task) {
				defer close(slowDone)
				slow, _, slowErr = r.LookupIP(task, "slow.test", IPv4)
			})
		})
		select {
		case <-srv.SlowQueried:
		case <-time.After(5 * time.Second):
			t.Fatal("the slow query never reached the server")
		}
		quick := make(chan error, 1)
		go func() {
			quick <- l.Submit(func(task *evloop.Task) {
				if err := task.Sleep(time.Millisecond); err != nil {
					t.Errorf("Sleep: %v", err)
				}
				if as, _, err := r.LookupIP(task, "hostsonly.test", IPv4); err != nil || len(as) != 1 {
					t.Errorf("hosts lookup: %v %v", as, err)
				}
			})
		}()
		select {
		case err := <-quick:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the quick task did not finish while a lookup was in flight")
		}
		select {
		case <-slowDone:
			t.Fatalf("the slow lookup finished before the server released it: %v %v", slow, slowErr)
		default:
		}
		srv.Release()
		select {
		case <-slowDone:
		case <-time.After(5 * time.Second):
			t.Fatal("the slow lookup did not finish after the release")
		}
		if slowErr != nil || len(slow) != 1 || slow[0].String() != "192.0.2.9" {
			t.Fatalf("slow lookup = %v, %v", slow, slowErr)
		}
	})
}

// TestDNSInterrupt checks that an interrupted lookup returns the wait's
// error at once and leaves no socket behind.
func TestDNSInterrupt(t *testing.T) {
	srv := dnstest.Start(t)
	_, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, Search: []string{}, HostsFile: hosts, Timeout: 10 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		var lerr error
		var took time.Duration
		run(t, l, func(task *evloop.Task) {
			l.AfterFunc(50*time.Millisecond, func() { task.Interrupt(evloop.ErrCanceled) })
			start := time.Now()
			_, _, lerr = r.LookupIP(task, "timeout.test", AnyFamily)
			took = time.Since(start)
		})
		if lerr != evloop.ErrCanceled {
			t.Fatalf("err = %v, want evloop.ErrCanceled", lerr)
		}
		if took > 2*time.Second {
			t.Errorf("interrupted lookup took %v", took)
		}
		run(t, l, func(*evloop.Task) {
			if n := l.Stats().Descriptors; n != 0 {
				t.Errorf("%d descriptors still registered", n)
			}
		})
	})
}

func TestDNSHostsReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	if err := os.WriteFile(path, []byte("192.0.2.1 one.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHostsFile(path)
	if as, _ := h.lookup("one.test"); len(as) != 1 {
		t.Fatalf("one.test: %v", as)
	}
	if err := os.WriteFile(path, []byte("192.0.2.2 two.test # more\n::ffff:192.0.2.3 three.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	h.refresh(time.Now()) // too soon: no re-stat
	if as, _ := h.lookup("one.test"); len(as) != 1 {
		t.Fatalf("reloaded before the recheck interval")
	}
	h.refresh(time.Now().Add(2 * hostsRecheck))
	if as, _ := h.lookup("one.test"); len(as) != 0 {
		t.Fatalf("one.test still there after reload: %v", as)
	}
	if as, _ := h.lookup("three.test"); len(as) != 1 || !as[0].Is4() {
		t.Fatalf("three.test (v4-mapped) = %v, want one IPv4 address", as)
	}
}

func TestDNSResolvConf(t *testing.T) {
	cases := []struct {
		name, text string
		want       resolvConf
	}{
		{"empty", "", defaultResolvConf()},
		{"full", "nameserver 10.0.0.1\nnameserver ::1 # v6\n; comment\nsearch a.example b.example\noptions ndots:3 timeout:1 attempts:4 rotate\n",
			resolvConf{servers: []string{"10.0.0.1", "::1"}, search: []string{"a.example", "b.example"}, ndots: 3, timeout: time.Second, attempts: 4, rotate: true}},
		{"domain replaces search", "search a.example\ndomain c.example\n",
			resolvConf{search: []string{"c.example"}, ndots: 1, timeout: DefaultTimeout, attempts: DefaultAttempts}},
		{"clamped", "options ndots:99 attempts:99 timeout:0\n",
			resolvConf{ndots: maxNdots, timeout: time.Second, attempts: maxAttempts}},
		{"at most three servers", "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n",
			resolvConf{servers: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, ndots: 1, timeout: DefaultTimeout, attempts: DefaultAttempts}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			got := parseResolvConf(strings.NewReader(tc.text))
			if !slices.Equal(got.servers, tc.want.servers) || !slices.Equal(got.search, tc.want.search) ||
				got.ndots != tc.want.ndots || got.timeout != tc.want.timeout || got.attempts != tc.want.attempts || got.rotate != tc.want.rotate {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDNSNameList(t *testing.T) {
	r := &Resolver{search: []string{"a.example.", "b.example."}, ndots: 1}
	cases := []struct {
		name  string
		ndots int
		want  []string
	}{
		{"host", 1, []string{"host.a.example.", "host.b.example.", "host."}},
		{"host.sub", 1, []string{"host.sub.", "host.sub.a.example.", "host.sub.b.example."}},
		{"host.sub", 2, []string{"host.sub.a.example.", "host.sub.b.example.", "host.sub."}},
		{"abs.", 1, []string{"abs."}},
	}
	for _, tc := range cases {
		r.ndots = tc.ndots
		if got := r.nameList(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("nameList(%q, ndots %d) = %v, want %v", tc.name, tc.ndots, got, tc.want)
		}
	}
}

func TestDNSNew(t *testing.T) {
	l, err := evloop.New("")
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	defer func() { l.Stop(); <-l.Done() }()
	rc, hosts := testFiles(t)
	r, err := newResolver(t, l, Config{ResolvConf: rc, HostsFile: hosts})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Nameservers(); len(got) != 1 || got[0].String() != "192.0.2.253:53" {
		t.Errorf("servers from resolv.conf = %v", got)
	}
	if r.timeout != 9*time.Second || r.attempts != 3 || r.ndots != 1 || !slices.Equal(r.search, []string{"sub.test."}) {
		t.Errorf("settings from resolv.conf: timeout %v attempts %d ndots %d search %v", r.timeout, r.attempts, r.ndots, r.search)
	}
	r, err = newResolver(t, l, Config{ResolvConf: filepath.Join(t.TempDir(), "missing"), Nameservers: []string{"[::1]:5353", "127.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Nameservers(); len(got) != 2 || got[0].String() != "[::1]:5353" || got[1].String() != "127.0.0.2:53" {
		t.Errorf("servers = %v", got)
	}
	if _, err := newResolver(t, l, Config{Nameservers: []string{"not-an-ip"}}); err == nil {
		t.Error("New accepted a nameserver that is not an address")
	}
}

// TestDNSLoopClosedMidQuery stops the loop while lookups are in flight:
// they end with evloop.ErrLoopClosed, and (on evdns) nothing C is touched
// after the loop freed it.
func TestDNSLoopClosedMidQuery(t *testing.T) {
	_, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		srv := dnstest.Start(t)
		r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, Search: []string{}, HostsFile: hosts, Timeout: 10 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		const n = 3
		errs := make(chan error, n)
		l.Post(func() {
			for range n {
				l.Go(func(task *evloop.Task) {
					_, _, err := r.LookupIP(task, "slow.test", AnyFamily)
					errs <- err
				})
			}
		})
		for range n {
			select {
			case <-srv.SlowQueried:
			case <-time.After(5 * time.Second):
				t.Fatal("the slow queries never reached the server")
			}
		}
		l.Stop()
		<-l.Done()
		for range n {
			select {
			case err := <-errs:
				if !errors.Is(err, evloop.ErrLoopClosed) {
					t.Errorf("err = %v, want evloop.ErrLoopClosed", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a lookup did not end when the loop closed")
			}
		}
		srv.Release() // late answers reach a closed socket, or nothing
	})
}

// TestDNSInterruptMany interrupts lookups in flight while others go on:
// the others get their answers, the interrupted ones their error, and no
// descriptor is left once all are done.
func TestDNSInterruptMany(t *testing.T) {
	_, hosts := testFiles(t)
	forEachBackend(t, func(t *testing.T, l *evloop.Loop) {
		srv := dnstest.Start(t)
		r, err := newResolver(t, l, Config{Nameservers: []string{srv.Addr}, Search: []string{}, HostsFile: hosts, Timeout: 10 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		type out struct {
			i   int
			as  []netip.Addr
			err error
		}
		outs := make(chan out, n)
		tasks := make([]*evloop.Task, n)
		l.Post(func() {
			for i := range n {
				l.Go(func(task *evloop.Task) {
					tasks[i] = task
					as, _, err := r.LookupIP(task, "slow.test", IPv4)
					outs <- out{i, as, err}
				})
			}
		})
		for range n {
			select {
			case <-srv.SlowQueried:
			case <-time.After(5 * time.Second):
				t.Fatal("the slow queries never reached the server")
			}
		}
		// Interrupt the even ones, then let the server answer.
		run(t, l, func(*evloop.Task) {
			for i := 0; i < n; i += 2 {
				tasks[i].Interrupt(evloop.ErrCanceled)
			}
		})
		srv.Release()
		for range n {
			select {
			case o := <-outs:
				if o.i%2 == 0 {
					if o.err != evloop.ErrCanceled {
						t.Errorf("lookup %d: err = %v, want evloop.ErrCanceled", o.i, o.err)
					}
				} else if o.err != nil || len(o.as) != 1 || o.as[0].String() != "192.0.2.9" {
					t.Errorf("lookup %d = %v, %v", o.i, o.as, o.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a lookup did not end")
			}
		}
		// The answers to the abandoned queries may still be on their way:
		// one more lookup flushes them through the loop.
		run(t, l, func(task *evloop.Task) {
			if _, _, err := r.LookupIP(task, "a.test", IPv4); err != nil {
				t.Errorf("lookup after the interrupts: %v", err)
			}
		})
		run(t, l, func(*evloop.Task) {
			if d := l.Stats().Descriptors; d != 0 {
				t.Errorf("%d descriptors still registered", d)
			}
		})
	})
}
