//go:build cgo && linux

package evloop

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests check the libevent backend against the epoll backend: the
// same scenario must produce the same events on both.

func leSocketpair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

// waitOnce runs one Wait and merges its events by token; it fails on a
// token reported twice in one batch.
func leWaitOnce(t *testing.T, b Backend, timeout time.Duration) map[uint64]Readiness {
	t.Helper()
	evs, err := b.Wait(timeout, nil)
	if err != nil {
		t.Fatalf("%s: Wait: %v", b.Name(), err)
	}
	m := map[uint64]Readiness{}
	for _, ev := range evs {
		if _, dup := m[ev.Token]; dup {
			t.Errorf("%s: token %#x twice in one batch: %v", b.Name(), ev.Token, evs)
		}
		m[ev.Token] |= ev.Ready
	}
	return m
}

func leForBoth(t *testing.T, f func(t *testing.T, b Backend)) {
	for _, name := range []string{"epoll", "libevent"} {
		t.Run(name, func(t *testing.T) {
			b, err := NewBackend(name)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			f(t, b)
		})
	}
}

func TestLibeventDefault(t *testing.T) {
	if d := DefaultBackend(); d != "libevent" {
		t.Fatalf("DefaultBackend() = %q with cgo, want libevent", d)
	}
}

func TestLibeventSameEventsAsEpoll(t *testing.T) {
	type step struct {
		name string
		act  func(a, c int)
		want map[uint64]Readiness // tokens 1 (a) and 2 (c)
	}
	steps := []step{
		{"register", func(a, c int) {}, map[uint64]Readiness{1: Writable, 2: Writable}},
		{"idle", func(a, c int) {}, map[uint64]Readiness{}},
		{"write a", func(a, c int) { unix.Write(a, []byte("x")) }, map[uint64]Readiness{2: Readable | Writable}},
		{"read c", func(a, c int) {
			var buf [8]byte
			unix.Read(c, buf[:])
		}, map[uint64]Readiness{1: Writable}},
		{"shutdown a", func(a, c int) { unix.Shutdown(a, unix.SHUT_WR) }, map[uint64]Readiness{1: Writable, 2: Readable | Writable | ReadHangup}},
		{"close a", func(a, c int) { unix.Close(a) }, map[uint64]Readiness{2: Readable | Writable | Hangup | ReadHangup}},
	}
	leForBoth(t, func(t *testing.T, b Backend) {
		a, c := leSocketpair(t)
		defer unix.Close(c)
		if err := b.Add(a, 1); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(c, 2); err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			s.act(a, c)
			got := leWaitOnce(t, b, 0)
			if len(got) != len(s.want) {
				t.Errorf("%s: got %v, want %v", s.name, got, s.want)
				continue
			}
			for tok, r := range s.want {
				if got[tok] != r {
					t.Errorf("%s: token %d got %v, want %v", s.name, tok, got[tok], r)
				}
			}
		}
	})
}

