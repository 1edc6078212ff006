package abi_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ptsevent/ptsevent/abi/internal/gen/generator"
)

// TestGeneratedFilesUpToDate renders every file generated from package abi
// (the Go guest imports, the C header, SPEC.md's tables) in memory and
// compares it with the file on disk.
func TestGeneratedFilesUpToDate(t *testing.T) {
	const root = ".." // the repository root, from abi/
	files, err := generator.Generate(root)
	if err != nil {
		t.Fatalf("generator: %v", err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case err != nil:
			t.Errorf("%s: %v: run go generate ./abi", p, err)
		case !bytes.Equal(got, files[p]):
			t.Errorf("%s is stale (it differs from what package abi generates at line %d): run go generate ./abi", p, firstDiffLine(got, files[p]))
		}
	}
}

func firstDiffLine(a, b []byte) int {
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return line
		}
		if a[i] == '\n' {
			line++
		}
	}
	return line
}
