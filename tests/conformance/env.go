package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ptsevent/ptsevent/host"
	"github.com/ptsevent/ptsevent/internal/dnsclient/dnstest"
)

// TLSName is the name the runner's server certificate is issued for (with
// the IP address 127.0.0.1); the guests verify it.
const TLSName = "conformance.test"

// Env is what the cases of one run share: the DNS server, the TLS
// certificates and the resolver's files. NewEnv starts it; Close stops it.
type Env struct {
	// DNS is the test DNS server on 127.0.0.1 (internal/dnsclient/dnstest's
	// zone).
	DNS *dnstest.Server
	// CAPool trusts CA, which issued Cert (TLSName and 127.0.0.1).
	CAPool *x509.CertPool
	Cert   tls.Certificate
	// UnknownCert has the same names, issued by a CA nobody trusts.
	UnknownCert tls.Certificate

	dir string
	tb  *envTB
}

// NewEnv starts the DNS server and makes the certificates.
func NewEnv() (*Env, error) {
	dir, err := os.MkdirTemp("", "ptsevent-conformance-")
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir, tb: &envTB{}}
	if err := e.start(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) start() (err error) {
	e.DNS, err = startDNS(e.tb)
	if err != nil {
		return err
	}
	if err := os.WriteFile(e.HostsFile(), []byte(dnstest.HostsFile), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(e.ResolvConf(), []byte("options ndots:1 timeout:1 attempts:1\n"), 0o644); err != nil {
		return err
	}
	ca, caKey, err := newCA("ptsevent conformance CA")
	if err != nil {
		return err
	}
	other, otherKey, err := newCA("ptsevent conformance unknown CA")
	if err != nil {
		return err
	}
	e.CAPool = x509.NewCertPool()
	e.CAPool.AddCert(ca)
	if e.Cert, err = newLeaf(ca, caKey); err != nil {
		return err
	}
	e.UnknownCert, err = newLeaf(other, otherKey)
	return err
}

// Close stops the DNS server and removes the run's files.
func (e *Env) Close() {
	e.tb.cleanup()
	os.RemoveAll(e.dir)
}

// HostsFile and ResolvConf are the resolver's files: dnstest.HostsFile,
// and a resolv.conf without a search list.
func (e *Env) HostsFile() string  { return filepath.Join(e.dir, "hosts") }
func (e *Env) ResolvConf() string { return filepath.Join(e.dir, "resolv.conf") }

// Resolver is the host.ResolverConfig of the runtimes: the DNS server, its
// hosts file, and short timeouts (timeout.test fails in 300ms).
func (e *Env) Resolver() host.ResolverConfig {
	return host.ResolverConfig{
		Nameservers: []string{e.DNS.Addr},
		ResolvConf:  e.ResolvConf(),
		HostsFile:   e.HostsFile(),
		Timeout:     300 * time.Millisecond,
		Attempts:    1,
		Search:      []string{},
	}
}

// TLS is the host.TLSConfig of the runtimes: tls_client trusts the CA,
// tls_server presents Cert (nil Server for the NoTLSServer variant).
func (e *Env) TLS(server bool) host.TLSConfig {
	c := host.TLSConfig{Client: &tls.Config{RootCAs: e.CAPool}}
	if server {
		c.Server = &tls.Config{Certificates: []tls.Certificate{e.Cert}}
	}
	return c
}

// startDNS starts dnstest's server; it reports its failures through a
// testing.TB, which envTB turns into an error.
func startDNS(tb *envTB) (srv *dnstest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(envFatal); ok {
				err = fmt.Errorf("DNS server: %s", string(f))
				return
			}
			panic(r)
		}
	}()
	return dnstest.Start(tb), nil
}

// envTB is the testing.TB that dnstest.Start needs, outside a test: Fatal
// panics with envFatal (startDNS recovers it) and Cleanup functions run at
// Env.Close. Methods dnstest does not call are those of the nil embedded
// interface and would panic.
type envTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

type envFatal string

func (t *envTB) Helper() {}
func (t *envTB) Fatalf(format string, args ...any) {
	panic(envFatal(fmt.Sprintf(format, args...)))
}
func (t *envTB) Fatal(args ...any)                 { panic(envFatal(fmt.Sprint(args...))) }
func (t *envTB) Errorf(format string, args ...any) {}
func (t *envTB) Logf(format string, args ...any)   {}
func (t *envTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *envTB) cleanup() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func serial() (*big.Int, error) { return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62)) }

func newCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func newLeaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey) (tls.Certificate, error) {
	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	sn, err := serial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: TLSName},
		DNSNames:     []string{TLSName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}, nil
}

var errSkip = errors.New("skipped")
