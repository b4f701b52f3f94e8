// Image assembly: the layers of one image (base files, CA bundle, time zone
// database, binaries, the image's files), merged onto scratch or the base,
// with a history entry for each layer gobuild adds.

package llb

import (
	"fmt"
	"maps"
	"path"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Image builds the graph of the image named name for in.Target.
func buildImage(in input, name string) (*Result, error) {
	in, genv, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	img := in.File.Image(name)
	if img == nil {
		return nil, fmt.Errorf("no image named %q", name)
	}
	plat := platforms.FormatAll(in.Target)
	var layers []bk.State
	// history describes each layer gobuild adds, by what it holds, so that
	// the exporter does not fill it in from the name of the step that first
	// made a cached layer: steps carry the image's name, and one image's
	// cached layer (its /etc/passwd, say) can serve another's, which would
	// make the digest depend on what the daemon built before.
	var history []string
	add := func(st bk.State, createdBy string) {
		layers = append(layers, st)
		history = append(history, createdBy)
	}
	if img.Scratch() {
		add(in.baseFiles(img), "gobuild: /etc/passwd, /etc/group, /tmp and "+img.Workdir)
	} else {
		if in.Base == nil {
			return nil, fmt.Errorf("image %q: base %s was not loaded", img.Name, img.BaseRef())
		}
		layers = append(layers, in.Base.State)
		if img.Workdir != "" && img.Workdir != "/" {
			dir := bk.Scratch().File(bk.Mkdir(img.Workdir, 0o755, bk.WithParents(true)))
			add(bk.Scratch().File(in.stamped(dir), bk.WithCustomNamef("[%s] %s", img.Name, img.Workdir)), "gobuild: mkdir "+img.Workdir)
		}
	}
	if *img.Certs {
		add(in.fromBuilder("copy CA certificates", caBundle), "gobuild: copy "+caBundle+" from the builder image")
	}
	if img.Tzdata {
		add(in.fromBuilder("copy time zone database", zoneinfo), "gobuild: copy "+zoneinfo+" from the builder image")
	}
	var builds []*spec.Build
	for _, id := range img.Builds {
		b := in.File.Build(id)
		if b == nil {
			return nil, fmt.Errorf("image %q lists unknown build %q", img.Name, id)
		}
		if !in.forTarget(b) {
			continue
		}
		builds = append(builds, b)
	}
	bins, err := in.compileAll(builds, genv, img.Tests)
	if err != nil {
		return nil, err
	}
	for _, bin := range bins {
		b := bin.Build
		dst := path.Join(spec.BinDir, b.Binary)
		add(bk.Scratch().File(
			bk.Copy(bin.State, bin.File, dst, &bk.CopyInfo{CreateDestPath: true, CreatedTime: ptr(in.epoch())}),
			bk.WithCustomNamef("[%s %s] copy %s", b.ID, plat, dst),
		), "gobuild: "+dst+", built from "+b.Main)
	}
	if len(bins) == 0 {
		return nil, fmt.Errorf("image %q has no build for %s: the platforms of builds %s leave it out", img.Name, plat, strings.Join(img.Builds, ", "))
	}
	for i, f := range img.Files {
		add(in.copyFile(img, i, f), "gobuild: copy "+f.Src+" to "+f.Dst)
	}
	cfg := in.config(img)
	epoch := in.epoch().UTC()
	for _, h := range history {
		cfg.History = append(cfg.History, ocispecs.History{Created: &epoch, CreatedBy: h, Comment: "gobuild"})
	}
	return &Result{
		Rootfs:      bk.Merge(layers, bk.WithCustomNamef("[%s %s] assemble image", img.Name, plat)),
		Config:      cfg,
		Annotations: maps.Clone(img.Annotations),
		Binaries:    bins,
	}, nil
}

// fromBuilder copies p (a file or a directory) from the builder image.
func (in input) fromBuilder(name, p string) bk.State {
	return bk.Scratch().File(
		bk.Copy(in.Builder, p, p, &bk.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: true, CreatedTime: ptr(in.epoch())}),
		bk.WithCustomName(name),
	)
}

