package frontend

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"

	"github.com/distribution/reference"
	intoto "github.com/in-toto/in-toto-golang/in_toto"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"

	"github.com/gobuild/gobuild/sbom"
)

// The scanner BuildKit runs when a build asks for an SBOM and names none
// (frontend/attestations). gobuild writes the SBOM itself in its place.
const defaultScanner = "docker/buildkit-syft-scanner:stable-1"

// sbomPath is the file of the SBOM in its attestation's state; its base name
// before the first dot is the "sbom-core" BuildKit expects of the SBOM of
// the image itself, so it adds each file's layer to the document.
const (
	sbomPath = "/sbom.spdx.json"
	sbomCore = "sbom"
)

// ownSBOM reports whether gobuild writes the SBOM: when the build asks for
// one (--sbom=true, attest:sbom) with the default scanner. A build that
// names another scanner gets that scanner's SBOM, which BuildKit makes
// because gobuild returns none.
func ownSBOM(bc *dockerui.Client) bool {
	if bc.SBOM == nil {
		return false
	}
	def, err := reference.ParseNormalizedNamed(defaultScanner)
	if err != nil {
		return false
	}
	return bc.SBOM.Generator == reference.TagNameOnly(def).String()
}

// builtBinary is a compiled binary: the file in a solved reference, and
// where the image holds it.
type builtBinary struct {
	Ref  client.Reference
	File string // in Ref
	Path string // in the image
}

// sbomAttestation is the SPDX attestation of the binaries of one platform:
// their modules, read from their Go build information, and their checksums.
func sbomAttestation(ctx context.Context, c client.Client, img sbom.Image, bins []builtBinary) (result.Attestation[client.Reference], error) {
	var att result.Attestation[client.Reference]
	var list []sbom.Binary
	for _, b := range bins {
		sb, err := readBinary(ctx, b)
		if err != nil {
			return att, err
		}
		list = append(list, sb)
	}
	doc, err := sbom.Document(img, list)
	if err != nil {
		return att, err
	}
	dt, err := sbom.JSON(doc)
	if err != nil {
		return att, err
	}
	st := bk.Scratch().File(bk.Mkfile(sbomPath, 0o444, dt, bk.WithCreatedTime(img.Created)),
		bk.WithCustomNamef("[%s %s] SBOM from Go build information", img.Name, img.Platform))
	ref, err := solve(ctx, c, st, nil)
	if err != nil {
		return att, err
	}
	return result.Attestation[client.Reference]{
		Kind: gatewaypb.AttestationKind_InToto,
		Ref:  ref,
		Path: sbomPath,
		Metadata: map[string][]byte{
			result.AttestationReasonKey: []byte(result.AttestationReasonSBOM),
			result.AttestationSBOMCore:  []byte(sbomCore),
		},
		InToto: result.InTotoAttestation{PredicateType: intoto.PredicateSPDX},
	}, nil
}

// hashChunk is how much of a binary one ranged read returns while hashing.
const hashChunk = 4 << 20

// readBinary reads b's Go build information (a few ranged reads) and its
// SHA-1 and SHA-256 (the whole file, in large ranges).
func readBinary(ctx context.Context, b builtBinary) (sbom.Binary, error) {
	st, err := b.Ref.StatFile(ctx, client.StatRequest{Path: b.File})
	if err != nil {
		return sbom.Binary{}, fmt.Errorf("SBOM of %s: %w", b.Path, err)
	}
	r := newRefReaderAt(ctx, b.Ref, b.File, st.Size)
	info, err := buildinfo.Read(r)
	if r.err != nil {
		err = r.err
	}
	if err != nil {
		return sbom.Binary{}, fmt.Errorf("SBOM of %s: reading its Go build information: %w", b.Path, err)
	}
	h1, h256 := sha1.New(), sha256.New()
	for off := int64(0); off < st.Size; off += hashChunk {
		n := min(hashChunk, st.Size-off)
		dt, err := b.Ref.ReadFile(ctx, client.ReadRequest{Filename: b.File, Range: &client.FileRange{Offset: int(off), Length: int(n)}})
		if err != nil {
			return sbom.Binary{}, fmt.Errorf("SBOM of %s: %w", b.Path, err)
		}
		if int64(len(dt)) != n {
			return sbom.Binary{}, fmt.Errorf("SBOM of %s: read %d bytes at %d, want %d", b.Path, len(dt), off, n)
		}
		h1.Write(dt)
		h256.Write(dt)
	}
	return sbom.Binary{
		Path:   b.Path,
		SHA1:   hex.EncodeToString(h1.Sum(nil)),
		SHA256: hex.EncodeToString(h256.Sum(nil)),
		Info:   info,
	}, nil
}
