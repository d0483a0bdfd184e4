package ovsdb

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert makes a key and a certificate signed by parent (self-signed
// when parent is nil) and writes them as PEM files.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *rsa.PrivateKey) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	os.WriteFile(filepath.Join(dir, name+"-cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+"-privkey.pem"),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	return cert, key
}

// TestServerSSL: ssl:HOST:PORT with the files ovs-vswitchd's
// --private-key, --certificate and --ca-cert name, against ovsdb-server's
// pssl remote; a client whose CA did not sign the server's certificate is
// refused.
func TestServerSSL(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil)
	writeCert(t, dir, "server", ca, caKey)
	writeCert(t, dir, "client", ca, caKey)
	writeCert(t, dir, "other-ca", nil, nil)
	port := 18320 + int(nextPort.Add(1)-1)%40
	s := startServer(t, fmt.Sprintf("--remote=pssl:%d:127.0.0.1", port),
		"--private-key="+filepath.Join(dir, "server-privkey.pem"), "--certificate="+filepath.Join(dir, "server-cert.pem"),
		"--ca-cert="+filepath.Join(dir, "ca-cert.pem"))
	s.vsctl("--no-wait", "init", "--", "add-br", "br0")
	target := fmt.Sprintf("ssl:127.0.0.1:%d", port)
	cfg, err := TLSConfig(filepath.Join(dir, "client-privkey.pem"), filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, target, Options{TLS: cfg})
	m, err := c.MonitorVSwitch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Snapshot().BridgeByName("br0") == nil {
		t.Errorf("no br0 over ssl")
	}
	bad, err := TLSConfig(filepath.Join(dir, "client-privkey.pem"), filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "other-ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if c, err := Dial(ctx, target, Options{TLS: bad, MinBackoff: 200 * time.Millisecond}); err == nil {
		c.Close()
		t.Errorf("connected to a server whose certificate our CA did not sign")
	} else {
		t.Logf("wrong CA: %v", err)
	}
	if _, err := Dial(ctx, target, Options{}); err == nil {
		t.Errorf("ssl without TLS config accepted")
	}
}
