package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/ociindex"
	buildctl "github.com/moby/buildkit/cmd/buildctl/build"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/gobuild/gobuild/frontend"
	"github.com/gobuild/gobuild/spec"
)

const buildUsage = `Usage: gobuild build [flags] DIR

Builds the build context DIR with BuildKit, running the gobuild frontend in
this process: the build 'docker buildx build -f DIR/gobuild.yaml DIR' makes
with the frontend image, made by this binary's frontend, with no frontend
image pulled.

The daemon is $BUILDKIT_HOST; when it is not set, the local test bed's
(hack/testbed/up): BUILDKIT_HOST from $GOBUILD_TESTBED_DIR/env, else from the
first .testbed/env in the working directory or above it.

Flags (as docker buildx build and buildctl build take them):
  -f, --file FILE           the gobuild.yaml (default DIR/gobuild.yaml)
      --target T            an image name, binaries, test or vulncheck (default: the first image)
      --platform P[,P...]   target platforms (repeatable; default: the daemon's)
      --build-arg K[=V]     build arg (repeatable; K alone takes $K)
      --label K=V           image label (repeatable)
      --secret id=ID,src=PATH|env=VAR
                            secret for the build, such as id=netrc,src=$HOME/.netrc (repeatable)
      --ssh default[=PATH]  ssh agent socket or keys for go.ssh (repeatable)
  -o, --output SPEC         type=oci|docker|tar|local|image|registry,dest=...,name=...,push=true;
                            a bare path means type=local,dest=PATH, "-" a tar on stdout
                            (repeatable; default: build only, export nothing)
      --cache-from SPEC     import cache, such as type=registry,ref=... (repeatable)
      --cache-to SPEC       export cache, such as type=local,dest=DIR,mode=max (repeatable)
      --no-cache            run every step again
      --no-cache-filter N[,N...]
                            run again only the steps of these targets, steps (download,
                            list, cgo) and build ids (repeatable)
      --progress MODE       auto, plain, tty, quiet or rawjson (default auto; $BUILDKIT_PROGRESS)
      --build-context NAME=VALUE
                            named context: a directory, docker-image://REF, oci-layout://PATH[:TAG][@DIGEST],
                            a git or https URL; NAME may be the builder image (golang:1.26) or a base (repeatable)
      --call targets|outline|check
                            print what the frontend answers instead of building

Registry credentials come from the docker config ($DOCKER_CONFIG, ~/.docker).
`

// buildFlags are gobuild build's flags.
type buildFlags struct {
	file, target, progress, call                        string
	noCache                                             bool
	platforms, buildArgs, labels, secrets, ssh, outputs listFlag
	noCacheFilter                                       listFlag
	cacheFrom, cacheTo, contexts                        listFlag
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", stderr)
	var f buildFlags
	fs.StringVar(&f.file, "f", "", "")
	fs.StringVar(&f.file, "file", "", "")
	fs.StringVar(&f.target, "target", "", "")
	fs.StringVar(&f.progress, "progress", "auto", "")
	fs.StringVar(&f.call, "call", "", "")
	fs.BoolVar(&f.noCache, "no-cache", false, "")
	fs.Var(&f.noCacheFilter, "no-cache-filter", "")
	fs.Var(&f.platforms, "platform", "")
	fs.Var(&f.buildArgs, "build-arg", "")
	fs.Var(&f.labels, "label", "")
	fs.Var(&f.secrets, "secret", "")
	fs.Var(&f.ssh, "ssh", "")
	fs.Var(&f.outputs, "o", "")
	fs.Var(&f.outputs, "output", "")
	fs.Var(&f.cacheFrom, "cache-from", "")
	fs.Var(&f.cacheTo, "cache-to", "")
	fs.Var(&f.contexts, "build-context", "")
	pos, code, ok := parseArgs(fs, args, buildUsage, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "build", "want one DIR (the build context), got %d arguments", len(pos))
	}
	wd, _ := os.Getwd()
	addr, _, err := buildkitHost(os.Getenv, wd)
	if err == nil {
		err = build(ctx, addr, pos[0], f, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gobuild build: %v\n", err)
		// The gobuild.yaml lines the error is about, as buildx shows them.
		for _, s := range errdefs.Sources(err) {
			s.Print(stderr)
		}
		return exitFail
	}
	return exitOK
}

