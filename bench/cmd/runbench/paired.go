package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The targets compare two servers whose req/s are within a few
// percent of each other, on a shared VM where one server's req/s moves by
// 10–25% between runs a minute apart. The rounds (runPeers) measure a
// guest and its reference minutes apart, so a slow minute decides a
// round's ratio. The paired section measures only the servers the targets
// name, all started once and left running side by side (an idle server
// costs nothing), in cycles of short wrk runs: every cycle runs each
// server once per connection count, in the table's order on odd cycles
// and reversed on even ones, so a guest and its reference are measured
// seconds apart and neither always goes first. A target is judged on the
// median over the cycles of guest req/s over reference req/s in the same
// cycle.

// pairedResult is the paired section's runs.
type pairedResult struct {
	names []string // the servers, in the order of the table
	// runs[name][conns][k] is cycle k's run (RPS 0 when it failed).
	runs    map[string]map[int][]loadResult
	cycles  int
	failed  []pairedFailure // the first failure of each server that failed
	elapsed time.Duration
}

// pairedFailure is why a server failed to start, or its first failed run
// (cycle > 0: wrk failed, saw errors, or the server exited). A failed run
// is left out of the ratios; a server that exited stays down.
type pairedFailure struct {
	name  string
	cycle int
	err   error
}

func (f pairedFailure) String() string {
	if f.cycle == 0 {
		return fmt.Sprintf("%s: %v", f.name, f.err)
	}
	return fmt.Sprintf("%s: cycle %d: %v", f.name, f.cycle, f.err)
}

// cycleRatios are p's req/s over ref's at conns, cycle by cycle, in the
// cycles that measured both.
func (pr *pairedResult) cycleRatios(p, ref string, conns int) []roundRatio {
	if pr == nil {
		return nil
	}
	a, b := pr.runs[p][conns], pr.runs[ref][conns]
	var out []roundRatio
	for k := 0; k < min(len(a), len(b)); k++ {
		if a[k].RPS > 0 && b[k].RPS > 0 {
			out = append(out, roundRatio{k + 1, a[k].RPS / b[k].RPS})
		}
	}
	return out
}

// has says whether the section ran both servers.
func (pr *pairedResult) has(p, ref string) bool {
	return pr != nil && pr.runs[p] != nil && pr.runs[ref] != nil
}

// pairedServer is one running server of the section.
type pairedServer struct {
	p *peer
	*launched
	log    string // the wrk log
	failed bool   // a run failed: reported once
}

// runPaired runs the paired section over the prepared peers (nil when
// missing) that some target names; nil when no target has both servers.
func runPaired(ctx context.Context, c *config, peers []*peer) *pairedResult {
	if c.cycles < 1 {
		return nil
	}
	byName := map[string]*peer{}
	for _, p := range peers {
		if p != nil {
			byName[p.name] = p
		}
	}
	want := map[string]bool{}
	for _, t := range targets(c.backends) {
		if byName[t.peer] != nil && byName[t.ref] != nil {
			want[t.peer], want[t.ref] = true, true
		}
	}
	if len(want) == 0 {
		return nil
	}
	t0 := time.Now()
	pr := &pairedResult{runs: map[string]map[int][]loadResult{}, cycles: c.cycles}
	waitQuiet(30 * time.Second)
	var running []*pairedServer
	defer func() {
		for _, s := range running {
			s.stop()
		}
	}()
	for _, p := range peers {
		if p == nil || !want[p.name] {
			continue
		}
		s, err := startPaired(c, p)
		if err != nil {
			pr.failed = append(pr.failed, pairedFailure{name: p.name, err: err})
			log.Printf("   %s failed: %v", p.name, err)
			continue
		}
		running = append(running, s)
		pr.names = append(pr.names, p.name)
		pr.runs[p.name] = map[int][]loadResult{}
	}
	for _, s := range running {
		if c.warmup > 0 {
			if _, err := runWrk(ctx, c, s.url, c.conns[0], c.warmup, s.log, s.srv.pid()); err != nil {
				log.Printf("   %s warm-up: %v", s.p.name, err)
			}
		}
	}
	for k := 1; k <= c.cycles; k++ {
		order := slices.Clone(running)
		if k%2 == 0 {
			slices.Reverse(order)
		}
		log.Printf("== paired cycle %d/%d", k, c.cycles)
		for _, n := range c.conns {
			for _, s := range order {
				r := loadResult{Conns: n}
				err := s.srv.exitErr()
				if err == nil {
					r, err = runWrk(ctx, c, s.url, n, c.cycleDuration, s.log, s.srv.pid())
				}
				if err == nil {
					err = s.srv.exitErr() // exited during the run: the run does not count
				}
				if err == nil && r.Errors != "" {
					// Socket errors or non-2xx: the server failed part of
					// the load, so the run's req/s is not comparable.
					err = fmt.Errorf("wrk: %s", r.Errors)
				}
				if err != nil {
					r = loadResult{Conns: n}
					if !s.failed {
						s.failed = true
						pr.failed = append(pr.failed, pairedFailure{s.p.name, k, err})
						log.Printf("   %s failed in cycle %d: %v", s.p.name, k, err)
					}
				}
				pr.runs[s.p.name][n] = append(pr.runs[s.p.name][n], r)
			}
		}
	}
	pr.elapsed = time.Since(t0)
	return pr
}

// startPaired starts p and waits until it answers; its logs are
// logs/SLUG.paired.log and .wrk.txt.
func startPaired(c *config, p *peer) (*pairedServer, error) {
	base := filepath.Join(c.buildDir, "logs", slugify(p.name)+".paired")
	os.Remove(base + ".wrk.txt")
	l, err := launch(c, p, base+".log")
	if err != nil {
		return nil, err
	}
	return &pairedServer{p: p, launched: l, log: base + ".wrk.txt"}, nil
}

// pairedMethod says how the paired section measured, for the report.
func (r *report) pairedMethod() string {
	c, pr := r.cfg, r.paired
	return fmt.Sprintf("The targets come from a section of their own (%v): the %d servers they name run side by side, all pinned to the server CPUs and started once, and are loaded in %d cycles; each cycle runs wrk for %v on each server at each of %s connections, in the table's order on odd cycles and reversed on even ones. A ratio is the guest's req/s over the native peer's **in the same cycle**, seconds apart, so a slow stretch of the shared machine weighs on both; the target is judged on the median over the cycles.",
		pr.elapsed.Round(time.Second), len(pr.names), pr.cycles, c.cycleDuration, joinInts(c.conns))
}

// pairedTable is every run of the paired section, req/s cycle by cycle,
// in Markdown (the order of runs inside a cycle alternates, see
// pairedMethod).
func (r *report) pairedTable() string {
	pr := r.paired
	var rows []rpsRow
	for _, name := range pr.names {
		for _, n := range r.cfg.conns {
			row := rpsRow{name: name, conns: n}
			for _, run := range pr.runs[name][n] {
				row.rps = append(row.rps, run.RPS)
			}
			rows = append(rows, row)
		}
	}
	return rpsTable("", pr.cycles, rows)
}

// targetColumn describes a Targets column's figures.
func (r *report) targetColumn() string {
	switch {
	case r.paired == nil:
		return fmt.Sprintf("median of per-round ratios (rounds 1…%d)", r.cfg.rounds)
	case r.paired.cycles > 6:
		return "median of per-cycle ratios (middle half; cycles below target)"
	default:
		return fmt.Sprintf("median of per-cycle ratios (cycles 1…%d)", r.paired.cycles)
	}
}
