package ptsevent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/ptsevent/ptsevent/abi"
)

func TestSockaddrRoundTrip(t *testing.T) {
	for _, s := range []string{"1.2.3.4:80", "[::1]:443", "[fe80::1%3]:8080", "0.0.0.0:0"} {
		ap := netip.MustParseAddrPort(s)
		sa := SockaddrFromAddrPort(ap)
		got, ok := AddrPortFromSockaddr(&sa)
		if !ok || got != ap {
			t.Errorf("%s: round trip gave %v, %v", s, got, ok)
		}
	}
	sa := SockaddrFromAddrPort(netip.MustParseAddrPort("[::ffff:10.0.0.1]:53"))
	if sa.Family != abi.AF_INET || sa.Addr[0] != 10 || sa.Addr[3] != 1 || sa.Port != 53 {
		t.Errorf("4in6 should encode as AF_INET: %+v", sa)
	}
	if sa := SockaddrFromAddrPort(netip.MustParseAddrPort("[fe80::1%7]:1")); sa.ScopeID != 7 {
		t.Errorf("scope id: %d", sa.ScopeID)
	}
}

func TestSockaddrFromAddr(t *testing.T) {
	sa, err := SockaddrFromAddr(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 9})
	if err != nil || sa.Family != abi.AF_INET || sa.Port != 9 || sa.Addr[0] != 192 {
		t.Fatalf("TCPAddr: %+v %v", sa, err)
	}
	if a := AddrFromSockaddr(&sa, "tcp"); a.String() != "192.0.2.7:9" {
		t.Errorf("tcp decode: %v", a)
	}
	if a, ok := AddrFromSockaddr(&sa, "udp4").(*net.UDPAddr); !ok || a.Port != 9 {
		t.Errorf("udp decode: %#v", a)
	}
	u, err := SockaddrFromAddr(&net.UnixAddr{Name: "/run/x.sock", Net: "unix"})
	if err != nil || u.Family != abi.AF_UNIX {
		t.Fatalf("UnixAddr: %v", err)
	}
	if a := AddrFromSockaddr(&u, "unix"); a.String() != "/run/x.sock" || a.Network() != "unix" {
		t.Errorf("unix decode: %v", a)
	}
	long := string(make([]byte, abi.SockaddrPathMax))
	if _, err := SockaddrFromUnix(long); !errors.Is(err, abi.ENAMETOOLONG) {
		t.Errorf("long path: %v", err)
	}
	if _, err := SockaddrFromAddr(&net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0"}); !errors.Is(err, abi.EINVAL) {
		t.Errorf("named zone: %v", err)
	}
	var zero RawSockaddr
	if a := AddrFromSockaddr(&zero, "tcp"); a != nil {
		t.Errorf("AF_UNSPEC decodes to %v", a)
	}
}

func TestErrnoIs(t *testing.T) {
	cases := []struct {
		e      abi.Errno
		target error
	}{
		{abi.ETIMEDOUT, os.ErrDeadlineExceeded},
		{abi.ETIMEDOUT, context.DeadlineExceeded},
		{abi.ENOENT, fs.ErrNotExist},
		{abi.EEXIST, fs.ErrExist},
		{abi.EACCES, fs.ErrPermission},
		{abi.ENOTCAPABLE, fs.ErrPermission},
		{abi.ENOSYS, errors.ErrUnsupported},
		{abi.EAGAIN, abi.EAGAIN},
		{abi.EAGAIN, Errno(abi.EAGAIN)},
	}
	for _, c := range cases {
		err := error(&net.OpError{Op: "read", Net: "tcp", Err: Errno(c.e)})
		if !errors.Is(err, c.target) {
			t.Errorf("errors.Is(%v, %v) = false", c.e.Name(), c.target)
		}
	}
	if errors.Is(Errno(abi.EAGAIN), os.ErrDeadlineExceeded) {
		t.Error("EAGAIN must not be a deadline")
	}
	var ne net.Error
	if err := error(&net.OpError{Op: "read", Err: Errno(abi.ETIMEDOUT)}); !errors.As(err, &ne) || !ne.Timeout() {
		t.Error("ETIMEDOUT is not a net.Error timeout")
	}
	if !Errno(abi.EAGAIN).Temporary() || Errno(abi.EBADF).Temporary() {
		t.Error("Temporary")
	}
	if got := Errno(abi.EAI_NONAME).Error(); got != "no such host (EAI_NONAME)" {
		t.Errorf("EAI_NONAME.Error() = %q", got)
	}
}

func TestResolveLiterals(t *testing.T) {
	for _, c := range []struct {
		network, addr string
		passive       bool
		want          string
	}{
		{"tcp", "1.2.3.4:80", false, "1.2.3.4:80"},
		{"tcp", ":8080", false, "127.0.0.1:8080"},
		{"tcp", ":8080", true, "0.0.0.0:8080"},
		{"tcp6", ":8080", true, "[::]:8080"},
		{"tcp6", "localhost:http", false, "[::1]:80"},
		{"udp", "[2001:db8::1]:53", false, "[2001:db8::1]:53"},
	} {
		k, err := parseNetwork(c.network)
		if err != nil {
			t.Fatal(err)
		}
		sas, err := resolve(k, c.network, c.addr, c.passive)
		if err != nil {
			t.Errorf("%s %s: %v", c.network, c.addr, err)
			continue
		}
		if got := AddrFromSockaddr(&sas[0], c.network).String(); got != c.want {
			t.Errorf("%s %s: got %s, want %s", c.network, c.addr, got, c.want)
		}
	}
	k, _ := parseNetwork("tcp4")
	if _, err := resolve(k, "tcp4", "[::1]:80", false); err == nil {
		t.Error("tcp4 with an IPv6 literal should fail")
	}
	if _, err := parseNetwork("ip"); err == nil {
		t.Error(`network "ip" should be unknown`)
	}
}

// Outside wasip1 the imports are stubs: the SDK reports it cleanly.
func TestHostStubs(t *testing.T) {
	if maj, min := ABIVersion(); maj != 0 || min != 0 {
		t.Errorf("ABIVersion on the host = %d.%d", maj, min)
	}
	if err := CheckABI(); err == nil {
		t.Error("CheckABI on the host should fail")
	}
	if _, _, err := Pipe(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Pipe on the host: %v", err)
	}
	if _, err := Dial("tcp", "127.0.0.1:1"); !errors.Is(err, abi.ENOSYS) {
		t.Errorf("Dial on the host: %v", err)
	}
}
