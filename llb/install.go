// The tools gobuild's targets install in the builder with go install:
// govulncheck for the vulncheck target, gotestsum for the test target's
// JUnit report.

package llb

import (
	bk "github.com/moby/buildkit/client/llb"
)

// proxyEnv are the go.env keys that say where modules come from: a tool's
// install honours them, and nothing else of the module's setup.
var proxyEnv = []string{"GOINSECURE", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOPROXY", "GOSUMDB"}

// goInstall installs pkg at version in a step of its own for the step
// name target, cached by the builder, the version and the proxy settings.
// It returns a state holding the binary at /<last element of pkg>.
func (in input) goInstall(target, pkg, version string) bk.State {
	opts := []bk.RunOption{
		bk.Args([]string{"go", "install", pkg + "@" + version}),
		bk.Dir("/"),
		in.cacheMount(buildCache, BuildCacheID),
		bk.AddMount(modCache, bk.Scratch(), bk.Tmpfs()),
		bk.WithCustomNamef("[%s] go install %s@%s", target, pkg, version),
	}
	for _, k := range proxyEnv {
		if val, ok := in.Env[k]; ok {
			opts = append(opts, bk.AddEnv(k, val))
		}
	}
	opts = append(opts, ownEnv()...)
	opts = append(opts, bk.AddEnv("GOBIN", outDir), bk.AddEnv("GOFLAGS", "-trimpath"))
	opts = append(opts, in.step(target, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}
