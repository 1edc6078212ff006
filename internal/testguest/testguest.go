// Package testguest builds WebAssembly guests from source for tests.
//
// Tests never depend on `make wasm` having run: they ask for a guest by its
// source directory and get a fresh build.
//
//	wasm := testguest.Go(t, "examples/wasm/hello-cmd")      // GOOS=wasip1 GOARCH=wasm go build
//	wasm := testguest.C(t, "examples/wasm/hello-cmd-c")     // clang --target=wasm32-wasi
//	path := testguest.Path(t, "examples/wasm/hello-cmd-c")  // by convention, for CLI tests
//
// Paths are relative to the repository root (found by walking up to the
// go.mod of module github.com/ptsevent/ptsevent), so any package's tests
// can use them. The conventions and flags are the Makefile's (see
// examples/wasm/README.md): a directory with main.go is a Go guest, one
// with main.c a C guest built from all its *.c files, and an optional
// build.flags file adds whitespace-separated flags to go build or clang.
//
// Builds are cached twice: within a test binary in memory, and across runs
// in os.TempDir()/ptsevent-testguest under a hash of everything that goes
// into the build (the sources of every non-standard package a Go guest
// imports, go.mod and go.sum, the Go version; for C the sources, the
// headers clang reports, the flags and clang's version). A cache hit costs
// one `go list` (or `clang -MM`) and no compile.
//
// A missing clang or WASI sysroot fails the test with a hint to run
// `make deps`; it never skips.
package testguest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ModulePath is the module whose go.mod marks the repository root.
const ModulePath = "github.com/ptsevent/ptsevent"

// CFlags are the clang flags of every C guest, as in the Makefile's
// WASM_CFLAGS; the repository's guest-sdk/c is added as an include path.
var CFlags = []string{"--target=wasm32-wasi", "-O2", "-Wall", "-Wl,--strip-debug"}

const depsHint = "run `make deps` (it installs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32)"

var (
	mu     sync.Mutex
	built  = map[string]string{} // kind+":"+abs source -> wasm path
	tools  = map[string]string{} // tool -> version text
	pruned bool
)

// Go builds the Go guest (a main package) in dir and returns its bytes.
func Go(t testing.TB, dir string) []byte {
	t.Helper()
	return readFile(t, GoPath(t, dir))
}

// GoPath builds the Go guest in dir and returns the path of the .wasm file.
// The file is shared: do not modify it.
func GoPath(t testing.TB, dir string) string {
	t.Helper()
	p, err := build(t, "go", dir)
	if err != nil {
		t.Fatalf("testguest: %v", err)
	}
	return p
}

// C builds a C guest and returns its bytes. src is a .c file or a
// directory whose *.c files are compiled together.
func C(t testing.TB, src string) []byte {
	t.Helper()
	return readFile(t, CPath(t, src))
}

// CPath builds a C guest and returns the path of the .wasm file. The file
// is shared: do not modify it.
func CPath(t testing.TB, src string) string {
	t.Helper()
	p, err := build(t, "c", src)
	if err != nil {
		t.Fatalf("testguest: %v", err)
	}
	return p
}

// Path builds the guest in dir by the convention (main.go: a Go guest,
// main.c: a C guest) and returns the path of the .wasm file.
func Path(t testing.TB, dir string) string {
	t.Helper()
	abs := filepath.Join(Root(t), dir)
	if filepath.IsAbs(dir) {
		abs = dir
	}
	switch {
	case exists(filepath.Join(abs, "main.go")):
		return GoPath(t, dir)
	case exists(filepath.Join(abs, "main.c")):
		return CPath(t, dir)
	case strings.HasSuffix(dir, ".c") && exists(abs):
		return CPath(t, dir)
	}
	t.Fatalf("testguest: %s has neither main.go nor main.c", dir)
	return ""
}

// Bytes builds the guest in dir by the convention and returns its bytes.
func Bytes(t testing.TB, dir string) []byte {
	t.Helper()
	return readFile(t, Path(t, dir))
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// Root returns the repository root.
func Root(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() { root, rootErr = findRoot() })
	if rootErr != nil {
		t.Fatalf("testguest: %v", rootErr)
	}
	return root
}

func findRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modulePathOf(b) == ModulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module %s above %s", ModulePath, wd)
		}
		d = parent
	}
}

func modulePathOf(gomod []byte) string {
	for line := range strings.SplitSeq(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("testguest: %v", err)
	}
	return b
}

// CacheDir is where built guests are kept across test runs.
func CacheDir() string { return filepath.Join(os.TempDir(), "ptsevent-testguest") }

func build(t testing.TB, kind, src string) (string, error) {
	t.Helper()
	return buildAt(Root(t), kind, src)
}

// MustGoPath is GoPath for code without a testing.TB, such as Example
// functions: it panics when the build fails.
func MustGoPath(dir string) string {
	rootOnce.Do(func() { root, rootErr = findRoot() })
	if rootErr != nil {
		panic("testguest: " + rootErr.Error())
	}
	p, err := buildAt(root, "go", dir)
	if err != nil {
		panic("testguest: " + err.Error())
	}
	return p
}

func buildAt(r, kind, src string) (string, error) {
	abs := src
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(r, src)
	}
	abs = filepath.Clean(abs)
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[kind+":"+abs]; ok {
		return p, nil
	}
	if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
		return "", err
	}
	if !pruned {
		pruned = true
		prune(CacheDir(), 14*24*time.Hour)
	}
	var (
		p   string
		err error
	)
	switch kind {
	case "go":
		p, err = buildGo(r, abs)
	default:
		p, err = buildC(r, abs)
	}
	if err != nil {
		return "", err
	}
	built[kind+":"+abs] = p
	return p, nil
}

