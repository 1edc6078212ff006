package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ptsevent/ptsevent/compat"
	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/host"
	"github.com/tetratelabs/wazero/sys"
)

// Loader returns the wasm bytes of a guest by name (GuestGoRaw, ...).
type Loader func(name string) ([]byte, error)

// DirLoader loads NAME.wasm from dir, where `make wasm` puts the guests
// (build/wasm).
func DirLoader(dir string) Loader {
	return func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("guest %s not found in %s (build the guests with `make wasm`): %w", name, dir, err)
		}
		return b, err
	}
}

// Options configure a run.
type Options struct {
	// Load provides the guests (required).
	Load Loader
	// Backends are the loop backends to run every case on; nil means all
	// of evloop.Backends().
	Backends []string
	// Run, when set, selects the cases whose name it matches (a regular
	// expression). The coverage check runs only when every case does.
	Run *regexp.Regexp
	// Cases replaces the suite's cases (Cases()), for tests of the runner.
	Cases []Case
	// Parallel is how many cases run at once per backend (default: two
	// per CPU, at least 4). Each of these slots has an event loop of its
	// own, so that a guest that holds its loop delays only its slot; every
	// case gets a fresh instance.
	Parallel int
	// CacheDir is wazero's compilation cache ("": none).
	CacheDir string
	// Logger receives the host's diagnostics (nil: discarded).
	Logger *slog.Logger
	// WASI is the runtimes' Config.WASI; nil means the compat overlay
	// (compat.Module), as `ptsevent` runs guests: Go guests then wait for
	// their timers on the loop instead of blocking it in poll_oneoff.
	WASI host.WASI
	// Progress, when set, is called with each result as it comes.
	Progress func(Result)
}

// Result is the outcome of one case on one backend.
type Result struct {
	Case    string `json:"case"`
	Backend string `json:"backend"`
	// Result is "pass", "fail" or "skip".
	Result     string        `json:"result"`
	Duration   time.Duration `json:"-"`
	DurationMS float64       `json:"duration_ms"`
	// Checks counts the checks reported ok.
	Checks int `json:"checks"`
	// Detail says why a case failed or was skipped.
	Detail string `json:"detail,omitempty"`
	// Output is the guest's output, for a failed case.
	Output string `json:"output,omitempty"`
	// Reported are the names of the checks reported ok.
	Reported []string `json:"-"`
}

// Result values.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Report is the outcome of a run.
type Report struct {
	Results []Result `json:"results"`
	// Coverage is nil when the run was filtered (Options.Run).
	Coverage *Coverage `json:"coverage,omitempty"`
}

// Passed and Failed count the results.
func (r *Report) Passed() int { return r.count(Pass) }
func (r *Report) Failed() int { return r.count(Fail) }
func (r *Report) Skipped() int {
	return r.count(Skip)
}

func (r *Report) count(what string) int {
	n := 0
	for _, x := range r.Results {
		if x.Result == what {
			n++
		}
	}
	return n
}

// Summary is the closing line: "N passed, M failed".
func (r *Report) Summary() string { return fmt.Sprintf("%d passed, %d failed", r.Passed(), r.Failed()) }

// WriteTable writes the results as a table (case, backend, result,
// duration), the details of failures, and the closing Summary line.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tBACKEND\tRESULT\tDURATION")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Case, x.Backend, x.Result, x.Duration.Round(time.Millisecond))
	}
	tw.Flush()
	for _, x := range r.Results {
		if x.Result == Pass {
			continue
		}
		fmt.Fprintf(w, "\n--- %s %s (%s): %s\n", strings.ToUpper(x.Result), x.Case, x.Backend, x.Detail)
		if out := notOK(x.Output); out != "" {
			fmt.Fprintf(w, "guest output (without its ok lines):\n%s", indent(out))
		}
	}
	fmt.Fprintln(w)
	if n := r.Skipped(); n > 0 {
		fmt.Fprintf(w, "%d skipped\n", n)
	}
	fmt.Fprintln(w, r.Summary())
}

