// Command mkimage assembles a container image from a root filesystem tarball
// (or a part of it), host files and directories, and files and directories
// given on the command line; keeps it in an OCI layout on disk and pushes it
// to a registry under one or more tags. It is used by hack/testbed/up to make
// the local golang builder image and the distroless static stand-in.
//
// Without -platform the image is a single manifest for the host platform.
// With -platform (repeatable) it is an image index: the same layers with one
// config and manifest per platform, which suits images whose files do not
// depend on the architecture.
//
// Layers are deterministic: entries are sorted, timestamps are set to -epoch,
// user and group names are dropped, and gzip output is produced by the Go
// standard library at a fixed level. The same inputs give the same digest.
//
// Files and directories from -file and -mkdir go into one last layer, with
// numeric owners (0:0 unless given) and any missing parent directories
// (0755, 0:0).
//
// The image in the layout is annotated with a hash of its inputs (flags plus
// the names, sizes, modes and mtimes of the host files, and the contents of
// -file files). When a matching image is already in the layout it is reused
// and only pushed, so a restarted registry is refilled without rebuilding the
// layers or the rootfs.
//
// Example:
//
//	mkimage -rootfs rootfs.tar -add /usr/local/go:/usr/local/go \
//	  -mkdir /go:1777 -env GOPATH=/go -workdir /go -cmd '["bash"]' \
//	  -layout state/oci -name golang -tag 127.0.0.1:5000/library/golang:1.26
//
//	mkimage -rootfs rootfs.tar -rootfs-path usr/share/zoneinfo \
//	  -file /etc/passwd:644="$passwd" -file /etc/ssl/certs/ca.crt:644=@/etc/ssl/certs/ca.crt \
//	  -mkdir /home/nonroot:700:65532:65532 -user 65532 \
//	  -platform linux/amd64 -platform linux/arm64/v8 \
//	  -layout state/oci-distroless -name static-nonroot -tag 127.0.0.1:5000/distroless/static:nonroot
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// formatVersion is part of the input hash; bump it when the layer format or
// config produced by this program changes.
const formatVersion = "mkimage/1"

const (
	annRefName = "org.opencontainers.image.ref.name"
	annInputs  = "dev.gobuild.testbed.inputs"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type addSpec struct{ src, dst string }

type mkdirSpec struct {
	dst      string
	mode     int64
	uid, gid int
}

type fileSpec struct {
	dst      string
	mode     int64
	uid, gid int
	data     []byte
}

type options struct {
	rootfs      string
	rootfsPaths []string
	adds        []addSpec
	mkdirs      []mkdirSpec
	files       []fileSpec
	env         []string
	labels      map[string]string
	user        string
	workdir     string
	cmd         []string
	platforms   []v1.Platform
	layout      string
	name        string
	tags        []string
	epoch       time.Time
	status      bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("mkimage: ")
	opts, err := parseFlags()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		log.Fatal(err)
	}
}

