package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// build makes the layers in parallel, writes the image (or, with -platform,
// the index) to the layout, replacing an older one of the same name, and
// removes unused blobs.
func build(lp layout.Path, o *options, key string) (artifact, error) {
	type job struct {
		createdBy string
		write     func(tw *tar.Writer) error
	}
	var jobs []job
	if o.rootfs != "" {
		rootfs := o.rootfs
		createdBy := "rootfs " + filepath.Base(rootfs)
		if len(o.rootfsPaths) > 0 {
			createdBy += ": " + strings.Join(o.rootfsPaths, " ")
		}
		jobs = append(jobs, job{
			createdBy: createdBy,
			write:     func(tw *tar.Writer) error { return writeRootfs(tw, rootfs, o.rootfsPaths, o.epoch) },
		})
	}
	for _, a := range o.adds {
		a := a
		jobs = append(jobs, job{
			createdBy: fmt.Sprintf("COPY %s %s", a.src, a.dst),
			write:     func(tw *tar.Writer) error { return writeHostPath(tw, a, o.epoch) },
		})
	}
	if len(o.mkdirs) > 0 || len(o.files) > 0 {
		var names []string
		for _, m := range o.mkdirs {
			n := fmt.Sprintf("%s:%o", m.dst, m.mode)
			if m.uid != 0 || m.gid != 0 {
				n += fmt.Sprintf(":%d:%d", m.uid, m.gid)
			}
			names = append(names, n)
		}
		var parts []string
		if len(names) > 0 {
			parts = append(parts, "mkdir "+strings.Join(names, " "))
		}
		if len(o.files) > 0 {
			names = names[:0]
			for _, f := range o.files {
				names = append(names, f.dst)
			}
			parts = append(parts, "files "+strings.Join(names, " "))
		}
		createdBy := strings.Join(parts, "; ")
		jobs = append(jobs, job{
			createdBy: createdBy,
			write:     func(tw *tar.Writer) error { return writeEntries(tw, o.mkdirs, o.files, o.epoch) },
		})
	}
	if len(jobs) == 0 {
		return nil, errors.New("nothing to build: give -rootfs, -add, -mkdir or -file")
	}

	layers := make([]v1.Layer, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			layers[i], errs[i] = writeLayer(lp, j.write)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("layer %q: %w", j.createdBy, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	created := v1.Time{Time: o.epoch}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		adds[i] = mutate.Addendum{
			Layer:     l,
			MediaType: types.OCILayer,
			History:   v1.History{Created: created, CreatedBy: jobs[i].createdBy, Comment: "hack/tools/cmd/mkimage"},
		}
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	layered, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}

	ann := map[string]string{annRefName: o.name, annInputs: key}
	var out artifact
	if len(o.platforms) == 0 {
		p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
		if runtime.GOARCH == "arm64" {
			p.Variant = "v8"
		}
		img, err := withConfig(layered, o, p)
		if err != nil {
			return nil, err
		}
		if err := lp.ReplaceImage(img, match.Annotation(annRefName, o.name), layout.WithAnnotations(ann)); err != nil {
			return nil, err
		}
		out = img
	} else {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, p := range o.platforms {
			img, err := withConfig(layered, o, p)
			if err != nil {
				return nil, err
			}
			desc, err := partial.Descriptor(img)
			if err != nil {
				return nil, err
			}
			// Only what a registry's index has: no artifactType.
			d := v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest, Platform: &p}
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: describedImage{img, d}})
		}
		if err := lp.ReplaceIndex(idx, match.Annotation(annRefName, o.name), layout.WithAnnotations(ann)); err != nil {
			return nil, err
		}
		out = idx
	}

	//nolint:staticcheck // GarbageCollect is marked experimental; it only lists blobs.
	unused, err := lp.GarbageCollect()
	if err != nil {
		return nil, fmt.Errorf("listing unused layout blobs: %w", err)
	}
	for _, h := range unused {
		if err := lp.RemoveBlob(h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describedImage gives an image the exact descriptor it gets in an index.
type describedImage struct {
	v1.Image
	desc v1.Descriptor
}

func (d describedImage) Descriptor() (*v1.Descriptor, error) { return &d.desc, nil }

// withConfig sets the config of an image made of layers for platform p.
func withConfig(layered v1.Image, o *options, p v1.Platform) (v1.Image, error) {
	created := v1.Time{Time: o.epoch}
	cf, err := layered.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = p.OS
	cf.Architecture = p.Architecture
	cf.Variant = p.Variant
	cf.OSVersion = p.OSVersion
	cf.OSFeatures = p.OSFeatures
	cf.Created = created
	cf.Config.Env = o.env
	cf.Config.User = o.user
	cf.Config.WorkingDir = o.workdir
	cf.Config.Cmd = o.cmd
	if len(o.labels) > 0 {
		cf.Config.Labels = o.labels
	}
	img, err := mutate.ConfigFile(layered, cf)
	if err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, created)
}
