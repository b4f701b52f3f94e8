package frontend

import (
	"maps"
	"slices"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// annotations collects each platform's manifest annotations, as the build
// callbacks run concurrently.
type annotations struct {
	mu sync.Mutex
	m  map[string]map[string]string // platform -> key -> value
}

func newAnnotations() *annotations { return &annotations{m: map[string]map[string]string{}} }

func (a *annotations) set(p ocispecs.Platform, kv map[string]string) {
	if len(kv) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[platforms.FormatAll(platforms.Normalize(p))] = kv
}

// addTo returns the annotations to the exporter through res's metadata: on
// the manifest of a single-platform image; on each platform's manifest, and
// on the index for those all platforms agree on, for an index.
func (a *annotations) addTo(res *client.Result) {
	if len(a.m) == 0 {
		return
	}
	if res.Ref != nil && len(res.Refs) == 0 {
		for _, kv := range a.m {
			for _, k := range slices.Sorted(maps.Keys(kv)) {
				res.AddMeta(exptypes.AnnotationManifestKey(nil, k), []byte(kv[k]))
			}
		}
		return
	}
	var common map[string]string
	for _, ps := range slices.Sorted(maps.Keys(a.m)) {
		kv := a.m[ps]
		p, err := platforms.Parse(ps)
		if err != nil {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(kv)) {
			res.AddMeta(exptypes.AnnotationManifestKey(&p, k), []byte(kv[k]))
		}
		if common == nil {
			common = maps.Clone(kv)
		} else {
			maps.DeleteFunc(common, func(k, v string) bool { return kv[k] != v })
		}
	}
	if len(a.m) == len(res.Refs) {
		for _, k := range slices.Sorted(maps.Keys(common)) {
			res.AddMeta(exptypes.AnnotationIndexKey(k), []byte(common[k]))
		}
	}
}
