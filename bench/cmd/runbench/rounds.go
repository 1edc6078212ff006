package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// The HTTP section runs in interleaved rounds (see runPeers); this file
// turns the rounds into what the report shows: per server and connection
// count the median run and the spread, ratios of medians, and the
// issue's targets judged on the median of the per-round ratios.

// connStats is one peer at one connection count over the rounds.
type connStats struct {
	Conns  int
	Median loadResult // the median run (by req/s): its req/s, p50 and p99
	// Min and Max are the lowest and highest req/s of the rounds.
	Min, Max float64
	N        int    // rounds that measured it
	Errors   string // errors of every round, "r2: read 3; r3: timeout 1"; "" when none
	Foreign  float64
	CPU      time.Duration // median of the rounds' server CPU per request; 0 when unknown
}

// aggregate fills p.stats from p.rounds, in the order of conns.
func (p *peerResult) aggregate(conns []int) {
	p.stats = nil
	for _, n := range conns {
		var runs []loadResult
		var errs []string
		foreign := 0.0
		for i, rr := range p.rounds {
			for _, r := range rr {
				if r.Conns != n {
					continue
				}
				runs = append(runs, r)
				foreign = max(foreign, r.Foreign)
				if r.Errors != "" {
					errs = append(errs, fmt.Sprintf("r%d: %s", i+1, r.Errors))
				}
			}
		}
		if len(runs) == 0 {
			continue
		}
		s := connStats{Conns: n, Median: medianRun(runs), Min: runs[0].RPS, Max: runs[0].RPS, N: len(runs),
			Errors: strings.Join(errs, "; "), Foreign: foreign}
		var cpus []time.Duration
		for _, r := range runs {
			s.Min = min(s.Min, r.RPS)
			s.Max = max(s.Max, r.RPS)
			if r.ServerCPU > 0 {
				cpus = append(cpus, r.ServerCPU)
			}
		}
		if len(cpus) > 0 {
			slices.Sort(cpus)
			s.CPU = cpus[(len(cpus)-1)/2]
		}
		p.stats = append(p.stats, s)
	}
}

// medianRun is the run with the median req/s; with an even number of runs
// the lower of the two middle ones, so that req/s, p50 and p99 all come
// from one real run.
func medianRun(runs []loadResult) loadResult {
	s := append([]loadResult(nil), runs...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].RPS < s[j].RPS })
	return s[(len(s)-1)/2]
}

// median of v (the mean of the middle two when len(v) is even); NaN when
// v is empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// stat is p's result at conns over the rounds.
func (p *peerResult) stat(conns int) (connStats, bool) {
	for _, s := range p.stats {
		if s.Conns == conns {
			return s, true
		}
	}
	return connStats{}, false
}

// roundRun is p's run at conns in round i (0-based).
func (p *peerResult) roundRun(i, conns int) (loadResult, bool) {
	if i >= len(p.rounds) {
		return loadResult{}, false
	}
	for _, r := range p.rounds[i] {
		if r.Conns == conns {
			return r, true
		}
	}
	return loadResult{}, false
}

// roundRatio is one round's req/s of a peer over its reference's.
type roundRatio struct {
	round int // 1-based
	v     float64
}

// roundRatios are p's req/s over ref's at conns, round by round, in the
// rounds that measured both.
func roundRatios(p, ref *peerResult, rounds, conns int) []roundRatio {
	var out []roundRatio
	for i := 0; i < rounds; i++ {
		a, ok1 := p.roundRun(i, conns)
		b, ok2 := ref.roundRun(i, conns)
		if ok1 && ok2 && b.RPS > 0 {
			out = append(out, roundRatio{i + 1, a.RPS / b.RPS})
		}
	}
	return out
}

func ratioValues(rs []roundRatio) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.v
	}
	return v
}

// fmtSpread is "min–max (width over the median)".
func fmtSpread(s connStats) string {
	if s.N < 2 {
		return "– (1 run)"
	}
	w := 0.0
	if s.Median.RPS > 0 {
		w = 100 * (s.Max - s.Min) / s.Median.RPS
	}
	return fmt.Sprintf("%s–%s (%.0f%%)", fmtRPS(s.Min), fmtRPS(s.Max), w)
}

// target is one of the throughput targets: peer's req/s at least
// min times ref's.
type target struct {
	label     string // "C reactor guest, libevent"
	peer, ref string // peer names
	refLabel  string // "fasthttp"
	min       float64
}

// targets are the comparisons the issue sets: the hello guest at least
// 0.9× native fasthttp and at least 1.5× native net/http, for the C
// reactor guest and the Go reactor guests (net/http and Ctx mappings) on
// each backend.
func targets(backends []string) []target {
	var ts []target
	for _, g := range []struct {
		label string
		guest gatewayGuest
	}{{"C reactor guest", cReactor}, {"Go reactor guest, net/http", goReactor}, {"Go reactor guest, Ctx", goCtx}} {
		for _, b := range backends {
			name := ptseventName(g.guest, b)
			label := g.label + ", " + b
			ts = append(ts,
				target{label, name, fastHTTPName, "fasthttp", 0.9},
				target{label, name, netHTTPName, "net/http", 1.5})
		}
	}
	return ts
}

