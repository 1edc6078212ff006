package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestAggregateMedianRun(t *testing.T) {
	p := peerResult{rounds: [][]loadResult{
		{{Conns: 64, RPS: 100, P50: 1 * time.Millisecond, ServerCPU: 9 * time.Microsecond}, {Conns: 256, RPS: 80}},
		{{Conns: 64, RPS: 120, P50: 2 * time.Millisecond, Errors: "read 3", ServerCPU: 7 * time.Microsecond}}, // failed before 256
		{{Conns: 64, RPS: 90, P50: 3 * time.Millisecond, ServerCPU: 8 * time.Microsecond}, {Conns: 256, RPS: 70}},
	}}
	p.aggregate([]int{64, 256})
	s, ok := p.stat(64)
	if !ok || s.Median.RPS != 100 || s.Median.P50 != time.Millisecond || s.Min != 90 || s.Max != 120 || s.N != 3 {
		t.Errorf("@64: %+v", s)
	}
	if s.Errors != "r2: read 3" {
		t.Errorf("@64 errors %q", s.Errors)
	}
	// The CPU per request is the median of the rounds', not the median
	// run's (that run's is 9 µs).
	if s.CPU != 8*time.Microsecond {
		t.Errorf("@64 CPU per request %v, want 8µs", s.CPU)
	}
	// Two runs: the lower middle one, so req/s and latency are one run's.
	s, ok = p.stat(256)
	if !ok || s.Median.RPS != 70 || s.N != 2 || s.CPU != 0 {
		t.Errorf("@256: %+v", s)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("odd: %v", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("even: %v", m)
	}
	if m := median(nil); !math.IsNaN(m) {
		t.Errorf("empty: %v", m)
	}
}

func TestTargetsPerRound(t *testing.T) {
	c := &config{conns: []int{64}, rounds: 3, backends: []string{"epoll"}}
	guest := ptseventName(cReactor, "epoll")
	r := &report{cfg: c, peers: []peerResult{
		// Round 2 is slow for both: the per-round ratio stays put.
		{name: guest, rounds: [][]loadResult{{{Conns: 64, RPS: 95}}, {{Conns: 64, RPS: 60}}, {{Conns: 64, RPS: 91}}}},
		{name: fastHTTPName, rounds: [][]loadResult{{{Conns: 64, RPS: 100}}, {{Conns: 64, RPS: 64}}, {{Conns: 64, RPS: 100}}}},
	}}
	ts := r.targetResults()
	if len(ts) != 1 { // net/http was not run: its target is left out
		t.Fatalf("%d targets, want 1: %+v", len(ts), ts)
	}
	tr := ts[0]
	if got := tr.perConns[0].median; math.Abs(got-0.9375) > 1e-9 {
		t.Errorf("median ratio %v, want 0.9375", got)
	}
	if !tr.met() || tr.verdict() != "**met**" {
		t.Errorf("verdict %q", tr.verdict())
	}
	if s := fmtTargetAt(tr.perConns[0]); s != "**0.94×** (0.95, 0.94, 0.91)" {
		t.Errorf("fmtTargetAt %q", s)
	}
	if tt := r.targetTable(); !strings.Contains(tt, "C reactor guest, epoll vs fasthttp") {
		t.Errorf("table:\n%s", tt)
	}
	// A round that measured only one of the two is left out, shown as –.
	r.peers[1].rounds[2] = nil
	tr = r.targetResults()[0]
	if s := fmtTargetAt(tr.perConns[0]); s != "**0.94×** (0.95, 0.94, –)" {
		t.Errorf("with a missing round: %q", s)
	}
}
