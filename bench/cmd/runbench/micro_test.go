package main

import (
	"strings"
	"testing"
)

const sampleBench = `goos: linux
pkg: github.com/ptsevent/ptsevent/evloop
cpu: AMD EPYC
BenchmarkPingPong/libevent-2  	  123711	      9066 ns/op	      9226 cpu-ns/op	      4533 ns/event
BenchmarkPingPong/c-libevent-2         	  189811	      6274 ns/op	      6280 cpu-ns/op	      3137 ns/event
BenchmarkSwitch/epoll-2                	 8537427	       141.0 ns/op
BenchmarkLogs/x-2
    bench_test.go:10: some log line
  1000	      5000 ns/op
ok  	github.com/ptsevent/ptsevent/evloop	17.560s
pkg: github.com/ptsevent/ptsevent/bench
BenchmarkReadline/readline-2               	    4143	    276653 ns/op	       254.9 ns/line
BenchmarkReadline/bytewise-2               	      14	  73084917 ns/op	     71272 ns/line
--- FAIL: BenchmarkGoStart/cached
pkg: github.com/ptsevent/ptsevent/wsgi-host
BenchmarkGuestCall/c-2         	 2000000	       550.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkGuestCall/go-ctx-2    	  900000	      1375 ns/op	       0 B/op	       0 allocs/op
goos: wasip1
goarch: wasm
pkg: github.com/ptsevent/ptsevent/guest-sdk/go/gateway
BenchmarkLookupEnv 	 9969130	       128.3 ns/op
`

func TestParseBenchAndSummary(t *testing.T) {
	m := parseBench(sampleBench)
	if m.cpu != "AMD EPYC" {
		t.Errorf("cpu %q", m.cpu)
	}
	var names []string
	for _, r := range m.results {
		names = append(names, r.pkg+" "+r.name)
	}
	want := "evloop PingPong/libevent,evloop PingPong/c-libevent,evloop Switch/epoll,evloop Logs/x,bench Readline/readline,bench Readline/bytewise," +
		"wsgi-host GuestCall/c,wsgi-host GuestCall/go-ctx,guest-sdk/go/gateway (in wasm) LookupEnv"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("results:\n got %s\nwant %s", got, want)
	}
	if len(m.problems) != 1 {
		t.Errorf("problems %q", m.problems)
	}
	md := m.summaryMarkdown()
	for _, s := range []string{
		"evloop PingPong/libevent: 4.53 µs/event, **1.45×** C (CPU time 1.47×)",
		"byte-wise / readline: **280×**",
		"wsgi-host GuestCall/go-ctx: 1.38 µs/op (2.5× the C app)",
		"**Suspend + resume of a guest inside an import (host)**: not found",
		"**Pooled instance acquire/release (host.Pool Get+Put)**: not found",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("summary lacks %q:\n%s", s, md)
		}
	}
	if strings.Contains(md, "Switch/epoll") {
		t.Errorf("Switch (no ns/event) compared with the C ping-pong:\n%s", md)
	}
}
