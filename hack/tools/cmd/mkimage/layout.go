package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	annRefName = "org.opencontainers.image.ref.name"
	annInputs  = "dev.gobuild.testbed.inputs"
)

func openLayout(dir string) (layout.Path, error) {
	if lp, err := layout.FromPath(dir); err == nil {
		return lp, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return layout.Write(dir, empty.Index)
}

// artifact is what mkimage makes: a v1.Image, or a v1.ImageIndex with -platform.
type artifact interface {
	remote.Taggable
	Digest() (v1.Hash, error)
}

func findArtifact(lp layout.Path, refName, key string) (artifact, error) {
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Annotations[annRefName] != refName || d.Annotations[annInputs] != key {
			continue
		}
		var a artifact
		if d.MediaType.IsIndex() {
			ii, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			err = checkIndexBlobs(lp, ii)
			a = ii
		} else {
			img, err := lp.Image(d.Digest)
			if err != nil {
				return nil, err
			}
			err = checkBlobs(lp, img)
			a = img
		}
		// All blobs must still be there.
		if err != nil {
			log.Printf("%s: layout copy is incomplete (%v); rebuilding", refName, err)
			return nil, nil
		}
		return a, nil
	}
	return nil, nil
}

func checkIndexBlobs(lp layout.Path, ii v1.ImageIndex) error {
	im, err := ii.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			return fmt.Errorf("unexpected %s in index", d.MediaType)
		}
		if err := checkBlob(lp, d); err != nil {
			return err
		}
		img, err := ii.Image(d.Digest)
		if err != nil {
			return err
		}
		if err := checkBlobs(lp, img); err != nil {
			return err
		}
	}
	return nil
}

func checkBlobs(lp layout.Path, img v1.Image) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	descs := append([]v1.Descriptor{m.Config}, m.Layers...)
	for _, d := range descs {
		if err := checkBlob(lp, d); err != nil {
			return err
		}
	}
	return nil
}

func checkBlob(lp layout.Path, d v1.Descriptor) error {
	fi, err := os.Stat(filepath.Join(string(lp), "blobs", d.Digest.Algorithm, d.Digest.Hex))
	if err != nil {
		return err
	}
	if fi.Size() != d.Size {
		return fmt.Errorf("blob %s has size %d, want %d", d.Digest, fi.Size(), d.Size)
	}
	return nil
}
