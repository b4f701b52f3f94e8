// Package sbom writes the SPDX document of an image from the Go build
// information embedded in its binaries (debug/buildinfo): every module
// compiled into each binary, with its version, and the Go standard library.
// It reads nothing but its arguments, so the same binaries give the same
// document, byte for byte.
package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// Binary is one binary of the image.
type Binary struct {
	Path   string           // where the image holds it, such as /usr/local/bin/server
	SHA1   string           // hex digests of the file
	SHA256 string           //
	Info   *debug.BuildInfo // read from the file by debug/buildinfo
}

// Image is what the document describes.
type Image struct {
	Name     string    // the image's name in gobuild.yaml
	Platform string    // such as linux/arm64
	Version  string    // the version of a main module built from a checkout ("(devel)"), when known
	Created  time.Time // the document's date: the build's epoch, never the clock
	Creator  string    // the tool, such as gobuild-v1.2.3
}

// NOASSERTION is SPDX for "not known".
const noAssertion = "NOASSERTION"

// Document is the SPDX 2.3 document of the binaries of img.
func Document(img Image, bins []Binary) (*spdx.Document, error) {
	doc := &spdx.Document{
		SPDXVersion:    spdx.Version,
		DataLicense:    spdx.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   fmt.Sprintf("%s %s", img.Name, img.Platform),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: img.Creator}},
			Created:  img.Created.UTC().Format(time.RFC3339),
		},
	}
	pkgs := map[common.ElementID]*spdx.Package{}
	add := func(p *spdx.Package) common.ElementID {
		if _, ok := pkgs[p.PackageSPDXIdentifier]; !ok {
			pkgs[p.PackageSPDXIdentifier] = p
		}
		return p.PackageSPDXIdentifier
	}
	var rels []*spdx.Relationship
	rel := func(a, b common.ElementID, kind, comment string) {
		rels = append(rels, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)),
			Relationship: kind, RelationshipComment: comment,
		})
	}
	described := map[common.ElementID]bool{}
	bins = slices.Clone(bins)
	slices.SortFunc(bins, func(a, b Binary) int { return strings.Compare(a.Path, b.Path) })
	for i, b := range bins {
		if b.Info == nil {
			return nil, fmt.Errorf("binary %s has no Go build information", b.Path)
		}
		if i > 0 && bins[i-1].Path == b.Path {
			return nil, fmt.Errorf("binary %s is listed twice", b.Path)
		}
		file := &spdx.File{
			FileName:           b.Path,
			FileSPDXIdentifier: common.ElementID("File-" + id(b.Path)),
			FileTypes:          []string{"BINARY"},
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: b.SHA1},
				{Algorithm: common.SHA256, Value: b.SHA256},
			},
			LicenseConcluded:  noAssertion,
			FileCopyrightText: noAssertion,
		}
		doc.Files = append(doc.Files, file)

		main := b.Info.Main
		if main.Path == "" {
			main.Path = b.Info.Path
		}
		if (main.Version == "" || main.Version == "(devel)") && img.Version != "" {
			main.Version = img.Version
		}
		mainID := add(modulePackage(main, "APPLICATION"))
		if !described[mainID] {
			described[mainID] = true
			rel("DOCUMENT", mainID, common.TypeRelationshipDescribe, "")
		}
		rel(file.FileSPDXIdentifier, mainID, common.TypeRelationshipGeneratedFrom, settings(b.Info))

		std := add(stdlibPackage(b.Info.GoVersion))
		rel(file.FileSPDXIdentifier, std, common.TypeRelationshipStaticLink, "")
		rel(mainID, std, common.TypeRelationshipDependsOn, "")
		for _, d := range b.Info.Deps {
			dep := add(modulePackage(*d, "LIBRARY"))
			rel(file.FileSPDXIdentifier, dep, common.TypeRelationshipStaticLink, "")
			rel(mainID, dep, common.TypeRelationshipDependsOn, "")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pkgs)) {
		doc.Packages = append(doc.Packages, pkgs[k])
	}
	doc.Relationships = dedupe(rels)
	// The namespace must be unique to the document: it is derived from
	// everything else in it, so it is also reproducible.
	var buf bytes.Buffer
	if err := json.Write(doc, &buf); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	doc.DocumentNamespace = fmt.Sprintf("urn:gobuild:spdx:%s:%s:%s", id(img.Name), id(img.Platform), hex.EncodeToString(sum[:]))
	return doc, nil
}