// callRequests are the --call values and the subrequests they make.
var callRequests = map[string]string{
	"targets": "frontend.targets",
	"outline": "frontend.outline",
	"check":   "frontend.lint",
}

// build runs frontend.Build in this process against the daemon at addr.
func build(ctx context.Context, addr, dir string, f buildFlags, stdout, stderr io.Writer) error {
	opt, err := solveOpt(dir, f, os.LookupEnv)
	if err != nil {
		return err
	}
	c, err := client.New(ctx, addr)
	if err != nil {
		return fmt.Errorf("connecting to BuildKit at %s: %w", addr, err)
	}
	defer c.Close()

	mode := f.progress
	if v := os.Getenv("BUILDKIT_PROGRESS"); v != "" && mode == "auto" {
		mode = v
	}
	display, err := progressui.NewDisplay(stderr, progressui.DisplayMode(mode))
	if err != nil {
		return fmt.Errorf("--progress %s: %w", f.progress, err)
	}

	var mu sync.Mutex
	var meta map[string][]byte // the subrequest's answer
	buildFunc := func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := frontend.Build(ctx, c)
		if err == nil && res != nil && f.call != "" {
			mu.Lock()
			meta = res.Metadata
			mu.Unlock()
		}
		return res, err
	}
	ch := make(chan *client.SolveStatus)
	var warnings []client.VertexWarning
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "gobuild", buildFunc, ch)
		return err
	})
	eg.Go(func() error {
		// Not the group's context: the display goes on to show the error.
		var err error
		warnings, err = display.UpdateFrom(context.WithoutCancel(ctx), ch)
		return err
	})
	if err := eg.Wait(); err != nil {
		return err
	}
	if len(warnings) > 0 && mode != string(progressui.QuietMode) && mode != string(progressui.RawJSONMode) {
		fmt.Fprintf(stderr, "%d warning(s):\n", len(warnings))
		for _, w := range warnings {
			fmt.Fprintf(stderr, " - %s\n", w.Short)
		}
	}
	if f.call == "" {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if txt, ok := meta["result.txt"]; ok {
		_, err = stdout.Write(txt)
	} else {
		for _, k := range slices.Sorted(maps.Keys(meta)) {
			if strings.HasPrefix(k, "result.") {
				fmt.Fprintf(stdout, "%s\n%s\n", k, meta[k])
			}
		}
	}
	if err != nil {
		return err
	}
	if s := string(meta["result.statuscode"]); s != "" && s != "0" {
		return fmt.Errorf("--call %s: the frontend reported problems (status %s)", f.call, s)
	}
	if f.call == "check" && len(meta["result.txt"]) == 0 {
		fmt.Fprintln(stdout, "Check complete, no warnings found.")
	}
	return nil
}

