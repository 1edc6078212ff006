package compat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/testguest"
)

// sandboxTree lays out the directories compat-cfs expects and returns the
// base directory, which holds sandbox/ (preopened read-write as
// /sandbox), ro/ (read-only, as /ro) and, outside both, outside.txt:
//
//	outside.txt              "SECRET"
//	sandbox/file.txt         "hello"
//	sandbox/a/b.txt          "inner"
//	sandbox/a/deep/
//	sandbox/link-in          -> file.txt
//	sandbox/link-abs         -> BASE/outside.txt     (absolute, out)
//	sandbox/link-rel-out     -> ../outside.txt       (relative, out)
//	sandbox/link-rel-out-new -> ../created2.txt      (out, dangling)
//	sandbox/dirlink-in       -> a
//	sandbox/dirlink-out      -> ..
//	sandbox/dirlink-abs      -> BASE                 (absolute directory)
//	sandbox/loop1 -> loop2, sandbox/loop2 -> loop1
//	sandbox/dangling         -> nonexistent
//	ro/r.txt                 "read only"
func sandboxTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s := filepath.Join(base, "sandbox")
	must(os.MkdirAll(filepath.Join(s, "a", "deep"), 0o755))
	must(os.MkdirAll(filepath.Join(base, "ro"), 0o755))
	must(os.WriteFile(filepath.Join(base, "outside.txt"), []byte("SECRET"), 0o644))
	must(os.WriteFile(filepath.Join(s, "file.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(s, "a", "b.txt"), []byte("inner"), 0o644))
	must(os.WriteFile(filepath.Join(base, "ro", "r.txt"), []byte("read only"), 0o644))
	for link, target := range map[string]string{
		"link-in":          "file.txt",
		"link-abs":         filepath.Join(base, "outside.txt"),
		"link-rel-out":     "../outside.txt",
		"link-rel-out-new": "../created2.txt",
		"dirlink-in":       "a",
		"dirlink-out":      "..",
		"dirlink-abs":      base,
		"loop1":            "loop2",
		"loop2":            "loop1",
		"dangling":         "nonexistent",
	} {
		must(os.Symlink(target, filepath.Join(s, link)))
	}
	return base
}

// TestFiles runs compat-cfs: file semantics, sandbox escapes (each refused
// with its errno, never data), renumber, a read-only mount, bad pointers
// (EFAULT with no partial I/O) and poll_oneoff, with raw WASI calls. A
// preopened listener sits at descriptor 3, before the directories, so
// wasi-libc's and the guest's scans of the preopens must pass over it.
func TestFiles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guest(t, backend, "tests/guests/compat-cfs")
		base := sandboxTree(t)
		f, _ := listener(t)
		out := testguest.NewLineWriter()
		r := wait(t, start(mod, host.InstanceConfig{
			Args:      []string{"compat-cfs"},
			Stdout:    out,
			Stderr:    out,
			Listeners: []*os.File{f},
			Caps: host.Capabilities{Dirs: []host.DirMount{
				{Host: filepath.Join(base, "sandbox"), Guest: "/sandbox"},
				{Host: filepath.Join(base, "ro"), Guest: "/ro", ReadOnly: true},
			}},
		}), out)
		if r.err != nil || r.code != 0 {
			t.Errorf("exit %d, %v", r.code, r.err)
		}
		o := out.String()
		checkLines(t, o, 150)
		if !strings.Contains(o, "done, 0 failures") {
			t.Errorf("the guest did not finish:\n%s", o)
		}
		for _, s := range []string{"PARTIAL-WRITE", "NOT-WRITTEN", "SECRET"} {
			if strings.Contains(o, s) {
				t.Errorf("output has %q: a failed call wrote or leaked data", s)
			}
		}
		// Nothing outside the sandbox changed.
		if b, err := os.ReadFile(filepath.Join(base, "outside.txt")); err != nil || string(b) != "SECRET" {
			t.Errorf("outside.txt: %q, %v", b, err)
		}
		for _, name := range []string{"created.txt", "created2.txt", "moved.txt", "newdir", "stolen.txt"} {
			if _, err := os.Lstat(filepath.Join(base, name)); err == nil {
				t.Errorf("%s was created outside the sandbox", name)
			}
		}
		if _, err := os.Lstat(filepath.Join(base, "sandbox", "efault-created.txt")); err == nil {
			t.Error("a path_open that failed with EFAULT created its file")
		}
		if b, err := os.ReadFile(filepath.Join(base, "sandbox", "file.txt")); err != nil || string(b) != "hello" {
			t.Errorf("file.txt: %q, %v", b, err)
		}
	})
}
