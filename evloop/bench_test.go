package evloop_test

import (
	"errors"
	"io"
	"iter"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"golang.org/x/sys/unix"
)

// Benchmarks of the loop against its baselines. They assert nothing about
// timing; compare the numbers by hand:
//
//	go test -run XXX -bench . -benchtime 200000x ./evloop/
//	CGO_ENABLED=0 go test -run XXX -bench . -benchtime 200000x ./evloop/

// pingPongCase is a ping-pong variant that only some builds have (the
// plain-C libevent baseline needs cgo; see bench_cgo_test.go).
type pingPongCase struct {
	name string
	run  func(*testing.B)
}

var pingPongExtra []pingPongCase

// BenchmarkPingPong bounces one byte over a unix socketpair; one op is one
// round trip, which is two readiness events (one per end), reported as
// ns/event.
func BenchmarkPingPong(b *testing.B) {
	for _, name := range evloop.Backends() {
		b.Run(name, func(b *testing.B) { benchLoopPingPong(b, name, readByte) })
	}
	for _, c := range pingPongExtra {
		b.Run(c.name, c.run)
	}
	b.Run("go-netpoller", benchNetpollerPingPong)
}

func reportPerEvent(b *testing.B, d time.Duration) {
	b.ReportMetric(float64(d.Nanoseconds())/float64(2*b.N), "ns/event")
}

// cpuTime is the process's user+system CPU time. Reported next to ns/op as
// cpu-ns/op, it stays meaningful on a busy machine, where wall time also
// counts the time the benchmark waited for a CPU.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, d time.Duration) {
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func benchSocketpair(b *testing.B) [2]int {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	return fds
}