// solveOpt turns the command line into the solve options of a build of
// dir, as buildctl and buildx make them.
func solveOpt(dir string, f buildFlags, lookupEnv func(string) (string, bool)) (client.SolveOpt, error) {
	var opt client.SolveOpt
	if fi, err := os.Stat(dir); err != nil {
		return opt, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return opt, fmt.Errorf("build context %s is not a directory", dir)
	}
	file := f.file
	if file == "" {
		file = filepath.Join(dir, spec.DefaultFilename)
	}
	if fi, err := os.Stat(file); err != nil {
		return opt, err
	} else if fi.IsDir() {
		return opt, fmt.Errorf("%s is a directory; -f names the gobuild.yaml file", file)
	}
	ctxFS, err := fsutil.NewFS(dir)
	if err != nil {
		return opt, err
	}
	fileFS, err := fsutil.NewFS(filepath.Dir(file))
	if err != nil {
		return opt, err
	}
	opt.LocalMounts = map[string]fsutil.FS{"context": ctxFS, "dockerfile": fileFS}
	attrs := map[string]string{"filename": filepath.Base(file)}
	opt.FrontendAttrs = attrs
	var caps []string

	if f.target != "" {
		attrs["target"] = f.target
	}
	var plats []string
	for _, p := range f.platforms {
		for _, p := range strings.Split(p, ",") {
			if p = strings.TrimSpace(p); p != "" {
				plats = append(plats, p)
			}
		}
	}
	if len(plats) > 0 {
		attrs["platform"] = strings.Join(plats, ",")
	}
	buildArgs, err := keyValues("build-arg", f.buildArgs, lookupEnv)
	if err != nil {
		return opt, err
	}
	// As buildctl and buildx: SOURCE_DATE_EPOCH in the environment is a build arg.
	if v, ok := lookupEnv("SOURCE_DATE_EPOCH"); ok {
		if _, set := buildArgs["SOURCE_DATE_EPOCH"]; !set {
			buildArgs["SOURCE_DATE_EPOCH"] = v
		}
	}
	for k, v := range buildArgs {
		attrs["build-arg:"+k] = v
	}
	labels, err := keyValues("label", f.labels, nil)
	if err != nil {
		return opt, err
	}
	for k, v := range labels {
		attrs["label:"+k] = v
	}
	if f.noCache {
		attrs["no-cache"] = ""
	} else if len(f.noCacheFilter) > 0 {
		attrs["no-cache"] = strings.Join(f.noCacheFilter, ",")
	}
	if f.call != "" && f.call != "build" {
		req, ok := callRequests[f.call]
		if !ok {
			return opt, fmt.Errorf("--call %s: want targets, outline, check or build", f.call)
		}
		attrs["requestid"] = req
		caps = append(caps, "moby.buildkit.frontend.subrequests+forward")
	} else {
		f.call = ""
		if opt.Exports, err = parseOutputs(f.outputs); err != nil {
			return opt, err
		}
	}
	if len(f.contexts) > 0 {
		caps = append(caps, "moby.buildkit.frontend.contexts+forward")
		for _, nv := range f.contexts {
			if err := addBuildContext(&opt, nv); err != nil {
				return opt, err
			}
		}
	}
	if len(caps) > 0 {
		attrs["frontend.caps"] = strings.Join(caps, ",")
	}

	if opt.CacheImports, err = buildctl.ParseImportCache(f.cacheFrom); err != nil {
		return opt, fmt.Errorf("--cache-from: %w", err)
	}
	if opt.CacheExports, err = buildctl.ParseExportCache(f.cacheTo); err != nil {
		return opt, fmt.Errorf("--cache-to: %w", err)
	}

	dockerConfig := config.LoadDefaultConfigFile(io.Discard)
	opt.Session = []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(dockerConfig),
	})}
	if len(f.secrets) > 0 {
		sp, err := buildctl.ParseSecret(f.secrets)
		if err != nil {
			return opt, fmt.Errorf("--secret: %w", err)
		}
		opt.Session = append(opt.Session, sp)
	}
	if len(f.ssh) > 0 {
		configs, err := buildctl.ParseSSH(f.ssh)
		if err != nil {
			return opt, fmt.Errorf("--ssh: %w", err)
		}
		sp, err := sshprovider.NewSSHAgentProvider(configs)
		if err != nil {
			return opt, fmt.Errorf("--ssh: %w", err)
		}
		opt.Session = append(opt.Session, sp)
	}
	return opt, nil
}