// WriteJSON writes the report as JSON, with "passed" and "failed" counts.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		*Report
		Passed  int `json:"passed"`
		Failed  int `json:"failed"`
		Skipped int `json:"skipped"`
	}{r, r.Passed(), r.Failed(), r.Skipped()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// notOK returns the lines of a guest's output but its "ok" check lines,
// at most the last 50.
func notOK(out string) string {
	var keep []string
	for l := range strings.Lines(out) {
		if !strings.HasPrefix(l, "ok ") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 50 {
		keep = append([]string{"...\n"}, keep[len(keep)-50:]...)
	}
	return strings.Join(keep, "")
}

func indent(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("    ")
		b.WriteString(l)
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// CoverageCase is the name of the coverage check's row in a report.
const CoverageCase = "abi/coverage"

// Run runs the selected cases on every selected backend and returns the
// report; an error means the run could not start (no DNS server, an
// unknown backend).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Load == nil {
		return nil, errors.New("conformance: Options.Load is required")
	}
	backends := opts.Backends
	if backends == nil {
		backends = evloop.Backends()
	}
	for _, b := range backends {
		if !slices.Contains(evloop.Backends(), b) {
			return nil, fmt.Errorf("conformance: unknown backend %q (compiled in: %s)", b, strings.Join(evloop.Backends(), ", "))
		}
	}
	all := opts.Cases
	if all == nil {
		all = Cases()
	}
	var cases []Case
	for _, c := range all {
		if opts.Run == nil || opts.Run.MatchString(c.Name) {
			cases = append(cases, c)
		}
	}
	env, err := NewEnv()
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	defer env.Close()

	// The guests, loaded once.
	wasm := map[string][]byte{}
	loadErr := map[string]error{}
	for _, c := range cases {
		if _, ok := wasm[c.Guest]; ok {
			continue
		}
		if _, ok := loadErr[c.Guest]; ok {
			continue
		}
		b, err := opts.Load(c.Guest)
		if err != nil {
			loadErr[c.Guest] = err
			continue
		}
		wasm[c.Guest] = b
	}

	rep := &Report{}
	if opts.Run == nil {
		start := time.Now()
		cov := coverageOf(all, opts.Load, wasm, loadErr)
		rep.Coverage = cov
		res := Result{Case: CoverageCase, Backend: "-", Result: Pass, Duration: time.Since(start), Checks: len(cov.Functions)}
		if problems := cov.Problems(); len(problems) > 0 {
			res.Result = Fail
			res.Detail = strings.Join(problems, "; ")
		}
		res.DurationMS = float64(res.Duration) / float64(time.Millisecond)
		rep.Results = append(rep.Results, res)
		if opts.Progress != nil {
			opts.Progress(res)
		}
	}
	for _, b := range backends {
		rep.Results = append(rep.Results, runBackend(ctx, opts, env, b, cases, wasm, loadErr)...)
	}
	return rep, nil
}

// backendRun is the state of the cases on one backend: one runtime per
// variant, made on first use, with the guests compiled on it.
type backendRun struct {
	opts    Options
	env     *Env
	backend string
	wasm    map[string][]byte
	loadErr map[string]error

	loops int // per runtime

	mu   sync.Mutex
	rts  map[string]*host.Runtime
	mods map[string]*host.Module
	errs map[string]error
}

func runBackend(ctx context.Context, opts Options, env *Env, backend string, cases []Case, wasm map[string][]byte, loadErr map[string]error) []Result {
	br := &backendRun{opts: opts, env: env, backend: backend, wasm: wasm, loadErr: loadErr,
		rts: map[string]*host.Runtime{}, mods: map[string]*host.Module{}, errs: map[string]error{}}
	defer br.close()
	par := opts.Parallel
	if par <= 0 {
		par = max(4, 2*runtime.NumCPU())
	}
	br.loops = par + 1
	results := make([]Result, len(cases))
	// Each slot has a loop of its own (loop 0 serves the gateway cases'
	// HTTP server), so that a guest that holds its loop (a bug that spins)
	// delays only its own slot's cases.
	slots := make(chan int, par)
	for i := range par {
		slots <- i + 1
	}
	var wg sync.WaitGroup
	for i := range cases {
		wg.Add(1)
		slot := <-slots
		go func() {
			defer wg.Done()
			defer func() { slots <- slot }()
			r := br.run(ctx, &cases[i], slot)
			r.DurationMS = float64(r.Duration) / float64(time.Millisecond)
			results[i] = r
			if opts.Progress != nil {
				opts.Progress(r)
			}
		}()
	}
	wg.Wait()
	return results
}

func (br *backendRun) wasi() host.WASI {
	if br.opts.WASI != nil {
		return br.opts.WASI
	}
	return compat.Module
}

func (br *backendRun) close() {
	for _, rt := range br.rts {
		rt.Close(context.Background())
	}
}

// module returns guest compiled on the runtime of variant.
func (br *backendRun) module(ctx context.Context, variant, guest string) (*host.Runtime, *host.Module, error) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if err := br.loadErr[guest]; err != nil {
		return nil, nil, err
	}
	key := variant + "\x00" + guest
	if err := br.errs[key]; err != nil {
		return nil, nil, err
	}
	rt, ok := br.rts[variant]
	if !ok {
		log := br.opts.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		var err error
		rt, err = host.NewRuntime(ctx, host.Config{
			Backend:  br.backend,
			Loops:    br.loops,
			CacheDir: br.opts.CacheDir,
			Logger:   log,
			Resolver: br.env.Resolver(),
			TLS:      br.env.TLS(variant != RuntimeNoTLSServer),
			WASI:     br.wasi(),
		})
		if err != nil {
			br.errs[key] = err
			return nil, nil, err
		}
		br.rts[variant] = rt
	}
	if m, ok := br.mods[key]; ok {
		return rt, m, nil
	}
	m, err := rt.Compile(ctx, br.wasm[guest])
	if err != nil {
		br.errs[key] = err
		return nil, nil, err
	}
	m.Name = guest
	br.mods[key] = m
	return rt, m, nil
}