// guestFlags reads the optional build.flags file of a guest directory.
func guestFlags(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "build.flags"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is not in PATH: %w", err)
	}
	return p, nil
}

func wasmGoEnv() []string {
	return append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
}

// toolVersion runs "tool args..." once per process and returns its output.
func toolVersion(tool string, args ...string) (string, error) {
	key := tool + " " + strings.Join(args, " ")
	if v, ok := tools[key]; ok {
		return v, nil
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", key, err, out)
	}
	tools[key] = string(out)
	return string(out), nil
}

type goPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	EmbedFiles []string
	Standard   bool
}

func buildGo(root, dir string) (string, error) {
	gotool, err := goTool()
	if err != nil {
		return "", err
	}
	flags, err := guestFlags(dir)
	if err != nil {
		return "", err
	}
	goVersion, err := toolVersion(gotool, "env", "GOVERSION")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "go\x00%s\x00%q\x00", goVersion, flags)
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := hashFile(h, filepath.Join(root, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}

	args := append([]string{"list", "-deps", "-json=ImportPath,Dir,GoFiles,EmbedFiles,Standard"}, flags...)
	cmd := exec.Command(gotool, append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = wasmGoEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v\n%s", dir, err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("go list %s: %v", dir, err)
		}
		if p.Standard {
			continue
		}
		fmt.Fprintf(h, "pkg\x00%s\x00", p.ImportPath)
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			fmt.Fprintf(h, "%s\x00", f)
			if err := hashFile(h, filepath.Join(p.Dir, f)); err != nil {
				return "", err
			}
		}
	}

	out0 := cachePath(filepath.Base(dir), h.Sum(nil))
	if hit(out0) {
		return out0, nil
	}
	tmp := out0 + fmt.Sprintf(".%d.tmp", os.Getpid())
	bargs := append(append([]string{"build"}, flags...), "-o", tmp, ".")
	cmd = exec.Command(gotool, bargs...)
	cmd.Dir = dir
	cmd.Env = wasmGoEnv()
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("GOOS=wasip1 GOARCH=wasm go build %s: %v\n%s", dir, err, msg)
	}
	if err := os.Rename(tmp, out0); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return out0, nil
}

func buildC(root, src string) (string, error) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		return "", fmt.Errorf("clang is not installed (not in PATH), so C guests cannot be built: %s", depsHint)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return "", err
	}
	var srcs []string
	var flags []string
	name := strings.TrimSuffix(filepath.Base(src), ".c")
	dir := src
	if fi.IsDir() {
		srcs, err = filepath.Glob(filepath.Join(src, "*.c"))
		if err != nil {
			return "", err
		}
		if len(srcs) == 0 {
			return "", fmt.Errorf("%s has no .c files", src)
		}
		if flags, err = guestFlags(src); err != nil {
			return "", err
		}
	} else {
		srcs = []string{src}
		dir = filepath.Dir(src)
	}
	version, err := toolVersion(clang, "--version")
	if err != nil {
		return "", err
	}
	cflags := append(append(append([]string{}, CFlags...), "-I"+filepath.Join(root, "guest-sdk", "c")), flags...)

	// The headers the sources include, as clang sees them (-MM leaves out
	// the system headers, which the clang version stands for).
	margs := append(append(append([]string{}, cflags...), "-Wno-unused-command-line-argument", "-MM", "-MT", "x"), srcs...)
	cmd := exec.Command(clang, margs...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("clang -MM %s: %v\n%s\n(if a system header such as stdio.h is missing, %s)", src, err, stderr.String(), depsHint)
	}
	files := strings.Fields(strings.ReplaceAll(string(out), "\\\n", " "))

	h := sha256.New()
	fmt.Fprintf(h, "c\x00%s\x00%q\x00", version, cflags)
	for _, f := range files {
		if strings.HasSuffix(f, ":") {
			continue
		}
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		fmt.Fprintf(h, "%s\x00", f)
		if err := hashFile(h, f); err != nil {
			return "", err
		}
	}
	out0 := cachePath(name, h.Sum(nil))
	if hit(out0) {
		return out0, nil
	}
	tmp := out0 + fmt.Sprintf(".%d.tmp", os.Getpid())
	cargs := append(append(append([]string{}, cflags...), "-o", tmp), srcs...)
	cmd = exec.Command(clang, cargs...)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("clang %s: %v\n%s\n(if wasm-ld, a libc header or libclang_rt.builtins-wasm32.a is missing, %s)",
			strings.Join(cargs, " "), err, msg, depsHint)
	}
	if err := os.Rename(tmp, out0); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return out0, nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func cachePath(name string, sum []byte) string {
	return filepath.Join(CacheDir(), name+"-"+hex.EncodeToString(sum[:12])+".wasm")
}

// hit reports whether a cached build exists, and marks it used.
func hit(p string) bool {
	if !exists(p) {
		return false
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return true
}

// prune removes cache entries unused for longer than age.
func prune(dir string, age time.Duration) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > age {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// CompileCacheDir is a directory for host.Config.CacheDir in tests: wazero's
// on-disk compilation cache, so each guest is compiled to machine code once
// across tests and test runs rather than once per runtime.
func CompileCacheDir() string { return filepath.Join(CacheDir(), "wazero") }
