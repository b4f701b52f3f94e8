// Package llb turns a resolved gobuild.yaml into a BuildKit LLB graph for one
// target platform. It is pure construction: states in, states out, no gateway
// client, so it is tested without a daemon.
package llb

import (
	_ "embed"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Paths inside the builder.
const (
	srcDir     = "/src"
	toolDir    = "/gobuild"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	zoneinfo   = "/usr/share/zoneinfo"
)

// DefaultPath is PATH in the images gobuild makes.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Input is everything one platform's graph is made from.
type Input struct {
	File    *spec.File // resolved (spec.File.Resolve)
	Context bk.State   // the build context: the module (at File.Go.Dir) and the sources
	Builder bk.State   // the Go builder image, on the build platform, with its image config applied

	// Work is the go.work the module belongs to, when there is one.
	Work *Work
	// Vendor is set when the module vendors its dependencies (vendor/modules.txt
	// is there and GOFLAGS does not ask for -mod=mod): nothing is downloaded.
	Vendor bool
	// GoEnv is added to every go command (spec.File.GoEnv).
	GoEnv map[string]string
	// Base is the image's base on the target platform; nil for scratch.
	Base *Base

	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform

	Values     spec.Values       // template values; Os, Arch and Variant are set per platform
	Epoch      *time.Time        // SOURCE_DATE_EPOCH: the time of files gobuild writes (else the Unix epoch)
	AutoLabels map[string]string // labels gobuild knows (org.opencontainers.image.*); the file's labels win over them
	Labels     map[string]string // labels from --label; they win over the file's
	CacheNS    string            // prefix for cache mount ids (BUILDKIT_CACHE_MOUNT_NS)

	// SourceFiles, when set, are the only files of Context the compile
	// steps see (from ListSources), so editing any other file does not
	// recompile.
	SourceFiles []string
	// Imports, when set, are the packages the builds import from outside
	// the module, by configuration (from ListSources): the dependency step
	// compiles them into the layer the compile's build cache starts from.
	Imports map[string][]string
	// Tools, when set, is a state holding the list step's tool, prebuilt,
	// in ToolsPath: the frontend's own image (see the Dockerfile and
	// gobuild.yaml at the repository's root). Without
	// it the list step compiles the tool from its embedded source first,
	// which on a cold cache costs the build that compile.
	Tools *bk.State
	// List is the list step (ListSources) the frontend read SourceFiles and
	// Imports from. The compile mounts it, so that the list step is part of
	// the image's graph and a remote cache carries it too.
	List *bk.State

	// Locate, when set, gives the source location of a gobuild.yaml field
	// (nil when unknown) so that steps made for it show those lines when they fail.
	Locate func(field string) bk.ConstraintsOpt
	// NoCache, when set, reports whether the step of that name (see Steps)
	// runs again instead of coming from the cache (--no-cache-filter).
	NoCache func(step string) bool
}

// Step names, for --no-cache-filter. Each build's compile is named by the
// build's id, and a target's name covers all its steps.
const (
	DownloadStep = "download" // go mod download
	ListStep     = "list"     // the go list of the files go build reads
	CgoStep      = "cgo"      // installing a cross C toolchain
)

// Steps are the step names of f (resolved) other than its targets: the
// ones --no-cache-filter accepts besides target names.
func Steps(f *spec.File) []string {
	steps := []string{DownloadStep, ListStep, CgoStep, DepsStep}
	for _, b := range f.Builds {
		steps = append(steps, b.ID)
	}
	return steps
}

// step is what every exec of the named step gets: the lines of field (when
// known) and IgnoreCache when --no-cache-filter names the step.
func (in Input) step(name, field string) []bk.RunOption {
	var opts []bk.RunOption
	if in.Locate != nil && field != "" {
		if loc := in.Locate(field); loc != nil {
			opts = append(opts, loc)
		}
	}
	if in.NoCache != nil && in.NoCache(name) {
		opts = append(opts, bk.IgnoreCache)
	}
	return opts
}

// Work is a go.work file.
type Work = spec.Workspace

// Base is a base image: its root file system and its config.
type Base struct {
	State  bk.State
	Config *dockerspec.DockerOCIImage
}

// Result is one platform's image.
type Result struct {
	Rootfs      bk.State
	Config      dockerspec.DockerOCIImage
	Annotations map[string]string // of the manifest
	// Binaries are the compile steps' outputs, for the frontend to check
	// before the image is assembled.
	Binaries []Binary
}

// Binary is one build's compiled binary.
type Binary struct {
	Build *spec.Build
	State bk.State // the compile's output
	File  string   // the binary's path in State: /<Build.Binary>, or in a shared compile the name go build gave it
	// Shared is set when State is a compile shared with other builds, so
	// that it holds their binaries too.
	Shared bool
}

// BinariesTarget is the target that exports just the binaries.
const BinariesTarget = "binaries"

// Image builds the graph of the image named name for in.TargetPlatform.
func Image(in Input, name string) (*Result, error) {
	in, genv, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	img := in.File.Image(name)
	if img == nil {
		return nil, fmt.Errorf("no image named %q", name)
	}
	plat := platforms.FormatAll(in.TargetPlatform)
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

// Binaries builds every binary for in.TargetPlatform into one directory.
func Binaries(in Input) (*Result, error) {
	in, genv, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	var builds []*spec.Build
	for i := range in.File.Builds {
		if b := &in.File.Builds[i]; in.forTarget(b) {
			builds = append(builds, b)
		}
	}
	bins, err := in.compileAll(builds, genv, false)
	if err != nil {
		return nil, err
	}
	var outs []bk.State
	for _, bin := range bins {
		if !bin.Shared {
			outs = append(outs, bin.State)
		} else {
			outs = append(outs, bk.Scratch().File(bk.Copy(bin.State, bin.File, "/"+bin.Build.Binary),
				bk.WithCustomNamef("[%s %s] %s", bin.Build.ID, platforms.FormatAll(in.TargetPlatform), bin.Build.Binary)))
		}
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("no build is for %s: their platforms leave it out", platforms.FormatAll(in.TargetPlatform))
	}
	var c dockerspec.DockerOCIImage
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	return &Result{
		Rootfs:   bk.Merge(outs, bk.WithCustomNamef("[%s %s] collect binaries", BinariesTarget, platforms.FormatAll(in.TargetPlatform))),
		Config:   c,
		Binaries: bins,
	}, nil
}

// forPlatform expands the file's templates for the target platform and
// returns its GOOS/GOARCH environment.
func (in Input) forPlatform() (Input, []string, error) {
	genv, err := GoEnv(in.TargetPlatform)
	if err != nil {
		return in, nil, err
	}
	v := in.Values
	p := platforms.Normalize(in.TargetPlatform)
	v.Os, v.Arch, v.Variant = p.OS, p.Architecture, p.Variant
	f, err := in.File.Render(spec.DefaultFilename, v)
	if err != nil {
		return in, nil, err
	}
	in.File = f
	return in, genv, nil
}

func (in Input) platform() ocispecs.Platform {
	return ocispecs.Platform{OS: in.TargetPlatform.OS, Architecture: in.TargetPlatform.Architecture, Variant: in.TargetPlatform.Variant}
}

// epoch is the time given to the files gobuild writes.
func (in Input) epoch() time.Time {
	if in.Epoch != nil {
		return *in.Epoch
	}
	return time.Unix(0, 0)
}

// modFiles holds only what `go mod download` reads, so only these files
// invalidate it.
func (in Input) modFiles() bk.State {
	patterns := []string{path.Join(in.dir(), "go.mod"), path.Join(in.dir(), "go.sum")}
	if in.Work != nil {
		patterns = append(patterns, path.Join(in.Work.Dir, "go.work"), path.Join(in.Work.Dir, "go.work.sum"))
		for _, u := range in.Work.Uses {
			patterns = append(patterns, path.Join(in.Work.Dir, u, "go.mod"), path.Join(in.Work.Dir, u, "go.sum"))
		}
	}
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)
	for i, p := range patterns {
		patterns[i] = escapePattern(p)
	}
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     patterns,
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomName("go.mod and go.sum"))
}

