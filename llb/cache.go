// Cache mounts: the go build cache mount and its id, in the
// BUILDKIT_CACHE_MOUNT_NS namespace.

package llb

import (
	bk "github.com/moby/buildkit/client/llb"
)

// BuildCacheID is the id of the go build cache mount.
const BuildCacheID = "gobuildcache"

// CacheID is the id of cache mount id in namespace ns (BUILDKIT_CACHE_MOUNT_NS).
func CacheID(ns, id string) string {
	if ns != "" {
		return ns + "/" + id
	}
	return id
}

func (in input) cacheMount(dest, id string) bk.RunOption {
	return in.cacheMountFrom(dest, id, bk.Scratch())
}

// cacheMountFrom is a shared cache mount that starts from base; BuildKit
// keeps one such mount per id and base.
func (in input) cacheMountFrom(dest, id string, base bk.State) bk.RunOption {
	return bk.AddMount(dest, base, bk.AsPersistentCacheDir(CacheID(in.CacheNS, id), bk.CacheMountShared))
}
