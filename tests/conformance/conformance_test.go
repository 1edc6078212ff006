package conformance

import (
	"context"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

var (
	runFlag      = flag.String("conformance.run", "", "run only the conformance cases whose name matches this regular expression")
	backendFlag  = flag.String("conformance.backend", "", "run the cases on this loop backend only")
	parallelFlag = flag.Int("conformance.parallel", 0, "cases run at once per backend (0: the runner's default)")
)

// testLoader builds the guests from source (internal/testguest).
func testLoader(t *testing.T) Loader {
	return func(name string) ([]byte, error) {
		return testguest.Bytes(t, GuestDir(name)), nil
	}
}

// suiteGuests lists the guests the cases use.
func suiteGuests() []string {
	var gs []string
	for _, c := range Cases() {
		if !slices.Contains(gs, c.Guest) {
			gs = append(gs, c.Guest)
		}
	}
	return gs
}

// TestConformance runs the suite on every loop backend, each case as a
// subtest (CASE/BACKEND), as `ptsevent conformance` does.
func TestConformance(t *testing.T) {
	opts := Options{Load: testLoader(t), CacheDir: testguest.CompileCacheDir(), Parallel: *parallelFlag}
	if *runFlag != "" {
		opts.Run = regexp.MustCompile(*runFlag)
	}
	if *backendFlag != "" {
		opts.Backends = []string{*backendFlag}
	}
	// Build every guest before the clock of the first case starts.
	for _, g := range suiteGuests() {
		testguest.Path(t, GuestDir(g))
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, c := range Cases() {
		want[c.Name] = c.Want
	}
	for _, r := range rep.Results {
		t.Run(r.Case+"/"+r.Backend, func(t *testing.T) {
			switch r.Result {
			case Skip:
				t.Skip(r.Detail)
			case Fail:
				t.Errorf("%s\n%s", r.Detail, indent(notOK(r.Output)))
			}
			// Want is the case's exact expectation: a check the guest
			// reports belongs in it.
			if w, ok := want[r.Case]; ok && r.Result == Pass {
				var extra []string
				for _, name := range r.Reported {
					if !slices.Contains(w, name) && !slices.Contains(extra, name) {
						extra = append(extra, name)
					}
				}
				if len(extra) > 0 {
					t.Errorf("checks reported but not in the case's Want list: %s", strings.Join(extra, " "))
				}
			}
		})
	}
	t.Logf("%s", rep.Summary())
}

// TestCoverage checks that every function of the ABI table is implemented
// by the host, imported by a case's guest (read from the built guests'
// import sections) and named by a case's Covers list; and that no case
// claims a function its guest does not import.
func TestCoverage(t *testing.T) {
	imports := map[string][]string{}
	for _, g := range suiteGuests() {
		names, err := ImportedFunctions(testguest.Bytes(t, GuestDir(g)))
		if err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		imports[g] = names
	}
	cov := ComputeCoverage(Cases(), imports, host.Implemented())
	for _, p := range cov.Problems() {
		t.Error(p)
	}
	impl := host.Implemented()
	for _, f := range abi.Functions {
		if !slices.Contains(impl, f.Name) {
			t.Errorf("host.Implemented() lacks %s", f.Name)
		}
	}
}

// TestCoverageDetectsGaps checks the coverage computation itself: a
// function that no guest imports, no case claims or the host lacks is
// reported.
func TestCoverageDetectsGaps(t *testing.T) {
	var all []string
	for _, f := range abi.Functions {
		all = append(all, f.Name)
	}
	cases := []Case{{Name: "c", Guest: "g", Covers: all}}
	if p := ComputeCoverage(cases, map[string][]string{"g": all}, all).Problems(); len(p) != 0 {
		t.Fatalf("complete coverage reported problems: %v", p)
	}
	last := all[len(all)-1]
	for name, cov := range map[string]*Coverage{
		"not imported":    ComputeCoverage(cases, map[string][]string{"g": all[:len(all)-1]}, all),
		"not covered":     ComputeCoverage([]Case{{Name: "c", Guest: "g", Covers: all[:len(all)-1]}}, map[string][]string{"g": all}, all),
		"not implemented": ComputeCoverage(cases, map[string][]string{"g": all}, all[:len(all)-1]),
	} {
		p := cov.Problems()
		if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), last) {
			t.Errorf("%s: problems %v do not name %s", name, p, last)
		}
	}
}

// TestImportedFunctions checks the import-section reader on a real guest.
func TestImportedFunctions(t *testing.T) {
	names, err := ImportedFunctions(testguest.Bytes(t, GuestDir(GuestGoRaw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"abi_version", "socket", "poll", "tls_client"} {
		if !slices.Contains(names, want) {
			t.Errorf("imports %v lack %s", names, want)
		}
	}
	if _, err := ImportedFunctions([]byte("not wasm")); err == nil {
		t.Error("no error for a file that is not wasm")
	}
}
