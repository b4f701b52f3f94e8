package integration

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// spdxDoc is what the tests read of an SPDX 2.3 JSON document.
type spdxDoc struct {
	SPDXVersion  string `json:"spdxVersion"`
	CreationInfo struct {
		Creators []string `json:"creators"`
		Created  string   `json:"created"`
	} `json:"creationInfo"`
	Packages []struct {
		Name         string `json:"name"`
		Version      string `json:"versionInfo"`
		ExternalRefs []struct {
			Type    string `json:"referenceType"`
			Locator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		Name      string `json:"fileName"`
		Comment   string `json:"comment"`
		Checksums []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
	} `json:"files"`
}

// --sbom=true gives each platform's image an SPDX document, written by the
// frontend from the Go build information (no scanner image can be pulled
// here): it lists gin at the version go.mod requires, the standard library,
// and the binary with the SHA-256 of the file in the image and the layer
// holding it. --provenance=mode=max works alongside it and records the LLB,
// the builder image by digest.
func TestSBOMAndProvenance(t *testing.T) {
	dir := example("ginserver")
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ginVersion string
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/gin-gonic/gin" {
			ginVersion = r.Mod.Version
		}
	}
	if ginVersion == "" {
		t.Fatal("examples/ginserver does not require gin")
	}

	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--sbom=true", "--provenance=mode=max",
		"--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--platform", "linux/amd64,linux/arm64", "-o", out+",name=gobuild-test/ginserver:sbom", ".")
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		img := openImage(t, path, platform)
		root := t.TempDir()
		if err := img.Unpack(root); err != nil {
			t.Fatal(err)
		}
		bin, err := os.ReadFile(filepath.Join(root, "usr/local/bin/ginserver"))
		if err != nil {
			t.Fatal(err)
		}
		binSum := sha256.Sum256(bin)

		stmts, err := l.Attestations(img.Descriptor)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, s := range stmts {
			kinds = append(kinds, s.PredicateType)
			if len(s.Subject) == 0 || "sha256:"+s.Subject[0].Digest["sha256"] != string(img.Descriptor.Digest) {
				t.Errorf("%s: %s statement's subject %v is not the image %s", platform, s.PredicateType, s.Subject, img.Descriptor.Digest)
			}
			switch {
			case s.PredicateType == "https://spdx.dev/Document":
				checkSBOM(t, platform, s.Predicate, ginVersion, hex.EncodeToString(binSum[:]), img)
			case strings.HasPrefix(s.PredicateType, "https://slsa.dev/provenance/"):
				checkProvenance(t, platform, s.Raw)
			}
		}
		slices.Sort(kinds)
		if want := []string{"https://slsa.dev/provenance/v1", "https://spdx.dev/Document"}; !slices.Equal(kinds, want) {
			t.Errorf("%s: attestations %q, want %q", platform, kinds, want)
		}
	}
}

func checkSBOM(t *testing.T, platform string, predicate []byte, ginVersion, binSHA256 string, img *imagetest.Image) {
	t.Helper()
	var doc spdxDoc
	if err := json.Unmarshal(predicate, &doc); err != nil {
		t.Fatalf("%s: SPDX: %v", platform, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("%s: SPDX version %q created %q", platform, doc.SPDXVersion, doc.CreationInfo.Created)
	}
	creators := strings.Join(doc.CreationInfo.Creators, ", ")
	if !slices.Contains(doc.CreationInfo.Creators, "Tool: gobuild-"+frontendVersion) || !strings.Contains(creators, "Tool: buildkit-") {
		t.Errorf("%s: creators %s, want gobuild-%s and buildkit", platform, creators, frontendVersion)
	}
	pkgs := map[string]string{}
	for _, p := range doc.Packages {
		purl := ""
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purl = r.Locator
			}
		}
		pkgs[p.Name] = p.Version + " " + purl
	}
	if want := ginVersion + " pkg:golang/github.com/gin-gonic/gin@" + ginVersion; pkgs["github.com/gin-gonic/gin"] != want {
		t.Errorf("%s: gin is %q, want %q; packages: %v", platform, pkgs["github.com/gin-gonic/gin"], want, pkgs)
	}
	if !strings.HasPrefix(pkgs["stdlib"], "go1.") || !strings.Contains(pkgs["stdlib"], "pkg:golang/stdlib@1.") {
		t.Errorf("%s: stdlib is %q", platform, pkgs["stdlib"])
	}
	if len(pkgs) < 10 {
		t.Errorf("%s: only %d packages: %v", platform, len(pkgs), pkgs)
	}
	if len(doc.Files) != 1 {
		t.Fatalf("%s: files %+v, want the one binary", platform, doc.Files)
	}
	f := doc.Files[0]
	var sum string
	for _, c := range f.Checksums {
		if c.Algorithm == "SHA256" {
			sum = c.Value
		}
	}
	if f.Name != "/usr/local/bin/ginserver" || sum != binSHA256 {
		t.Errorf("%s: file %s sha256 %s, want /usr/local/bin/ginserver %s", platform, f.Name, sum, binSHA256)
	}
	// BuildKit found the binary in the image and named its layer.
	layer, ok := strings.CutPrefix(f.Comment, "layerID: ")
	found := false
	for _, d := range img.Layers {
		found = found || string(d.Digest) == layer
	}
	if !ok || !found {
		t.Errorf("%s: file comment %q does not name one of the image's layers", platform, f.Comment)
	}
}

