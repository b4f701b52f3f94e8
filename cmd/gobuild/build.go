package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/appdefaults"
	"github.com/moby/buildkit/util/progress/progressui"
	"golang.org/x/sync/errgroup"

	"github.com/gobuild/gobuild/frontend"
)

const buildUsage = `Usage: gobuild build [flags] DIR

Builds the build context DIR with BuildKit, running the gobuild frontend in
this process: the build 'docker buildx build -f DIR/gobuild.yaml DIR' makes
with the frontend image, made by this binary, with no frontend image pulled.

The daemon is the one at --addr, else at $BUILDKIT_HOST, else at BuildKit's
default address, ` + appdefaults.Address + `, as buildctl picks it.
For this repository's test bed (hack/testbed/up), 'source .testbed/env' sets
BUILDKIT_HOST.

Flags (as docker buildx build and buildctl build take them):
      --addr ADDR           the BuildKit daemon, such as unix:///PATH or tcp://HOST:PORT
                            (default $BUILDKIT_HOST, else BuildKit's default address)
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

// buildOptions are gobuild build's flags.
type buildOptions struct {
	file, target, progress, call, addr                  string
	noCache                                             bool
	platforms, buildArgs, labels, secrets, ssh, outputs listFlag
	noCacheFilter                                       listFlag
	cacheFrom, cacheTo, contexts                        listFlag
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", stderr)
	var o buildOptions
	fs.StringVar(&o.file, "f", "", "")
	fs.StringVar(&o.file, "file", "", "")
	fs.StringVar(&o.target, "target", "", "")
	fs.StringVar(&o.progress, "progress", "auto", "")
	fs.StringVar(&o.call, "call", "", "")
	fs.StringVar(&o.addr, "addr", "", "")
	fs.BoolVar(&o.noCache, "no-cache", false, "")
	fs.Var(&o.noCacheFilter, "no-cache-filter", "")
	fs.Var(&o.platforms, "platform", "")
	fs.Var(&o.buildArgs, "build-arg", "")
	fs.Var(&o.labels, "label", "")
	fs.Var(&o.secrets, "secret", "")
	fs.Var(&o.ssh, "ssh", "")
	fs.Var(&o.outputs, "o", "")
	fs.Var(&o.outputs, "output", "")
	fs.Var(&o.cacheFrom, "cache-from", "")
	fs.Var(&o.cacheTo, "cache-to", "")
	fs.Var(&o.contexts, "build-context", "")
	pos, code, ok := parseArgs(fs, args, buildUsage, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "build", "want one DIR (the build context), got %d arguments", len(pos))
	}
	if err := build(ctx, pos[0], o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "gobuild build: %v\n", err)
		// The gobuild.yaml lines the error is about, as buildx shows them.
		for _, s := range errdefs.Sources(err) {
			s.Print(stderr)
		}
		return exitFail
	}
	return exitOK
}

// daemonAddr is the BuildKit daemon's address, as buildctl picks it: the
// --addr flag, else $BUILDKIT_HOST, else BuildKit's default. from says
// which, for messages.
func daemonAddr(flagAddr string, getenv func(string) string) (addr, from string) {
	if flagAddr != "" {
		return flagAddr, "from --addr"
	}
	if h := getenv("BUILDKIT_HOST"); h != "" {
		return h, "from $BUILDKIT_HOST"
	}
	return appdefaults.Address, "BuildKit's default address"
}

// build runs frontend.Build in this process against the daemon daemonAddr
// picks.
func build(ctx context.Context, dir string, o buildOptions, stdout, stderr io.Writer) error {
	opt, err := solveOpt(dir, o, os.LookupEnv)
	if err != nil {
		return err
	}
	addr, from := daemonAddr(o.addr, os.Getenv)
	unreachable := func(err error) error {
		return fmt.Errorf("cannot reach BuildKit at %s (%s): %w; set BUILDKIT_HOST or --addr to the daemon's address (for this repository's test bed: source .testbed/env)", addr, from, err)
	}
	c, err := client.New(ctx, addr)
	if err != nil {
		return unreachable(err)
	}
	defer c.Close()
	// client.New does not dial: the first call does. Make it here, the
	// call c.Build begins with, so that a daemon out of reach is named so.
	if _, err := c.ListWorkers(ctx); err != nil {
		return unreachable(err)
	}

	mode := o.progress
	if v := os.Getenv("BUILDKIT_PROGRESS"); v != "" && mode == "auto" {
		mode = v
	}
	display, err := progressui.NewDisplay(stderr, progressui.DisplayMode(mode))
	if err != nil {
		return fmt.Errorf("--progress %s: %w", o.progress, err)
	}

	var mu sync.Mutex
	var meta map[string][]byte // the subrequest's answer
	buildFunc := func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := frontend.Build(ctx, c)
		if err == nil && res != nil && o.call != "" {
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
	if o.call == "" {
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
		return fmt.Errorf("--call %s: the frontend reported problems (status %s)", o.call, s)
	}
	if o.call == "check" && len(meta["result.txt"]) == 0 {
		fmt.Fprintln(stdout, "Check complete, no warnings found.")
	}
	return nil
}
