package host

import (
	"crypto/tls"

	"golang.org/x/sys/unix"
)

// TLSConfig configures TLS for guests: the roots tls_client verifies
// against and the certificate tls_server presents.
type TLSConfig struct {
	// Client is the base configuration for tls_client (RootCAs nil: the
	// system roots). ServerName is set per call.
	Client *tls.Config
	// Server is the configuration for tls_server; nil makes tls_server
	// fail with ENOTSUP.
	Server *tls.Config
}

// tlsState is a descriptor's TLS session once tls_client or tls_server
// wrapped it. (Filled in by the TLS imports.)
type tlsState struct{}

func (s *tlsState) close() {}

func (s *tlsState) read(d *Desc, p []byte) (int, error)  { return 0, errTLSUnavailable }
func (s *tlsState) write(d *Desc, p []byte) (int, error) { return 0, errTLSUnavailable }

var errTLSUnavailable = unix.EPROTO
