package imagetest

import (
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Statement is an in-toto statement attached to an image.
type Statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
	Raw       []byte          `json:"-"` // the layer as stored
}

// Attestations are the in-toto statements of the attestation manifest that
// refers to the image manifest img (BuildKit's layout: an index entry with
// vnd.docker.reference.type=attestation-manifest and
// vnd.docker.reference.digest=img). Each layer is one statement; its
// in-toto.io/predicate-type annotation must agree with it.
func (l *Layout) Attestations(img ocispec.Descriptor) ([]Statement, error) {
	idx, err := l.ImageIndex()
	if err != nil {
		return nil, err
	}
	for _, d := range idx.Manifests {
		if d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" || d.Annotations["vnd.docker.reference.digest"] != string(img.Digest) {
			continue
		}
		var m ocispec.Manifest
		if err := l.readJSON(d, &m); err != nil {
			return nil, err
		}
		var out []Statement
		for _, layer := range m.Layers {
			b, err := l.ReadBlob(layer)
			if err != nil {
				return nil, err
			}
			var s Statement
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, fmt.Errorf("attestation layer %s: %w", layer.Digest, err)
			}
			if pt := layer.Annotations["in-toto.io/predicate-type"]; pt != s.PredicateType {
				return nil, fmt.Errorf("attestation layer %s: annotation says %q, statement %q", layer.Digest, pt, s.PredicateType)
			}
			s.Raw = b
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no attestation manifest refers to %s", img.Digest)
}
