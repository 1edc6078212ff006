//go:build cgo && linux

package evdns_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/evloop"
	"github.com/ptsevent/ptsevent/evloop/evdns"
	"github.com/ptsevent/ptsevent/internal/dnsclient/dnstest"
)

func startLoop(t *testing.T, backend string) *evloop.Loop {
	t.Helper()
	l, err := evloop.New(backend)
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	t.Cleanup(func() { l.Stop(); <-l.Done() })
	return l
}

func TestUnsupported(t *testing.T) {
	l := startLoop(t, "epoll")
	if evdns.Supported(l) {
		t.Fatal("Supported on epoll")
	}
	if _, err := evdns.New(l, []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}, time.Second); !errors.Is(err, evdns.ErrUnsupported) {
		t.Fatalf("New on epoll: %v, want ErrUnsupported", err)
	}
}

// TestQuestions checks each outcome evdns reports for the dnstest zone.
func TestQuestions(t *testing.T) {
	srv := dnstest.Start(t)
	l := startLoop(t, "libevent")
	c, err := evdns.New(l, []netip.AddrPort{netip.MustParseAddrPort(srv.Addr)}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind  evdns.Kind
		name  string
		addr  string
		code  evdns.Code
		addrs []string
		ptr   string
	}{
		{kind: evdns.A, name: "a.test", addrs: []string{"192.0.2.1"}},
		{kind: evdns.A, name: "multi.test", addrs: []string{"192.0.2.10", "192.0.2.11"}},
		{kind: evdns.AAAA, name: "both.test", addrs: []string{"2001:db8::2"}},
		{kind: evdns.A, name: "cname.test", addrs: []string{"192.0.2.2"}},
		{kind: evdns.A, name: "aaaa.test"}, // no record of the type
		{kind: evdns.A, name: "nx.test", code: evdns.NotExist},
		{kind: evdns.A, name: "servfail.test", code: evdns.ServerFailed},
		{kind: evdns.A, name: "refused.test", code: evdns.Refused},
		{kind: evdns.A, name: "timeout.test", code: evdns.Timeout},
		{kind: evdns.A, name: "tc.test", code: evdns.Truncated},
		{kind: evdns.PTR, addr: "192.0.2.1", ptr: "a.test"},
		{kind: evdns.PTR, addr: "2001:db8::1", ptr: "aaaa.test"},
		{kind: evdns.PTR, addr: "192.0.2.250", code: evdns.NotExist},
	}
	for _, tc := range cases {
		var res evdns.Result
		var werr error
		if err := l.Submit(func(task *evloop.Task) {
			var a netip.Addr
			if tc.addr != "" {
				a = netip.MustParseAddr(tc.addr)
			}
			q, err := c.Start(0, tc.kind, tc.name, a)
			if err != nil {
				werr = err
				return
			}
			res, werr = q.Wait(task)
		}); err != nil {
			t.Fatal(err)
		}
		what := tc.name + tc.addr
		if werr != nil {
			t.Errorf("%s: %v", what, werr)
			continue
		}
		if res.Code == evdns.NoData {
			res.Code = evdns.OK
		}
		var got []string
		for _, a := range res.Addrs {
			got = append(got, a.String())
		}
		if res.Code != tc.code || !slices.Equal(got, tc.addrs) || res.Name != tc.ptr {
			t.Errorf("%s: %v %v %q, want %v %v %q", what, res.Code, got, res.Name, tc.code, tc.addrs, tc.ptr)
		}
	}
}

// TestCancelAndShutdown cancels questions in flight, then closes the loop
// with others in flight: canceled ones report nothing, the waiting tasks
// end with evloop.ErrLoopClosed, and the late answers touch nothing.
func TestCancelAndShutdown(t *testing.T) {
	srv := dnstest.Start(t)
	l, err := evloop.New("libevent")
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	c, err := evdns.New(l, []netip.AddrPort{netip.MustParseAddrPort(srv.Addr)}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	l.Post(func() {
		for i := range 4 {
			l.Go(func(task *evloop.Task) {
				q, err := c.Start(0, evdns.A, "slow.test", netip.Addr{})
				if err != nil {
					errs <- err
					return
				}
				if i%2 == 0 {
					q.Cancel()
					q.Cancel() // twice is harmless
					errs <- nil
					return
				}
				_, err = q.Wait(task)
				errs <- err
			})
		}
	})
	for range 4 {
		select {
		case <-srv.SlowQueried:
		case <-time.After(5 * time.Second):
			t.Fatal("the questions never reached the server")
		}
	}
	l.Stop()
	<-l.Done()
	closed := 0
	for range 4 {
		var err error
		select {
		case err = <-errs:
		case <-time.After(10 * time.Second):
			t.Fatal("a wait did not end when the loop closed")
		}
		switch {
		case err == nil:
		case errors.Is(err, evloop.ErrLoopClosed):
			closed++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if closed != 2 {
		t.Errorf("%d waits ended with ErrLoopClosed, want 2", closed)
	}
	srv.Release()
}

// TestCancelRace cancels questions at every stage: before the answer,
// with the answer queued in C but not drained, and after the drain; the
// others still get their answers, and an idle client keeps no descriptor.
func TestCancelRace(t *testing.T) {
	srv := dnstest.Start(t)
	l := startLoop(t, "libevent")
	c, err := evdns.New(l, []netip.AddrPort{netip.MustParseAddrPort(srv.Addr)}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Submit(func(task *evloop.Task) {
		var qs []*evdns.Query
		for i := range 90 {
			q, err := c.Start(0, evdns.A, "multi.test", netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				q.Cancel() // in flight
				continue
			}
			qs = append(qs, q)
		}
		if err := task.Sleep(50 * time.Millisecond); err != nil { // answers arrive meanwhile
			t.Fatal(err)
		}
		for i, q := range qs {
			if i%2 == 0 {
				q.Cancel() // answered, queued or drained
				continue
			}
			res, err := q.Wait(task)
			if err != nil || res.Code != evdns.OK || len(res.Addrs) != 2 {
				t.Errorf("question %d: %v %v", i, res, err)
			}
		}
		q, err := c.Start(0, evdns.A, "a.test", netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := q.Wait(task); err != nil || len(res.Addrs) != 1 {
			t.Errorf("a.test after the cancels: %v %v", res, err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Submit(func(*evloop.Task) {
		if n := l.Stats().Descriptors; n != 0 {
			t.Errorf("%d descriptors registered by an idle client", n)
		}
	}); err != nil {
		t.Fatal(err)
	}
}
