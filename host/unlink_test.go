package host_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/ptsevent/ptsevent/host"
)

// The unlink tests run tests/guests/files on every backend.

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// bindUnix leaves a unix socket file at path on the host.
func bindUnix(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

func TestUnlinkMount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir, ro, outside := t.TempDir(), t.TempDir(), t.TempDir()
		mustWrite(t, filepath.Join(dir, "a.txt"), "a")
		mustWrite(t, filepath.Join(dir, "b.txt"), "b")
		mustWrite(t, filepath.Join(ro, "ro.txt"), "ro")
		mustWrite(t, filepath.Join(outside, "victim"), "v")
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(dir, "dirlink")); err != nil {
			t.Fatal(err)
		}
		bindUnix(t, filepath.Join(dir, "s.sock"))
		caps := host.Capabilities{Dirs: []host.DirMount{{Host: dir, Guest: "/data"}, {Host: ro, Guest: "/ro", ReadOnly: true}}}
		out := runGuest(t, mod, caps, "unlink",
			"/data/a.txt", "/data/a.txt", "b.txt", "/data/sub", "/data/s.sock", "/data/link",
			"/data/dirlink/victim", "/data/../x", "/ro/ro.txt", "/elsewhere/f", "")
		wantLines(t, out,
			"/data/a.txt: ok",
			"/data/a.txt: ENOENT",
			"b.txt: ok",
			"/data/sub: EISDIR",
			"/data/s.sock: ok",
			"/data/link: ok", // the link itself, not its target
			"/data/dirlink/victim: ENOTCAPABLE",
			"/data/../x: ENOTCAPABLE",
			"/ro/ro.txt: EROFS",
			"/elsewhere/f: ENOTCAPABLE",
			": ENOENT",
		)
		for _, gone := range []string{"a.txt", "b.txt", "s.sock", "link"} {
			if exists(filepath.Join(dir, gone)) {
				t.Errorf("%s still on the host", gone)
			}
		}
		for _, kept := range []string{filepath.Join(dir, "sub"), filepath.Join(ro, "ro.txt"), filepath.Join(outside, "victim")} {
			if !exists(kept) {
				t.Errorf("%s was removed", kept)
			}
		}
	})
}

func TestUnlinkUnixSocket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		mod := guestModule(t, backend, filesGuest)
		dir, other := t.TempDir(), t.TempDir()
		bindUnix(t, filepath.Join(dir, "s1.sock"))
		bindUnix(t, filepath.Join(other, "o.sock"))
		mustWrite(t, filepath.Join(dir, "plain"), "not a socket")
		if err := os.Symlink(other, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
		caps := host.Capabilities{Bind: host.MustParseAddrPatterns("unix:"+dir+"/*", "unix:"+dir+"/out/*", "unix:"+dir+"/*/*/*")}
		dotdot := dir + "/../" + filepath.Base(other) + "/o.sock" // matches dir/*/*/*
		out := runGuest(t, mod, caps, "unlink",
			dir+"/s1.sock", dir+"/s1.sock", dir+"/plain", dir+"/out/o.sock", other+"/o.sock", dir+"/./s1.sock", dotdot)
		wantLines(t, out,
			dir+"/s1.sock: ok",
			dir+"/s1.sock: ENOENT",
			dir+"/plain: EACCES",      // only sockets through a bind grant
			dir+"/out/o.sock: EACCES", // the symlinked directory is not granted
			other+"/o.sock: ENOTCAPABLE",
			dir+"/./s1.sock: ENOTCAPABLE", // no pattern matches: a mount path
			dotdot+": EACCES",             // a pattern matches, but ".." is refused
		)
		if !exists(filepath.Join(dir, "plain")) || !exists(filepath.Join(other, "o.sock")) {
			t.Error("unlink removed a file it must not")
		}

		// The SDK's unix Listener removes its socket file on Close, as
		// net.UnixListener does, unless told not to.
		caps = host.Capabilities{Bind: host.MustParseAddrPatterns("unix:" + dir + "/*")}
		out = runGuest(t, mod, caps, "unixlisten", dir+"/l.sock")
		wantLines(t, out, "listen: ok", "close: ok")
		if exists(filepath.Join(dir, "l.sock")) {
			t.Error("Listener.Close left its socket file")
		}
		out = runGuest(t, mod, caps, "unixkeep", dir+"/k.sock")
		wantLines(t, out, "listen: ok", "close: ok")
		if !exists(filepath.Join(dir, "k.sock")) {
			t.Error("Listener.Close removed its socket file despite SetUnlinkOnClose(false)")
		}
	})
}
