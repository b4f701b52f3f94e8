package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/ociindex"
	buildctl "github.com/moby/buildkit/cmd/buildctl/build"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"

	"github.com/gobuild/gobuild/spec"
)

// callRequests are the --call values and the subrequests they make.
var callRequests = map[string]string{
	"targets": targets.RequestTargets,
	"outline": outline.RequestSubrequestsOutline,
	"check":   lint.RequestLint,
}

// solveOpt turns the command line into the solve options of a build of
// dir, as buildctl and buildx make them.
func solveOpt(dir string, o buildOptions, lookupEnv func(string) (string, bool)) (client.SolveOpt, error) {
	var opt client.SolveOpt
	file, err := buildFile(dir, o.file)
	if err != nil {
		return opt, err
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
	attrs, err := frontendAttrs(filepath.Base(file), o, lookupEnv)
	if err != nil {
		return opt, err
	}
	opt.FrontendAttrs = attrs

	var caps []string
	if o.call != "" && o.call != "build" {
		req, ok := callRequests[o.call]
		if !ok {
			return opt, fmt.Errorf("--call %s: want targets, outline, check or build", o.call)
		}
		attrs["requestid"] = req
		caps = append(caps, "moby.buildkit.frontend.subrequests+forward")
	} else if opt.Exports, err = parseOutputs(o.outputs); err != nil {
		return opt, err
	}
	if len(o.contexts) > 0 {
		caps = append(caps, "moby.buildkit.frontend.contexts+forward")
		for _, nv := range o.contexts {
			if err := addBuildContext(&opt, nv); err != nil {
				return opt, err
			}
		}
	}
	if len(caps) > 0 {
		attrs["frontend.caps"] = strings.Join(caps, ",")
	}

	if opt.CacheImports, err = buildctl.ParseImportCache(o.cacheFrom); err != nil {
		return opt, fmt.Errorf("--cache-from: %w", err)
	}
	if opt.CacheExports, err = buildctl.ParseExportCache(o.cacheTo); err != nil {
		return opt, fmt.Errorf("--cache-to: %w", err)
	}
	if opt.Session, err = attachables(o); err != nil {
		return opt, err
	}
	return opt, nil
}

// buildFile checks that dir is a directory and returns the gobuild.yaml
// to build: file (-f), else the one in dir.
func buildFile(dir, file string) (string, error) {
	if fi, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("build context %s is not a directory", dir)
	}
	if file == "" {
		file = filepath.Join(dir, spec.DefaultFilename)
	}
	if fi, err := os.Stat(file); err != nil {
		return "", err
	} else if fi.IsDir() {
		return "", fmt.Errorf("%s is a directory; -f names the gobuild.yaml file", file)
	}
	return file, nil
}

// frontendAttrs are the frontend options of the file named filename (in
// the dockerfile local) that the flags set: target, platforms, build args
// (SOURCE_DATE_EPOCH from the environment too), labels and no-cache.
func frontendAttrs(filename string, o buildOptions, lookupEnv func(string) (string, bool)) (map[string]string, error) {
	attrs := map[string]string{"filename": filename}
	if o.target != "" {
		attrs["target"] = o.target
	}
	var plats []string
	for _, p := range o.platforms {
		for _, p := range strings.Split(p, ",") {
			if p = strings.TrimSpace(p); p != "" {
				plats = append(plats, p)
			}
		}
	}
	if len(plats) > 0 {
		attrs["platform"] = strings.Join(plats, ",")
	}
	buildArgs, err := keyValues("build-arg", o.buildArgs, lookupEnv)
	if err != nil {
		return nil, err
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
	labels, err := keyValues("label", o.labels, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range labels {
		attrs["label:"+k] = v
	}
	if o.noCache {
		attrs["no-cache"] = ""
	} else if len(o.noCacheFilter) > 0 {
		attrs["no-cache"] = strings.Join(o.noCacheFilter, ",")
	}
	return attrs, nil
}

// attachables are what the build's session serves the daemon: registry
// credentials from the docker config ($DOCKER_CONFIG, ~/.docker), the
// --secret files and variables and the --ssh agents.
func attachables(o buildOptions) ([]session.Attachable, error) {
	dockerConfig := config.LoadDefaultConfigFile(io.Discard)
	as := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(dockerConfig),
	})}
	if len(o.secrets) > 0 {
		sp, err := buildctl.ParseSecret(o.secrets)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		as = append(as, sp)
	}
	if len(o.ssh) > 0 {
		configs, err := buildctl.ParseSSH(o.ssh)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
		sp, err := sshprovider.NewSSHAgentProvider(configs)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
		as = append(as, sp)
	}
	return as, nil
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
