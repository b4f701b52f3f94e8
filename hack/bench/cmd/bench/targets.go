package main

import "fmt"

// The targets gobuild is held to on the benchmark's service (issue 7, and
// issue 19's dependency bumps in bumpTargets), judged from the medians in
// the results.

// targetRow is one target: what it asks, what was measured, and whether it
// holds ("yes", "no", or "–" when the results lack a number it needs).
type targetRow struct {
	Target   string
	Measured string
	Holds    string
}

// targets judges every target the results have numbers for.
func (r *Results) targets() []targetRow {
	median := func(toolID, scenarioID string) (float64, bool) {
		t, ok := r.get(toolID, scenarioID)
		if !ok || t.NA != "" || len(t.Samples) == 0 || t.Median <= 0 {
			return 0, false
		}
		return t.Median, true
	}
	// ratio judges gobuild's a against b's median of scenario sb.
	ratio := func(target, sa, toolB, sb string, limit float64, strict bool) targetRow {
		row := targetRow{Target: target, Measured: "–", Holds: "–"}
		a, okA := median("gobuild", sa)
		b, okB := median(toolB, sb)
		if !okA || !okB {
			return row
		}
		x := a / b
		row.Measured = fmt.Sprintf("%.2f× (%s against %s)", x, fmtSec(a), fmtSec(b))
		row.Holds = yesNo(x <= limit && (!strict || x < limit))
		return row
	}
	rows := []targetRow{
		ratio("one-file edit at most 1.2× `go build` on the host", "edit", "go", "edit", 1.2, false),
		ratio("one-file edit faster than the Dockerfile", "edit", "dockerfile", "edit", 1, true),
		ratio("no-op rebuild no slower than the Dockerfile", "noop", "dockerfile", "noop", 1, false),
		ratio("cold build no slower than the Dockerfile", "cold", "dockerfile", "cold", 1, false),
		ratio("fresh daemon with registry cache, one-file edit, at most 0.3× gobuild's cold build", "fresh-edit", "gobuild", "cold", 0.3, false),
		ratio("fresh daemon with registry cache, same source, at most 0.3× gobuild's cold build", "fresh-same", "gobuild", "cold", 0.3, false),
	}
	size := targetRow{Target: "image (uncompressed layers) within 5% of its binaries' size", Measured: "–", Holds: "–"}
	for _, s := range r.Sizes {
		if s.Tool != "gobuild" || s.Images == 0 || s.BinaryBytes == 0 {
			continue
		}
		x := float64(s.Uncompressed) / float64(s.BinaryBytes)
		size.Measured = fmt.Sprintf("%.3f× (%s against %s)", x, mib(s.Uncompressed), mib(s.BinaryBytes))
		size.Holds = yesNo(x <= 1.05)
	}
	return append(append(rows, size), r.bumpTargets(ratio)...)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
