package spec

import (
	"fmt"
	"strings"
)

// ModuleSum is one module version that go.sum holds hashes for: the hash of
// its zip (what go mod download fetches for the packages the module needs)
// and of its go.mod (what go reads to load the module graph). A version go
// only reads the go.mod of has no Zip.
type ModuleSum struct {
	Path    string
	Version string
	Zip     string // h1: hash of the module's files, or ""
	GoMod   string // h1: hash of its go.mod, or ""
}

// ParseGoSum reads go.sum (named name in errors): one ModuleSum per module
// version, in the order of its first line (go keeps go.sum sorted).
func ParseGoSum(name string, data []byte) ([]ModuleSum, error) {
	var sums []ModuleSum
	index := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: malformed line: want a module path, a version and a hash", name, i+1)
		}
		version, gomod := strings.CutSuffix(f[1], "/go.mod")
		key := f[0] + " " + version
		n, ok := index[key]
		if !ok {
			n = len(sums)
			index[key] = n
			sums = append(sums, ModuleSum{Path: f[0], Version: version})
		}
		if gomod {
			sums[n].GoMod = f[2]
		} else {
			sums[n].Zip = f[2]
		}
	}
	return sums, nil
}