func parseFlags() (*options, error) {
	var rootfsPaths, adds, mkdirs, files, envs, labels, platforms, tags listFlag
	o := &options{labels: map[string]string{}}
	flag.StringVar(&o.rootfs, "rootfs", "", "root filesystem tarball (.tar or .tar.gz), the first layer")
	flag.Var(&rootfsPaths, "rootfs-path", "PATH: take only PATH, what is below it and its parent directories from -rootfs (repeatable)")
	flag.Var(&adds, "add", "SRC:DST host file or directory copied to DST, one layer each (repeatable; owner forced to 0:0)")
	flag.Var(&mkdirs, "mkdir", "DST[:MODE[:UID:GID]] directory (octal mode, default 755; owner 0:0) in a last layer (repeatable)")
	flag.Var(&files, "file", "DST[:MODE[:UID:GID]]=TEXT or =@HOSTFILE regular file (mode default 644; owner 0:0) in the last layer (repeatable)")
	flag.Var(&envs, "env", "K=V image config Env entry (repeatable)")
	flag.Var(&labels, "label", "K=V image config label (repeatable)")
	flag.StringVar(&o.user, "user", "", "image config User")
	flag.StringVar(&o.workdir, "workdir", "", "image config WorkingDir")
	cmd := flag.String("cmd", "", `image config Cmd as a JSON array, e.g. '["bash"]'`)
	flag.StringVar(&o.layout, "layout", "", "OCI layout directory that keeps the image (required)")
	flag.StringVar(&o.name, "name", "", "name of the image in the layout (org.opencontainers.image.ref.name; required)")
	flag.Var(&platforms, "platform", "OS/ARCH[/VARIANT]: make an image index with one manifest per platform, same layers (repeatable; default: one image for the host platform)")
	flag.Var(&tags, "tag", "registry reference to push to (repeatable; plain HTTP is allowed)")
	epoch := flag.Int64("epoch", 0, "timestamp (unix seconds) for all files and the config")
	flag.BoolVar(&o.status, "status", false, "only print what would be done: up-to-date, push or build")
	flag.Parse()
	if flag.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if o.layout == "" || o.name == "" {
		return nil, errors.New("-layout and -name are required")
	}
	for _, a := range adds {
		src, dst, ok := strings.Cut(a, ":")
		if !ok || src == "" || !path.IsAbs(dst) {
			return nil, fmt.Errorf("bad -add %q: want SRC:/ABS/DST", a)
		}
		o.adds = append(o.adds, addSpec{src: src, dst: path.Clean(dst)})
	}
	for _, p := range rootfsPaths {
		n := cleanName(p)
		if n == "" {
			return nil, fmt.Errorf("bad -rootfs-path %q: want a path below /", p)
		}
		o.rootfsPaths = append(o.rootfsPaths, n)
	}
	if len(o.rootfsPaths) > 0 && o.rootfs == "" {
		return nil, errors.New("-rootfs-path needs -rootfs")
	}
	for _, m := range mkdirs {
		dst, mode, uid, gid, err := parseEntry(m, 0o755)
		if err != nil {
			return nil, fmt.Errorf("bad -mkdir %q: %v", m, err)
		}
		o.mkdirs = append(o.mkdirs, mkdirSpec{dst: dst, mode: mode, uid: uid, gid: gid})
	}
	for _, f := range files {
		spec, content, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("bad -file %q: want DST[:MODE[:UID:GID]]=TEXT or =@HOSTFILE", f)
		}
		dst, mode, uid, gid, err := parseEntry(spec, 0o644)
		if err != nil {
			return nil, fmt.Errorf("bad -file %q: %v", spec, err)
		}
		fspec := fileSpec{dst: dst, mode: mode, uid: uid, gid: gid, data: []byte(content)}
		if from, ok := strings.CutPrefix(content, "@"); ok {
			if fspec.data, err = os.ReadFile(from); err != nil {
				return nil, fmt.Errorf("-file %s: %w", dst, err)
			}
		}
		o.files = append(o.files, fspec)
	}
	seen := map[string]bool{}
	for _, m := range o.mkdirs {
		if seen[m.dst] {
			return nil, fmt.Errorf("%s is given twice", m.dst)
		}
		seen[m.dst] = true
	}
	for _, f := range o.files {
		if seen[f.dst] {
			return nil, fmt.Errorf("%s is given twice", f.dst)
		}
		seen[f.dst] = true
	}
	for _, p := range platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return nil, fmt.Errorf("bad -platform %q: want OS/ARCH[/VARIANT]", p)
		}
		o.platforms = append(o.platforms, *pl)
	}
	for _, e := range envs {
		if !strings.Contains(e, "=") {
			return nil, fmt.Errorf("bad -env %q: want K=V", e)
		}
	}
	o.env = envs
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("bad -label %q: want K=V", l)
		}
		o.labels[k] = v
	}
	if *cmd != "" {
		if err := json.Unmarshal([]byte(*cmd), &o.cmd); err != nil {
			return nil, fmt.Errorf("bad -cmd %q: %v", *cmd, err)
		}
	}
	o.tags = tags
	o.epoch = time.Unix(*epoch, 0).UTC()
	return o, nil
}

