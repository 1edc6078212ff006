package ptsevent

import (
	"context"
	"net"

	"github.com/ptsevent/ptsevent/abi"
	"github.com/ptsevent/ptsevent/guest-sdk/go/sys"
)

// TLSClient makes conn a TLS client done by the host (tls_client): the
// seed's ssl.SSLSocket, replacing tls.Client. The server certificate is
// verified for serverName (also sent as SNI) against the host's roots
// unless insecure is set. The handshake runs now on a blocking connection
// (bounded by the write deadline); with goroutines it runs in the host
// while the first Read or Write waits. Afterwards conn's Read, Write and
// LineReader carry plaintext; a failed handshake is EPROTO.
func TLSClient(conn *Conn, serverName string, insecure bool) error {
	flags := int32(0)
	if insecure {
		flags = abi.TLS_INSECURE_SKIP_VERIFY
	}
	_, e := conn.d.io(dirWrite, func() (int, Errno) {
		return 0, errno(sys.TLSClient(conn.d.fd, serverName, flags))
	})
	if e != 0 {
		return conn.opErr("tls_client", e)
	}
	return nil
}

// TLSServer makes an accepted conn a TLS server with the certificate the
// embedder configured (tls_server; ENOTSUP when there is none), replacing
// tls.Server.
func TLSServer(conn *Conn) error {
	_, e := conn.d.io(dirWrite, func() (int, Errno) {
		return 0, errno(sys.TLSServer(conn.d.fd, 0))
	})
	if e != 0 {
		return conn.opErr("tls_server", e)
	}
	return nil
}

// DialTLS connects to address and makes the connection a TLS client for
// serverName (the host part of address when empty), replacing tls.Dial.
func DialTLS(network, address, serverName string) (*Conn, error) {
	var d Dialer
	c, err := d.dial(context.Background(), network, address)
	if err != nil {
		return nil, err
	}
	if serverName == "" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			serverName = host
		}
	}
	if err := TLSClient(c, serverName, false); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