// targetResult is a target judged on this run.
type targetResult struct {
	target
	perConns []targetAt // in the order of the connection counts
	missing  string     // why it could not be judged; "" when it could
}

type targetAt struct {
	conns  int
	total  int    // rounds or cycles run
	unit   string // "round" or "cycle"
	rounds []roundRatio
	median float64 // of the per-round (per-cycle) ratios; NaN when none
}

func (t targetResult) met() bool {
	if t.missing != "" || len(t.perConns) == 0 {
		return false
	}
	for _, a := range t.perConns {
		if math.IsNaN(a.median) || a.median < t.min {
			return false
		}
	}
	return true
}

// verdict is "met", "not met (@256)", or why it was not judged.
func (t targetResult) verdict() string {
	if t.missing != "" {
		return "not judged: " + t.missing
	}
	if t.met() {
		return "**met**"
	}
	var at []string
	for _, a := range t.perConns {
		if math.IsNaN(a.median) || a.median < t.min {
			at = append(at, fmt.Sprintf("@%d", a.conns))
		}
	}
	return "not met (" + strings.Join(at, ", ") + ")"
}

// targetResults judges every target whose two peers were selected (-only).
func (r *report) targetResults() []targetResult {
	c := r.cfg
	var out []targetResult
	for _, t := range targets(c.backends) {
		p, ref := r.peer(t.peer), r.peer(t.ref)
		if p == nil || ref == nil {
			continue
		}
		tr := targetResult{target: t}
		switch {
		case p.missing != "":
			tr.missing = t.label + " not measured"
		case ref.missing != "":
			tr.missing = t.refLabel + " not measured"
		}
		if tr.missing == "" {
			for _, n := range c.conns {
				a := targetAt{conns: n, total: c.rounds, unit: "round"}
				if r.paired.has(t.peer, t.ref) {
					a.total, a.unit = r.paired.cycles, "cycle"
					a.rounds = r.paired.cycleRatios(t.peer, t.ref, n)
				} else {
					a.rounds = roundRatios(p, ref, c.rounds, n)
				}
				a.median = median(ratioValues(a.rounds))
				tr.perConns = append(tr.perConns, a)
			}
		}
		out = append(out, tr)
	}
	return out
}

func (r *report) peer(name string) *peerResult {
	for i := range r.peers {
		if r.peers[i].name == name {
			return &r.peers[i]
		}
	}
	return nil
}

// targetTable is the Targets table in Markdown, "" when no target's peers
// were run.
func (r *report) targetTable() string {
	ts := r.targetResults()
	if len(ts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| guest vs native peer | target |")
	sep := "|---|---:|"
	for _, n := range r.cfg.conns {
		fmt.Fprintf(&b, " @%d: %s |", n, r.targetColumn())
		sep += "---|"
	}
	b.WriteString(" verdict |\n" + sep + "---|\n")
	for _, t := range ts {
		fmt.Fprintf(&b, "| %s vs %s | ≥ %.2f× |", t.label, t.refLabel, t.min)
		if t.missing != "" {
			b.WriteString(strings.Repeat(" – |", len(r.cfg.conns)))
		}
		for _, a := range t.perConns {
			fmt.Fprintf(&b, " %s |", fmtTargetAt(a, t.min))
		}
		fmt.Fprintf(&b, " %s |\n", t.verdict())
	}
	return b.String()
}

// fmtTargetAt is "**0.93×** (0.91, 0.93, 0.97)", the rounds in order, a
// round that did not measure both peers shown as "–"; with more than six
// rounds or cycles, "**0.93×** (0.90–0.96; 2 of 12 below)": the middle
// half of the ratios (from the lower to the upper quartile) and how many
// fall below the target.
func fmtTargetAt(a targetAt, target float64) string {
	if math.IsNaN(a.median) {
		return "n/a"
	}
	if a.total > 6 {
		v := ratioValues(a.rounds)
		slices.Sort(v)
		below := 0
		for _, x := range v {
			if x < target {
				below++
			}
		}
		missed := ""
		if len(v) < a.total {
			missed = fmt.Sprintf(", %d of %d %ss measured", len(v), a.total, a.unit)
		}
		return fmt.Sprintf("**%.2f×** (%.2f–%.2f; %d of %d below%s)", a.median, quantile(v, 0.25), quantile(v, 0.75), below, len(v), missed)
	}
	rs := make([]string, a.total)
	for i := range rs {
		rs[i] = "–"
	}
	for _, x := range a.rounds {
		rs[x.round-1] = fmt.Sprintf("%.2f", x.v)
	}
	return fmt.Sprintf("**%.2f×** (%s)", a.median, strings.Join(rs, ", "))
}

// quantile of sorted v by linear interpolation between closest ranks.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (pos-float64(i))*(v[i+1]-v[i])
}
