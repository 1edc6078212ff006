package host_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"golang.org/x/sys/unix"
)

// The open and fromfd tests run tests/guests/files on every backend.

const filesGuest = "tests/guests/files"

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileReadWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: dir, Guest: "/data"}}}
		out := runGuest(t, mod, caps, "rw", "/data")
		wantLines(t, out,
			"create: ok",
			"append: ok",
			`read: ok "hello\nworld\n"`,
			"excl: EEXIST",
			"trunc: ok",
			`after trunc: ok "new"`,
			"rdwr write: ok 2",
			`rdwr read: ok "w"`,
			`relative: ok "NEw"`,
			`dots inside: ok "NEw"`,
			"missing: ENOENT",
			"directory: EISDIR",
			"directory O_DIRECTORY: ok",
			"file O_DIRECTORY: ENOTDIR",
			"bad flags: EINVAL",
			"empty path: ENOENT",
			"outside mounts: ENOTCAPABLE",
			"poll file: ok true",
		)
		if b, err := os.ReadFile(filepath.Join(dir, "f.txt")); err != nil || string(b) != "NEw" {
			t.Errorf("f.txt on the host: %q, %v", b, err)
		}
	})
}

func TestFileReadOnlyMount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "ro.txt"), "ro")
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: dir, Guest: "/ro", ReadOnly: true}}}
		out := runGuest(t, mod, caps, "readonly", "/ro")
		wantLines(t, out, `read: ok "ro"`, "write: EROFS", "rdwr: EROFS", "create: EROFS", "trunc: EROFS")
		if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
			t.Error("a read-only mount let the guest create a file")
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "ro.txt")); string(b) != "ro" {
			t.Errorf("ro.txt changed to %q", b)
		}
	})
}

// TestFileEscapes checks that no path leaves its mount: ".." elements and
// symlinks (absolute, relative, to a directory) that point outside are
// ENOTCAPABLE, while symlinks that stay inside work.
func TestFileEscapes(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	mnt := filepath.Join(base, "mnt")
	for _, d := range []string{outside, mnt, filepath.Join(mnt, "a")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(outside, "secret.txt"), "secret")
	mustWrite(t, filepath.Join(mnt, "in.txt"), "inside")
	for link, target := range map[string]string{
		"link-abs":    filepath.Join(outside, "secret.txt"),
		"link-rel":    "../outside/secret.txt",
		"linkdir":     "../outside",
		"link-abs-in": filepath.Join(mnt, "in.txt"),
		"link-in":     "in.txt",
		"a/link-up":   "../in.txt",
		"a/link-out":  "../../outside/secret.txt",
	} {
		if err := os.Symlink(target, filepath.Join(mnt, link)); err != nil {
			t.Fatal(err)
		}
	}
	escapes := []string{
		"../outside/secret.txt",
		"/../outside/secret.txt",
		"a/../../outside/secret.txt",
		"/data/../outside/secret.txt",
		"/data/a/../../outside/secret.txt",
		"link-abs",
		"link-rel",
		"linkdir/secret.txt",
		"/data/linkdir/secret.txt",
		"link-abs-in",
		"a/link-out",
	}
	inside := []string{"link-in", "a/link-up", "/data/in.txt", "a/../in.txt"}
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		for _, guest := range []string{"/data", "/"} {
			caps := host.Capabilities{Dirs: []host.DirMount{{Host: mnt, Guest: guest}}}
			out := runGuest(t, mod, caps, append(append([]string{"open"}, escapes...), inside...)...)
			for _, p := range escapes {
				if guest == "/" && strings.HasPrefix(p, "/data/") {
					continue // under "/", /data is just a missing directory
				}
				wantLines(t, out, p+": ENOTCAPABLE")
			}
			for _, p := range inside {
				if guest == "/" && strings.HasPrefix(p, "/data/") {
					continue
				}
				wantLines(t, out, p+": ok inside")
			}
			if strings.Contains(out, ": ok secret") {
				t.Errorf("the guest read the secret:\n%s", out)
			}
		}
	})
}

func TestFileFIFO(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir := t.TempDir()
		fifo := filepath.Join(dir, "p")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: dir, Guest: "/data"}}}

		// Non-blocking: the guest polls while the test writes.
		g := startGuest(mod, caps, 0, "fifo", "/data/p")
		g.out.WaitLine(t, "opened")
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("one\n"))
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("two\n"))
		w.Close()
		wantLines(t, g.wait(t), `fifo: ok "one\ntwo\n"`, "read after EOF: EOF", "open writer without reader: ENXIO")

		// Blocking: open waits for the writer without holding up the loop.
		g = startGuest(mod, caps, 0, "fifoblock", "/data/p")
		g.out.WaitLine(t, "opening")
		time.Sleep(50 * time.Millisecond)
		devs := host.Capabilities{Dirs: []host.DirMount{{Host: "/dev", Guest: "/dev"}}}
		wantLines(t, runGuest(t, mod, devs, "devices"), "read null: EOF")
		select {
		case <-g.done:
			t.Fatalf("the blocking open ended before a writer came:\n%s", g.out.String())
		default:
		}
		w, err = os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("blocked\n"))
		w.Close()
		wantLines(t, g.wait(t), "open: ok", `fifo: ok "blocked\n"`)
	})
}

func TestFileFIFOBlockingOpenDeadline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir := t.TempDir()
		fifo := filepath.Join(dir, "p")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: dir, Guest: "/data"}}}
		_, err := mod.Run(t.Context(), host.InstanceConfig{
			Args: []string{"g", "fifoblock", "/data/p"}, Caps: caps, Deadline: 300 * time.Millisecond,
		})
		if err == nil {
			t.Fatal("a guest waiting for a FIFO writer outlived its deadline")
		}
		// The host released its pending open: a writer finds no reader.
		time.Sleep(50 * time.Millisecond)
		if f, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			f.Close()
			t.Error("a reader is still waiting on the FIFO")
		}
	})
}

func TestFileDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: "/dev", Guest: "/dev"}}}
		out := runGuest(t, mod, caps, "devices")
		wantLines(t, out, "write null: ok 9", "read null: EOF", "poll null: ok true", "read zero: ok 16 true")
	})
}

func TestFileFromFD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		caps := host.Capabilities{Files: map[string]*os.File{"listener": f}}
		g := startGuest(mod, caps, 0, "fromfd", "listener")
		g.out.WaitLine(t, "opened")
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("hi"))
		got, _ := io.ReadAll(c)
		if string(got) != "echo:hi" {
			t.Errorf("got %q", got)
		}
		wantLines(t, g.wait(t), "fromfd: ok", "accept: ok", "read: ok hi")

		out := runGuest(t, mod, caps, "fromfdbad", "nope")
		wantLines(t, out, "fromfd: ENOENT")
		// The embedder's descriptor is still open and usable.
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var ferr error
		rc.Control(func(fd uintptr) { _, ferr = unix.FcntlInt(fd, unix.F_GETFD, 0) })
		if ferr != nil {
			t.Errorf("the granted descriptor was closed: %v", ferr)
		}
	})
}
