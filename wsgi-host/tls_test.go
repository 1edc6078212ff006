package wsgihost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1, and writes it and its key
// as PEM files in dir when dir is not "".
func selfSigned(t testing.TB, dir string) (tls.Certificate, *x509.CertPool, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ptsevent test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	var cf, kf string
	if dir != "" {
		cf, kf = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := os.WriteFile(cf, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kf, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, pool, cf, kf
}

// TestTLS: the server terminates TLS; the guest sees URL_SCHEME=https.
func TestTLS(t *testing.T) {
	cert, roots, _, _ := selfSigned(t, "")
	forEachBackend(t, func(t *testing.T, e *testEnv) {
		_, addr, _ := startServer(t, e, e.module(t, cGuestDir), func(s *Server) {
			s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		})
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		defer c.CloseIdleConnections()
		base := "https://" + addr
		for range 3 { // keep-alive over TLS
			if code, body, _ := httpGet(t, c, base+"/"); code != 200 || body != "Hello, World!\n" {
				t.Fatalf("/: %d %q", code, body)
			}
		}
		if _, body, _ := httpGet(t, c, base+"/env"); envLines([]byte(body))["URL_SCHEME"] != "https" {
			t.Errorf("env over TLS:\n%s", body)
		}
		big := strings.Repeat("z", 300000)
		resp, err := c.Post(base+"/echo", "text/plain", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != big {
			t.Errorf("echo over TLS: %d bytes", len(b))
		}
		// Plain HTTP on the TLS port is refused, not served.
		rs, closed, _ := rawExchangeOrEOF(t, addr, get("/"))
		if rs != 0 || !closed {
			t.Errorf("plain HTTP on the TLS port: %d responses, closed %v", rs, closed)
		}
	})
}

// rawExchangeOrEOF sends raw and counts the HTTP responses before EOF.
func rawExchangeOrEOF(t testing.TB, addr, raw string) (int, bool, []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, raw)
	b, err := io.ReadAll(c)
	n := strings.Count(string(b), "HTTP/1.1 ")
	return n, err == nil, b
}
