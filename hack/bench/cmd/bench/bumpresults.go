package main

// What the dependency bumps add to results.json: the module they move, the
// bytes a cache export uploaded and a fresh build fetched, and the
// build-cache disk after each of ten bumps.

import (
	"sort"
)

// BumpInfo is the bump scenarios' module and the releases they walk.
type BumpInfo struct {
	Module string `json:"module"`
	// Walk is the releases from the checked-in one (first) down: a tool's
	// run r moves the module from Walk[r] to Walk[r+1] on the warm daemon
	// and to Walk[r+2] on the fresh one; bump-disk walks Walk[0..10].
	Walk []string `json:"walk"`
	// GCBudget is bump-disk's gc budget (maxUsedSpace, and buildctl prune
	// --keep-storage after each build).
	GCBudget int64 `json:"gc_budget_bytes,omitempty"`
}

// ByteSample is one measured amount of bytes, before the tool run that
// measured it completes.
type ByteSample struct {
	Tool, Scenario, What string
	Bytes                int64
}

// ByteStat is one tool's bytes for one scenario: "uploaded", what the
// build's --export-cache sent to the registry (blob uploads and manifest
// bodies), or "fetched", the cache blobs it downloaded.
type ByteStat struct {
	Tool     string  `json:"tool"`
	Scenario string  `json:"scenario"`
	What     string  `json:"what"`
	Samples  []int64 `json:"samples"`
	Median   int64   `json:"median"`
	Min      int64   `json:"min"`
	Max      int64   `json:"max"`
}

// DiskRun is bump-disk on one daemon: a full build, then the bumps.
type DiskRun struct {
	Tool string `json:"tool"`
	// GC is set for the daemon with BuildKit's gc on and a budget.
	GC    bool       `json:"gc"`
	Steps []DiskStep `json:"steps"`
}

// DiskStep is the disk after one build of bump-disk.
type DiskStep struct {
	Step    int     `json:"step"` // 0: the full build; 1...: the bumps
	Version string  `json:"version"`
	Seconds float64 `json:"seconds"`
	DiskUsage
	// Pruned is the disk after `buildctl prune --keep-storage <budget>`
	// (the daemon with gc on only).
	Pruned *DiskUsage `json:"pruned,omitempty"`
}

// DiskUsage is a daemon's build-cache disk.
type DiskUsage struct {
	// Cache is the total of `buildctl du` (every record's size, as its
	// Total line), CacheMounts the part in cache mounts (exec.cachemount).
	Cache       int64 `json:"cache_bytes"`
	CacheMounts int64 `json:"cache_mount_bytes"`
	Records     int   `json:"records"`
	// Root is `du -s -x` of the daemon's root: snapshots, content store
	// (compressed blobs) and metadata.
	Root int64 `json:"root_bytes"`
}

func (r *Results) addBytes(s ByteSample) {
	for i := range r.Bytes {
		b := &r.Bytes[i]
		if b.Tool == s.Tool && b.Scenario == s.Scenario && b.What == s.What {
			b.Samples = append(b.Samples, s.Bytes)
			return
		}
	}
	r.Bytes = append(r.Bytes, ByteStat{Tool: s.Tool, Scenario: s.Scenario, What: s.What, Samples: []int64{s.Bytes}})
}

// bytesOf returns one tool's bytes for a scenario.
func (r *Results) bytesOf(toolID, scenarioID, what string) (ByteStat, bool) {
	for _, b := range r.Bytes {
		if b.Tool == toolID && b.Scenario == scenarioID && b.What == what && len(b.Samples) > 0 {
			return b, true
		}
	}
	return ByteStat{}, false
}

// finishBytes computes the byte medians and sorts the bytes and disk runs
// in report order.
func (r *Results) finishBytes(toolOrder, scenarioOrder func(string) int) {
	for i := range r.Bytes {
		b := &r.Bytes[i]
		b.Median, b.Min, b.Max = bytesStats(b.Samples)
	}
	sort.SliceStable(r.Bytes, func(i, j int) bool {
		a, b := r.Bytes[i], r.Bytes[j]
		if a.Scenario != b.Scenario {
			return scenarioOrder(a.Scenario) < scenarioOrder(b.Scenario)
		}
		if a.What != b.What {
			return a.What > b.What // uploaded, then fetched
		}
		return toolOrder(a.Tool) < toolOrder(b.Tool)
	})
	sort.SliceStable(r.Disk, func(i, j int) bool {
		a, b := r.Disk[i], r.Disk[j]
		if a.Tool != b.Tool {
			return toolOrder(a.Tool) < toolOrder(b.Tool)
		}
		return !a.GC && b.GC
	})
}

// bytesStats returns the median (the mean of the middle two for an even
// count), minimum and maximum.
func bytesStats(xs []int64) (median, lo, hi int64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// diskRun returns a tool's bump-disk run with or without gc.
func (r *Results) diskRun(toolID string, gc bool) (DiskRun, bool) {
	for _, d := range r.Disk {
		if d.Tool == toolID && d.GC == gc && len(d.Steps) > 0 {
			return d, true
		}
	}
	return DiskRun{}, false
}
