package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/frontend"
	gbllb "github.com/gobuild/gobuild/llb"
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
var golangEnv = []string{
	"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"GOPATH=/go",
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
	name, err := gbllb.TargetName(p.Resolved, target, file)
	if err != nil {
		return nil, err
	}
	excludes, err := dockerignore(file, p.ContextDir)
	if err != nil {
		return nil, err
	}
	// The frontend's plan, with what differs without a daemon: no list
	// step, images by tag with no config.
	plan, err := frontend.NewPlan(ctx, frontend.PlanOptions{
		Project: p.Project,
		Context: bk.Local(dockerui.DefaultLocalNameContext, bk.ExcludePatterns(excludes), bk.SharedKeyHint(dockerui.DefaultLocalNameContext),
			bk.WithCustomName("[internal] load build context")),
		BuildArgs:     args,
		BuildPlatform: host,
		Images:        frontend.TagImages{},
		BuilderEnv:    golangEnv,
		CacheNS:       args["BUILDKIT_CACHE_MOUNT_NS"],
	})
	if err != nil {
		return nil, err
	}
	pl, err := plan.Platform(ctx, name, targetPlatform)
	if err != nil {
		return nil, err
	}
	vulnDB, err := p.Resolved.VulnDB(args)
	if err != nil {
		return nil, err
	}
	res, err := plan.Target(pl, name, vulnDB)
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