// parseOutputs parses -o values with buildctl's parser, after buildx's
// shorthands: a bare path is type=local,dest=PATH, "-" a tar on stdout, and
// type=registry is type=image,push=true.
func parseOutputs(outputs []string) ([]client.ExportEntry, error) {
	specs := make([]string, len(outputs))
	for i, o := range outputs {
		switch {
		case o == "-":
			specs[i] = "type=tar,dest=-"
		case !strings.Contains(o, "="):
			specs[i] = "type=local,dest=" + o
		default:
			specs[i] = o
		}
	}
	exports, err := buildctl.ParseOutput(specs)
	if err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	for i, e := range exports {
		if e.Type == "registry" {
			exports[i].Type = client.ExporterImage
			exports[i].Attrs["push"] = "true"
		}
	}
	return exports, nil
}

// addBuildContext adds --build-context NAME=VALUE as buildx does: a
// directory becomes a local of its own, an OCI layout a content store, and
// anything else (docker-image://, git and https URLs) is passed on as
// context:NAME for the frontend to load.
func addBuildContext(opt *client.SolveOpt, nv string) error {
	name, value, ok := strings.Cut(nv, "=")
	if !ok || name == "" || value == "" {
		return fmt.Errorf("--build-context %q: want NAME=VALUE", nv)
	}
	key := "context:" + name
	switch {
	case strings.HasPrefix(value, "docker-image://"), isRemoteURL(value):
		opt.FrontendAttrs[key] = value
	case strings.HasPrefix(value, "oci-layout://"):
		ref, err := ociLayoutContext(opt, strings.TrimPrefix(value, "oci-layout://"))
		if err != nil {
			return fmt.Errorf("--build-context %s: %w", nv, err)
		}
		opt.FrontendAttrs[key] = ref
	default:
		fi, err := os.Stat(value)
		if err != nil {
			return fmt.Errorf("--build-context %s: %w", nv, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("--build-context %s: not a directory, docker-image://, oci-layout:// or URL", nv)
		}
		fs, err := fsutil.NewFS(value)
		if err != nil {
			return err
		}
		local := name
		if local == "context" || local == "dockerfile" {
			local = "_" + local
		}
		opt.LocalMounts[local] = fs
		opt.FrontendAttrs[key] = "local:" + local
	}
	return nil
}

// ociLayoutContext adds the OCI layout at s (PATH[:TAG][@DIGEST]) as a
// content store and returns the oci-layout:// reference dockerui loads.
func ociLayoutContext(opt *client.SolveOpt, s string) (string, error) {
	p, tag, dgst := s, "", ""
	if i := strings.LastIndex(p, "@"); i >= 0 && strings.Contains(p[i:], ":") {
		p, dgst = p[:i], p[i+1:]
	}
	if i := strings.LastIndex(p, ":"); i >= 0 && !strings.Contains(p[i:], "/") {
		p, tag = p[:i], p[i+1:]
	}
	if dgst == "" {
		if tag == "" {
			tag = "latest"
		}
		desc, err := ociindex.NewStoreIndex(p).Get(tag)
		if err != nil {
			return "", err
		}
		if desc == nil {
			return "", fmt.Errorf("no image tagged %q in %s", tag, p)
		}
		dgst = desc.Digest.String()
	}
	id := identity.NewID()
	stores, err := buildctl.ParseOCILayout([]string{id + "=" + p})
	if err != nil {
		return "", err
	}
	if opt.OCIStores == nil {
		opt.OCIStores = stores
	} else {
		maps.Copy(opt.OCIStores, stores)
	}
	ref := "oci-layout://" + id
	if tag != "" {
		ref += ":" + tag
	}
	return ref + "@" + dgst, nil
}

// isRemoteURL reports whether s is an http(s) URL or a git reference (as
// buildx's urlutil.IsRemoteURL).
func isRemoteURL(s string) bool {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return true
	}
	_, ok, _ := dfgitutil.ParseGitRef(s)
	return ok
}