// parseEntry parses DST[:MODE[:UID:GID]] (octal mode, numeric owner).
func parseEntry(s string, defMode int64) (dst string, mode int64, uid, gid int, err error) {
	parts := strings.Split(s, ":")
	if !path.IsAbs(parts[0]) || path.Clean(parts[0]) == "/" {
		return "", 0, 0, 0, errors.New("path must be absolute and not /")
	}
	dst, mode = path.Clean(parts[0]), defMode
	switch len(parts) {
	case 1:
	case 2, 4:
		if mode, err = strconv.ParseInt(parts[1], 8, 64); err != nil || mode < 0 || mode > 0o7777 {
			return "", 0, 0, 0, fmt.Errorf("bad octal mode %q", parts[1])
		}
		if len(parts) == 4 {
			uid, err = strconv.Atoi(parts[2])
			if err == nil {
				gid, err = strconv.Atoi(parts[3])
			}
			if err != nil || uid < 0 || gid < 0 {
				return "", 0, 0, 0, fmt.Errorf("bad numeric owner %s:%s", parts[2], parts[3])
			}
		}
	default:
		return "", 0, 0, 0, errors.New("want DST[:MODE[:UID:GID]]")
	}
	return dst, mode, uid, gid, nil
}

func run(ctx context.Context, o *options) error {
	key, err := inputKey(o)
	if err != nil {
		return err
	}
	lp, err := openLayout(o.layout)
	if err != nil {
		return err
	}
	img, err := findArtifact(lp, o.name, key)
	if err != nil {
		return err
	}
	refs := make([]name.Reference, 0, len(o.tags))
	for _, t := range o.tags {
		r, err := name.ParseReference(t, name.Insecure)
		if err != nil {
			return fmt.Errorf("bad -tag %q: %w", t, err)
		}
		refs = append(refs, r)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(authn.Anonymous)}

	if img != nil {
		d, err := img.Digest()
		if err != nil {
			return err
		}
		if upToDate(refs, d, ropts) {
			log.Printf("%s: %s already pushed to all tags", o.name, d)
			if o.status {
				fmt.Println("up-to-date")
			}
			return nil
		}
		if o.status {
			fmt.Println("push")
			return nil
		}
		log.Printf("%s: reusing %s from the OCI layout", o.name, d)
	} else {
		if o.status {
			fmt.Println("build")
			return nil
		}
		start := time.Now()
		img, err = build(lp, o, key)
		if err != nil {
			return err
		}
		d, _ := img.Digest()
		log.Printf("%s: built %s in %s", o.name, d, time.Since(start).Round(time.Millisecond))
	}
	return push(refs, img, ropts)
}