func checkProvenance(t *testing.T, platform string, raw []byte) {
	t.Helper()
	var p struct {
		Predicate struct {
			BuildDefinition struct {
				ExternalParameters struct {
					Request struct {
						Frontend string `json:"frontend"`
					} `json:"request"`
				} `json:"externalParameters"`
				InternalParameters struct {
					BuildConfig struct {
						Definition []json.RawMessage `json:"llbDefinition"`
					} `json:"buildConfig"`
				} `json:"internalParameters"`
				ResolvedDependencies []struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: provenance: %v", platform, err)
	}
	bd := p.Predicate.BuildDefinition
	if len(bd.InternalParameters.BuildConfig.Definition) == 0 {
		t.Errorf("%s: provenance has no llbDefinition: mode=max was not applied", platform)
	}
	builder := false
	for _, d := range bd.ResolvedDependencies {
		builder = builder || strings.Contains(d.URI, "golang") && d.Digest["sha256"] != ""
	}
	if !builder {
		t.Errorf("%s: provenance does not name the builder image by digest: %+v", platform, bd.ResolvedDependencies)
	}
	// The definition holds each step's command line.
	// The download is split by go.sum (llb/sumdownload.go): each share runs
	// go mod download of its module versions through sh.
	for _, s := range []string{`"args":["sh","-c","go mod download \"$@\"`, `"-o","/out/ginserver","."]`} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("%s: provenance lacks %q", platform, s)
		}
	}
}

// The compile step has no network: a -toolexec probe that dials a listener
// on the host's loopback (which a step with the host's network reaches) is
// refused, the listener sees no connection, and the build fails with the
// probe's words.
func TestCompileHasNoNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	dir := copyDir(t, example("hello"))
	probe := fmt.Sprintf(`perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(PeerAddr => "%s", Timeout => 5); print STDERR "gobuild-probe: ", ($s ? "reached" : "refused: $@"), "\n"; exit 1'`, ln.Addr())
	yaml := fmt.Sprintf("# syntax=%s\nbuilds:\n  - flags: [%q]\n", frontendImage, "-toolexec="+probe)
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--progress=plain", ".")
	if err == nil {
		t.Fatalf("the probe let the build pass:\n%s", tail(out, 30))
	}
	// The probe's source has no "gobuild-probe: refused" or "... reached":
	// only what it prints does.
	if !strings.Contains(string(out), "gobuild-probe: refused: IO::Socket::INET: connect: Connection refused") || strings.Contains(string(out), "gobuild-probe: reached") {
		t.Errorf("the probe did not report a refused connection:\n%s", tail(out, 30))
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the host's listener got %d connections from the compile step", n)
	}
}

// vulnDB serves a Go vulnerability database (the v1 protocol govulncheck
// reads: gzipped JSON under index/ and ID/) over HTTP on 127.0.0.1. With
// vulnerable set, it lists one made-up vulnerability in gin's New, which
// examples/ginserver calls; otherwise it lists none.
func vulnDB(t *testing.T, vulnerable *atomic.Bool) string {
	t.Helper()
	const id = "GO-2099-0001"
	entry := `{"schema_version":"1.3.1","id":"` + id + `","modified":"2024-01-01T00:00:00Z","published":"2024-01-01T00:00:00Z",` +
		`"summary":"gobuild test vulnerability in gin","details":"Made up for gobuild's tests.",` +
		`"affected":[{"package":{"name":"github.com/gin-gonic/gin","ecosystem":"Go"},` +
		`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"99.0.0"}]}],` +
		`"ecosystem_specific":{"imports":[{"path":"github.com/gin-gonic/gin","symbols":["New"]}]}}],` +
		`"database_specific":{"url":"https://pkg.go.dev/vuln/` + id + `"}}`
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body string
		switch r.URL.Path {
		case "/index/db.json.gz":
			body = `{"modified":"2024-01-01T00:00:00Z"}`
		case "/index/modules.json.gz":
			body = `[]`
			if vulnerable.Load() {
				body = `[{"path":"github.com/gin-gonic/gin","vulns":[{"id":"` + id + `","modified":"2024-01-01T00:00:00Z","fixed":"v99.0.0"}]}]`
			}
		case "/ID/" + id + ".json.gz":
			body = entry
		default:
			http.NotFound(w, r)
			return
		}
		zw := gzip.NewWriter(w)
		zw.Write([]byte(body))
		zw.Close()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// --target vulncheck runs govulncheck inside the build against the database
// GOVULNDB names: examples/ginserver passes with an empty database, and
// fails, naming the vulnerability, once the database lists one in a gin
// function it calls.
func TestVulncheckTarget(t *testing.T) {
	var vulnerable atomic.Bool
	db := vulnDB(t, &vulnerable)
	args := []string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "vulncheck", "--progress=plain", "--build-arg", "GOVULNDB=" + db, "."}
	out := mustRun(t, example("ginserver"), args...)
	if !strings.Contains(string(out), "[vulncheck] govulncheck ./...") || !strings.Contains(string(out), "No vulnerabilities found") {
		t.Errorf("an empty database: output\n%s", tail(out, 30))
	}
	vulnerable.Store(true)
	out, err := run(context.Background(), example("ginserver"), args...)
	if err == nil || !strings.Contains(string(out), "GO-2099-0001") || !strings.Contains(string(out), "gin.New") {
		t.Errorf("a vulnerability in gin.New: err %v, output\n%s", err, tail(out, 40))
	}
}
