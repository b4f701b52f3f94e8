package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// privateModule is the module the authenticating proxy serves.
const (
	privatePath    = "private.example/greet"
	privateVersion = "v1.0.0"
	privateGreet   = "hello from a private module"
)

// authProxy is a Go module proxy over HTTPS on 127.0.0.1 that serves one
// module, privatePath@privateVersion, only to requests with its basic-auth
// credentials.
type authProxy struct {
	URL      string
	CAFile   string // PEM of the CA that signed its certificate
	User     string
	Password string

	mu         sync.Mutex
	authorized []string // paths served
	refused    int      // requests without the credentials
}

func startAuthProxy(t *testing.T) *authProxy {
	t.Helper()
	dir := t.TempDir()
	p := &authProxy{User: "gobuild-ci", Password: "pw-" + randomHex(t, 16)}

	// The module's files and its zip.
	src := filepath.Join(dir, "src")
	writeFiles(t, src, map[string]string{
		"go.mod":   "module " + privatePath + "\n\ngo 1.22\n",
		"greet.go": "package greet\n\n// Hello greets.\nfunc Hello() string { return " + fmt.Sprintf("%q", privateGreet) + " }\n",
	})
	var zipBuf bytes.Buffer
	if err := modzip.CreateFromDir(&zipBuf, module.Version{Path: privatePath, Version: privateVersion}, src); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"/" + privatePath + "/@v/list":                        []byte(privateVersion + "\n"),
		"/" + privatePath + "/@v/" + privateVersion + ".info": []byte(`{"Version":"` + privateVersion + `","Time":"2024-01-01T00:00:00Z"}`),
		"/" + privatePath + "/@v/" + privateVersion + ".mod":  gomod,
		"/" + privatePath + "/@v/" + privateVersion + ".zip":  zipBuf.Bytes(),
		"/" + privatePath + "/@latest":                        []byte(`{"Version":"` + privateVersion + `","Time":"2024-01-01T00:00:00Z"}`),
	}

	ca, cert := testCertificates(t)
	p.CAFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p.CAFile, ca, 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		p.mu.Lock()
		defer p.mu.Unlock()
		if !ok || user != p.User || pass != p.Password {
			p.refused++
			w.Header().Set("WWW-Authenticate", `Basic realm="gobuild test proxy"`)
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		b, found := files[r.URL.Path]
		if !found {
			http.NotFound(w, r)
			return
		}
		p.authorized = append(p.authorized, r.URL.Path)
		w.Write(b)
	}), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	p.URL = "https://" + ln.Addr().String()
	return p
}

// served reports whether path was served to an authorized request, and how
// many requests were refused.
func (p *authProxy) served(path string) (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.authorized {
		if s == path {
			return true, p.refused
		}
	}
	return false, p.refused
}