func TestLibeventPipeHangup(t *testing.T) {
	leForBoth(t, func(t *testing.T, b Backend) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[0])
		if err := b.Add(p[0], 7); err != nil {
			t.Fatal(err)
		}
		leWaitOnce(t, b, 0)
		unix.Close(p[1])
		got := leWaitOnce(t, b, time.Second)
		if got[7] != Readable|Writable|Hangup|ReadHangup {
			t.Fatalf("read end after writer closed: %v", got)
		}
		if err := b.Del(p[0]); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLibeventNotPollable(t *testing.T) {
	leForBoth(t, func(t *testing.T, b Backend) {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := b.Add(int(f.Fd()), 1); !errors.Is(err, ErrNotPollable) {
			t.Fatalf("Add(regular file) = %v, want ErrNotPollable", err)
		}
		if err := b.Del(int(f.Fd())); err == nil {
			t.Fatal("Del of a descriptor never added succeeded")
		}
	})
}

func TestLibeventWakeAndTimeout(t *testing.T) {
	leForBoth(t, func(t *testing.T, b Backend) {
		// The epoll backend returns early on EINTR (the Go runtime's
		// preemption signals), which the loop tolerates; libevent retries
		// and must not return early, even with a timer left armed by an
		// earlier Wait.
		early := func(el, d time.Duration) bool { return b.Name() == "libevent" && el < d }
		start := time.Now()
		if got := leWaitOnce(t, b, 30*time.Millisecond); len(got) != 0 {
			t.Fatalf("idle wait: %v", got)
		}
		if d := time.Since(start); early(d, 30*time.Millisecond) || d > 500*time.Millisecond {
			t.Fatalf("Wait(30ms) took %v", d)
		}
		for _, d := range []time.Duration{5 * time.Millisecond, 300 * time.Microsecond, 2 * time.Millisecond} {
			start = time.Now()
			leWaitOnce(t, b, d)
			if el := time.Since(start); early(el, d) || el > d+200*time.Millisecond {
				t.Fatalf("Wait(%v) took %v", d, el)
			}
		}
		go func() {
			time.Sleep(20 * time.Millisecond)
			b.Wake()
		}()
		start = time.Now()
		if got := leWaitOnce(t, b, -1); len(got) != 0 {
			t.Fatalf("woken wait: %v", got)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Wake took %v", d)
		}
		// A wake before the wait makes it return at once, and only once.
		b.Wake()
		b.Wake()
		start = time.Now()
		leWaitOnce(t, b, time.Second)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("pre-woken wait took %v", d)
		}
		start = time.Now()
		leWaitOnce(t, b, 20*time.Millisecond)
		if d := time.Since(start); early(d, 20*time.Millisecond) {
			t.Fatalf("wake was reported twice: second wait took %v", d)
		}
	})
}

func TestLibeventBatchOverflow(t *testing.T) {
	const pairs = 700 // more events than the initial batch of 256
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*pairs+64 {
		t.Skipf("RLIMIT_NOFILE %d too low", lim.Cur)
	}
	leForBoth(t, func(t *testing.T, b Backend) {
		var fds []int
		defer func() {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}()
		for i := range pairs {
			a, c := leSocketpair(t)
			fds = append(fds, a, c)
			if err := b.Add(c, uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[uint64]Readiness{}
		for range 10 {
			for tok, r := range leWaitOnce(t, b, 0) {
				seen[tok] |= r
			}
		}
		if len(seen) != pairs {
			t.Fatalf("registration events: %d of %d", len(seen), pairs)
		}
		for i := 0; i < len(fds); i += 2 {
			unix.Write(fds[i], []byte("x"))
		}
		seen = map[uint64]Readiness{}
		for range 10 {
			for tok, r := range leWaitOnce(t, b, 0) {
				if r&Readable != 0 {
					seen[tok] |= r
				}
			}
		}
		if len(seen) != pairs {
			t.Fatalf("readable events: %d of %d", len(seen), pairs)
		}
	})
}

func TestLibeventReuseWithoutDel(t *testing.T) {
	leForBoth(t, func(t *testing.T, b Backend) {
		a, c := leSocketpair(t)
		if err := b.Add(a, 1); err != nil {
			t.Fatal(err)
		}
		leWaitOnce(t, b, 0)
		unix.Close(a)
		unix.Close(c)
		// The kernel hands out the lowest free numbers: a again.
		a2, c2 := leSocketpair(t)
		defer unix.Close(a2)
		defer unix.Close(c2)
		if a2 != a && c2 != a {
			t.Skip("descriptor number not reused")
		}
		fd, peer := a2, c2
		if c2 == a {
			fd, peer = c2, a2
		}
		if err := b.Add(fd, 2); err != nil {
			t.Fatal(err)
		}
		if got := leWaitOnce(t, b, 0); got[2] != Writable {
			t.Fatalf("after re-Add: %v", got)
		}
		unix.Write(peer, []byte("x"))
		if got := leWaitOnce(t, b, time.Second); got[2] != Readable|Writable {
			t.Fatalf("reused descriptor: %v", got)
		}
		if err := b.Del(fd); err != nil {
			t.Fatal(err)
		}
		unix.Write(peer, []byte("x"))
		if got := leWaitOnce(t, b, 0); len(got) != 0 {
			t.Fatalf("after Del: %v", got)
		}
	})
}
