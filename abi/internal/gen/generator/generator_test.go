package generator

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/abi"
)

const root = "../../../.." // the repository root, from abi/internal/gen/generator

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"AF_INET": "AF_INET", "SockaddrOffScopeID": "SOCKADDR_OFF_SCOPE_ID", "MaxIovecs": "MAX_IOVECS",
		"Version": "VERSION", "AddrinfoHintsOffFam": "ADDRINFO_HINTS_OFF_FAM", "ModuleName": "MODULE_NAME",
	} {
		if got := upperSnake(in); got != want {
			t.Errorf("upperSnake(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"abi_version": "ABIVersion", "tls_client": "TLSClient", "set_nonblock": "SetNonblock", "read": "Read"} {
		if got := goExported(in); got != want {
			t.Errorf("goExported(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"type": "typ", "buf_len": "bufLen", "server_name": "serverName", "timeout_ns": "timeoutNs", "len": "len_"} {
		if got := goLocal(in); got != want {
			t.Errorf("goLocal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateIsDeterministicAndComplete(t *testing.T) {
	a, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for p := range a {
		if !bytes.Equal(a[p], b[p]) {
			t.Errorf("%s differs between two runs", p)
		}
	}
	goImp, cHdr, spec := string(a[PathGoImports]), string(a[PathCHeader]), string(a[PathSpec])
	for _, f := range abi.Functions {
		if !strings.Contains(goImp, "//go:wasmimport ptsevent "+f.Name+"\n") {
			t.Errorf("Go bindings lack %s", f.Name)
		}
		if !strings.Contains(cHdr, `__import_name__("`+f.Name+`")`) || !strings.Contains(cHdr, " pts_"+f.Name+"(") {
			t.Errorf("C header lacks %s", f.Name)
		}
		if !strings.Contains(spec, watSignature(f)) {
			t.Errorf("SPEC.md lacks the WAT signature of %s", f.Name)
		}
	}
	for _, e := range abi.Errnos() {
		if !strings.Contains(cHdr, "#define PTS_"+e.Name()+" ") {
			t.Errorf("C header lacks PTS_%s", e.Name())
		}
	}
}

func TestSpecNeedsMarkers(t *testing.T) {
	src, err := loadSource(filepath.Join(root, "abi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := specFile([]byte("# no markers\n"), src, nil, nil); err == nil {
		t.Error("specFile accepted a SPEC.md without markers")
	}
}

// TestCHeaderCompiles compiles the generated header for wasm32 when clang
// (with the wasm32-wasi target) is installed.
func TestCHeaderCompiles(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang not installed")
	}
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ptsevent.h"), files[PathCHeader], 0o644); err != nil {
		t.Fatal(err)
	}
	src := "#include \"ptsevent.h\"\nint f(int32_t fd, void *b) { uint32_t n; return (int)pts_read(fd, b, 1, &n); }\n"
	if err := os.WriteFile(filepath.Join(dir, "t.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(clang, "--target=wasm32-wasi", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", dir, filepath.Join(dir, "t.c")).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("stdint.h")) || bytes.Contains(out, []byte("unknown target")) {
			t.Skipf("clang has no wasm32-wasi sysroot: %s", out)
		}
		t.Fatalf("clang: %v\n%s", err, out)
	}
}
