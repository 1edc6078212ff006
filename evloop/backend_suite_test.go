package evloop

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// forEachBackend runs body once per backend compiled in, as libevent's
// regress suite runs each test on every eventop.
func forEachBackend(t *testing.T, body func(t *testing.T, name string)) {
	t.Helper()
	names := Backends()
	if len(names) == 0 {
		t.Fatal("no backend compiled in")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) { body(t, name) })
	}
}

func socketpair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func newBackend(t *testing.T, name string) Backend {
	t.Helper()
	b, err := NewBackend(name)
	if err != nil {
		t.Fatalf("NewBackend(%q): %v", name, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// collect waits until pred holds for the events seen so far, or fails after
// a generous bound (a hang guard, not a timing assertion).
func collect(t *testing.T, b Backend, pred func(map[uint64]Readiness) bool) map[uint64]Readiness {
	t.Helper()
	seen := map[uint64]Readiness{}
	for i := 0; i < 200 && !pred(seen); i++ {
		evs, err := b.Wait(50*time.Millisecond, nil)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		for _, ev := range evs {
			seen[ev.Token] |= ev.Ready
		}
	}
	if !pred(seen) {
		t.Fatalf("events never matched; saw %v", seen)
	}
	return seen
}

func TestBackendSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string) {
		cases := []struct {
			name string
			run  func(t *testing.T, b Backend)
		}{
			{"InitialWritable", func(t *testing.T, b Backend) {
				a, _ := socketpair(t)
				if err := b.Add(a, 7); err != nil {
					t.Fatal(err)
				}
				seen := collect(t, b, func(m map[uint64]Readiness) bool { return m[7]&Writable != 0 })
				if seen[7]&Readable != 0 {
					t.Errorf("empty socket reported readable: %v", seen[7])
				}
			}},
			{"ReadableWithToken", func(t *testing.T, b Backend) {
				a, c := socketpair(t)
				tok := uint64(3)<<32 | 99
				if err := b.Add(a, tok); err != nil {
					t.Fatal(err)
				}
				unix.Write(c, []byte("x"))
				collect(t, b, func(m map[uint64]Readiness) bool { return m[tok]&Readable != 0 })
			}},
			{"EdgeTriggered", func(t *testing.T, b Backend) {
				a, c := socketpair(t)
				b.Add(a, 1)
				unix.Write(c, []byte("x"))
				collect(t, b, func(m map[uint64]Readiness) bool { return m[1]&Readable != 0 })
				// No new data and nothing read: an edge-triggered backend is quiet.
				evs, err := b.Wait(0, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					if ev.Token == 1 && ev.Ready&Readable != 0 {
						t.Errorf("level-triggered readiness repeated: %+v", ev)
					}
				}
				unix.Write(c, []byte("y")) // a new edge
				collect(t, b, func(m map[uint64]Readiness) bool { return m[1]&Readable != 0 })
			}},
			{"DelStopsEvents", func(t *testing.T, b Backend) {
				a, c := socketpair(t)
				b.Add(a, 5)
				collect(t, b, func(m map[uint64]Readiness) bool { return m[5] != 0 })
				if err := b.Del(a); err != nil {
					t.Fatal(err)
				}
				unix.Write(c, []byte("x"))
				evs, _ := b.Wait(20*time.Millisecond, nil)
				for _, ev := range evs {
					if ev.Token == 5 {
						t.Errorf("event after Del: %+v", ev)
					}
				}
			}},
			{"Hangup", func(t *testing.T, b Backend) {
				a, c := socketpair(t)
				b.Add(a, 9)
				collect(t, b, func(m map[uint64]Readiness) bool { return m[9] != 0 })
				unix.Close(c)
				collect(t, b, func(m map[uint64]Readiness) bool { return m[9]&Readable != 0 })
			}},
			{"WakeFromGoroutine", func(t *testing.T, b Backend) {
				done := make(chan error, 1)
				go func() {
					evs, err := b.Wait(-1, nil)
					if err == nil && len(evs) != 0 {
						err = errors.New("wake reported as an event")
					}
					done <- err
				}()
				time.Sleep(10 * time.Millisecond)
				if err := b.Wake(); err != nil {
					t.Fatal(err)
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Wake did not interrupt Wait")
				}
			}},
			{"TimeoutWithoutEvents", func(t *testing.T, b Backend) {
				start := time.Now()
				evs, err := b.Wait(15*time.Millisecond, nil)
				if err != nil || len(evs) != 0 {
					t.Fatalf("Wait = %v, %v", evs, err)
				}
				if time.Since(start) < 10*time.Millisecond {
					t.Errorf("Wait returned before its timeout")
				}
			}},
			{"BatchOfMany", func(t *testing.T, b Backend) {
				const n = 600 // more than one epoll buffer
				for i := range n {
					a, c := socketpair(t)
					if err := b.Add(a, uint64(1000+i)); err != nil {
						t.Fatal(err)
					}
					unix.Write(c, []byte("x"))
				}
				collect(t, b, func(m map[uint64]Readiness) bool {
					for i := range n {
						if m[uint64(1000+i)]&Readable == 0 {
							return false
						}
					}
					return true
				})
			}},
			{"RegularFileNotPollable", func(t *testing.T, b Backend) {
				f, err := os.Create(filepath.Join(t.TempDir(), "f"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := b.Add(int(f.Fd()), 1); !errors.Is(err, ErrNotPollable) {
					t.Fatalf("Add(regular file) = %v, want ErrNotPollable", err)
				}
			}},
			{"PipeBothEnds", func(t *testing.T, b Backend) {
				var p [2]int
				if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
					t.Fatal(err)
				}
				defer unix.Close(p[0])
				defer unix.Close(p[1])
				b.Add(p[0], 1)
				b.Add(p[1], 2)
				unix.Write(p[1], []byte("x"))
				collect(t, b, func(m map[uint64]Readiness) bool { return m[1]&Readable != 0 && m[2]&Writable != 0 })
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t, name)) })
		}
	})
}
