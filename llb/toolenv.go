// Tool environment: what every go command gobuild runs gets (go.env, the
// GO* build args, and the variables gobuild owns).

package llb

import (
	"maps"
	"slices"

	bk "github.com/moby/buildkit/client/llb"
)

// toolEnv is the environment of the go commands gobuild runs on the
// module: go.env and the GO* build args, then what gobuild owns.
func (in input) toolEnv() []bk.RunOption {
	var opts []bk.RunOption
	for _, k := range slices.Sorted(maps.Keys(in.Env)) {
		opts = append(opts, bk.AddEnv(k, in.Env[k]))
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