// run runs one case.
func (br *backendRun) run(ctx context.Context, c *Case, slot int) (res Result) {
	res = Result{Case: c.Name, Backend: br.backend, Result: Fail}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	rt, mod, err := br.module(ctx, c.Runtime, c.Guest)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	s := newSetup(br.env)
	finished := false
	finish := func() {
		if !finished {
			finished = true
			s.finish(5 * time.Second)
		}
	}
	defer finish()
	if c.Setup != nil {
		if err := c.Setup(s); err != nil {
			if errors.Is(err, errSkip) {
				res.Result = Skip
			}
			res.Detail = "setup: " + err.Error()
			return res
		}
	}
	out := &lineWriter{onLine: s.line}
	var stderr bytes.Buffer
	cfg := host.InstanceConfig{
		Args:           append(append([]string{c.Guest}, c.Args...), s.Args...),
		Stdout:         out,
		Stderr:         &syncWriter{w: &stderr},
		Caps:           s.Caps,
		MaxDescriptors: s.MaxDescriptors,
		Deadline:       c.deadline(),
		Loop:           rt.Loops()[slot],
	}
	var (
		code   uint32
		runErr error
	)
	if c.Gateway != nil {
		cfg.Loop = nil // the server's worker runs on loop 0
		runErr = runGateway(rt, mod, cfg, c, s, br.opts.Logger)
	} else {
		code, runErr = mod.Run(ctx, cfg)
	}
	finish()

	checks := append(parseChecks(out.String()), s.peerChecks()...)
	res.Output = out.String()
	if stderr.Len() > 0 {
		res.Output += "stderr:\n" + stderr.String()
	}
	var problems []string
	ok := map[string]bool{}
	for _, ch := range checks {
		if ch.ok {
			ok[ch.name] = true
			res.Checks++
			res.Reported = append(res.Reported, ch.name)
		} else {
			problems = append(problems, fmt.Sprintf("%s: %s", ch.name, ch.detail))
		}
	}
	switch c.Expect {
	case ExitOK:
		if runErr != nil {
			problems = append(problems, "guest failed: "+runErr.Error())
		} else if code != 0 && len(problems) == 0 {
			problems = append(problems, fmt.Sprintf("guest exit status %d", code))
		}
	case ExitDeadline:
		var ee *sys.ExitError
		if runErr == nil || !errors.As(runErr, &ee) || ee.ExitCode() != sys.ExitCodeDeadlineExceeded {
			problems = append(problems, fmt.Sprintf("the guest was not stopped by its deadline: exit %d, %v", code, runErr))
		}
	}
	var missing []string
	for _, w := range c.Want {
		if !ok[w] {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing checks: "+strings.Join(missing, ", "))
	}
	if res.Checks == 0 && len(problems) == 0 {
		problems = append(problems, "the guest reported no check")
	}
	if len(problems) > 0 {
		res.Detail = strings.Join(problems, "; ")
		return res
	}
	res.Result = Pass
	res.Output = ""
	return res
}

// parseChecks reads the check lines of a guest's output: "ok NAME ..." and
// "fail NAME: DETAIL".
func parseChecks(out string) []check {
	var cs []check
	for l := range strings.Lines(out) {
		l = strings.TrimRight(l, "\r\n")
		if rest, ok := strings.CutPrefix(l, "ok "); ok {
			name, _, _ := strings.Cut(rest, " ")
			cs = append(cs, check{name: name, ok: true})
		} else if rest, ok := strings.CutPrefix(l, "fail "); ok {
			name, detail, _ := strings.Cut(rest, ": ")
			cs = append(cs, check{name: strings.TrimSuffix(name, ":"), detail: detail})
		}
	}
	return cs
}

// lineWriter collects a guest's output and passes each complete line to
// onLine as it comes.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	part   []byte
	onLine func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.part = append(w.part, p...)
	var lines []string
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(w.part[:i]))
		w.part = w.part[i+1:]
	}
	w.mu.Unlock()
	for _, l := range lines {
		if w.onLine != nil {
			w.onLine(l)
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
