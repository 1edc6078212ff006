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
	if s := fmtTargetAt(tr.perConns[0], 0.9); s != "**0.94×** (0.95, 0.94, 0.91)" {
		t.Errorf("fmtTargetAt %q", s)
	}
	if tt := r.targetTable(); !strings.Contains(tt, "C reactor guest, epoll vs fasthttp") {
		t.Errorf("table:\n%s", tt)
	}
	// A round that measured only one of the two is left out, shown as –.
	r.peers[1].rounds[2] = nil
	tr = r.targetResults()[0]
	if s := fmtTargetAt(tr.perConns[0], 0.9); s != "**0.94×** (0.95, 0.94, –)" {
		t.Errorf("with a missing round: %q", s)
	}
}

func TestTargetsPaired(t *testing.T) {
	c := &config{conns: []int{64}, rounds: 1, backends: []string{"epoll"}}
	guest := ptseventName(cReactor, "epoll")
	run := func(rps ...float64) map[int][]loadResult {
		var rs []loadResult
		for _, v := range rps {
			rs = append(rs, loadResult{Conns: 64, RPS: v})
		}
		return map[int][]loadResult{64: rs}
	}
	r := &report{cfg: c,
		peers: []peerResult{
			// The one round says 0.5: the paired cycles decide instead.
			{name: guest, rounds: [][]loadResult{{{Conns: 64, RPS: 50}}}},
			{name: fastHTTPName, rounds: [][]loadResult{{{Conns: 64, RPS: 100}}}},
		},
		paired: &pairedResult{cycles: 8, runs: map[string]map[int][]loadResult{
			// Cycle 3 failed for the guest (0): left out. Cycle 5 is slow
			// for both: its ratio stays put.
			guest:        run(95, 88, 0, 101, 47, 93, 99, 85),
			fastHTTPName: run(100, 100, 100, 100, 50, 100, 100, 100),
		}},
	}
	ts := r.targetResults()
	if len(ts) != 1 {
		t.Fatalf("%d targets, want 1", len(ts))
	}
	a := ts[0].perConns[0]
	// Ratios 0.95 0.88 1.01 0.94 0.93 0.99 0.85: sorted 0.85 0.88 0.93
	// 0.94 0.95 0.99 1.01, median 0.94.
	if a.unit != "cycle" || len(a.rounds) != 7 || math.Abs(a.median-0.94) > 1e-9 {
		t.Fatalf("per-cycle: %+v", a)
	}
	if !ts[0].met() {
		t.Errorf("verdict %q", ts[0].verdict())
	}
	want := "**0.94×** (0.91–0.97; 2 of 7 below, 7 of 8 cycles measured)"
	if s := fmtTargetAt(a, 0.9); s != want {
		t.Errorf("fmtTargetAt %q, want %q", s, want)
	}
	// Without the paired section the round decides.
	r.paired = nil
	if ts := r.targetResults(); ts[0].met() || ts[0].perConns[0].unit != "round" {
		t.Errorf("rounds: %+v", ts[0])
	}
}

func TestQuantile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.25, 2}, {0.5, 3}, {0.75, 4}, {1, 5}, {0.1, 1.4}} {
		if got := quantile(v, tc.q); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if !math.IsNaN(quantile(nil, 0.5)) {
		t.Error("empty: want NaN")
	}
}

func TestRPSTable(t *testing.T) {
	got := rpsTable("round ", 2, []rpsRow{{name: "a", conns: 64, rps: []float64{1234, 0}}})
	want := "| server | conns | round 1 | round 2 |\n|---|---:|---:|---:|\n| a | 64 | 1,234 | – |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