// readByte reads one byte the way the host does: TryRead, and WaitFD on
// EAGAIN.
func readByte(t *evloop.Task, pd *evloop.PollDesc, buf []byte) error {
	for {
		n, err := pd.TryRead(buf)
		switch {
		case err == nil && n == len(buf):
			return nil
		case err == nil:
			return io.ErrUnexpectedEOF
		case err == unix.EAGAIN:
			if err := t.WaitFD(pd, evloop.Readable, time.Time{}); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// readTryFirst is readByte without the level: it always makes the read
// system call first, as a loop that keeps no readiness level must.
func readTryFirst(t *evloop.Task, pd *evloop.PollDesc, buf []byte) error {
	for {
		n, err := unix.Read(pd.Fd(), buf)
		switch {
		case err == nil && n == len(buf):
			return nil
		case err == nil:
			return io.ErrUnexpectedEOF
		case err == unix.EAGAIN:
			if err := t.WaitFD(pd, evloop.Readable, time.Time{}); err != nil {
				return err
			}
		case err != unix.EINTR:
			return err
		}
	}
}

func writeByte(t *evloop.Task, pd *evloop.PollDesc, buf []byte) error {
	for {
		_, err := pd.TryWrite(buf)
		switch {
		case err == nil:
			return nil
		case err == unix.EAGAIN:
			if err := t.WaitFD(pd, evloop.Writable, time.Time{}); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// benchLoopPingPong runs two tasks on one loop, run on the benchmark's
// goroutine: task A sends a byte and waits for its echo, b.N times; task B
// echoes.
func benchLoopPingPong(b *testing.B, backend string, readByte func(*evloop.Task, *evloop.PollDesc, []byte) error) {
	loop, err := evloop.New(backend)
	if err != nil {
		b.Fatal(err)
	}
	fds := benchSocketpair(b)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	pdA, err := loop.Register(fds[0])
	if err != nil {
		b.Fatal(err)
	}
	pdB, err := loop.Register(fds[1])
	if err != nil {
		b.Fatal(err)
	}
	pdA.SetStream(true)
	pdB.SetStream(true)
	var failed error
	fail := func(err error) {
		if failed == nil {
			failed = err
		}
		loop.Stop()
	}
	rounds := b.N
	var cpu time.Duration
	loop.Go(func(t *evloop.Task) {
		buf := make([]byte, 1)
		for {
			if err := readByte(t, pdB, buf); err != nil {
				if !errors.Is(err, evloop.ErrLoopClosed) {
					fail(err)
				}
				return
			}
			if err := writeByte(t, pdB, buf); err != nil {
				fail(err)
				return
			}
		}
	})
	loop.Go(func(t *evloop.Task) {
		buf := []byte{'x'}
		for range rounds {
			if err := writeByte(t, pdA, buf); err != nil {
				fail(err)
				return
			}
			if err := readByte(t, pdA, buf); err != nil {
				fail(err)
				return
			}
		}
		b.StopTimer()
		cpu += cpuTime()
		loop.Stop()
	})
	cpu = -cpuTime()
	b.ResetTimer()
	if err := loop.Run(); err != nil {
		b.Fatal(err)
	}
	if failed != nil {
		b.Fatal(failed)
	}
	reportPerEvent(b, b.Elapsed())
	reportCPU(b, cpu)
}

// benchNetpollerPingPong is the same exchange between two goroutines on
// net.Conns, which park in the Go runtime's netpoller.
func benchNetpollerPingPong(b *testing.B) {
	fds := benchSocketpair(b)
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close() // FileConn holds a dup
		c, err := net.FileConn(f)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	ca, cb := conn(fds[0]), conn(fds[1])
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1)
		for {
			if _, err := io.ReadFull(cb, buf); err != nil {
				return
			}
			if _, err := cb.Write(buf); err != nil {
				return
			}
		}
	}()
	buf := []byte{'x'}
	cpu := -cpuTime()
	b.ResetTimer()
	for range b.N {
		if _, err := ca.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(ca, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu += cpuTime()
	ca.Close()
	<-done
	cb.Close()
	reportPerEvent(b, b.Elapsed())
	reportCPU(b, cpu)
}

// BenchmarkPingPongTryFirst is BenchmarkPingPong/<backend> with a read
// system call before every wait (readTryFirst): what the level-trusting
// TryRead saves.
func BenchmarkPingPongTryFirst(b *testing.B) {
	for _, name := range evloop.Backends() {
		b.Run(name, func(b *testing.B) { benchLoopPingPong(b, name, readTryFirst) })
	}
}

// BenchmarkSwitch is the cost of parking a task and resuming it.
//
// BenchmarkSwitch/<backend>: one task calls Yield b.N times on an otherwise
// idle loop, so each op is a switch out of the coroutine, one loop turn
// (including a Wait(0) of the backend, a system call) and a switch back.
// BenchmarkSwitch/iter.Pull is the bare coroutine round trip the tasks are
// built on, and BenchmarkSwitch/chan the same round trip between two
// goroutines over unbuffered channels, the alternative to iter.Pull.
func BenchmarkSwitch(b *testing.B) {
	for _, name := range evloop.Backends() {
		b.Run(name, func(b *testing.B) {
			loop, err := evloop.New(name)
			if err != nil {
				b.Fatal(err)
			}
			n := b.N
			loop.Go(func(t *evloop.Task) {
				for range n {
					t.Yield()
				}
				b.StopTimer()
				loop.Stop()
			})
			b.ResetTimer()
			if err := loop.Run(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("iter.Pull", func(b *testing.B) {
		next, stop := iter.Pull(func(yield func(struct{}) bool) {
			for yield(struct{}{}) {
			}
		})
		defer stop()
		for range b.N {
			next()
		}
	})
	b.Run("chan", func(b *testing.B) {
		ping, pong := make(chan struct{}), make(chan struct{})
		go func() {
			for range ping {
				pong <- struct{}{}
			}
		}()
		for range b.N {
			ping <- struct{}{}
			<-pong
		}
		close(ping)
	})
}

// BenchmarkWait is one poll of an idle backend, Wait(0): the fixed cost of a
// loop turn that finds nothing, part of every BenchmarkSwitch op.
func BenchmarkWait(b *testing.B) {
	for _, name := range evloop.Backends() {
		b.Run(name, func(b *testing.B) {
			be, err := evloop.NewBackend(name)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			evs := make([]evloop.Event, 0, 16)
			for range b.N {
				if evs, err = be.Wait(0, evs[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