// dir is the module's directory relative to the build context.
func (in Input) dir() string { return spec.ModuleDir(in.File.Go.Dir) }

// workdir is where go commands run: the module's directory in the builder.
func (in Input) workdir() string { return path.Join(srcDir, in.dir()) }

// Where the module download step mounts the credentials it may use.
const (
	netrcPath      = "/root/.netrc"
	knownHostsPath = "/run/secrets/known_hosts"
)

// Secrets and SSH ids the module download step uses, when given.
const (
	NetrcSecret      = "netrc"
	KnownHostsSecret = "known_hosts"
	SSHID            = "default"
)

// download fetches every module the build needs and returns them as a
// layer: the module cache, for the offline steps to mount at GOMODCACHE. A
// layer, unlike a cache mount, exists whenever the step's cache does (a
// remote cache brings both) and is keyed by what the step read, so the
// offline steps never find it missing or stale. It runs on the build
// platform with no target-specific input, so all platforms share it. It is
// the one go command with network access, and the only step that sees the
// netrc secret and the ssh agent. The /src mount is writable because go may
// add to go.sum or go.work.sum; what it writes is dropped. A vendored module
// downloads nothing: the layer is empty.
func (in Input) download() bk.State {
	if in.Vendor {
		return bk.Scratch()
	}
	opts := []bk.RunOption{
		bk.Args([]string{"go", "mod", "download"}),
		bk.Dir(in.workdir()),
		bk.AddMount(srcDir, in.modFiles(), bk.ForceNoOutput),
		bk.AddSecret(netrcPath, bk.SecretID(NetrcSecret), bk.SecretOptional, bk.SecretFileOpt(0, 0, 0o400)),
		bk.WithCustomName("go mod download"),
	}
	opts = append(opts, in.toolEnv()...)
	opts = append(opts, bk.AddEnv("NETRC", netrcPath))
	opts = append(opts, in.sshOpts()...)
	opts = append(opts, in.step(DownloadStep, "go")...)
	return in.Builder.Run(opts...).AddMount(modCache, bk.Scratch())
}

