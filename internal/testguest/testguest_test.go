package testguest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

var wasmMagic = []byte("\x00asm\x01\x00\x00\x00")

func TestRoot(t *testing.T) {
	r := Root(t)
	if _, err := os.Stat(filepath.Join(r, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "internal", "testguest")); err != nil {
		t.Fatalf("Root %s is not the repository root: %v", r, err)
	}
}

func TestBuild(t *testing.T) {
	for _, dir := range []string{"examples/wasm/hello-cmd", "examples/wasm/hello-cmd-c"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p := Path(t, dir)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, wasmMagic) {
				t.Fatalf("%s is not a wasm module", p)
			}
			if p2 := Path(t, dir); p2 != p {
				t.Errorf("second build: %s, want the cached %s", p2, p)
			}
		})
	}
	if b := Go(t, "examples/wasm/hello-cmd"); !bytes.HasPrefix(b, wasmMagic) {
		t.Error("Go: not a wasm module")
	}
	if b := C(t, "examples/wasm/hello-cmd-c/main.c"); !bytes.HasPrefix(b, wasmMagic) {
		t.Error("C of a file: not a wasm module")
	}
}

// TestCacheKey checks that a change to a source or to a header it
// includes makes a new build, and that the same sources hit the cache.
func TestCacheKey(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.c")
	hdr := filepath.Join(dir, "code.h")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(src, "#include \"code.h\"\nint main(void) { return CODE; }\n")
	write(hdr, "#define CODE 3\n")
	build := func() string {
		t.Helper()
		p, err := buildC(Root(t), dir) // bypass the in-process map
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := build()
	if p := build(); p != p1 {
		t.Errorf("same sources: %s, then %s", p1, p)
	}
	write(hdr, "#define CODE 4\n")
	p2 := build()
	if p2 == p1 {
		t.Error("a changed header did not change the build")
	}
	write(src, "#include \"code.h\"\nint main(void) { return CODE + 1; }\n")
	if p3 := build(); p3 == p2 || p3 == p1 {
		t.Error("a changed source did not change the build")
	}
}