// baseFiles are what a scratch image needs for its user and programs:
// /etc/passwd and /etc/group naming the image's user, a world-writable /tmp,
// and the working directory.
func (in input) baseFiles(img *spec.Image) bk.State {
	uid, gid, _ := strings.Cut(img.User, ":")
	if gid == "" {
		gid = uid
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n"
	group := "root:x:0:\n"
	if uid != "0" {
		passwd += fmt.Sprintf("nonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n", uid, gid)
	}
	if gid != "0" {
		group += fmt.Sprintf("nonroot:x:%s:\n", gid)
	}
	// The files are made in a staging state and copied out with the epoch
	// as every time: a directory written into after it was made (/etc by
	// its files, parents by their children) would otherwise keep the
	// clock's time, and the layer would differ from build to build.
	staging := bk.Mkdir("/etc", 0o755).
		Mkfile("/etc/passwd", 0o644, []byte(passwd)).
		Mkfile("/etc/group", 0o644, []byte(group))
	if img.Workdir != "/" {
		staging = staging.Mkdir(img.Workdir, 0o755, bk.WithParents(true))
	}
	// Mkdir cannot set the sticky bit (and is subject to umask): /tmp is an
	// empty directory copied with an explicit mode instead.
	empty := bk.Scratch().File(bk.Mkdir("/tmp", 0o755))
	fa := in.stamped(bk.Scratch().File(staging)).
		Copy(empty, "/tmp", "/tmp", &bk.CopyInfo{Mode: &bk.ChmodOpt{ModeStr: "1777"}, CreatedTime: ptr(in.epoch())})
	return bk.Scratch().File(fa, bk.WithCustomNamef("[%s] passwd, group, /tmp and %s", img.Name, img.Workdir))
}

// stamped copies all of st with the epoch as the time of every file and
// directory.
func (in input) stamped(st bk.State) *bk.FileAction {
	return bk.Copy(st, "/", "/", &bk.CopyInfo{CopyDirContentsOnly: true, CreatedTime: ptr(in.epoch())})
}

// copyFile copies images[].files[i] from the build context.
func (in input) copyFile(img *spec.Image, i int, f spec.ImageFile) bk.State {
	ci := &bk.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: true, AllowWildcard: false}
	if f.Mode != "" {
		m, _ := strconv.ParseUint(f.Mode, 8, 32)
		ci.Mode = &bk.ChmodOpt{ModeStr: symbolicMode(uint32(m))}
	}
	owner := f.Owner
	if owner == "" {
		owner = "0:0"
	}
	uid, gid, _ := strings.Cut(owner, ":")
	u, _ := strconv.Atoi(uid)
	g, _ := strconv.Atoi(gid)
	ci.ChownOpt = &bk.ChownOpt{User: &bk.UserOpt{UID: u}, Group: &bk.UserOpt{UID: g}}
	ci.CreatedTime = ptr(in.epoch())
	return bk.Scratch().File(
		bk.Copy(in.Context, path.Join("/", f.Src), f.Dst, ci),
		bk.WithCustomNamef("[%s] copy %s -> %s", img.Name, f.Src, f.Dst),
	)
}

// symbolicMode turns an octal mode into a chmod expression that gives files
// exactly m and directories m plus x wherever m has r, so that a directory
// copied with "0444" can still be entered.
func symbolicMode(m uint32) string {
	var parts []string
	for i, who := range []string{"u", "g", "o"} {
		bits := (m >> (6 - 3*i)) & 7
		perm := ""
		for j, c := range "rwx" {
			if bits&(4>>j) != 0 {
				perm += string(c)
			}
		}
		parts = append(parts, who+"="+perm)
	}
	for i, who := range []string{"u", "g", "o"} {
		if (m>>(6-3*i))&4 != 0 {
			parts = append(parts, who+"+X")
		}
	}
	return strings.Join(parts, ",")
}