// inputKey hashes everything the image is made from.
func inputKey(o *options) (string, error) {
	h := sha256.New()
	w := func(parts ...any) { fmt.Fprintln(h, parts...) }
	w(formatVersion, runtime.GOOS, runtime.GOARCH, runtime.Version())
	// The rootfs is identified by its name: the caller encodes the recipe in
	// it, and it may be absent when the image only has to be pushed again.
	w("rootfs", filepath.Base(o.rootfs))
	for _, a := range o.adds {
		w("add", a.src, a.dst)
		fi, err := os.Stat(a.src)
		if err != nil {
			return "", err
		}
		if !fi.IsDir() {
			w(fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
			continue
		}
		err = filepath.WalkDir(a.src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(a.src, p)
			var link string
			if fi.Mode()&fs.ModeSymlink != 0 {
				link, _ = os.Readlink(p)
			}
			w(rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), link)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	for _, m := range o.mkdirs {
		w("mkdir", m.dst, m.mode)
	}
	w("env", o.env)
	keys := make([]string, 0, len(o.labels))
	for k := range o.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w("label", k, o.labels[k])
	}
	w("workdir", o.workdir, "cmd", o.cmd, "epoch", o.epoch.Unix())
	// Inputs added after the first version are only hashed when used, so
	// that images made without them keep their key.
	for _, p := range o.rootfsPaths {
		w("rootfs-path", p)
	}
	for _, f := range o.files {
		sum := sha256.Sum256(f.data)
		w("file", f.dst, f.mode, f.uid, f.gid, hex.EncodeToString(sum[:]))
	}
	for _, m := range o.mkdirs {
		if m.uid != 0 || m.gid != 0 {
			w("mkdir-owner", m.dst, m.uid, m.gid)
		}
	}
	if o.user != "" {
		w("user", o.user)
	}
	for _, p := range o.platforms {
		w("platform", p.String())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

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

func upToDate(refs []name.Reference, want v1.Hash, ropts []remote.Option) bool {
	for _, r := range refs {
		d, err := remote.Head(r, ropts...)
		if err != nil || d.Digest != want {
			return false
		}
	}
	return true
}

func push(refs []name.Reference, img artifact, ropts []remote.Option) error {
	if len(refs) == 0 {
		return nil
	}
	d, _ := img.Digest()
	start := time.Now()
	var err error
	switch a := img.(type) {
	case v1.Image:
		err = remote.Write(refs[0], a, ropts...)
	case v1.ImageIndex:
		err = remote.WriteIndex(refs[0], a, ropts...)
	default:
		err = fmt.Errorf("unexpected %T", img)
	}
	if err != nil {
		return fmt.Errorf("pushing %s: %w", refs[0], err)
	}
	for _, r := range refs[1:] {
		t, ok := r.(name.Tag)
		if !ok {
			return fmt.Errorf("%s is not a tag", r)
		}
		if err := remote.Tag(t, img, ropts...); err != nil {
			return fmt.Errorf("tagging %s: %w", r, err)
		}
	}
	for _, r := range refs {
		log.Printf("pushed %s@%s", r, d)
	}
	log.Printf("push took %s", time.Since(start).Round(time.Millisecond))
	return nil
}

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

// fileLayer is a gzip layer blob already written into the layout.
type fileLayer struct {
	path           string
	digest, diffID v1.Hash
	size           int64
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeLayer streams tar -> gzip -> file in the layout, hashing both sides.
func writeLayer(lp layout.Path, fill func(*tar.Writer) error) (v1.Layer, error) {
	tmp, err := os.CreateTemp(string(lp), ".layer-*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	var (
		compHash   = sha256.New()
		uncompHash = sha256.New()
		count      = &countWriter{}
	)
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, compHash, count), 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(io.MultiWriter(zw, uncompHash))
	if err := fill(tw); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	digest := toHash(compHash)
	dir := filepath.Join(string(lp), "blobs", digest.Algorithm)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, digest.Hex)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, err
	}
	return &fileLayer{path: final, digest: digest, diffID: toHash(uncompHash), size: count.n}, nil
}

func toHash(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// normalize clears the parts of a header that vary between runs or hosts.
func normalize(h *tar.Header, epoch time.Time) {
	h.ModTime = epoch
	h.AccessTime = time.Time{}
	h.ChangeTime = time.Time{}
	h.Uname = ""
	h.Gname = ""
	h.Format = tar.FormatPAX
	// Keep only extended attributes (e.g. file capabilities).
	var keep map[string]string
	for k, v := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			if keep == nil {
				keep = map[string]string{}
			}
			keep[k] = v
		}
	}
	h.PAXRecords = keep
	//nolint:staticcheck // Xattrs is deprecated in favour of PAXRecords.
	h.Xattrs = nil
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// cleanName turns "./usr/bin/" into "usr/bin"; "" means the root itself.
func cleanName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}

// writeRootfs copies a rootfs tarball into tw with sorted, normalized
// entries. Hard links are kept; when sorting moves a link ahead of the file
// it points to, the roles are swapped so the data always comes first.
// With only (cleaned names), just those paths, what is below them and their
// parent directories are copied.
func writeRootfs(tw *tar.Writer, file string, only []string, epoch time.Time) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	byName := map[string]*entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		n := cleanName(h.Name)
		if n == "" {
			continue
		}
		if !wanted(n, only) {
			continue
		}
		h.Name = n
		e := &entry{hdr: h}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // TypeRegA may appear in old archives.
			h.Typeflag = tar.TypeReg
			e.data, err = io.ReadAll(tr)
			if err != nil {
				return err
			}
		case tar.TypeLink:
			h.Linkname = cleanName(h.Linkname)
		case tar.TypeDir, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("%s: unsupported tar entry type %q for %s", file, h.Typeflag, h.Name)
		}
		byName[n] = e // a later entry for the same name wins, as on extraction
	}

	// Hard link groups: target file name -> link entries.
	groups := map[string][]*entry{}
	for _, e := range byName {
		if e.hdr.Typeflag != tar.TypeLink {
			continue
		}
		t := e.hdr.Linkname
		te, ok := byName[t]
		if !ok && !wanted(t, only) {
			return fmt.Errorf("%s: hard link %s points to %s, which is outside the -rootfs-path selection", file, e.hdr.Name, t)
		}
		if !ok || te.hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s: hard link %s points to %s, which is not a regular file in the archive", file, e.hdr.Name, t)
		}
		groups[t] = append(groups[t], e)
	}
	for t, links := range groups {
		target := byName[t]
		first := target
		for _, l := range links {
			if l.hdr.Name < first.hdr.Name {
				first = l
			}
		}
		if first == target {
			continue
		}
		// Swap: the alphabetically first name carries the data.
		firstName := first.hdr.Name
		newHdr := *target.hdr
		newHdr.Name = firstName
		first.hdr, first.data = &newHdr, target.data
		target.hdr.Typeflag, target.hdr.Linkname, target.hdr.Size, target.data = tar.TypeLink, firstName, 0, nil
		for _, l := range links {
			if l != first {
				l.hdr.Linkname = firstName
			}
		}
	}

	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := byName[n]
		h := e.hdr
		normalize(h, epoch)
		if h.Typeflag == tar.TypeDir && !strings.HasSuffix(h.Name, "/") {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		} else {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if len(e.data) > 0 {
			if _, err := tw.Write(e.data); err != nil {
				return err
			}
		}
	}
	return nil
}

