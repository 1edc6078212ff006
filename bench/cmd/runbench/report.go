package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type machine struct {
	cpuModel string
	nproc    int
	memory   string
	kernel   string
	goVer    string
	wrk      string
	ptsevent string
	fdLimit  uint64
}

func describeMachine(c *config) machine {
	m := machine{nproc: len(c.pin.all), fdLimit: fdLimit()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.goVer = runtime.Version()
	m.wrk = wrkVersion()
	out, _ := run(context.Background(), c.root, nil, filepath.Join(c.root, "bin", "ptsevent"), "version")
	m.ptsevent = strings.Join(strings.Fields(out), " ")
	return m
}

type report struct {
	cfg         *config
	machine     machine
	peers       []peerResult
	paired      *pairedResult // the targets' section; nil when not run
	c10k        []c10kResult
	micro       *microReport
	elapsed     time.Duration
	httpElapsed time.Duration // the HTTP section, every round
}

func (r *report) baseline() *peerResult {
	for i := range r.peers {
		if r.peers[i].baseline && r.peers[i].missing == "" {
			return &r.peers[i]
		}
	}
	return nil
}

// ratio is p's median req/s over the baseline's at conns connections.
func (r *report) ratio(p *peerResult, conns int) string {
	b := r.baseline()
	if b == nil {
		return "n/a"
	}
	s, ok1 := p.stat(conns)
	bs, ok2 := b.stat(conns)
	if !ok1 || !ok2 || bs.Median.RPS <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", s.Median.RPS/bs.Median.RPS)
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// fmtCPU formats a server's CPU time per request ("8.4 µs"); "–" when
// unknown.
func fmtCPU(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func fmtRPS(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	// thousands separators
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// peerTable is the side-by-side table, in Markdown: per server and
// connection count the median over the rounds.
func (r *report) peerTable() string {
	var b strings.Builder
	rounds := r.cfg.rounds
	fmt.Fprintf(&b, "| server | conns | req/s (median of %d) | spread: min–max req/s (width) | p50 | p99 | server CPU per request (median) | vs baseline (medians) | errors | other load (max) |\n", rounds)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n")
	for i := range r.peers {
		p := &r.peers[i]
		if len(p.stats) == 0 {
			fmt.Fprintf(&b, "| %s | – | missing | | | | | | see below | |\n", p.name)
			continue
		}
		for _, st := range p.stats {
			name := p.name
			if p.baseline {
				name = "**" + name + "** (baseline)"
			}
			errs := st.Errors
			if errs == "" {
				errs = "0"
			}
			spread := fmtSpread(st)
			if st.N < rounds {
				spread += fmt.Sprintf(", %d of %d rounds", st.N, rounds)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %.0f%% |\n", name, st.Conns, fmtRPS(st.Median.RPS), spread,
				fmtDur(st.Median.P50), fmtDur(st.Median.P99), fmtCPU(st.CPU), r.ratio(p, st.Conns), errs, 100*st.Foreign)
		}
	}
	return b.String()
}

// roundsTable is every run's req/s, round by round, in Markdown.
func (r *report) roundsTable() string {
	var rows []rpsRow
	for i := range r.peers {
		p := &r.peers[i]
		if len(p.stats) == 0 {
			continue
		}
		for _, n := range r.cfg.conns {
			row := rpsRow{name: p.name, conns: n}
			for k := 0; k < r.cfg.rounds; k++ {
				run, _ := p.roundRun(k, n)
				row.rps = append(row.rps, run.RPS)
			}
			rows = append(rows, row)
		}
	}
	return rpsTable("round ", r.cfg.rounds, rows)
}

// rpsRow is one server at one connection count in an rpsTable.
type rpsRow struct {
	name  string
	conns int
	rps   []float64 // per column; 0 for a run that failed or did not happen
}

// rpsTable is a Markdown table of req/s, one row per server and connection
// count, columns prefix+"1" to prefix+cols; a 0 shows as "–".
func rpsTable(prefix string, cols int, rows []rpsRow) string {
	var b strings.Builder
	b.WriteString("| server | conns |")
	sep := "|---|---:|"
	for k := 1; k <= cols; k++ {
		fmt.Fprintf(&b, " %s%d |", prefix, k)
		sep += "---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %d |", row.name, row.conns)
		for _, v := range row.rps {
			if v > 0 {
				fmt.Fprintf(&b, " %s |", fmtRPS(v))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// method is how the HTTP section measures, in a sentence or three.
func (r *report) method() string {
	c := r.cfg
	judged := " The targets are judged on the median of the per-round ratios (peer over reference in the same round)."
	if r.paired != nil {
		judged = " The targets are judged in a paired section of their own (see Targets)."
	}
	return fmt.Sprintf("%d interleaved rounds: each round starts every server in turn (the order of the table), waits until it answers, warms it up for %v at %d connections, runs wrk once for %v at each of %s connections and stops it, so each server is started %d times and every start has its own warm-up; a slow stretch of the shared machine lands on every server instead of on whichever ran during it. Per server and connection count the tables give the **median** req/s over the rounds, p50 and p99 of that median run (for an even number of rounds the lower middle one), and the spread (lowest–highest req/s, and its width over the median), and the median over the rounds of the server's CPU time (user + system, its whole process group) per request. Ratios to the baseline are ratios of medians.%s",
		c.rounds, c.warmup, c.conns[0], c.duration, joinInts(c.conns), c.rounds, judged)
}

// targetIntro is the paragraph above the Targets table.
func (r *report) targetIntro() string {
	const what = "The issue's targets: the hello guest serves at least 0.9× native fasthttp's and at least 1.5× native Go net/http's req/s."
	if r.paired == nil {
		return fmt.Sprintf("%s Each ratio is the guest's req/s over the native peer's **in the same round**; the table gives the median of the %d per-round ratios (bold) and the rounds in order. Met means the median reaches the target at every connection count.\n\n", what, r.cfg.rounds)
	}
	return fmt.Sprintf("%s %s The table gives the median of the per-cycle ratios (bold), the middle half of them (lower to upper quartile) and how many cycles fell below the target. Met means the median reaches the target at every connection count. The logs are build/bench/logs/SERVER.paired.log and .wrk.txt.\n\n", what, r.pairedMethod())
}

// failedList lists the rounds that failed for a peer measured in others,
// and the servers that failed in the paired section.
func (r *report) failedList() string {
	var b strings.Builder
	for _, p := range r.peers {
		for _, f := range p.failed {
			fmt.Fprintf(&b, "- **%s**, %s\n", p.name, f)
		}
	}
	if r.paired != nil {
		for _, f := range r.paired.failed {
			fmt.Fprintf(&b, "- paired section: %s\n", f)
		}
	}
	return b.String()
}

func (r *report) missingList() string {
	var b strings.Builder
	for _, p := range r.peers {
		if p.missing != "" {
			fmt.Fprintf(&b, "- **%s**: %s\n", p.name, p.missing)
		}
	}
	return b.String()
}

func (r *report) machineLines() string {
	m, c := r.machine, r.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "- CPU: %s, nproc %d; memory %s; Linux %s\n", m.cpuModel, m.nproc, m.memory, m.kernel)
	fmt.Fprintf(&b, "- %s; %s; %s\n", m.ptsevent, m.wrk, m.goVer)
	fmt.Fprintf(&b, "- Pinning: %s. ptsevent runs `--workers %d`; the Go peers' GOMAXPROCS follows the affinity mask (%d); nginx runs `worker_processes 1`; gevent is one process.\n",
		c.pin.describe(), c.pin.workers(), c.pin.workers())
	b.WriteString("- Load: wrk --latency on loopback, keep-alive, GET / answered 200 `Hello, World!\\n` (14 bytes, text/plain) by every server (checked before loading).\n")
	fmt.Fprintf(&b, "- Method: %s The HTTP section took %v.\n", r.method(), r.httpElapsed.Round(time.Second))
	b.WriteString("- Server CPU per request: the user + system CPU time of the server's process group (every process and thread of it, from /proc) during a wrk run, over the requests of that run; the tables give the median over the rounds. It moves less than req/s when the shared machine has a slow stretch, and shows what each server spends on a request (kernel time included) apart from how wrk and the scheduler interleave.\n")
	b.WriteString("- Other load: the CPU that processes other than the server, wrk and this runner used during each run (100% = one core; the tables give the most of any round), since the machine may be shared; before each start of a server the runner waits up to 30 s for a quiet second. Runs with much other load are noisy.\n")
	return b.String()
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " and ")
}

func (r *report) versions() string {
	var b strings.Builder
	for _, p := range r.peers {
		if p.version != "" {
			fmt.Fprintf(&b, "- %s: %s\n", p.name, p.version)
		}
	}
	return b.String()
}

func (r *report) c10kSection() string {
	var b strings.Builder
	if len(r.c10k) == 0 {
		return "Not run.\n"
	}
	if len(r.c10k) == 1 && r.c10k[0].skipped != "" {
		fmt.Fprintf(&b, "Not measured: %s\n", r.c10k[0].skipped)
		return b.String()
	}
	fmt.Fprintf(&b, "Each server runs pinned to the server CPU like the HTTP peers. %s connections are opened (256 at a time, by this process on the load CPU); each makes one `GET /`, then stays open and idle. RSS is the server process's VmRSS before (after 200 warm-up requests) and while they are held; per connection is the difference over the connections held. The probes run while they are all held: 1000 requests on one keep-alive connection, then 200 each on a new connection.\n\n",
		fmtRPS(float64(r.c10k[0].target)))
	for _, x := range r.c10k {
		if x.desc != "" {
			fmt.Fprintf(&b, "- **%s**: %s.\n", x.label, x.desc)
		}
	}
	b.WriteString("\n")
	b.WriteString("| measure |")
	for _, x := range r.c10k {
		fmt.Fprintf(&b, " %s |", x.label)
	}
	b.WriteString("\n|---|")
	for range r.c10k {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	row := func(name string, f func(x c10kResult) string) {
		fmt.Fprintf(&b, "| %s |", name)
		for _, x := range r.c10k {
			if x.skipped != "" {
				b.WriteString(" not measured |")
				continue
			}
			fmt.Fprintf(&b, " %s |", f(x))
		}
		b.WriteString("\n")
	}
	row("command", func(x c10kResult) string { return "`" + x.command + "`" })
	row("connections held (answered, kept open)", func(x c10kResult) string {
		s := fmt.Sprintf("%d of %d", x.held, x.target)
		if x.stoppedEarly {
			s += " (stopped after 256 failures)"
		}
		return s
	})
	row("time to open them", func(x c10kResult) string { return x.openTime.Round(time.Millisecond).String() })
	row("server RSS before / while held", func(x c10kResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(x.rssBase)/(1<<20), float64(x.rssHeld)/(1<<20))
	})
	row("**RSS per held connection**", func(x c10kResult) string { return fmt.Sprintf("**%.1f KiB**", x.perConn()/1024) })
	row("probe, keep-alive connection: p50 / **p99** / max", func(x c10kResult) string {
		return fmt.Sprintf("%s / **%s** / %s (%d requests, %d errors)", fmtDur(x.probeKA.p50), fmtDur(x.probeKA.p99), fmtDur(x.probeKA.max), x.probeKA.n, x.probeKA.errs)
	})
	row("probe, new connection: p50 / p99 / max", func(x c10kResult) string {
		return fmt.Sprintf("%s / %s / %s (%d requests, %d errors)", fmtDur(x.probeNew.p50), fmtDur(x.probeNew.p99), fmtDur(x.probeNew.max), x.probeNew.n, x.probeNew.errs)
	})
	row("held connections still answering at the end (sample)", func(x c10kResult) string { return fmt.Sprintf("%d of %d", x.alive, x.sampled) })
	row("server process descriptor limit", func(x c10kResult) string { return fmt.Sprint(x.serverFDMax) })
	b.WriteString("\n")
	for _, x := range r.c10k {
		switch {
		case x.skipped != "":
			fmt.Fprintf(&b, "- %s: not measured: %s\n", x.label, x.skipped)
			continue
		case x.failed > 0:
			fmt.Fprintf(&b, "- %s: %d connections were not held (%s)", x.label, x.failed, strings.Join(x.firstErrors, "; "))
			if x.serverSaid != "" {
				fmt.Fprintf(&b, "; the server logged `%s`", strings.TrimSpace(x.serverSaid))
			}
			b.WriteString(".\n")
		}
		if x.serverFailed != "" {
			fmt.Fprintf(&b, "- %s: server trouble: %s\n", x.label, x.serverFailed)
		}
	}
	return b.String()
}

func (r *report) microSection() string {
	m := r.micro
	var b strings.Builder
	if m == nil {
		return "Not run (-skip-micro).\n"
	}
	fmt.Fprintf(&b, "From %s. Unpinned (both CPUs); one run each (`-count 1`), so treat small differences as noise.\n\n", m.source)
	b.WriteString("### The micro-benchmarks of issue 7\n\n")
	b.WriteString("Found by pattern in what `go test -bench` printed (the benchmark names may change); one that is not found says so.\n\n")
	b.WriteString(m.summaryMarkdown())
	b.WriteString("\n### Every benchmark\n\n")
	b.WriteString("| package | benchmark | iterations | ns/op | other metrics |\n|---|---|---:|---:|---|\n")
	for _, x := range m.results {
		ns := "–"
		var other []string
		for _, mt := range x.metrics {
			if mt.unit == "ns/op" {
				ns = fmtFloat(mt.value)
				continue
			}
			other = append(other, fmtFloat(mt.value)+" "+mt.unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", x.pkg, x.name, x.iters, ns, strings.Join(other, ", "))
	}
	if len(m.problems) > 0 {
		b.WriteString("\nProblems reported by go test:\n\n")
		for _, p := range m.problems {
			fmt.Fprintf(&b, "- `%s`\n", p)
		}
	}
	return b.String()
}

func fmtFloat(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 100:
		return fmt.Sprintf("%d", int64(v))
	case v >= 100:
		return fmtRPS(v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func (r *report) markdown() string {
	var b strings.Builder
	c := r.cfg
	b.WriteString("# ptsevent benchmarks: latest run\n\n")
	fmt.Fprintf(&b, "Generated by `make bench` (`bench/cmd/runbench`) on %s in %v. Command: `%s`.\n\n",
		c.startedAt.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second), c.invocation)
	if note := c.partial(); note != "" {
		fmt.Fprintf(&b, "**Partial run** (%s): not the full benchmark.\n\n", note)
	}
	if tt := r.targetTable(); tt != "" {
		b.WriteString("## Targets\n\n")
		b.WriteString(r.targetIntro())
		b.WriteString(tt)
		b.WriteString("\n")
	}
	b.WriteString("## Machine and method\n\n")
	b.WriteString(r.machineLines())
	b.WriteString("\n## HTTP hello world, side by side\n\n")
	fmt.Fprintf(&b, "Baseline (ratio 1.00×): **%s**. `ptsevent serve` rows are labelled by gateway style: a *reactor* guest (blocking style: exports `pts_handle`, a pool of instances per worker, one request per instance at a time) or a *scheduler* guest (a command whose `main` calls `gateway.Serve`: one instance per worker serves every request on goroutines); `--style` is passed explicitly.\n\n", baselineName)
	b.WriteString(r.peerTable())
	b.WriteString("\n![requests per second by server](latest.png)\n\n")
	if r.cfg.rounds > 1 {
		b.WriteString("### Every round\n\n")
		b.WriteString("req/s of each run; the logs are build/bench/logs/SERVER.rROUND.log and .wrk.txt.\n\n")
		b.WriteString(r.roundsTable())
		b.WriteString("\n")
	}
	if r.paired != nil {
		b.WriteString("### Paired section, every cycle\n\n")
		b.WriteString("req/s of each run of the section that judges the targets (see Targets); – is a run that failed.\n\n")
		b.WriteString(r.pairedTable())
		b.WriteString("\n")
	}
	if fl := r.failedList(); fl != "" {
		b.WriteString("### Failed rounds\n\n")
		b.WriteString(fl)
		b.WriteString("\n")
	}
	if ml := r.missingList(); ml != "" {
		b.WriteString("### Missing peers\n\n")
		b.WriteString(ml)
		b.WriteString("\n")
	}
	b.WriteString("### Versions\n\n")
	b.WriteString(r.versions())
	b.WriteString("\n## Concurrency: keep-alive connections held by one Go scheduler guest\n\n")
	if c.skipC10K {
		b.WriteString("Not run (-skip-c10k).\n")
	} else {
		b.WriteString(r.c10kSection())
	}
	b.WriteString("\n## Micro-benchmarks\n\n")
	b.WriteString(r.microSection())
	return b.String()
}

func (r *report) terminalSummary() string {
	var b strings.Builder
	w := 20
	for _, p := range r.peers {
		w = max(w, len(p.name))
	}
	fmt.Fprintf(&b, "medians of %d interleaved rounds\n", r.cfg.rounds)
	fmt.Fprintf(&b, "%-*s %6s %10s %17s %10s %10s %9s %8s %6s  %s\n", w, "server", "conns", "req/s", "min-max", "p50", "p99", "cpu/req", "ratio", "other", "errors")
	for i := range r.peers {
		p := &r.peers[i]
		if len(p.stats) == 0 {
			fmt.Fprintf(&b, "%-*s missing: %s\n", w, p.name, oneLine(p.missing))
			continue
		}
		for _, st := range p.stats {
			fmt.Fprintf(&b, "%-*s %6d %10.0f %17s %10s %10s %9s %8s %5.0f%%  %s\n", w, p.name, st.Conns, st.Median.RPS, fmt.Sprintf("%.0f-%.0f", st.Min, st.Max),
				fmtDur(st.Median.P50), fmtDur(st.Median.P99), fmtCPU(st.CPU), r.ratio(p, st.Conns), 100*st.Foreign, st.Errors)
		}
		for _, f := range p.failed {
			fmt.Fprintf(&b, "%-*s failed: %s\n", w, "", oneLine(f))
		}
	}
	if ts := r.targetResults(); len(ts) > 0 {
		fmt.Fprintf(&b, "\ntargets (%s):\n", r.targetColumn())
		for _, t := range ts {
			fmt.Fprintf(&b, "  %-44s >= %.2fx:", t.label+" vs "+t.refLabel, t.min)
			for _, a := range t.perConns {
				fmt.Fprintf(&b, "  @%d %s", a.conns, strings.ReplaceAll(fmtTargetAt(a, t.min), "**", ""))
			}
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(t.verdict(), "**", ""))
		}
	}
	for _, x := range r.c10k {
		switch {
		case x.skipped != "":
			fmt.Fprintf(&b, "\nconcurrency (%s): not measured: %s", x.label, x.skipped)
		default:
			fmt.Fprintf(&b, "\nconcurrency (%s): %d/%d held, %.1f KiB RSS per connection, probe p99 %s (keep-alive), %s (new connection)",
				x.label, x.held, x.target, x.perConn()/1024, fmtDur(x.probeKA.p99), fmtDur(x.probeNew.p99))
		}
	}
	b.WriteString("\n")
	if r.micro != nil {
		b.WriteString("\nmicro-benchmarks:\n")
		for _, it := range r.micro.summary() {
			if it.missing != "" {
				fmt.Fprintf(&b, "  %s: NOT FOUND: %s\n", it.title, it.missing)
				continue
			}
			fmt.Fprintf(&b, "  %s:\n", it.title)
			for _, l := range it.lines {
				fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(l, "**", ""))
			}
		}
	}
	return b.String()
}

// failures lists what makes the run fail: a ptsevent server that could
// not be measured, micro-benchmarks that failed.
func (r *report) failures() []string {
	var bad []string
	for _, p := range r.peers {
		if !strings.HasPrefix(p.name, "ptsevent") {
			continue
		}
		if p.missing != "" {
			bad = append(bad, p.name+": "+oneLine(p.missing))
		}
		for _, f := range p.failed {
			bad = append(bad, p.name+", "+oneLine(f))
		}
	}
	if r.paired != nil {
		for _, f := range r.paired.failed {
			if strings.HasPrefix(f.name, "ptsevent") {
				bad = append(bad, "paired section: "+oneLine(f.String()))
			}
		}
	}
	if r.micro != nil && len(r.micro.problems) > 0 {
		bad = append(bad, fmt.Sprintf("%d micro-benchmark problem(s), see the report", len(r.micro.problems)))
	}
	return bad
}