// JSON is doc as SPDX JSON.
func JSON(doc *spdx.Document) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Write(doc, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// modulePackage is the package of a Go module. A replaced module is the
// replacement that was compiled, under the name the code imports.
func modulePackage(m debug.Module, purpose string) *spdx.Package {
	path, version, sum := m.Path, m.Version, m.Sum
	var comment string
	if r := m.Replace; r != nil {
		comment = fmt.Sprintf("%s %s is replaced by %s %s", m.Path, m.Version, r.Path, r.Version)
		path, version, sum = r.Path, r.Version, r.Sum
		if r.Version == "" {
			comment = fmt.Sprintf("%s %s is replaced by the directory %s", m.Path, m.Version, r.Path)
		}
	}
	if sum != "" {
		comment = strings.TrimPrefix(comment+"; go.sum "+sum, "; ")
	}
	p := &spdx.Package{
		PackageName:             m.Path,
		PackageSPDXIdentifier:   common.ElementID("Package-go-" + id(m.Path+"@"+version)),
		PackageVersion:          version,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageComment:          comment,
		PrimaryPackagePurpose:   purpose,
	}
	if m.Replace == nil || m.Replace.Version != "" {
		p.PackageExternalReferences = []*spdx.PackageExternalReference{purl(path, version)}
	}
	return p
}

// stdlibPackage is the Go standard library of the toolchain goVersion (go1.26.8).
func stdlibPackage(goVersion string) *spdx.Package {
	v := strings.TrimPrefix(goVersion, "go")
	v, _, _ = strings.Cut(v, " ") // "go1.26.8 X:boringcrypto"
	return &spdx.Package{
		PackageName:             "stdlib",
		PackageSPDXIdentifier:   common.ElementID("Package-go-stdlib-" + id(v)),
		PackageVersion:          goVersion,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageComment:          "the Go standard library",
		PrimaryPackagePurpose:   "LIBRARY",
		PackageExternalReferences: []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL,
			Locator: packageurl.NewPackageURL(packageurl.TypeGolang, "", "stdlib", v, nil, "").ToString(),
		}},
	}
}

// purl is the package URL of module path at version.
func purl(path, version string) *spdx.PackageExternalReference {
	ns, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return &spdx.PackageExternalReference{
		Category: common.CategoryPackageManager,
		RefType:  common.TypePackageManagerPURL,
		Locator:  packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString(),
	}
}

// settings describes how a binary was built, from its build settings.
func settings(info *debug.BuildInfo) string {
	parts := []string{"built with " + info.GoVersion}
	for _, s := range info.Settings {
		parts = append(parts, s.Key+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

// id makes s an SPDX identifier part: letters, digits, "." and "-" only. A
// short hash of s keeps two names that differ only in other characters apart.
func id(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	sum := sha256.Sum256([]byte(s))
	return b.String() + "-" + hex.EncodeToString(sum[:4])
}

func dedupe(rels []*spdx.Relationship) []*spdx.Relationship {
	key := func(r *spdx.Relationship) string {
		return string(r.RefA.ElementRefID) + " " + r.Relationship + " " + string(r.RefB.ElementRefID)
	}
	slices.SortStableFunc(rels, func(a, b *spdx.Relationship) int { return strings.Compare(key(a), key(b)) })
	return slices.CompactFunc(rels, func(a, b *spdx.Relationship) bool { return key(a) == key(b) })
}
