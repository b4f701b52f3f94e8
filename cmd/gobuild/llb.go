package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bk "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

const llbUsage = `Usage: gobuild llb [--context DIR] [--platform P] [--target T] [--build-arg K=V] [FILE]

Writes the LLB definition of target T of FILE (default gobuild.yaml) for
platform P to stdout, in the format 'buildctl debug dump-llb' and
'buildctl build' read. It is made without a daemon, from the same graph code
the frontend uses:

  gobuild llb gobuild.yaml | buildctl debug dump-llb | jq .
  gobuild llb gobuild.yaml | buildctl build --local context=. --output type=local,dest=out

The build context is the local named "context" (pass it with --local
context=DIR); .dockerignore (or FILE.dockerignore) applies as in a build.
It differs from what the frontend solves in three ways, all of which need a
daemon:
  - the compile steps see the whole context: a build first runs go list
    ("list the files go build reads") and narrows it to the files go build
    reads;
  - images are not resolved: the builder (go.image) and base images are
    referenced by tag, not pinned to a digest, and their configs are not
    read; the builder gets the official golang image's PATH and GOPATH;
  - the binaries are not checked to be static ELF files of the platform
    before the image is assembled.
Only the root file system is written; the image config is not.

Flags:
  --context DIR      the build context (default: the directory of FILE)
  --platform P       target platform (default linux/<host arch>); one only
  --target T         an image name, binaries, test or vulncheck (default: the first image)
  --build-arg K=V    build arg, as in a build (VERSION, COMMIT, SOURCE_DATE_EPOCH,
                     GOPROXY, ...; repeatable)
`

// golangEnv is the environment of the official golang images (and of the
// test bed's), given to the builder since its config is not read.
var golangEnv = [][2]string{
	{"PATH", "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
	{"GOPATH", "/go"},
}

func cmdLLB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("llb", stderr)
	contextDir := fs.String("context", "", "")
	platform := fs.String("platform", "", "")
	target := fs.String("target", "", "")
	var buildArgs listFlag
	fs.Var(&buildArgs, "build-arg", "")
	pos, code, ok := parseArgs(fs, args, llbUsage, stdout, stderr)
	if !ok {
		return code
	}
	file, err := fileArg(pos)
	if err != nil {
		return usageError(stderr, "llb", "%v", err)
	}
	bargs, err := keyValues("build-arg", buildArgs, os.LookupEnv)
	if err != nil {
		return usageError(stderr, "llb", "%v", err)
	}
	def, err := llbDefinition(ctx, file, *contextDir, *platform, *target, bargs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	if err := bk.WriteTo(def, stdout); err != nil {
		fmt.Fprintf(stderr, "gobuild llb: writing the definition: %v\n", err)
		return exitFail
	}
	return exitOK
}

// llbDefinition is the marshalled graph of target of file for platform (see llbUsage).
func llbDefinition(ctx context.Context, file, contextDir, platform, target string, args map[string]string) (*bk.Definition, error) {
	host := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if d := platforms.DefaultSpec(); d.Architecture == runtime.GOARCH {
		host.Variant = d.Variant
	}
	host = platforms.Normalize(host)
	targetPlatform := host
	if platform != "" {
		if strings.Contains(platform, ",") {
			return nil, fmt.Errorf("--platform %s: gobuild llb writes one platform's graph; give one", platform)
		}
		p, err := platforms.Parse(platform)
		if err != nil {
			return nil, fmt.Errorf("--platform %s: %w", platform, err)
		}
		targetPlatform = platforms.Normalize(p)
	}
	p, err := loadProject(file, contextDir, args)
	if err != nil {
		return nil, err
	}
	rf := p.Resolved

	name, err := targetName(rf, file, target)
	if err != nil {
		return nil, err
	}
	values, epoch, err := templateValues(args)
	if err != nil {
		return nil, err
	}
	excludes, err := dockerignore(file, p.ContextDir)
	if err != nil {
		return nil, err
	}
	builder := loadImage(rf.Go.Image, host)
	for _, kv := range golangEnv {
		builder = builder.AddEnv(kv[0], kv[1])
	}
	in := gbllb.Input{
		File: rf,
		Context: bk.Local("context", bk.ExcludePatterns(excludes), bk.SharedKeyHint("context"),
			bk.WithCustomName("[internal] load build context")),
		Builder:        builder,
		Work:           p.Module.Work,
		Vendor:         p.Module.Vendor,
		GoEnv:          p.File.GoEnv(args),
		BuildPlatform:  host,
		TargetPlatform: targetPlatform,
		Values:         values,
		Epoch:          epoch,
		CacheNS:        args["BUILDKIT_CACHE_MOUNT_NS"],
	}
	var res *gbllb.Result
	switch name {
	case gbllb.BinariesTarget:
		res, err = gbllb.Binaries(in)
	case gbllb.TestTarget:
		res, err = gbllb.Tests(in)
	case gbllb.VulncheckTarget:
		var db string
		if db, err = rf.VulnDB(args); err == nil {
			res, err = gbllb.Vulncheck(in, db)
		}
	default:
		if img := rf.Image(name); !img.Scratch() {
			in.Base = &gbllb.Base{State: loadImage(img.BaseRef(), targetPlatform)}
		}
		res, err = gbllb.Image(in, name)
	}
	if err != nil {
		return nil, err
	}
	// The local's unique id is the context's path, not a random one, so
	// that the same project gives the same definition.
	abs, err := filepath.Abs(p.ContextDir)
	if err != nil {
		return nil, err
	}
	uid := digest.FromString(abs).Encoded()[:25]
	return res.Rootfs.Marshal(ctx, bk.Platform(targetPlatform), bk.LocalUniqueID(uid))
}

// loadImage is the image ref on platform p, unresolved: by its tag, with no
// config (the frontend pins it to a digest and applies its config).
func loadImage(ref string, p ocispecs.Platform) bk.State {
	name := ref
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		name = reference.TagNameOnly(named).String()
	}
	return bk.Image(name, bk.Platform(p), bk.WithCustomName("[internal] load "+name))
}

// targetName is the target a build of rf with --target target makes, as in
// frontend.Build: the first image by default, else gobuild's own targets or
// an image, case-insensitively.
func targetName(rf *spec.File, file, target string) (string, error) {
	if i := slices.IndexFunc(gbllb.Targets, func(t string) bool { return strings.EqualFold(t, target) }); i >= 0 {
		return gbllb.Targets[i], nil
	}
	if target == "" {
		return rf.Images[0].Name, nil
	}
	if img := rf.Image(target); img != nil {
		return img.Name, nil
	}
	var names []string
	for _, im := range rf.Images {
		names = append(names, im.Name)
	}
	return "", fmt.Errorf("target %q not found in %s; targets: %s", target, file, strings.Join(append(names, gbllb.Targets...), ", "))
}

// templateValues are the template values and file time a build with these
// build args uses (as frontend's templateValues, with no git information:
// buildx passes that, not the file).
func templateValues(args map[string]string) (spec.Values, *time.Time, error) {
	v := spec.Values{Version: "dev", Commit: args["COMMIT"], Args: maps.Clone(args)}
	if s := args["VERSION"]; s != "" {
		v.Version = s
	}
	var epoch *time.Time
	if s := args["SOURCE_DATE_EPOCH"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return v, nil, fmt.Errorf("build arg SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		t := time.Unix(n, 0).UTC()
		epoch = &t
		v.Date = t.Format(time.RFC3339)
	}
	return v, epoch, nil
}
