package main

import (
	"fmt"
	"regexp"
	"strings"
)

// The micro-benchmarks issue 7 asks for, found in whatever `go test
// -bench` printed by pattern rather than by exact name, so that renamed
// or added sub-benchmarks still land in the summary. An item nothing
// matches is reported as not found, with what was seen, never dropped.

// microItem is one line of the summary: what the issue asks for, and the
// benchmarks that answer it.
type microItem struct {
	title   string
	lines   []string // one per benchmark or ratio found
	missing string   // why nothing was found; "" when lines is not empty
}

// find returns the results whose package matches pkg ("" for any) and
// whose name matches re, in output order.
func (m *microReport) find(pkg string, re *regexp.Regexp) []microResult {
	var out []microResult
	for _, r := range m.results {
		if (pkg == "" || r.pkg == pkg) && re.MatchString(r.name) {
			out = append(out, r)
		}
	}
	return out
}

// value is r's metric in unit.
func (r microResult) value(unit string) (float64, bool) {
	for _, mt := range r.metrics {
		if mt.unit == unit {
			return mt.value, true
		}
	}
	return 0, false
}

// fmtNs formats a duration given in nanoseconds.
func fmtNs(ns float64) string {
	switch {
	case ns < 1000:
		return fmt.Sprintf("%.3g ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	default:
		return fmt.Sprintf("%.3g s", ns/1e9)
	}
}

// fmtMetric formats a value of unit: time units as durations ("4.53 µs/event").
func fmtMetric(v float64, unit string) string {
	if rest, ok := strings.CutPrefix(unit, "ns/"); ok {
		return fmtNs(v) + "/" + rest
	}
	if rest, ok := strings.CutPrefix(unit, "cpu-ns/"); ok {
		return fmtNs(v) + " CPU/" + rest
	}
	return fmtFloat(v) + " " + unit
}

func (r microResult) label() string { return r.pkg + " " + r.name }

// primary is the metric a result is best summarised by: the first of
// units it has, else ns/op.
func (r microResult) primary(units ...string) (float64, string, bool) {
	for _, u := range append(units, "ns/op") {
		if v, ok := r.value(u); ok {
			return v, u, true
		}
	}
	return 0, "", false
}

func (m *microReport) seen(pkg string) string {
	var names []string
	for _, r := range m.results {
		if pkg == "" || r.pkg == pkg {
			names = append(names, r.name)
		}
	}
	if len(names) == 0 {
		if pkg == "" {
			return "no benchmark results at all"
		}
		return "no results from package " + pkg
	}
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	return "seen: " + strings.Join(names, ", ")
}

// listItem lists every result found by pkg and re with its primary metric.
func (m *microReport) listItem(title, pkg string, re *regexp.Regexp, units ...string) microItem {
	it := microItem{title: title}
	for _, r := range m.find(pkg, re) {
		if v, u, ok := r.primary(units...); ok {
			it.lines = append(it.lines, fmt.Sprintf("%s: %s", r.label(), fmtMetric(v, u)))
		}
	}
	if len(it.lines) == 0 {
		it.missing = fmt.Sprintf("no benchmark matching %s in %s (%s)", re, orAny(pkg), m.seen(pkg))
	}
	return it
}

func orAny(pkg string) string {
	if pkg == "" {
		return "any package"
	}
	return pkg
}

var (
	reSuspend  = regexp.MustCompile(`(?i)suspend|resume`)
	reCBase    = regexp.MustCompile(`(?i)(^|/)(c-?libevent|libevent-?c|plain-?c\S*|cbench\S*)$`)
	reAny      = regexp.MustCompile(``)
	rePoolGet  = regexp.MustCompile(`(?i)pool.*(get|put|acquire|release)`)
	reCold     = regexp.MustCompile(`(?i)cold`)
	reGoStart  = regexp.MustCompile(`(?i)go-?start`)
	reReadline = regexp.MustCompile(`(?i)readline|bytewise|byte-wise`)
	reByteWise = regexp.MustCompile(`(?i)byte`)
	reGuest    = regexp.MustCompile(`^GuestCall/`)
)

// summary is the list of micro-benchmarks, each with what was
// found for it.
func (m *microReport) summary() []microItem {
	if m == nil {
		return nil
	}
	items := []microItem{
		m.listItem("Suspend + resume of a guest inside an import (host)", "host", reSuspend),
		m.perEventItem(),
		m.listItem("Pooled instance acquire/release (host.Pool Get+Put)", "bench", rePoolGet),
		m.listItem("Cold instantiation of a C guest", "bench", reCold),
		m.listItem("Go guest start from the compilation cache (and, for scale, instantiate only and uncached)", "bench", reGoStart),
		m.readlineItem(),
		m.guestCallItem(),
	}
	return items
}

// guestCallItem is the guest's share of a hello request by app (one
// pts_handle call against an in-memory request), each with its ratio to
// the C app of the same run.
func (m *microReport) guestCallItem() microItem {
	it := microItem{title: "Guest share of a hello request: one pts_handle call, in memory (wsgi-host GuestCall; ratio to the C app)"}
	found := m.find("wsgi-host", reGuest)
	var base float64
	for _, r := range found {
		if r.name == "GuestCall/c" {
			base, _ = r.value("ns/op")
		}
	}
	for _, r := range found {
		v, ok := r.value("ns/op")
		if !ok {
			continue
		}
		line := fmt.Sprintf("%s: %s", r.label(), fmtMetric(v, "ns/op"))
		if base > 0 {
			line += fmt.Sprintf(" (%.1f× the C app)", v/base)
		}
		it.lines = append(it.lines, line)
	}
	if len(it.lines) == 0 {
		it.missing = fmt.Sprintf("no benchmark matching %s in wsgi-host (%s)", reGuest, m.seen("wsgi-host"))
	}
	return it
}

// perEventItem is the loop's per-event cost against the plain-C libevent
// baseline of the same run: every evloop result with the baseline's
// per-event unit, as a ratio to it, in wall time and, where both report
// it, CPU time.
func (m *microReport) perEventItem() microItem {
	it := microItem{title: "Loop per-event cost vs plain-C libevent (evloop ping-pong; ratio to the C baseline of the same run)"}
	bases := m.find("evloop", reCBase)
	if len(bases) == 0 {
		it.missing = "no plain-C libevent baseline (a benchmark named c-libevent, built with cgo) in the evloop output (" + m.seen("evloop") + ")"
		return it
	}
	base := bases[0]
	bv, unit, ok := base.primary("ns/event")
	if !ok {
		it.missing = "the C baseline " + base.name + " reports no time"
		return it
	}
	bcpu, bcpuOK := base.value("cpu-ns/op")
	it.lines = append(it.lines, fmt.Sprintf("%s (plain C, the floor): %s", base.label(), fmtMetric(bv, unit)))
	group, _, _ := strings.Cut(base.name, "/")
	for _, r := range m.find("evloop", reAny) {
		if r.name == base.name {
			continue
		}
		// Without a per-event unit, compare within the baseline's own
		// benchmark only (ns/op of unrelated benchmarks is not comparable).
		if g, _, _ := strings.Cut(r.name, "/"); unit != "ns/event" && g != group {
			continue
		}
		v, ok := r.value(unit)
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s: %s, **%.2f×** C", r.label(), fmtMetric(v, unit), v/bv)
		if c, ok := r.value("cpu-ns/op"); ok && bcpuOK && bcpu > 0 {
			s += fmt.Sprintf(" (CPU time %.2f×)", c/bcpu)
		}
		it.lines = append(it.lines, s)
	}
	if len(it.lines) == 1 {
		it.missing = "no loop benchmark reports " + unit + " next to the C baseline (" + m.seen("evloop") + ")"
		it.lines = nil
	}
	return it
}

// readlineItem is readline against 1-byte reads, with the ratio.
func (m *microReport) readlineItem() microItem {
	it := m.listItem("readline vs byte-wise reads (C guest, 1024 lines of 64 bytes)", "bench", reReadline, "ns/line")
	var rl, bw *microResult
	for _, r := range m.find("bench", reReadline) {
		if reByteWise.MatchString(r.name) {
			bw = &r
		} else if rl == nil {
			rl = &r
		}
	}
	if rl != nil && bw != nil {
		for _, u := range []string{"ns/line", "ns/op"} {
			a, ok1 := rl.value(u)
			b, ok2 := bw.value(u)
			if ok1 && ok2 && a > 0 {
				it.lines = append(it.lines, fmt.Sprintf("byte-wise / readline: **%.0f×** (%s)", b/a, u))
				break
			}
		}
	}
	return it
}

// summaryMarkdown is the summary as a Markdown list.
func (m *microReport) summaryMarkdown() string {
	var b strings.Builder
	for _, it := range m.summary() {
		if it.missing != "" {
			fmt.Fprintf(&b, "- **%s**: not found: %s\n", it.title, it.missing)
			continue
		}
		fmt.Fprintf(&b, "- **%s**:\n", it.title)
		for _, l := range it.lines {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	return b.String()
}