// sshOpts give the download step the ssh agent and make git fetch the
// private modules over ssh, when go.ssh is set: each go.private pattern's
// fixed prefix (host and path up to the first wildcard) is rewritten from
// https:// to ssh://git@. Host keys are checked against the known_hosts
// secret; there is no trust on first use.
func (in Input) sshOpts() []bk.RunOption {
	if !in.File.Go.SSH {
		return nil
	}
	opts := []bk.RunOption{
		bk.AddSSHSocket(bk.SSHID(SSHID)),
		bk.AddSecret(knownHostsPath, bk.SecretID(KnownHostsSecret), bk.SecretOptional),
		bk.AddEnv("GIT_SSH_COMMAND", "ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile="+knownHostsPath+" -o BatchMode=yes"),
	}
	var prefixes []string
	for _, p := range in.File.Go.Private {
		if p := spec.PatternPrefix(p); p != "" {
			prefixes = append(prefixes, p)
		}
	}
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	// git reads GIT_CONFIG_COUNT/KEY_n/VALUE_n as if from a config file.
	opts = append(opts, bk.AddEnv("GIT_CONFIG_COUNT", strconv.Itoa(len(prefixes))))
	for i, p := range prefixes {
		n := strconv.Itoa(i)
		opts = append(opts,
			bk.AddEnv("GIT_CONFIG_KEY_"+n, "url.ssh://git@"+p+"/.insteadOf"),
			bk.AddEnv("GIT_CONFIG_VALUE_"+n, "https://"+p+"/"))
	}
	return opts
}