// wanted reports whether the rootfs entry n is selected by only (nil: all).
func wanted(n string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if n == p || strings.HasPrefix(n, p+"/") || strings.HasPrefix(p, n+"/") {
			return true
		}
	}
	return false
}

// writeHostPath copies a host file or directory tree to a.dst, owned by 0:0.
// Directory entries are visited in lexical order (filepath.WalkDir).
// Hard links on the host are stored as separate files.
func writeHostPath(tw *tar.Writer, a addSpec, epoch time.Time) error {
	top, err := os.Stat(a.src) // follow a symlink given on the command line
	if err != nil {
		return err
	}
	dstRoot := cleanName(a.dst)
	add := func(p, dst string, fi fs.FileInfo) error {
		var link string
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if fi.Mode()&(fs.ModeSocket|fs.ModeDevice|fs.ModeNamedPipe|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
			log.Printf("skipping special file %s", p)
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = dst
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid = 0, 0
		normalize(h, epoch)
		h.PAXRecords = nil
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err != nil {
			return err
		}
		if n != h.Size {
			return fmt.Errorf("%s changed size while being read", p)
		}
		return nil
	}
	if !top.IsDir() {
		return add(a.src, dstRoot, top)
	}
	return filepath.WalkDir(a.src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if p == a.src {
			fi = top
		}
		rel, err := filepath.Rel(a.src, p)
		if err != nil {
			return err
		}
		dst := dstRoot
		if rel != "." {
			dst = path.Join(dstRoot, filepath.ToSlash(rel))
		}
		return add(p, dst, fi)
	})
}

// writeEntries writes the -mkdir directories and -file files, sorted by
// name, plus missing parent directories (0755, 0:0).
func writeEntries(tw *tar.Writer, dirs []mkdirSpec, files []fileSpec, epoch time.Time) error {
	type item struct {
		hdr  *tar.Header
		data []byte
	}
	items := map[string]item{}
	for _, d := range dirs {
		n := cleanName(d.dst)
		items[n] = item{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: n + "/", Mode: d.mode, Uid: d.uid, Gid: d.gid}}
	}
	for _, f := range files {
		n := cleanName(f.dst)
		items[n] = item{
			hdr:  &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: f.mode, Uid: f.uid, Gid: f.gid, Size: int64(len(f.data))},
			data: f.data,
		}
	}
	for n := range items {
		for p := path.Dir(n); p != "."; p = path.Dir(p) {
			if it, ok := items[p]; ok {
				if it.hdr.Typeflag != tar.TypeDir {
					return fmt.Errorf("/%s is a file and a parent directory of /%s", p, n)
				}
				continue
			}
			items[p] = item{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755}}
		}
	}
	names := make([]string, 0, len(items))
	for n := range items {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		it := items[n]
		normalize(it.hdr, epoch)
		if err := tw.WriteHeader(it.hdr); err != nil {
			return err
		}
		if _, err := tw.Write(it.data); err != nil {
			return err
		}
	}
	return nil
}