// netrc writes a netrc file with the proxy's credentials.
func (p *authProxy) netrc(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "netrc")
	// Go matches the machine against host:port when the URL has a port.
	host := strings.TrimPrefix(p.URL, "https://")
	if err := os.WriteFile(f, []byte(fmt.Sprintf("machine %s\nlogin %s\npassword %s\n", host, p.User, p.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// testCertificates makes a CA and a server certificate for 127.0.0.1 it signs.
func testCertificates(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gobuild test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// builderWithCA pushes to the test bed's registry the default builder image
// with caFile added to its CA bundle, as a company with its own CA makes
// one, and returns its name.
func builderWithCA(t *testing.T, caFile string) string {
	t.Helper()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	return pushImage(t, "golang-ca", "FROM golang:1.26\nCOPY ca.pem /tmp/extra-ca.pem\nRUN cat /tmp/extra-ca.pem >> /etc/ssl/certs/ca-certificates.crt && rm /tmp/extra-ca.pem\n",
		map[string]string{"ca.pem": string(ca)})
}

// A module that needs a private module is built through an authenticating
// module proxy (HTTPS on 127.0.0.1) with the netrc secret: the image runs
// and prints the private module's words. Without the secret the download
// fails with the proxy's 401. The secret's value is in no layer, config,
// history or attestation of the image, and not in the exported cache.
func TestPrivateModuleWithNetrc(t *testing.T) {
	proxy := startAuthProxy(t)
	netrc := proxy.netrc(t)
	builder := builderWithCA(t, proxy.CAFile)

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/privateapp\n\ngo 1.26\n\nrequire " + privatePath + " " + privateVersion + "\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"" + privatePath + "\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
		// go.private keeps the module out of the checksum database; GONOPROXY
		// still sends it through the company's proxy.
		"gobuild.yaml": "# syntax=" + frontendImage + "\ngo:\n  image: " + builder + "\n  private: [" + privatePath + "]\n  env:\n    GONOPROXY: none\n",
	})
	// go.sum, from the host's go through the same proxy and credentials.
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOPROXY="+proxy.URL, "GONOSUMDB="+privatePath, "GOFLAGS=-modcacherw",
		"GOMODCACHE="+t.TempDir(), "NETRC="+netrc, "SSL_CERT_FILE="+proxy.CAFile, "GOTOOLCHAIN=local")
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy on the host: %v\n%s\nauthorized %q, refused %d", err, out, proxy.authorized, proxy.refused)
	}

	path, out := ociDest(t)
	cacheDir := t.TempDir()
	args := []string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--progress=plain", "--build-arg", "GOPROXY=" + proxy.URL}
	mustRun(t, dir, append(args, "--secret", "id=netrc,src="+netrc, "--provenance=mode=max",
		"--cache-to", "type=local,mode=max,dest="+cacheDir, "-o", out+",name=gobuild-test/privateapp:1", ".")...)
	if ok, _ := proxy.served("/" + privatePath + "/@v/" + privateVersion + ".zip"); !ok {
		t.Fatal("the proxy served no zip to an authorized request")
	}

	img := openImage(t, path, hostPlatform)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout, stderr, err := imagetest.Run(ctx, img, imagetest.RunOpts{})
	if got := strings.TrimSpace(string(stdout)); err != nil || got != privateGreet {
		t.Errorf("the image printed %q (err %v, stderr %s), want %q", got, err, stderr, privateGreet)
	}

	// The secret is nowhere in what the build exported: the layers, the
	// config and its history, the provenance (which holds the whole LLB
	// definition, with every exec's arguments, environment and mounts), and
	// the cache.
	layout := extractTar(t, path)
	if findInBlobs(t, layout, `"llbDefinition"`) == "" {
		t.Fatal("the image layout has no provenance with the LLB definition to search")
	}
	for name, root := range map[string]string{"image layout": layout, "exported cache": cacheDir} {
		if where := findInBlobs(t, root, proxy.Password); where != "" {
			t.Errorf("the netrc password is in the %s: %s", name, where)
		}
	}
	if where := findInBlobs(t, layout, "gobuild-ci"); where != "" {
		t.Errorf("the netrc login is in the image layout: %s", where)
	}

	// Without the secret the proxy refuses the download.
	_, refusedBefore := proxy.served("")
	outNoSecret, err := run(context.Background(), dir, append(args, "--no-cache", ".")...)
	_, refused := proxy.served("")
	if err == nil || refused == refusedBefore || !strings.Contains(string(outNoSecret), "401 Unauthorized") {
		t.Errorf("without the netrc secret: err %v, %d refused requests, output:\n%s", err, refused-refusedBefore, tail(outNoSecret, 20))
	}
}

// extractTar unpacks the OCI layout tarball at path into a new directory.
func extractTar(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dest := t.TempDir()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dest
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "..") {
			continue
		}
		p := filepath.Join(dest, h.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// findInBlobs names a file under root that holds s, as stored or
// gzip-decompressed (a layer's files are then in plain text), or "".
func findInBlobs(t *testing.T, root, s string) string {
	t.Helper()
	found := ""
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(b, []byte(s)) {
			found = p
			return nil
		}
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil && bytes.Contains(plain, []byte(s)) {
				found = p + " (gzip)"
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no files under %s", root)
	}
	return found
}