// offline are the options of the go commands that run after the download:
// no network, and the downloaded modules (see downloaded).
func (in Input) offline() []bk.RunOption {
	return append([]bk.RunOption{bk.Network(bk.NetModeNone)}, in.downloaded()...)
}

// downloaded are the options of a go command that uses the downloaded
// modules: mounted read-only, with the go environment and GOPROXY=off, so
// that a module missing from them fails by name instead of by a DNS error.
func (in Input) downloaded() []bk.RunOption {
	opts := []bk.RunOption{bk.AddMount(modCache, in.download(), bk.Readonly)}
	opts = append(opts, in.toolEnv()...)
	return append(opts, bk.AddEnv("GOPROXY", "off"))
}

//go:embed listfiles/main.go
var listfiles []byte

// ToolsPath is the directory of Input.Tools that holds listfiles: where a
// gobuild image puts its binaries, since the frontend image is one (built
// by gobuild.yaml, or the Dockerfile, which puts them in the same place).
const ToolsPath = spec.BinDir

// SourcesFile is where the state ListSources returns holds its JSON list.
const SourcesFile = "/files.json"

// ListSources returns a state whose SourcesFile lists, as JSON, the files of
// the module that go build can read (see llb/listfiles), and whose
// ImportsFile lists the packages the builds import from outside the module
// for each of the target platforms. The frontend reads them and passes them
// back as Input.SourceFiles and Input.Imports.
func ListSources(in Input, targets []ocispecs.Platform) bk.State {
	var toolMount bk.RunOption
	if in.Tools != nil {
		// Only the tool, not the frontend beside it: a new frontend
		// with the same listfiles leaves the step's cache key alone.
		tool := path.Join(ToolsPath, "listfiles")
		toolMount = bk.AddMount(path.Join(toolDir, "listfiles"), *in.Tools, bk.SourcePath(tool), bk.Readonly)
	} else {
		toolMount = bk.AddMount(toolDir, in.listTool(), bk.Readonly)
	}
	opts := []bk.RunOption{
		bk.Args([]string{path.Join(toolDir, "listfiles"), "-root", srcDir, "-dir", in.workdir(), "-o", path.Join(outDir, SourcesFile),
			"-imports", importsArg(in.File, targets), "-imports-out", path.Join(outDir, ImportsFile)}),
		bk.Dir(in.workdir()),
		toolMount,
		bk.AddMount(srcDir, in.Context, bk.ForceNoOutput),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("list the files go build reads"),
	}
	opts = append(opts, in.offline()...)
	opts = append(opts, in.step(ListStep, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}

// listTool compiles listfiles from its embedded source, in a step of its
// own that only the builder image and the tool's source invalidate.
func (in Input) listTool() bk.State {
	t := bk.WithCreatedTime(time.Unix(0, 0))
	src := bk.Scratch().File(bk.Mkfile("/listfiles.go", 0o644, listfiles, t), bk.WithCustomName("[internal] listfiles.go"))
	opts := []bk.RunOption{
		bk.Args([]string{"go", "build", "-o", path.Join(outDir, "listfiles"), "listfiles.go"}),
		bk.Dir(toolDir),
		bk.AddMount(toolDir, src, bk.Readonly),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("[internal] build listfiles"),
	}
	opts = append(opts, ownEnv()...)
	opts = append(opts, in.step(ListStep, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}

// sources is the part of the context the compile steps see.
func (in Input) sources() bk.State {
	if in.SourceFiles == nil {
		return in.Context
	}
	patterns := make([]string, len(in.SourceFiles))
	for i, f := range in.SourceFiles {
		patterns[i] = escapePattern(f)
	}
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     patterns,
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomNamef("%d files go build reads", len(in.SourceFiles)))
}

// escapePattern makes a file name match only itself as an include pattern.
func escapePattern(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// buildFlags are the go build flags of b: everything but -o and the package.
func buildFlags(b *spec.Build) []string {
	args := packageFlags(b)
	if len(b.Gcflags) > 0 {
		args = append(args, "-gcflags="+strings.Join(b.Gcflags, " "))
	}
	ldflags := []string{"-buildid="}
	if *b.Strip {
		ldflags = append([]string{"-s", "-w"}, ldflags...)
	}
	if externalLink(b) {
		static := "-static"
		if b.Pie {
			static = "-static-pie"
		}
		ldflags = append(ldflags, "-linkmode=external", "-extldflags="+static)
	}
	ldflags = append(ldflags, b.Ldflags...)
	args = append(args, "-ldflags="+strings.Join(ldflags, " "))
	return append(args, b.Flags...)
}

// packageFlags are the go build flags of b that apply to every package it
// compiles: -trimpath, -buildvcs, -buildmode and -tags.
func packageFlags(b *spec.Build) []string {
	var args []string
	if *b.Trimpath {
		args = append(args, "-trimpath")
	}
	args = append(args, "-buildvcs=false")
	if b.Pie {
		args = append(args, "-buildmode=pie")
	}
	if tags := buildTags(b); len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	return args
}

// buildTags are b's build tags; cgo adds netgo and osusergo.
func buildTags(b *spec.Build) []string {
	tags := slices.Clone(b.Tags)
	if b.Cgo {
		// Pure-Go name and user lookups: glibc's NSS cannot be linked statically.
		for _, t := range []string{"netgo", "osusergo"} {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	return tags
}

// compileAll compiles builds for the target platform and returns their
// binaries, in order. Builds that differ only in main, id and binary share
// one go build, as `go build -o dir/ ./cmd/a ./cmd/b` would: their common
// packages compile once and the links run in parallel, where separate go
// builds would each compile them.
func (in Input) compileAll(builds []*spec.Build, genv []string, tested bool) ([]Binary, error) {
	outs := make([]Binary, len(builds))
	for _, g := range compileGroups(builds) {
		group := make([]*spec.Build, len(g))
		for j, i := range g {
			group[j] = builds[i]
		}
		out, err := in.compile(group, genv, tested)
		if err != nil {
			return nil, err
		}
		for _, i := range g {
			b := builds[i]
			file := "/" + b.Binary
			if len(g) > 1 {
				name, _ := spec.PackageExecName(b.Main)
				file = "/" + name
			}
			outs[i] = Binary{Build: b, State: out, File: file, Shared: len(g) > 1}
		}
	}
	return outs, nil
}

// compileGroups partitions builds (by index, in order) into the sets that
// compile together. A build joins another's set when their flags and
// environment are the same, neither is linked by the C toolchain (each of
// those checks its own toolchain), and go build names their binaries
// differently; a build whose binary go would name after the module path
// (main "." or ./v2), or whose name is taken in its set, compiles alone.
func compileGroups(builds []*spec.Build) [][]int {
	var groups [][]int
	sets := map[string]int{}              // key -> index in groups
	names := map[string]map[string]bool{} // key -> binary names go gives its set
	for i, b := range builds {
		key := groupKey(b)
		name, ok := spec.PackageExecName(b.Main)
		if key == "" || !ok || names[key][name] {
			groups = append(groups, []int{i})
			continue
		}
		g, seen := sets[key]
		if !seen {
			g, sets[key], names[key] = len(groups), len(groups), map[string]bool{}
			groups = append(groups, nil)
		}
		names[key][name] = true
		groups[g] = append(groups[g], i)
	}
	return groups
}

// groupKey is what builds compiled together share, or "" for a build that
// compiles alone.
func groupKey(b *spec.Build) string {
	if externalLink(b) {
		return ""
	}
	key := buildFlags(b)
	for _, k := range slices.Sorted(maps.Keys(b.Env)) {
		key = append(key, "env:"+k+"="+b.Env[k])
	}
	return strings.Join(key, "\x00")
}

// compile runs one go build for group (see compileGroups) on the target
// platform. The result holds a lone build's binary at /<binary>, and a
// group's binaries by the names go build gives them. With tested, the
// compile waits for the test target and runs only when it passed. Its build
// cache mount starts from the dependency layer (see deps).
func (in Input) compile(group []*spec.Build, genv []string, tested bool) (bk.State, error) {
	b := group[0]
	i := slices.IndexFunc(in.File.Builds, func(x spec.Build) bool { return x.ID == b.ID })
	root, common, err := in.goBuild(i, b, genv)
	if err != nil {
		return bk.State{}, err
	}
	var ids, mains []string
	for _, m := range group {
		ids, mains = append(ids, m.ID), append(mains, m.Main)
	}
	args := append([]string{"go", "build"}, buildFlags(b)...)
	if len(group) == 1 {
		args = append(args, "-o", path.Join(outDir, b.Binary), b.Main)
	} else {
		args = append(append(args, "-o", outDir+"/"), mains...)
	}
	opts := []bk.RunOption{
		bk.Args(args),
		bk.AddMount(srcDir, in.sources(), bk.ForceNoOutput),
		in.cacheMountFrom(buildCache, BuildCacheID, in.deps(b, root, common)),
		bk.WithCustomNamef("[%s %s] go build %s", strings.Join(ids, ", "), platforms.FormatAll(in.TargetPlatform), strings.Join(mains, " ")),
	}
	opts = append(opts, common...)
	if tested {
		opts = append(opts, bk.AddMount(path.Join(toolDir, "tested"), in.tests(), bk.Readonly))
	}
	if in.List != nil {
		opts = append(opts, bk.AddMount(path.Join(toolDir, "list"), *in.List, bk.Readonly))
	}
	for _, m := range group {
		j := slices.IndexFunc(in.File.Builds, func(x spec.Build) bool { return x.ID == m.ID })
		opts = append(opts, in.step(m.ID, fmt.Sprintf("builds[%d]", j))...)
	}
	return root.Run(opts...).AddMount(outDir, bk.Scratch()), nil
}

// goBuild returns the root file system go build runs on for b (the builder,
// or it with a cross C toolchain) and the options every go build of b's
// packages shares: the working directory, the downloaded modules with no
// network, the platform's and the build's environment.
func (in Input) goBuild(i int, b *spec.Build, genv []string) (bk.State, []bk.RunOption, error) {
	root := in.Builder
	opts := []bk.RunOption{bk.Dir(in.workdir())}
	opts = append(opts, in.offline()...)
	for _, kv := range genv {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, bk.AddEnv(k, v))
	}
	if externalLink(b) {
		if err := in.checkExternal(i, b); err != nil {
			return root, nil, err
		}
		var cc string
		root, cc = in.cToolchain()
		opts = append(opts, bk.AddEnv("CGO_ENABLED", "1"), bk.AddEnv("CC", cc))
	}
	for _, k := range slices.Sorted(maps.Keys(b.Env)) {
		opts = append(opts, bk.AddEnv(k, b.Env[k]))
	}
	return root, opts, nil
}

// fromBuilder copies p (a file or a directory) from the builder image.
func (in Input) fromBuilder(name, p string) bk.State {
	return bk.Scratch().File(
		bk.Copy(in.Builder, p, p, &bk.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: true, CreatedTime: ptr(in.epoch())}),
		bk.WithCustomName(name),
	)
}

// baseFiles are what a scratch image needs for its user and programs:
// /etc/passwd and /etc/group naming the image's user, a world-writable /tmp,
// and the working directory.
func (in Input) baseFiles(img *spec.Image) bk.State {
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
func (in Input) stamped(st bk.State) *bk.FileAction {
	return bk.Copy(st, "/", "/", &bk.CopyInfo{CopyDirContentsOnly: true, CreatedTime: ptr(in.epoch())})
}

// copyFile copies images[].files[i] from the build context.
func (in Input) copyFile(img *spec.Image, i int, f spec.ImageFile) bk.State {
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

func ptr[T any](v T) *T { return &v }

// BuildCacheID is the id of the go build cache mount.
const BuildCacheID = "gobuildcache"

// CacheID is the id of cache mount id in namespace ns (BUILDKIT_CACHE_MOUNT_NS).
func CacheID(ns, id string) string {
	if ns != "" {
		return ns + "/" + id
	}
	return id
}

func (in Input) cacheMount(dest, id string) bk.RunOption {
	return in.cacheMountFrom(dest, id, bk.Scratch())
}

// cacheMountFrom is a shared cache mount that starts from base; BuildKit
// keeps one such mount per id and base.
func (in Input) cacheMountFrom(dest, id string, base bk.State) bk.RunOption {
	return bk.AddMount(dest, base, bk.AsPersistentCacheDir(CacheID(in.CacheNS, id), bk.CacheMountShared))
}

// toolEnv is the environment of the go commands gobuild runs on the
// module: go.env and the GO* build args, then what gobuild owns.
func (in Input) toolEnv() []bk.RunOption {
	var opts []bk.RunOption
	for _, k := range slices.Sorted(maps.Keys(in.GoEnv)) {
		opts = append(opts, bk.AddEnv(k, in.GoEnv[k]))
	}
	return append(opts, ownEnv()...)
}

// ownEnv is what gobuild sets for every go command.
func ownEnv() []bk.RunOption {
	return []bk.RunOption{
		bk.AddEnv("GOMODCACHE", modCache),
		bk.AddEnv("GOCACHE", buildCache),
		bk.AddEnv("GOTOOLCHAIN", "local"),
		bk.AddEnv("CGO_ENABLED", "0"),
	}
}

// config is the image config for img on the target platform: a base
// image's config (history and layers included) extended with img's, or a
// new one on scratch.
func (in Input) config(img *spec.Image) dockerspec.DockerOCIImage {
	var c dockerspec.DockerOCIImage
	var baseEnv []string
	var labels map[string]string
	if in.Base != nil && in.Base.Config != nil && !img.Scratch() {
		b := in.Base.Config
		c.History = slices.Clone(b.History)
		c.RootFS.DiffIDs = slices.Clone(b.RootFS.DiffIDs)
		c.Config = b.Config
		c.Config.Env = nil
		c.Config.Labels = nil
		c.Config.ExposedPorts = maps.Clone(b.Config.ExposedPorts)
		c.Config.Volumes = maps.Clone(b.Config.Volumes)
		c.Config.OnBuild = nil
		c.Config.Healthcheck = nil
		baseEnv = b.Config.Env
		labels = maps.Clone(b.Config.Labels)
	}
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	// Env keeps the base's order; gobuild's variables replace or follow it.
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range baseEnv {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	if _, ok := env["PATH"]; !ok {
		set("PATH", DefaultPath)
	}
	for _, k := range slices.Sorted(maps.Keys(img.Env)) {
		set(k, img.Env[k])
	}
	for _, k := range order {
		c.Config.Env = append(c.Config.Env, k+"="+env[k])
	}
	// As with a Dockerfile's ENTRYPOINT, a new entrypoint drops the base's cmd.
	c.Config.Entrypoint = slices.Clone(img.Entrypoint)
	c.Config.Cmd = slices.Clone(img.Cmd)
	c.Config.User = img.User
	if img.Workdir != "" {
		c.Config.WorkingDir = img.Workdir
	} else if c.Config.WorkingDir == "" {
		c.Config.WorkingDir = "/"
	}
	for _, p := range img.Expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if c.Config.ExposedPorts == nil {
			c.Config.ExposedPorts = map[string]struct{}{}
		}
		c.Config.ExposedPorts[p] = struct{}{}
	}
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, in.AutoLabels)
	maps.Copy(labels, img.Labels)
	maps.Copy(labels, in.Labels)
	if len(labels) > 0 {
		c.Config.Labels = labels
	}
	return c
}
