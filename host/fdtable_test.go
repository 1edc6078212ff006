package host

import (
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evlooptest"
)

// nopStream is a Stream that counts its Close calls.
type nopStream struct{ closed int }

func (s *nopStream) Read(p []byte) (int, error)  { return 0, nil }
func (s *nopStream) Write(p []byte) (int, error) { return len(p), nil }
func (s *nopStream) Close() error                { s.closed++; return nil }

// TestAddStreamIntoReuse checks that a Desc reused by AddStreamInto starts
// each use as AddStream's would: options and readline state of the last
// use are gone, the new stream is the one closed, and the borrowed
// registration is not closed with it.
func TestAddStreamIntoReuse(t *testing.T) {
	for _, backend := range evloop.Backends() {
		t.Run(backend, func(t *testing.T) {
			loop := evlooptest.Start(t, backend)
			pd := loop.NewVirtual()
			tab := newFDTable(loop, 16)
			var d Desc
			first, second := &nopStream{}, &nopStream{}

			fd, got, e := tab.AddStreamInto(&d, first, pd, true)
			if e != 0 || got != &d {
				t.Fatalf("first AddStreamInto: fd %d, desc %p (want %p), errno %d", fd, got, &d, e)
			}
			d.RecvTimeout, d.SendTimeout, d.Linger = time.Second, time.Second, time.Second
			d.line, d.lineOff = append(d.line, "half a line"...), 4
			if e := tab.Close(fd); e != 0 || first.closed != 1 {
				t.Fatalf("Close: errno %d, stream closed %d times", e, first.closed)
			}

			fd, got, e = tab.AddStreamInto(&d, second, pd, false)
			if e != 0 || got != &d {
				t.Fatalf("second AddStreamInto: fd %d, errno %d", fd, e)
			}
			if d.RecvTimeout != 0 || d.SendTimeout != 0 || d.Linger != 0 || d.NonBlock ||
				len(d.line) != 0 || d.lineOff != 0 || d.Stream != second || d.PD != pd {
				t.Errorf("reused desc kept state of its last use: %+v", d)
			}
			if e := tab.Close(fd); e != 0 || second.closed != 1 || first.closed != 1 {
				t.Errorf("Close: errno %d, closes first %d second %d", e, first.closed, second.closed)
			}
			if pd.IsClosed() {
				t.Error("closing the descriptor closed the borrowed registration")
			}
		})
	}
}
